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
