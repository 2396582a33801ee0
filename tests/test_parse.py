"""The one parser of goldwire JSON: strict (goldwire JSONL) and tolerant (predictions)."""

from __future__ import annotations

import pytest

from goldwire.errors import SchemaError, SpanError
from goldwire.parse import ItemParser, Mode, check_reference, parse_document
from goldwire.schema import DocStance, Document, Entity, LabelSchema, Mention, Stance

TEXT = "MOSCOW, May 3. /TASS/. Sergei Lavrov met Josep Borrell in Brussels."
LAVROV = {"id": "x", "start": 23, "end": 36, "label": "PER", "text": "Sergei Lavrov"}


def test_strict_keeps_what_is_written_and_validates_after():
    data = {
        "id": "a",
        "text": TEXT,
        "entities": [dict(LAVROV, annotators=["ann"], score=0.5)],
        "stances": [
            {"holder": {"entity": "x"}, "target": "EU", "label": "OPPOSE", "annotators": ["ann"]}
        ],
        "doc_stances": [{"target": "EU", "label": "OPPOSE", "score": 1}],
    }
    doc = parse_document(data)
    assert doc.entities == [Entity("x", 23, 36, "PER", "Sergei Lavrov", ["ann"], 0.5)]
    # a mention naming an entity is kept as written: no offsets filled in
    assert doc.stances == [Stance(Mention("", entity="x"), Mention("EU"), "OPPOSE", ["ann"])]
    assert doc.doc_stances == [DocStance("EU", "OPPOSE", score=1)]
    bad = dict(data, entities=[dict(LAVROV, end=35)])
    with pytest.raises(SpanError, match=r"document a: entity x \[23:35\] has text 'Sergei Lavrov'"):
        parse_document(bad)


def test_strict_needs_offsets_and_label():
    data = {"id": "a", "text": TEXT, "entities": [{"start": 23, "end": 36}]}
    with pytest.raises(SchemaError) as err:
        parse_document(data, where="f.jsonl:3")
    assert str(err.value) == "f.jsonl:3 (id a): malformed field: 'label'"
    data = {"id": "a", "text": TEXT, "entities": [["x", 23, 36, "PER"]]}
    with pytest.raises(SchemaError, match=r"^f.jsonl:3 \(id a\): malformed field"):
        parse_document(data, where="f.jsonl:3")


def test_strict_assigns_missing_ids_and_surface_texts_without_colliding():
    # model output: start, end, label only; "T1" is taken by the second entity, so the
    # first one without an id gets T2 and the next T3; text comes from the document
    data = {
        "id": "a",
        "text": TEXT,
        "entities": [
            {"start": 23, "end": 36, "label": "PER"},
            {"id": "T1", "start": 41, "end": 54, "label": "PER"},
            {"start": 58, "end": 66, "label": "GPE"},
        ],
        "stances": [{"holder": {"entity": "T1"}, "target": "EU", "label": "OPPOSE"}],
    }
    doc = parse_document(data)
    assert [(e.id, e.text) for e in doc.entities] == [
        ("T2", "Sergei Lavrov"),
        ("T1", "Josep Borrell"),
        ("T3", "Brussels"),
    ]
    assert doc.stances[0].holder.entity == "T1"  # still the entity that was given T1
    # a stance naming an id nobody has is still refused
    bad = dict(data, stances=[{"holder": {"entity": "T9"}, "target": "EU", "label": "OPPOSE"}])
    with pytest.raises(SchemaError, match="T9"):
        parse_document(bad)


def test_tolerant_reads_against_the_reference_text():
    parser = ItemParser(Mode.TOLERANT)
    entities, stances, doc_stances = parser.items(
        {
            "entities": [{"start": 23, "end": 36, "label": "PER"}, dict(LAVROV, id="y")],
            "stances": [
                {"holder": {"entity": "y"}, "target": {"start": 41, "end": 54}, "label": "OPPOSE"}
            ],
            "doc_stances": [{"target": "EU", "label": "OPPOSE"}],
        },
        TEXT,
        "p:1",
    )
    assert [(e.id, e.text) for e in entities] == [("p0", "Sergei Lavrov"), ("y", "Sergei Lavrov")]
    assert entities[0].text is entities[1].text  # equal strings are one object
    assert stances == [
        Stance(Mention("Sergei Lavrov", 23, 36, "y"), Mention("Josep Borrell", 41, 54), "OPPOSE")
    ]
    assert doc_stances == [DocStance("EU", "OPPOSE")]


