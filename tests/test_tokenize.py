from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from goldwire.tokenize import tokenize


def test_rules():
    text = (
        "The U.S. said on 1996-08-22 that Armenia’s forces don't sell 1,000.5 tons 😀 in "
        "Nagorno-Karabakh."
    )
    assert [t.text for t in tokenize(text)] == [
        "The", "U.S.", "said", "on", "1996-08-22", "that", "Armenia", "’s", "forces", "do",
        "n't", "sell", "1,000.5", "tons", "😀", "in", "Nagorno-Karabakh", ".",
    ]  # fmt: skip


def test_cyrillic():
    assert [t.text for t in tokenize("МОСКВА, 31 марта. /ТАСС/.")] == [
        "МОСКВА", ",", "31", "марта", ".", "/", "ТАСС", "/", ".",
    ]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_tokens_cover_every_non_space_character_once(text):
    toks = tokenize(text)
    pos = 0
    for t in toks:
        assert t.start >= pos and t.end > t.start
        assert text[t.start : t.end] == t.text
        assert text[pos : t.start].strip() == ""  # only whitespace between tokens
        pos = t.end
    assert text[pos:].strip() == ""


# --------------------------------------------------------------------------- grapheme clusters

FLAG_US = "\U0001f1fa\U0001f1f8"  # two regional indicators: one flag
HEART = "\u2764\ufe0f"  # a heart with its emoji variation selector
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # a ZWJ sequence
THUMB = "\U0001f44d\U0001f3fd"  # an emoji with its skin tone


def test_grapheme_clusters_are_one_token_each():
    text = f"{FLAG_US} {HEART} {FAMILY}{THUMB} cafe\u0301 q\u0323\u0307."
    assert [t.text for t in tokenize(text)] == [
        FLAG_US, HEART, FAMILY, THUMB, "cafe\u0301", "q\u0323\u0307", ".",
    ]  # fmt: skip


def test_variation_selector_stays_with_the_word_or_symbol_before_it():
    # U+FE0F is neither a word character nor a mark of the old rule 4: it was a token
    assert [t.text for t in tokenize("I \u2764\ufe0f NY\ufe0f!")] == ["I", HEART, "NY\ufe0f", "!"]


def _grapheme_bounds(text: str) -> set[int]:
    import regex

    return {0} | {m.end() for m in regex.finditer(r"\X", text)}


_PIECES = st.sampled_from(
    ["a", "Z", "1", ".", "'", "-", " ", "\n", "\u0301", "\ufe0f", "\u200d", "\U0001f1fa",
     "\U0001f1f8", "\U0001f468", "\U0001f3fd", "\u2764", "\u0915", "\u094d", "\u1100",
     "\u1161", "\r", "\u0600", "é"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(_PIECES, max_size=40).map("".join)))
def test_token_boundaries_are_grapheme_boundaries(text):
    """Every token starts and ends on a grapheme boundary, except next to whitespace that
    sits inside a cluster (a space followed by a combining mark: the documented exception)."""
    bounds = _grapheme_bounds(text)
    for t in tokenize(text):
        assert t.start in bounds or text[t.start - 1].isspace(), (text, t)
        assert t.end in bounds or text[t.end].isspace(), (text, t)
        assert not any(ch.isspace() for ch in t.text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=120))
def test_ascii_text_tokenizes_by_the_rules_alone(text):
    from goldwire.tokenize import TOKEN_RE

    assert [(t.start, t.end) for t in tokenize(text)] == [m.span() for m in TOKEN_RE.finditer(text)]
