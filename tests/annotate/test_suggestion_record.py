"""The suggestion record and the classification of an annotator's labels against it.

The property test plays an annotator on Doccano 1.8.4 as its UI behaves: a relabel keeps the
span's id, a new boundary is a deletion and a new span (its relations go with the deleted
span), a deleted span takes its relations along. Whatever the annotator did to each
suggestion, the classification must say so, with ids in the record (suggestions created
through the API) and without (suggestions that came with the import line).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goldwire.annotate import records
from goldwire.annotate import suggestion_record as sr
from goldwire.annotate.client import Project
from goldwire.annotate.offsets import Unit
from goldwire.annotate.records import Converter, Example, Suggestions
from goldwire.provenance import Provenance

ACCEPTED, EDITED, UNREVIEWED, HUMAN = (
    Provenance.ACCEPTED,
    Provenance.EDITED,
    Provenance.UNREVIEWED,
    Provenance.HUMAN,
)
LABELS = ("GPE", "ORG", "PER")
TYPES = ("SUPPORT", "OPPOSE")


def test_records_round_trip_and_empty_records_are_left_out():
    record = sr.OwnerRecord(
        "model.jsonl",
        [sr.SpanRecord(0, 4, "GPE", 7), sr.SpanRecord(5, 9, "ORG", votes=["ann", "bob"])],
        [sr.RelationRecord(0, 1, "SUPPORT", 3)],
        [sr.CategoryRecord("Armenia:SUPPORT")],
    )
    value = sr.encode({"alice": record, "bob": sr.OwnerRecord("x")})
    assert json.loads(value).keys() == {"alice"}
    assert sr.decode(value) == {"alice": record}
    assert sr.encode({"bob": sr.OwnerRecord()}) == ""
    assert sr.decode("") == {} and sr.decode(None) == {}


@pytest.mark.parametrize("value", ["{not json", "[1, 2]", '{"alice": {"spans": [{"start": 1}]}}'])
def test_an_unreadable_record_is_a_value_error_naming_the_key(value):
    with pytest.raises(ValueError, match="the goldwire_suggestions record cannot be read"):
        sr.decode(value)


def test_without_a_record_every_label_is_human():
    spans = [{"id": 1, "start_offset": 0, "end_offset": 4, "label": "GPE"}]
    relations = [{"id": 9, "from_id": 1, "to_id": 1, "type": "SUPPORT"}]
    found = sr.classify(None, spans, relations, ["A:SUPPORT"], confirmed=True)
    assert {v.provenance for v in found.spans.values()} == {HUMAN}
    assert {v.provenance for v in found.relations.values()} == {HUMAN}
    assert found.categories["A:SUPPORT"].provenance == HUMAN
    assert found.rejected == [] and found.orphaned == []


def test_categories_accepted_edited_rejected_and_human():
    record = sr.OwnerRecord(
        "m",
        categories=[
            sr.CategoryRecord("Armenia:SUPPORT"),
            sr.CategoryRecord("Azerbaijan:OPPOSE"),
            sr.CategoryRecord("Russia:NEUTRAL"),
        ],
    )
    current = ["Armenia:SUPPORT", "Azerbaijan:NEUTRAL", "Turkey:OPPOSE"]
    found = sr.classify(record, [], [], current, confirmed=True)
    verdicts = {name: (v.provenance, v.suggested and v.suggested.label)
                for name, v in found.categories.items()}  # fmt: skip
    assert verdicts == {
        "Armenia:SUPPORT": (ACCEPTED, "Armenia:SUPPORT"),
        "Azerbaijan:NEUTRAL": (EDITED, "Azerbaijan:OPPOSE"),
        "Turkey:OPPOSE": (HUMAN, None),
    }
    assert [c.label for c in found.rejected] == ["Russia:NEUTRAL"]


# --------------------------------------------------------------------------- the annotator


SPAN_ACTIONS = ("keep", "relabel", "delete", "redraw")
RELATION_ACTIONS = ("keep", "retype", "delete")


@st.composite
def sessions(draw):
    """Suggested spans (disjoint, with gaps), relations between them, what the annotator does
    to each, spans they add in the gaps, whether the record has ids, whether confirmed."""
    n = draw(st.integers(1, 6))
    spans = []
    for i in range(n):  # span i lives in [20i + 5, 20i + 15); the gaps are free
        start = 20 * i + 5 + draw(st.integers(0, 4))
        end = start + draw(st.integers(1, 6))
        spans.append((start, end, draw(st.sampled_from(LABELS))))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                          max_size=4, unique=True))  # fmt: skip
    relations = [(h, t, draw(st.sampled_from(TYPES))) for h, t in pairs]
    return {
        "spans": spans,
        "relations": relations,
        "span_actions": draw(st.lists(st.sampled_from(SPAN_ACTIONS), min_size=n, max_size=n)),
        "relation_actions": draw(
            st.lists(
                st.sampled_from(RELATION_ACTIONS), min_size=len(relations), max_size=len(relations)
            )
        ),  # fmt: skip
        "added": draw(st.lists(st.integers(0, n), max_size=3, unique=True)),  # gap numbers
        "ids_known": draw(st.booleans()),
        "confirmed": draw(st.booleans()),
    }


def _other(value: str, choices: tuple[str, ...]) -> str:
    return next(c for c in choices if c != value)


def play(case):
    """What Doccano holds after the annotator's actions; the expected classification."""
    next_id = iter(range(1000, 2000))
    span_ids = [next(next_id) for _ in case["spans"]]
    current, expected, survivors = {}, {}, {}
    actions = zip(case["spans"], case["span_actions"], strict=True)
    for i, ((a, b, label), action) in enumerate(actions):
        if action == "keep":
            current[span_ids[i]] = (a, b, label)
            expected[(a, b)] = ACCEPTED if case["confirmed"] else UNREVIEWED
            survivors[i] = span_ids[i]
        elif action == "relabel":  # a PATCH: same id, same owner
            current[span_ids[i]] = (a, b, _other(label, LABELS))
            expected[(a, b)] = EDITED
            survivors[i] = span_ids[i]
        elif action == "redraw":  # the UI deletes and creates: a new id, one more character
            current[next(next_id)] = (a, b + 1, label)
            expected[(a, b + 1)] = EDITED
    for gap in case["added"]:  # [20 gap, 20 gap + 4) is never near a suggestion
        current[next(next_id)] = (20 * gap, 20 * gap + 3, "MISC")
        expected[(20 * gap, 20 * gap + 3)] = HUMAN
    relations, rel_expected, rejected, orphaned = {}, {}, 0, 0
    for (h, t, kind), action in zip(case["relations"], case["relation_actions"], strict=True):
        rid = next(next_id)
        if h not in survivors or t not in survivors:
            orphaned += 1  # gone with its span
        elif action == "delete":
            rejected += 1
        else:
            kind2 = kind if action == "keep" else _other(kind, TYPES)
            relations[rid] = (survivors[h], survivors[t], kind2)
            keep = ACCEPTED if case["confirmed"] else UNREVIEWED
            rel_expected[rid] = keep if action == "keep" else EDITED
    rejected += case["span_actions"].count("delete")
    record = sr.OwnerRecord(
        "model",
        [sr.SpanRecord(a, b, lab, span_ids[i] if case["ids_known"] else None)
         for i, (a, b, lab) in enumerate(case["spans"])],
        [sr.RelationRecord(h, t, kind) for h, t, kind in case["relations"]],
    )  # fmt: skip
    spans = [{"id": sid, "start_offset": a, "end_offset": b, "label": lab}
             for sid, (a, b, lab) in current.items()]  # fmt: skip
    rels = [{"id": rid, "from_id": h, "to_id": t, "type": kind}
            for rid, (h, t, kind) in relations.items()]  # fmt: skip
    return record, spans, rels, (expected, rel_expected, rejected, orphaned)


