"""Which documents hold gold per layer: the selection, its counts by status, its words."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from goldwire.evaluate.selection import Coverage, select, status_words, with_gold
from goldwire.provenance import ANNOTATED, LAYERS, NONE, UNCONFIRMED, Annotation, has_gold
from goldwire.schema import Document

STATUSES = (NONE, UNCONFIRMED, ANNOTATED, "adjudicated", "reader:conll", "")


def doc(i: int, entities: str = NONE, stances: str = NONE, doc_stances: str = NONE) -> Document:
    return Document(
        id=f"d{i}", text=f"text {i}", annotation=Annotation(entities, stances, doc_stances)
    )


def test_each_layer_keeps_the_documents_with_gold_on_it():
    docs = [
        doc(0, ANNOTATED, ANNOTATED, ANNOTATED),
        doc(1, "reader:conll"),
        doc(2, NONE, NONE, "reader:fnc1"),
        doc(3),
        doc(4, UNCONFIRMED),
        doc(5, "adjudicated", UNCONFIRMED),
    ]
    cov = select(docs)
    assert {name: layer.docs for name, layer in cov.layers.items()} == {
        "entities": (0, 1, 5),
        "stances": (0,),
        "doc_stances": (0, 2),
    }
    assert cov.layers["stances"].without_gold == {NONE: 4, UNCONFIRMED: 1}
    assert cov.layers["stances"].without_gold_ids == ("d1", "d2", "d3", "d4", "d5")
    assert cov.left_out == frozenset({3, 4}) and cov.used == [0, 1, 2, 5]
    assert cov.without_gold == {"none": 1, "unconfirmed+none": 1}
    assert cov.without_gold_ids == ("d3", "d4")


def test_include_unannotated_uses_every_document_and_still_counts_them():
    docs = [doc(0, ANNOTATED), doc(1), doc(2, UNCONFIRMED)]
    cov = select(docs, include_unannotated=True)
    assert all(layer.docs == (0, 1, 2) for layer in cov.layers.values())
    assert cov.left_out == frozenset() and cov.used == [0, 1, 2]
    assert cov.without_gold == {"none": 1, "unconfirmed+none": 1}
    assert cov.notes() == [
        "2 of 3 documents have no gold (annotation status none: 1, unconfirmed+none: 1); "
        "scored as gold with no labels (--include-unannotated)"
    ]


def test_documents_without_an_annotation_object_are_gold_on_every_layer():
    legacy = Document.from_json({"id": "x", "text": "Moscow said."})
    fresh = Document(id="y", text="raw text")
    cov = select([legacy, fresh])
    assert all(layer.docs == (0,) for layer in cov.layers.values())
    assert cov.left_out == frozenset({1})


def test_notes_say_how_many_were_left_out_and_why():
    docs = [doc(i, ANNOTATED, ANNOTATED, ANNOTATED) for i in range(5)]
    docs += [doc(i) for i in range(5, 30)]
    assert select(docs).notes() == [
        "25 of 30 documents left out: no gold (annotation status none); "
        "--include-unannotated scores them as gold with no labels"
    ]
    docs[0] = doc(0, ANNOTATED)  # stances and document stances on 4 documents only
    assert select(docs).notes()[1:] == [
        "stances scored on 4 of 30 documents, 26 without gold stances (annotation status none)",
        "document stances scored on 4 of 30 documents, 26 without gold document stances "
        "(annotation status none)",
    ]
    assert select(docs, ("entities",)).notes("trained on") == [
        "25 of 30 documents left out: no gold entities (annotation status none); "
        "--include-unannotated trains on them as gold with no labels"
    ]


def test_a_layer_without_any_gold_is_left_to_the_runs_notes():
    docs = [doc(i, ANNOTATED) for i in range(3)]
    cov = select(docs)
    assert cov.notes() == [] and cov.layers["stances"].docs == ()


def test_status_words():
    assert status_words({"none": 3}) == "annotation status none"
    assert status_words({"none": 3, "": 1}) == "annotation status none: 3, (empty): 1"


def test_ids_are_kept_for_the_first_twenty_only():
    cov = select([doc(i) for i in range(25)] + [doc(99, ANNOTATED)])
    assert cov.without_gold_ids == tuple(f"d{i}" for i in range(20))
    data = cov.to_dict()
    assert data["left_out"] == 25 and data["in_gold"] == 26
    assert data["without_gold"]["count"] == 25
    assert len(data["without_gold"]["first_ids"]) == 20
    assert data["layers"]["entities"] == {
        "scored": 1,
        "left_out": 25,
        "without_gold": {
            "count": 25,
            "statuses": {"none": 25},
            "first_ids": [f"d{i}" for i in range(20)],
        },
    }
    json.dumps(data)


def test_only_one_layer_and_with_gold():
    docs = [doc(0, ANNOTATED), doc(1, NONE, NONE, ANNOTATED), doc(2)]
    only = select(docs).only("doc_stances")
    assert list(only.layers) == ["doc_stances"] and only.layers["doc_stances"].docs == (1,)
    assert only.left_out == frozenset({0, 2}) and only.without_gold == {"none": 2}
    kept, cov = with_gold(docs, "entities")
    assert [d.id for d in kept] == ["d0"] and len(cov.left_out) == 2
    kept, cov = with_gold(docs, "entities", include_unannotated=True)
    assert [d.id for d in kept] == ["d0", "d1", "d2"] and not cov.left_out


def test_everything_scores_every_document_on_every_layer():
    cov = Coverage.everything(3)
    assert set(cov.layers) == set(LAYERS)
    assert all(layer.docs == (0, 1, 2) for layer in cov.layers.values())
    assert cov.notes() == [] and cov.used == [0, 1, 2]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(*(st.sampled_from(STATUSES) for _ in LAYERS)), max_size=12))
def test_every_document_is_counted_once_per_layer(rows):
    docs = [doc(i, *row) for i, row in enumerate(rows)]
    cov = select(docs)
    for k, name in enumerate(LAYERS):
        layer = cov.layers[name]
        assert layer.docs == tuple(i for i, row in enumerate(rows) if has_gold(row[k]))
        assert len(layer.docs) + layer.n_without_gold == len(docs)
    left = {i for i, row in enumerate(rows) if not any(has_gold(s) for s in row)}
    assert cov.left_out == left and cov.n_without_gold == len(left)
