"""goldwire.features.row_encoder: the same rows as ``Features.encode_example``, the reference
(datasets' own encoder), on every kind of row a build writes."""

from __future__ import annotations

import copy

import pytest

from goldwire.features import features, row_encoder
from goldwire.provenance import Annotation, Suggested, Vote
from goldwire.schema import (
    DocStance,
    Document,
    Entity,
    LabelSchema,
    Mention,
    Paragraph,
    Stance,
    document_id,
)

TEXT = "MOSCOW, March 31. /TASS/. Armenia and Azerbaijan 😀 met in Baku.\n\nMore news."


def _full_doc() -> Document:
    at = TEXT.index
    ents = [
        Entity(
            "e1",
            at("Armenia"),
            at("Armenia") + 7,
            "GPE",
            "Armenia",
            ["ann1", "ann2"],
            0.5,
            "adjudicated",
            Suggested("LOC", at("Armenia"), at("Armenia") + 7, "model-a"),
            [Vote("ann1", "GPE", "confirmed"), Vote("ann2", "LOC")],
            "lead",
        ),  # fmt: skip
        Entity("e2", at("/TASS/"), at("/TASS/") + 6, "ORG", "/TASS/"),
        Entity("e3", at("Baku"), at("Baku") + 4, "MISC", "Baku"),
    ]
    stances = [
        Stance(
            Mention("/TASS/", at("/TASS/"), at("/TASS/") + 6, "e2"),
            Mention("Armenia", at("Armenia"), at("Armenia") + 7, "e1"),
            "NEUTRAL",
        ),  # fmt: skip
        Stance(Mention("the article"), Mention("Baku"), "OPPOSE", ["ann1"], 0.25),
    ]
    doc = Document(
        id=document_id(TEXT), text=TEXT, source="articles/a.txt", agency="TASS",
        dateline="MOSCOW", entities=ents, stances=stances,
        doc_stances=[DocStance("Armenia", "SUPPORT", ["ann2"])],
        paragraphs=[Paragraph("body", 0, TEXT.index("\n\n"))],
        meta={"encoding": "utf-8", "split": "train"},
        annotation=Annotation(annotators=["ann1"], tool="doccano"),
    )  # fmt: skip
    return doc


def _rows() -> list[dict]:
    full = _full_doc()
    bare = Document(id=document_id("x y"), text="x y")  # no items, no meta, no paragraphs
    return [full.to_row(), bare.to_row()]


@pytest.mark.parametrize("labels", [LabelSchema.default(), None])
def test_rows_encode_as_the_reference_does(labels):
    ref, enc = features(labels), row_encoder(labels)
    for row in _rows():
        expected = ref.encode_example(copy.deepcopy(row))
        assert enc(copy.deepcopy(row)) == expected
        assert enc(row) == expected  # from the row itself: nothing was changed in place


def test_labels_become_the_schema_positions():
    labels = LabelSchema.default()
    out = row_encoder(labels)(_full_doc().to_row())
    # by hand: entity labels PER ORG GPE LOC NORP EVENT MISC; stances SUPPORT OPPOSE NEUTRAL
    assert [e["label"] for e in out["entities"]] == [2, 1, 6]
    assert [s["label"] for s in out["stances"]] == [2, 1]
    assert [d["label"] for d in out["doc_stances"]] == [0]
    assert out["entities"][0]["suggested"]["label"] == "LOC"  # a string column, kept
    assert out["entities"][0]["votes"][1] == {"annotator": "ann2", "label": "LOC",
                                              "provenance": ""}  # fmt: skip


def test_a_label_outside_the_schema_fails_as_the_reference_does():
    labels = LabelSchema.default()
    row = _full_doc().to_row()
    row["stances"][0]["label"] = "UNKNOWN"  # the second stance's label still encodes
    row["entities"][1]["label"] = "NOPE"
    with pytest.raises(ValueError) as ref_exc:
        features(labels).encode_example(copy.deepcopy(row))
    with pytest.raises(ValueError) as our_exc:
        row_encoder(labels)(row)
    assert str(our_exc.value) == str(ref_exc.value) == "Invalid string class label NOPE"


def test_odd_values_are_cast_as_the_reference_casts_them():
    labels = LabelSchema.default()
    row = _full_doc().to_row()
    row["entities"][0]["start"] = True  # an int32 column given a bool
    row["entities"][0]["score"] = 1  # a float32 column given an int
    row["entities"][0]["label"] = 3  # a ClassLabel given its integer
    row["meta"][0]["value"] = 7  # a string column given an int
    row["paragraphs"][0]["kind"] = " body "  # the reference strips a label's spaces
    row["title"] = None
    row.pop("lead")
    row["extra"] = "dropped"
    expected = features(labels).encode_example(copy.deepcopy(row))
    assert row_encoder(labels)(row) == expected
    assert expected["entities"][0]["start"] == 1 and expected["meta"][0]["value"] == "7"
    assert "extra" not in expected and expected["lead"] is None
