"""The Doccano edge without a server: documents -> suggestions -> upload lines, export records ->
entities, stances and document stances, and the round trip between them.

The export records are built the way doccano 1.8.4 writes them for an imported line (checked
against the real server's export in test_push.py, test_pull.py and test_roundtrip.py): the
example id, the text and the meta keys at the top level, ``entities`` with the server's own
span ids and ``start_offset``/``end_offset``/``label``, ``relations`` with ``from_id``/``to_id``
naming those span ids and ``type``, or ``label`` (category names) for classification, and
``Comments``.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goldwire.annotate import client, records
from goldwire.annotate.client import Project
from goldwire.annotate.offsets import Unit
from goldwire.annotate.problems import Problem
from goldwire.schema import DocStance, Document, LabelSchema

LABELS = LabelSchema.default()
RELATION_PROJECT = Project(1, "p", client.SEQUENCE_LABELING, use_relation=True)
UTF16 = Project(1, "p", client.SEQUENCE_LABELING, use_relation=True)
GRAPHEMES = Project(2, "g", client.SEQUENCE_LABELING, use_relation=True, grapheme_mode=True)
DOCSTANCE = Project(3, "p-docstance", client.DOCUMENT_CLASSIFICATION)
TARGETS = ("Armenia", "Nagorno:Karabakh")  # a target may hold a colon
SCHEMA = LabelSchema.from_dict({**LABELS.to_dict(), "doc_stance_targets": list(TARGETS)})
CATEGORIES = {info.name for info in records.category_labels(SCHEMA)}


def _example(text: str, entities=(), relations=(), categories=()) -> records.Example:
    return records.Example(
        id=7,
        gid="doc",
        text=text,
        meta_sha=None,
        entities=[
            {"id": i, "start_offset": a, "end_offset": b, "label": label}
            for i, (a, b, label) in enumerate(entities)
        ],
        relations=[
            {"id": i, "from_id": h, "to_id": t, "type": label}
            for i, (h, t, label) in enumerate(relations)
        ],
        categories=list(categories),
    )


# --------------------------------------------------------------------------- up: suggestions


def test_suggestions_are_utf16_and_what_is_left_out_is_reported(annotated_doc):
    text = "😀 Lavrov met 👍🏽 Blinken in Geneva."
    pred = annotated_doc(
        text,
        entities=[(2, 8, "PER"), (15, 22, "PER"), (16, 22, "PER"), (26, 32, "CITY")],
        stances=[(0, 1, "OPPOSE"), ("the article", 1, "NEUTRAL"), (0, 1, "LIKES")],
    )
    problems: list[Problem] = []
    s = records.span_suggestions(annotated_doc(text), pred, Unit.utf16, LABELS, problems)
    assert [(a, b, label) for a, b, label, _, _ in s.spans] == [(3, 9, "PER"), (18, 25, "PER")]
    assert s.relations == [(0, 1, "OPPOSE")]
    assert sorted(p.kind for p in problems) == [
        "overlapping_suggestion",
        "unknown_label",
        "unknown_label",
        "unlinked_stance",
    ]
    overlap = next(p for p in problems if p.kind == "overlapping_suggestion")
    assert (overlap.document, overlap.start, overlap.end) == ("d1", 16, 22)


def test_a_suggestion_inside_a_grapheme_cannot_be_uploaded_to_a_grapheme_project(annotated_doc):
    text = "Jose\u0301 and Zoe"
    pred = annotated_doc(text, entities=[(0, 4, "PER"), (10, 13, "PER")])
    problems: list[Problem] = []
    s = records.span_suggestions(annotated_doc(text), pred, Unit.grapheme, LABELS, problems)
    assert [(a, b) for a, b, *_ in s.spans] == [(9, 12)]
    assert [p.kind for p in problems] == ["unmappable_suggestion"]


def test_upload_lines_are_ascii_with_the_same_meta_keys(annotated_doc):
    text = "Line\u2028two\ttab 😀 Ж  "
    doc = Document(id="x", text=text)
    pred = annotated_doc(text, [(15, 16, "MISC")])
    s = records.span_suggestions(doc, pred, Unit.utf16, LABELS, [])
    lines = [
        records.upload_line(doc, RELATION_PROJECT, s),
        records.upload_line(doc, RELATION_PROJECT, None),
    ]
    assert {tuple(sorted(line)) for line in lines} == {
        ("entities", "goldwire_id", "goldwire_sha256", "goldwire_suggestions", "relations", "text")
    }
    assert lines[1]["goldwire_suggestions"] == ""  # no suggestions: an empty record
    raw = records.encode_line(lines[0])
    assert raw.isascii() and raw.endswith(b"\n") and raw.count(b"\n") == 1
    assert json.loads(raw)["text"] == text
    assert json.loads(raw)["entities"] == [
        {"id": 0, "start_offset": 16, "end_offset": 17, "label": "MISC"}
    ]
    classification = Project(2, "c", client.DOCUMENT_CLASSIFICATION)
    assert sorted(records.upload_line(doc, classification, None)) == [
        "goldwire_id",
        "goldwire_sha256",
        "goldwire_suggestions",
        "label",
        "text",
    ]


def test_document_stances_become_categories_once_and_unknown_ones_are_reported():
    doc = Document(id="d", text="t")
    pred = Document(
        id="d",
        text="t",
        doc_stances=[
            DocStance("Nagorno:Karabakh", "OPPOSE"),
            DocStance("Nagorno:Karabakh", "OPPOSE"),
            DocStance("Baku", "SUPPORT"),
        ],
    )
    problems: list[Problem] = []
    s = records.category_suggestions(doc, pred, CATEGORIES, problems)
    assert s.categories == ["Nagorno:Karabakh:OPPOSE"]
    assert [(p.kind, p.label) for p in problems] == [("unknown_label", "Baku:SUPPORT")]


def test_category_names_parse_back_at_the_last_colon():
    assert records.category_name("Nagorno:Karabakh", "OPPOSE") == "Nagorno:Karabakh:OPPOSE"
    assert records.parse_category("Nagorno:Karabakh:OPPOSE") == ("Nagorno:Karabakh", "OPPOSE")
    for name in ("SUPPORT", ":SUPPORT", "Armenia:"):
        assert records.parse_category(name) is None
    assert len(CATEGORIES) == len(TARGETS) * len(LABELS.doc_stances)


# --------------------------------------------------------------------------- down: export


def test_utf16_offsets_become_code_points_and_unmappable_spans_are_reported():
    text = "😀 Lavrov met 👍🏽 Blinken"
    ex = _example(
        text,
        entities=[(3, 9, "PER"), (19, 26, "PER"), (0, 1, "MISC"), (20, 40, "PER")],
        relations=[(0, 1, "OPPOSE"), (0, 2, "SUPPORT")],
    )
    problems: list[Problem] = []
    convert = records.Converter(UTF16, problems)
    entities = convert.entities(ex, "ann")
    assert [(e.start, e.end, e.text, e.id) for e in entities.values()] == [
        (2, 8, "Lavrov", "s0"),
        (16, 23, "Blinken", "s1"),
    ]
    (stance,) = convert.stances(ex, "ann", entities)
    assert (stance.holder.entity, stance.target.entity, stance.label) == ("s0", "s1", "OPPOSE")
    assert [(p.kind, p.user, p.document, p.start, p.end) for p in problems] == [
        ("unmappable_span", "ann", "doc", 0, 1),
        ("unmappable_span", "ann", "doc", 20, 40),
        ("unmappable_relation", "ann", "doc", None, None),
    ]
    assert "between the two halves of '😀'" in problems[0].detail


def test_grapheme_offsets_become_code_points():
    text = "Jose\u0301 met Zoe 🇦🇲"
    ex = _example(text, entities=[(0, 4, "PER"), (9, 12, "PER"), (13, 14, "GPE")])
    entities = records.Converter(GRAPHEMES, []).entities(ex, "bea")
    assert [e.text for e in entities.values()] == ["Jose\u0301", "Zoe", "🇦🇲"]


def test_categories_become_document_stances():
    ex = _example("t", categories=["Nagorno:Karabakh:OPPOSE", "SUPPORT"])
    problems: list[Problem] = []
    (stance,) = records.Converter(UTF16, problems).doc_stances(ex, "ann")
    assert (stance.target, stance.label, stance.annotators) == (
        "Nagorno:Karabakh",
        "OPPOSE",
        ["ann"],
    )
    assert [p.kind for p in problems] == ["unmappable_category"]


# --------------------------------------------------------------------------- round trip


def export_record(line: dict, example_id: int) -> dict:
    """What doccano's export holds for an imported upload line: the server numbers spans and
    relations itself (here apart from the line's ids), relations name the new span ids."""
    record = {
        "id": example_id,
        "text": line["text"],
        records.META_ID: line[records.META_ID],
        records.META_SHA: line[records.META_SHA],
    }
    if "entities" in line:
        span_ids = {e["id"]: 101 + 3 * k for k, e in enumerate(line["entities"])}
        record["entities"] = [
            {
                "id": span_ids[e["id"]],
                "label": e["label"],
                "start_offset": e["start_offset"],
                "end_offset": e["end_offset"],
            }
            for e in line["entities"]
        ]
        record["relations"] = [
            {
                "id": 51 + k,
                "from_id": span_ids[r["from_id"]],
                "to_id": span_ids[r["to_id"]],
                "type": r["type"],
            }
            for k, r in enumerate(line["relations"])
        ]
    else:
        record["label"] = list(line["label"])
    record["Comments"] = []
    return record


def round_trip(doc: Document, unit: Unit) -> Document:
    """``doc``'s annotations up as suggestions and upload lines, back from export records."""
    main = GRAPHEMES if unit is Unit.grapheme else UTF16
    problems: list[Problem] = []
    bare = Document(id=doc.id, text=doc.text)
    spans = records.span_suggestions(bare, doc, main.unit, SCHEMA, problems)
    categories = records.category_suggestions(bare, doc, CATEGORIES, problems)
    lines = [
        json.loads(records.encode_line(records.upload_line(bare, project, s)))
        for project, s in ((main, spans), (DOCSTANCE, categories))
    ]
    main_ex = records.example(export_record(lines[0], 11), categories=False)
    ds_ex = records.example(export_record(lines[1], 12), categories=True)
    assert (main_ex.gid, main_ex.meta_sha, main_ex.text) == (doc.id, doc.text_sha256, doc.text)
    convert = records.Converter(main, problems)
    entities = convert.entities(main_ex, "ann")
    back = Document(
        id=doc.id,
        text=main_ex.text,
        entities=list(entities.values()),
        stances=convert.stances(main_ex, "ann", entities),
        doc_stances=records.Converter(DOCSTANCE, problems).doc_stances(ds_ex, "ann"),
    )
    assert problems == []
    back.validate(SCHEMA)
    return back


def _entities(doc: Document) -> list[tuple]:
    return sorted((e.start, e.end, e.label, e.text) for e in doc.entities)


def _stances(doc: Document) -> list[tuple]:
    spans = {e.id: (e.start, e.end) for e in doc.entities}
    return sorted(
        (spans[s.holder.entity], spans[s.target.entity], s.label)  # type: ignore[index]
        for s in doc.stances
    )


def assert_same_annotations(back: Document, doc: Document) -> None:
    assert _entities(back) == _entities(doc)
    assert _stances(back) == _stances(doc)
    assert [(d.target, d.label) for d in back.doc_stances] == [
        (d.target, d.label) for d in doc.doc_stances
    ]
    assert all(e.annotators == ["ann"] for e in back.entities)


def _at(text: str, surface: str, label: str) -> tuple[int, int, str]:
    return text.index(surface), text.index(surface) + len(surface), label


def test_round_trip_of_emoji_flags_and_combining_marks_in_both_units(annotated_doc):
    text = "😀😀 Ilham 🇦🇿 Aliyev met Jose\u0301\nin Baku 🏳️‍🌈 👍🏽."
    spans = [_at(text, "Ilham 🇦🇿 Aliyev", "PER"), _at(text, "Jose\u0301", "PER")]
    spans.append(_at(text, "Baku 🏳️‍🌈", "GPE"))
    doc = annotated_doc(
        text,
        spans,
        stances=[(0, 1, "OPPOSE"), (1, 2, "SUPPORT")],
        id_="rt",
        doc_stances=[("Nagorno:Karabakh", "NEUTRAL"), ("Armenia", "SUPPORT")],
    )
    for unit in (Unit.utf16, Unit.grapheme):
        assert_same_annotations(round_trip(doc, unit), doc)


def test_round_trip_of_spans_inside_graphemes_in_utf16(annotated_doc):
    """UTF-16 offsets may split a grapheme (a flag, an accent): still code-point exact."""
    text = "🇦🇲e\u0301x"
    doc = annotated_doc(text, [(0, 1, "GPE"), (1, 2, "GPE"), (2, 3, "MISC"), (3, 5, "MISC")])
    assert_same_annotations(round_trip(doc, Unit.utf16), doc)


def test_round_trip_without_annotations(annotated_doc):
    doc = annotated_doc("plain\ntext")
    back = round_trip(doc, Unit.utf16)
    assert (back.entities, back.stances, back.doc_stances) == ([], [], [])


#: Pieces that are each one grapheme cluster, also next to each other (no lone combining mark,
#: modifier or joiner; regional indicators come in pairs; no CR).
PIECES = ["a", "Z", " ", ",", "\n", "\t", "\u2028", "é", "e\u0301", "Ж", "中", "𝔸",
          "😀", "👍🏽", "🇦🇲", "🇦🇿", "🏳️‍🌈"]  # fmt: skip


@st.composite
def annotations(draw, unit: Unit) -> tuple:
    """``(text, spans, stances, doc_stances)`` for ``annotated_doc``: spans that do not
    overlap, on grapheme boundaries for the grapheme unit, on any code point for UTF-16."""
    pieces = draw(st.lists(st.sampled_from(PIECES), min_size=1, max_size=30))
    text = "".join(pieces)
    if unit is Unit.grapheme:  # spans on grapheme boundaries
        bounds = [len("".join(pieces[:i])) for i in range(len(pieces) + 1)]
    else:  # any code point boundary
        bounds = list(range(len(text) + 1))
    cuts = sorted(set(draw(st.lists(st.sampled_from(bounds), max_size=10))))
    pairs = [(a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=False) if a < b]
    labels = draw(st.lists(st.sampled_from(LABELS.entity_labels), min_size=len(pairs),
                           max_size=len(pairs)))  # fmt: skip
    spans = [(a, b, label) for (a, b), label in zip(pairs, labels, strict=True)]
    stances = []
    if spans:
        index = st.integers(0, len(spans) - 1)
        stances = draw(st.lists(st.tuples(index, index, st.sampled_from(LABELS.stance_labels)),
                                max_size=4))  # fmt: skip
    doc_stances = draw(st.lists(st.tuples(st.sampled_from(TARGETS),
                                          st.sampled_from(LABELS.doc_stance_labels)),
                                max_size=4, unique=True))  # fmt: skip
    return text, spans, stances, doc_stances


@pytest.mark.parametrize("unit", [Unit.utf16, Unit.grapheme])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_annotated_document_round_trips(annotated_doc, unit, data):
    text, spans, stances, doc_stances = data.draw(annotations(unit))
    doc = annotated_doc(text, spans, stances, doc_stances=doc_stances)
    assert_same_annotations(round_trip(doc, unit), doc)