def test_tolerant_checks_labels_and_hands_problems_to_skip():
    labels = LabelSchema.from_names(("PER", "GPE"), ("SUPPORT",), ("SUPPORT",))
    skipped: list[SchemaError] = []
    entities, stances, _ = ItemParser(Mode.TOLERANT, labels).items(
        {
            "entities": [
                {"start": 0, "end": 6, "label": "CITY"},
                {"start": 0, "end": 99, "label": "GPE"},
                {"start": 0, "end": 6, "label": "GPE"},
            ],
            "stances": [{"holder": {"entity": "nope"}, "target": "EU", "label": "SUPPORT"}],
        },
        TEXT,
        "p:2: document a",
        skipped.append,
    )
    assert [(e.start, e.end, e.label) for e in entities] == [(0, 6, "GPE")] and stances == []
    assert [type(e) for e in skipped] == [SchemaError, SpanError, SchemaError]
    assert str(skipped[0]) == (
        "p:2: document a: entity 0 [0:6] has label 'CITY', which is not "
        "in the label schema (PER, GPE); map it to a schema label or "
        "drop it"
    )
    assert str(skipped[2]).startswith("p:2: document a: stance 0 holder refers to entity 'nope'")


def test_check_reference_by_text_or_hash():
    gold = Document(id="a", text=TEXT)
    check_reference({"text": TEXT}, gold, "w")
    check_reference({"text_sha256": gold.text_sha256}, gold, "w")
    with pytest.raises(SchemaError, match="^w: text differs from the gold text at offset 1;"):
        check_reference({"text": "Moscow"}, gold, "w")  # M, then o != O
    with pytest.raises(SchemaError, match="^w: text_sha256 does not match"):
        check_reference({"text_sha256": "0"}, gold, "w")


def test_strict_entity_provenance_read_only_when_given():
    """An entity with provenance keys keeps them; one without has the defaults; a malformed
    provenance value is still a malformed field."""
    from goldwire.provenance import Suggested, Vote

    given = dict(
        LAVROV,
        provenance="adjudicated",
        suggested={"label": "ORG", "start": 23, "end": 29, "source": "model.jsonl"},
        votes=[{"annotator": "ann", "label": "PER"}],
        adjudicated_by="boss",
    )
    plain = dict(LAVROV, id="y")
    doc = parse_document({"id": "a", "text": TEXT, "entities": [given, plain]})
    first, second = doc.entities
    assert (first.provenance, first.adjudicated_by) == ("adjudicated", "boss")
    assert first.suggested == Suggested("ORG", 23, 29, "model.jsonl")
    assert first.votes == [Vote("ann", "PER", "")]
    assert second == Entity("y", 23, 36, "PER", "Sergei Lavrov")
    assert (second.provenance, second.suggested, second.votes) == ("", None, [])
    assert second.votes is not first.votes and second.annotators is not first.annotators
    with pytest.raises(SchemaError, match=r"document \(id a\): malformed field: 'annotator'$"):
        parse_document({"id": "a", "text": TEXT, "entities": [dict(LAVROV, votes=[{}])]})


def test_tolerant_entities_fast_and_checked_paths_agree():
    """Items that pass every check are built inline; the others go through the checks. Both
    give the same entities (ids, surface texts from the gold, scores as floats), and a bad
    item in the middle is skipped alone."""
    labels = LabelSchema.from_names(["PER", "LOC"])
    items = [
        {"start": 23, "end": 36, "label": "PER"},  # no id: p0
        {"id": 7, "start": 41, "end": 46, "label": "PER", "score": 1, "text": "Josep"},
        {"id": 0, "start": 58, "end": 66, "label": "LOC", "score": True},  # falsy id: p2
        {"start": 58, "end": 66, "label": "LOC", "score": "high"},  # not a number: no score
        ["not", "an", "object"],
        {"start": 23, "end": 36, "label": "ORG"},  # not in the schema
    ]
    skipped: list[SchemaError] = []
    parser = ItemParser(Mode.TOLERANT, labels)
    entities, _, _ = parser.items({"entities": items}, TEXT, "f:1", skipped.append)
    assert entities == [
        Entity("p0", 23, 36, "PER", "Sergei Lavrov"),
        Entity("7", 41, 46, "PER", "Josep", score=1.0),
        Entity("p2", 58, 66, "LOC", "Brussels", score=1.0),
        Entity("p3", 58, 66, "LOC", "Brussels"),
    ]
    assert [str(e) for e in skipped] == [
        "f:1: entity 4 must be an object with start, end, label",
        "f:1: entity 5 [23:36] has label 'ORG', which is not in the label schema (PER, LOC); "
        "map it to a schema label or drop it",
    ]
    with pytest.raises(SchemaError, match="^f:2: entity 1 needs integer 'start' and 'end'$"):
        parser.items({"entities": [items[0], {"start": 1.0, "end": 5, "label": "PER"}]}, TEXT,
                     "f:2")  # fmt: skip
