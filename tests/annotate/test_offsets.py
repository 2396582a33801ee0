from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goldwire.annotate.offsets import OffsetError, OffsetMap, Unit


def _utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2  # what a browser's String.length counts


def test_utf16_after_emoji_matches_javascript_lengths():
    text = "Talks 😀 in Azerbaijan."
    start = text.index("Azerbaijan")
    m = OffsetMap(text, Unit.utf16)
    assert m.to_units(start) == _utf16_len(text[:start]) == start + 1
    assert m.to_codepoints(start + 1) == start
    assert text[slice(*m.span_to_codepoints(start + 1, start + 11))] == "Azerbaijan"


def test_offset_inside_a_surrogate_pair_is_an_error():
    text = "a😀b"
    m = OffsetMap(text, "utf16")
    with pytest.raises(OffsetError, match="UTF-16 offset 2 falls between the two halves"):
        m.to_codepoints(2)
    with pytest.raises(OffsetError, match="outside the text"):
        m.to_codepoints(5)


def test_graphemes_count_combining_sequences_and_zwj_emoji_as_one():
    text = "e\u0301 👩\u200d👩\u200d👧 Baku"
    m = OffsetMap(text, Unit.grapheme)
    start = text.index("Baku")
    assert m.to_units(start) == 4  # "é", " ", family, " "
    assert m.to_codepoints(4) == start
    with pytest.raises(OffsetError, match="not on a grapheme boundary"):
        m.to_units(1)  # between e and its combining accent


def test_bmp_text_is_identity_in_utf16():
    text = "МОСКВА, 31 марта. /ТАСС/."
    m = OffsetMap(text, Unit.utf16)
    assert m.identity and m.to_units(7) == 7 and m.to_codepoints(7) == 7


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), st.data())
def test_utf16_round_trip_property(text, data):
    m = OffsetMap(text, Unit.utf16)
    i = data.draw(st.integers(0, len(text)))
    u = m.to_units(i)
    assert u == _utf16_len(text[:i])
    assert m.to_codepoints(u) == i


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_grapheme_round_trip_property(text):
    import regex

    m = OffsetMap(text, Unit.grapheme)
    clusters = regex.findall(r"\X", text)
    pos = 0
    for k, cl in enumerate(clusters):
        assert m.to_units(pos) == k and m.to_codepoints(k) == pos
        pos += len(cl)
    assert m.to_codepoints(len(clusters)) == len(text)