@settings(max_examples=300)
@given(sessions())
def test_every_action_of_the_annotator_is_told_apart(case):
    record, spans, relations, (expected, rel_expected, rejected, orphaned) = play(case)
    found = sr.classify(record, spans, relations, [], confirmed=case["confirmed"])
    where = {s["id"]: (s["start_offset"], s["end_offset"]) for s in spans}
    assert {where[sid]: v.provenance for sid, v in found.spans.items()} == expected
    assert {rid: v.provenance for rid, v in found.relations.items()} == rel_expected
    assert len(found.rejected) == rejected
    assert len(found.orphaned) == orphaned
    for sid, verdict in found.spans.items():  # what was suggested is kept with the label
        if verdict.provenance != HUMAN:
            a, b = where[sid]
            assert verdict.suggested.start == a  # every edit here keeps the start


def test_pulled_entities_carry_provenance_and_the_suggestion_in_code_points():
    text = "😀 Armenia and CSTO"
    project = Project(1, "p", "SequenceLabeling", use_relation=True)
    units = records.OffsetMap(text, Unit.utf16)
    arm, csto = text.index("Armenia"), text.index("CSTO")
    a = units.span_to_units(arm, arm + 7)
    c = units.span_to_units(csto, csto + 4)
    record = sr.OwnerRecord("ner-v2", [sr.SpanRecord(*a, "GPE"), sr.SpanRecord(*c, "GPE")],
                            [sr.RelationRecord(1, 0, "SUPPORT")])  # fmt: skip
    ex = Example(
        id=5,
        gid="g",
        text=text,
        meta_sha=None,
        entities=[
            {"id": 1, "start_offset": a[0], "end_offset": a[1], "label": "GPE"},
            {"id": 2, "start_offset": c[0], "end_offset": c[1], "label": "ORG"},  # relabelled
        ],
        relations=[{"id": 3, "from_id": 2, "to_id": 1, "type": "SUPPORT"}],
        categories=[],
        suggestions=sr.encode({"alice": record}),
    )
    problems: list = []
    convert = Converter(project, problems)
    verdicts = convert.verdicts(ex, "alice", confirmed=True)
    entities = convert.entities(ex, "alice", verdicts)
    (stance,) = convert.stances(ex, "alice", entities, verdicts)
    assert [(e.text, e.provenance) for e in entities.values()] == [
        ("Armenia", ACCEPTED),
        ("CSTO", EDITED),
    ]
    assert entities[2].suggested.to_json() == {
        "label": "GPE", "start": csto, "end": csto + 4, "source": "ner-v2"
    }  # fmt: skip
    assert (stance.provenance, stance.suggested.label) == (ACCEPTED, "SUPPORT")
    # bob owns no suggestions here: his labels are his own
    assert convert.verdicts(ex, "bob", confirmed=False).span(1, units) == (HUMAN, None)
    assert problems == []


