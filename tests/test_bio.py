from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.metrics.sequence_labeling import get_entities

from goldwire.bio import iob2_to_spans, iob2_to_token_spans, iob2_token_arrays, spans_to_iob2
from goldwire.errors import SpanError
from goldwire.tokenize import token_offsets

TAGS = st.lists(st.sampled_from(["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "I-LOC"]), max_size=30)


@settings(max_examples=300, deadline=None)
@given(TAGS)
def test_reading_matches_seqeval(tags):
    # seqeval's default (conlleval) chunking is the reference reading of IOB tags
    ours = [(lab, a, b - 1) for a, b, lab in iob2_to_token_spans(tags)]
    assert sorted(ours) == sorted(get_entities(tags))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["O", "B-PER", "I-PER", "B-ORG", "I-ORG"]), max_size=30))
def test_round_trip_through_characters(tags):
    text = " ".join(f"w{i}" for i in range(len(tags)))
    offsets = token_offsets(text)
    spans = iob2_to_spans(offsets, tags)
    again = spans_to_iob2(offsets, spans)
    assert iob2_to_token_spans(again) == iob2_to_token_spans(tags)


def test_span_off_token_boundaries_is_refused():
    text = "Armenia’s forces"
    with pytest.raises(SpanError, match=r"span \[0:5\] GPE does not fall on token boundaries"):
        spans_to_iob2(token_offsets(text), [(0, 5, "GPE")], where="doc")
    assert spans_to_iob2(token_offsets(text), [(0, 7, "GPE")]) == ["B-GPE", "O", "O"]


ODD_TAGS = st.lists(
    st.sampled_from(["O", "B-PER", "I-PER", "I-ORG", "B-ORG", "E-PER", "S-ORG", "B", "I", "X-PER",
                     "B-PER-X", "I-PER-X"]),
    max_size=40,
)  # fmt: skip


def _from_arrays(tags):
    first, last, index, labels = iob2_token_arrays(tags)
    return [
        (a, b, labels[i])
        for a, b, i in zip(first.tolist(), last.tolist(), index.tolist(), strict=True)
    ]


@settings(max_examples=400, deadline=None)
@given(TAGS)
def test_array_reading_matches_seqeval(tags):
    ours = [(lab, a, b - 1) for a, b, lab in _from_arrays(tags)]
    assert sorted(ours) == sorted(get_entities(tags))


@settings(max_examples=400, deadline=None)
@given(ODD_TAGS)
def test_array_reading_is_the_loops_reading_on_any_prefix(tags):
    assert _from_arrays(tags) == iob2_to_token_spans(tags)


def test_array_reading_by_hand():
    tags = ["I-PER", "I-PER", "B-PER", "I-ORG", "E-ORG", "I-ORG", "O", "B", "I", "S-PER"]
    # I-PER starts an entity (conlleval), B-PER breaks it, I-ORG after PER starts one, E-ORG
    # is outside, I-ORG starts again, a bare B and I make one entity with the empty label
    assert _from_arrays(tags) == [
        (0, 2, "PER"), (2, 3, "PER"), (3, 4, "ORG"), (5, 6, "ORG"), (7, 9, ""),
    ]  # fmt: skip
    first, last, index, labels = iob2_token_arrays([])
    assert (first.tolist(), last.tolist(), index.tolist(), labels) == ([], [], [], [])