def test_an_unreadable_record_is_reported_and_its_labels_are_not_judgements():
    project = Project(1, "p", "SequenceLabeling", use_relation=True)
    ex = Example(7, "g", "Moscow", None,
                 [{"id": 1, "start_offset": 0, "end_offset": 6, "label": "GPE"}], [], [],
                 suggestions="{broken")  # fmt: skip
    problems: list = []
    convert = Converter(project, problems)
    entities = convert.entities(ex, "alice", convert.verdicts(ex, "alice", True))
    assert [e.provenance for e in entities.values()] == [Provenance.UNKNOWN]
    assert [p.kind for p in problems] == ["unreadable_suggestion_record"]
    assert "example 7" in problems[0].detail


def test_a_project_pushed_before_the_record_existed_gives_no_provenance_and_says_so():
    project = Project(1, "p", "SequenceLabeling", use_relation=True)
    span = {"id": 1, "start_offset": 0, "end_offset": 6, "label": "GPE"}
    problems: list = []
    convert = Converter(project, problems)
    for eid in (7, 8):
        ex = Example(eid, f"g{eid}", "Moscow", None, [span], [], [])
        entities = convert.entities(ex, "alice", convert.verdicts(ex, "alice", True))
        assert [e.provenance for e in entities.values()] == [""]
    # once per annotator and project, not once per example
    assert [(p.kind, p.user, p.document) for p in problems] == [
        ("no_suggestion_record", "alice", "g7")
    ]
    assert "cannot be told apart" in problems[0].detail


def test_the_upload_line_carries_the_record_of_its_suggestions(annotated_doc):
    text = "Baku accuses Yerevan."
    doc = annotated_doc(text)
    pred = annotated_doc(text, [(0, 4, "GPE"), (13, 20, "GPE")], [(0, 1, "OPPOSE")])
    s = records.span_suggestions(doc, pred, Unit.utf16, records.LabelSchema.default(), [])
    s.owner, s.source = "admin", "ner.jsonl"
    project = Project(1, "p", "SequenceLabeling", use_relation=True)
    line = records.upload_line(doc, project, s)
    ((owner, record),) = sr.decode(line[sr.META_SUGGESTIONS]).items()
    assert owner == "admin" and record.source == "ner.jsonl"
    assert [(x.start, x.end, x.label, x.id) for x in record.spans] == [
        (0, 4, "GPE", None),
        (13, 20, "GPE", None),
    ]
    assert [(r.head, r.tail, r.type) for r in record.relations] == [(0, 1, "OPPOSE")]
    assert records.upload_line(doc, project, Suggestions())[sr.META_SUGGESTIONS] == ""
