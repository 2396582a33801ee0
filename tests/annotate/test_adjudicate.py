"""Adjudication: majority, prefer:USER and single on a hand-built three-annotator folder,
conflicts, provenance and renumbering, a property test of the majority rule, the CLI."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pullgen import ACCEPTED, EDITED, GUIDELINES, UNREVIEWED, pulled, write_pull

from goldwire.annotate.adjudicate import (
    adjudicate,
    adjudicate_set,
    parse_strategy,
    write_adjudication,
)
from goldwire.annotate.annotations import AnnotationSet
from goldwire.errors import InputError, UsageError
from goldwire.schema import Document, Entity, read_jsonl, write_jsonl
from gwtest import TEST_DATA

THREE = TEST_DATA / "annotate" / "three"
# m1 "CSTO backs Armenia against Baku in Yerevan talks."
#   alice: CSTO ORG, Armenia GPE, Baku GPE, Yerevan GPE; CSTO->Armenia SUPPORT,
#          Armenia->Baku OPPOSE; doc stance CSTO SUPPORT
#   bob:   CSTO ORG, Armenia GPE, Baku LOC, Yerevan GPE; same stances and doc stance
#   carol: CSTO ORG, Armenia LOC, Baku LOC, "Yerevan talks" EVENT; CSTO->Armenia NEUTRAL;
#          doc stance CSTO NEUTRAL
# m2 "Baku and Yerevan signed." alice: Baku GPE, Yerevan GPE; bob: Baku GPE
# m3 "Minsk hosted talks." carol: Minsk GPE


def ents(doc: Document) -> list[tuple]:
    return [(e.id, e.text, e.label, e.annotators) for e in doc.entities]


def stances(doc: Document) -> list[tuple]:
    return [(s.holder.entity, s.target.entity, s.label, s.annotators) for s in doc.stances]


def kinds(result, doc_id: str) -> list[tuple]:
    out = []
    for c in result.conflicts:
        if c["document"] == doc_id:
            where = c.get("text") or c.get("target")
            if c["what"] == "stance":
                where = f"{c['holder']['text']}->{c['target']['text']}"
            out.append((c["what"], c["kind"], where, c["gold"]))
    return out


# --------------------------------------------------------------------------- majority


@pytest.fixture(scope="module")
def majority():
    result = adjudicate(THREE, "majority")
    return result, {d.id: d for d in result.documents}


def test_majority_gold_with_provenance(majority):
    _, docs = majority
    assert [d for d in docs] == ["m1", "m2", "m3"]
    assert ents(docs["m1"]) == [
        ("T1", "CSTO", "ORG", ["alice", "bob", "carol"]),
        ("T2", "Armenia", "GPE", ["alice", "bob"]),
        ("T3", "Baku", "LOC", ["bob", "carol"]),
        ("T4", "Yerevan", "GPE", ["alice", "bob"]),
    ]
    assert stances(docs["m1"]) == [
        ("T1", "T2", "SUPPORT", ["alice", "bob"]),
        ("T2", "T3", "OPPOSE", ["alice", "bob"]),
    ]
    assert [(d.target, d.label, d.annotators) for d in docs["m1"].doc_stances] == [
        ("CSTO", "SUPPORT", ["alice", "bob"])
    ]
    assert ents(docs["m2"]) == [("T1", "Baku", "GPE", ["alice", "bob"])]  # Yerevan: a tie
    assert ents(docs["m3"]) == [("T1", "Minsk", "GPE", ["carol"])]  # one annotator: 1 > 1/2
    assert docs["m1"].annotation.annotators == ["alice", "bob", "carol"]
    assert docs["m2"].annotation.adjudication == "majority"


def test_majority_conflicts(majority):
    result, _ = majority
    assert kinds(result, "m1") == [
        ("entity", "label", "Armenia", "GPE"),
        ("entity", "label", "Baku", "LOC"),
        ("entity", "minority", "Yerevan talks", None),
        ("stance", "label", "CSTO->Armenia", "SUPPORT"),
        ("doc_stance", "label", "CSTO", "SUPPORT"),
    ]
    assert kinds(result, "m2") == [("entity", "tie", "Yerevan", None)]
    assert kinds(result, "m3") == []
    baku = next(c for c in result.conflicts if c.get("text") == "Baku" and c["document"] == "m1")
    assert baku["labels"] == {"GPE": ["alice"], "LOC": ["bob", "carol"]}
    assert baku["unmarked"] == []
    talks = next(c for c in result.conflicts if c.get("text") == "Yerevan talks")
    assert talks["unmarked"] == ["alice", "bob"]
    assert talks["overlapping"] == [{"start": 35, "end": 42, "text": "Yerevan", "label": "GPE",
                                     "annotators": ["alice", "bob"]}]  # fmt: skip
    assert result.summary()["conflicts_by_kind"] == {
        "doc_stance:label": 1, "entity:label": 2, "entity:minority": 1, "entity:tie": 1,
        "stance:label": 1,
    }  # fmt: skip


def test_min_agree_keeps_only_unanimous_here():
    result = adjudicate(THREE, "majority", min_agree=3)
    m1 = result.documents[0]
    assert ents(m1) == [("T1", "CSTO", "ORG", ["alice", "bob", "carol"])]
    assert m1.stances == []
    assert ("entity", "below-min-agree", "Yerevan", None) in kinds(result, "m1")
    assert ("stance", "below-min-agree", "Armenia->Baku", None) in kinds(result, "m1")
    assert result.documents[2].entities == []  # m3: 1 annotator < 3
    assert result.strategy == "majority (min-agree 3)"


def test_stance_is_judged_on_itself_not_its_endpoints(tmp_path):
    text = "Kyiv and Minsk."
    a = Document(id="s", text=text, entities=[Entity("A", 0, 4, "GPE", "Kyiv"),
                                              Entity("B", 9, 14, "GPE", "Minsk")])  # fmt: skip
    b = Document(id="s", text=text, entities=[Entity("X", 0, 4, "LOC", "Kyiv"),
                                              Entity("Y", 9, 14, "GPE", "Minsk")])  # fmt: skip
    from goldwire.schema import Mention, Stance

    for doc, (h, t) in ((a, ("A", "B")), (b, ("X", "Y"))):
        doc.stances = [Stance(Mention("", entity=h), Mention("", entity=t), "OPPOSE")]
    annotations = AnnotationSet(tmp_path, ("a", "b"), {}, {"s": {"a": a, "b": b}})
    result = adjudicate_set(annotations, "majority")
    gold = result.documents[0]
    assert ents(gold) == [("T1", "Minsk", "GPE", ["a", "b"])]  # Kyiv: GPE vs LOC, to review
    (stance,) = gold.stances  # both drew it: kept although Kyiv's label is disputed
    assert (stance.holder.text, stance.holder.start, stance.holder.end) == ("Kyiv", 0, 4)
    assert stance.holder.entity is None and stance.target.entity == "T1"
    assert (stance.label, stance.annotators) == ("OPPOSE", ["a", "b"])
    assert [c["what"] for c in result.conflicts] == ["entity"]
    assert result.summary()["stances_endpoint_not_in_gold"] == 1


# --------------------------------------------------------------------------- prefer, single


def test_prefer_user_wins_where_present_and_majority_fills():
    result = adjudicate(THREE, "prefer:carol")
    docs = {d.id: d for d in result.documents}
    assert ents(docs["m1"]) == [
        ("T1", "CSTO", "ORG", ["alice", "bob", "carol"]),
        ("T2", "Armenia", "LOC", ["carol"]),
        ("T3", "Baku", "LOC", ["bob", "carol"]),
        ("T4", "Yerevan talks", "EVENT", ["carol"]),
    ]
    assert stances(docs["m1"]) == [("T1", "T2", "NEUTRAL", ["carol"])]
    assert ents(docs["m2"]) == [("T1", "Baku", "GPE", ["alice", "bob"])]  # carol absent
    got = kinds(result, "m1")
    assert ("entity", "overridden", "Yerevan", None) in got
    assert ("entity", "minority", "Yerevan talks", "EVENT") in got  # accepted, still listed
    assert ("stance", "overridden", "Armenia->Baku", None) in got
    assert ("entity", "label", "Armenia", "LOC") in got
    assert docs["m1"].annotation.adjudication == "prefer:carol"


def test_single_names_documents_with_several_annotators():
    with pytest.raises(InputError) as err:
        adjudicate(THREE, "single")
    assert str(err.value) == (
        f"{THREE}: --strategy single needs exactly one annotator per document, but 2 "
        "documents have several: m1 (alice, bob, carol); m2 (alice, bob); use --strategy "
        "majority or prefer:USER"
    )


def test_single_takes_the_one_annotator(tmp_path):
    shutil.copytree(THREE, tmp_path / "f")
    for name in ("alice", "bob"):
        path = tmp_path / "f" / "annotators" / f"{name}.jsonl"
        write_jsonl([d for d in read_jsonl(path) if d.id == "m2" and name == "alice"], path)
    result = adjudicate(tmp_path / "f", "single")
    docs = {d.id: d for d in result.documents}
    assert ents(docs["m2"]) == [
        ("T1", "Baku", "GPE", ["alice"]),
        ("T2", "Yerevan", "GPE", ["alice"]),
    ]
    assert ents(docs["m1"])[3] == ("T4", "Yerevan talks", "EVENT", ["carol"])
    assert result.conflicts == []


@pytest.mark.parametrize(
    ("value", "min_agree", "message"),
    [
        ("best", 1, "unknown strategy 'best'; use majority, prefer:USER or single"),
        ("prefer", 1, "--strategy prefer needs a user: prefer:USERNAME, e.g. prefer:alice"),
        ("single", 2, "--min-agree applies to --strategy majority only, not 'single'"),
        ("majority", 0, "--min-agree must be a whole number of at least 1, got 0"),
    ],
)
def test_bad_strategies(value, min_agree, message):
    with pytest.raises(UsageError) as err:
        parse_strategy(value, min_agree=min_agree)
    assert str(err.value) == message


def test_prefer_unknown_user():
    with pytest.raises(UsageError, match="prefer:zed names no annotator of this folder; its "
                       "annotators are alice, bob, carol"):  # fmt: skip
        adjudicate(THREE, "prefer:zed")


# --------------------------------------------------------------------------- determinism


def test_gold_does_not_depend_on_input_order(tmp_path):
    shutil.copytree(THREE, tmp_path / "f")
    rng = random.Random(7)
    for path in (tmp_path / "f" / "annotators").glob("*.jsonl"):
        docs = list(read_jsonl(path))
        for d in docs:
            rng.shuffle(d.entities)
            rng.shuffle(d.stances)
            new_id = {e.id: f"E{i}" for i, e in enumerate(d.entities)}  # stances follow
            for e in d.entities:
                e.id = new_id[e.id]
            for s in d.stances:
                s.holder.entity, s.target.entity = new_id[s.holder.entity], new_id[s.target.entity]
        write_jsonl(docs, path)
    a = write_adjudication(adjudicate(THREE, "majority"), tmp_path / "a" / "gold.jsonl")
    b = write_adjudication(adjudicate(tmp_path / "f", "majority"), tmp_path / "b" / "gold.jsonl")
    for one, two in zip(a, b, strict=True):
        assert one.read_bytes() == two.read_bytes()


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_majority_rule_property(data):
    """Gold holds exactly the (span, label) pairs more than half of the annotators marked."""
    text = "a b c d e f"
    spans = [(s, e) for s in range(0, 11, 2) for e in range(s + 1, 12, 2)]
    names = ("p", "q", "r", "s")[: data.draw(st.integers(1, 4))]
    copies = {}
    for name in names:
        chosen = data.draw(st.lists(st.sampled_from(spans), unique=True, max_size=5))
        marks = [(s, e, data.draw(st.sampled_from(("PER", "ORG")))) for s, e in chosen]
        copies[name] = Document(
            id="x",
            text=text,
            entities=[Entity(f"T{i}", s, e, lab, text[s:e]) for i, (s, e, lab) in enumerate(marks)],
        )
    votes: dict[tuple, set] = {}
    for name, doc in copies.items():
        for e in doc.entities:
            votes.setdefault((e.start, e.end, e.label), set()).add(name)
    result = adjudicate_set(AnnotationSet(Path("."), names, {}, {"x": copies}), "majority")
    gold = {(e.start, e.end, e.label): e.annotators for e in result.documents[0].entities}
    assert gold == {k: sorted(v) for k, v in votes.items() if 2 * len(v) > len(names)}
    reviewed = {(c["start"], c["end"], lab) for c in result.conflicts for lab in c["labels"]}
    for key, who in votes.items():
        if 2 * len(who) <= len(names):
            assert key in reviewed, key  # ties and minorities are listed, never dropped silently
    assert [e.id for e in result.documents[0].entities] == [
        f"T{i}" for i in range(1, len(gold) + 1)
    ]


# --------------------------------------------------------------------------- CLI


@pytest.fixture()
def run(cli):
    """``goldwire annotate ARGS...`` through the root app."""
    return lambda *args: cli("annotate", *args)


def test_cli_writes_gold_and_conflicts(run, tmp_path):
    out = tmp_path / "gold" / "gold.jsonl"
    result = run("adjudicate", THREE, "--strategy", "majority", "--out", out)
    assert result.exit_code == 0, result.output
    gold = list(read_jsonl(out))
    assert [len(d.entities) for d in gold] == [4, 1, 1]
    conflicts = [json.loads(x) for x in (out.parent / "conflicts.jsonl").read_text().splitlines()]
    assert len(conflicts) == 6
    assert {"document", "what", "kind", "labels", "gold", "annotators"} <= set(conflicts[0])
    assert "entity:tie" in result.output and str(out) in result.output


def test_cli_error_exit_code_and_text(run, tmp_path):
    result = run("adjudicate", THREE, "--strategy", "prefer:zed", "--out", tmp_path / "g.jsonl")
    assert result.exit_code == 2
    assert result.output == (
        f"error: {THREE}: prefer:zed names no annotator of this folder; its annotators are "
        "alice, bob, carol\n"
    )
    assert not (tmp_path / "g.jsonl").exists()


def test_cli_help_has_example(run):
    result = run("adjudicate", "--help")
    assert result.exit_code == 0 and "Example:" in result.output


# --------------------------------------------------------------------------- what counts, fates

TEXT = "CSTO backs Armenia against Baku in Yerevan talks."
CSTO, ARMENIA, BAKU, YEREVAN, TALKS = (0, 4), (11, 18), (27, 31), (35, 42), (35, 48)


def outcomes(result, layer: str) -> dict[str, dict[str, int]]:
    return result.summary()["outcomes"][layer]["by_label"]


def test_two_annotators_disagree_everything_disputed_goes_to_review(tmp_path):
    """The issue's case: with two annotators, majority kept only what both marked and dropped
    the rest silently; now every disputed candidate is left for review and listed."""
    write_pull(tmp_path, "alice", [pulled("d1", TEXT, "alice", docstance="annotated",
        entities=((*CSTO, "ORG"), (*ARMENIA, "GPE"), (*BAKU, "GPE"), (*YEREVAN, "GPE")),
        stances=((0, 1, "SUPPORT"),), doc_stances=(("CSTO", "SUPPORT"),))])  # fmt: skip
    write_pull(tmp_path, "bob", [pulled("d1", TEXT, "bob", docstance="annotated",
        entities=((*CSTO, "ORG", ACCEPTED), (*ARMENIA, "LOC"), (*BAKU, "GPE"), (*TALKS, "EVENT")),
        stances=((0, 1, "SUPPORT"),), doc_stances=(("CSTO", "NEUTRAL"),))])  # fmt: skip
    result = adjudicate(tmp_path, "majority")
    (gold,) = result.documents
    assert [(e.text, e.label) for e in gold.entities] == [("CSTO", "ORG"), ("Baku", "GPE")]
    assert outcomes(result, "entities") == {
        "EVENT": {"kept": 0, "dropped": 0, "review": 1},
        "GPE": {"kept": 1, "dropped": 0, "review": 2},
        "LOC": {"kept": 0, "dropped": 0, "review": 1},
        "ORG": {"kept": 1, "dropped": 0, "review": 0},
    }
    assert outcomes(result, "doc_stances") == {
        "NEUTRAL": {"kept": 0, "dropped": 0, "review": 1},
        "SUPPORT": {"kept": 0, "dropped": 0, "review": 1},
    }
    assert [(c["what"], c["kind"], c.get("text") or c.get("target"), c["decision"])
            for c in result.conflicts] == [
        ("entity", "label", "Armenia", "review"),
        ("entity", "tie", "Yerevan", "review"),
        ("entity", "tie", "Yerevan talks", "review"),
        ("doc_stance", "label", "CSTO", "review"),
    ]  # fmt: skip
    # the stance both drew is kept although Armenia's label is disputed
    (stance,) = gold.stances
    assert (stance.holder.entity, stance.target.entity) == ("T1", None)
    assert (stance.target.text, stance.target.start, stance.target.end) == ("Armenia", 11, 18)
    assert (stance.label, stance.annotators, stance.provenance) == (
        "SUPPORT", ["alice", "bob"], "adjudicated")  # fmt: skip
    summary = result.summary()
    assert summary["stances_endpoint_not_in_gold"] == 1
    assert summary["outcomes"]["stances"]["kept"] == 1
    assert sum(summary["outcomes"][layer]["review"] for layer in summary["outcomes"]) == 6


def test_three_annotators_minority_is_dropped():
    result = adjudicate(THREE, "majority")
    assert outcomes(result, "entities") == {
        "EVENT": {"kept": 0, "dropped": 1, "review": 0},  # Yerevan talks: carol alone
        "GPE": {"kept": 4, "dropped": 1, "review": 1},  # Baku GPE outvoted; m2 Yerevan tie
        "LOC": {"kept": 1, "dropped": 1, "review": 0},  # Armenia LOC outvoted
        "ORG": {"kept": 1, "dropped": 0, "review": 0},
    }
    assert outcomes(result, "stances") == {
        "NEUTRAL": {"kept": 0, "dropped": 1, "review": 0},
        "OPPOSE": {"kept": 1, "dropped": 0, "review": 0},
        "SUPPORT": {"kept": 1, "dropped": 0, "review": 0},
    }
    decisions = {(c["document"], c["what"] if c["what"] == "stance" else c.get("text")
                  or c["target"]): c["decision"] for c in result.conflicts}  # fmt: skip
    assert decisions == {("m1", "Armenia"): "dropped", ("m1", "Baku"): "dropped",
                         ("m1", "Yerevan talks"): "dropped", ("m1", "stance"): "dropped",
                         ("m1", "CSTO"): "dropped", ("m2", "Yerevan"): "review"}  # fmt: skip


def test_votes_and_provenance_of_every_gold_item(tmp_path):
    entities = ((*CSTO, "ORG", ACCEPTED), (*ARMENIA, "GPE"))
    write_pull(tmp_path, "alice", [pulled("d1", TEXT, "alice", entities=entities,
                                          stances=((0, 1, "SUPPORT"),))])  # fmt: skip
    write_pull(tmp_path, "bob", [pulled("d1", TEXT, "bob", tool="doccano 1.8.5",
                                        entities=((*CSTO, "ORG"), (*ARMENIA, "GPE", EDITED)),
                                        stances=((0, 1, "SUPPORT", ACCEPTED),))])  # fmt: skip
    write_pull(tmp_path, "carol", [pulled("d1", TEXT, "carol", entities=(
        (*CSTO, "ORG"), (*ARMENIA, "LOC")), stances=((0, 1, "OPPOSE"),))])  # fmt: skip
    (gold,) = adjudicate(tmp_path, "majority").documents
    csto, armenia = gold.entities
    assert (csto.provenance, csto.annotators) == ("adjudicated", ["alice", "bob", "carol"])
    assert [v.to_json() for v in csto.votes] == [
        {"annotator": "alice", "label": "ORG", "provenance": ACCEPTED},
        {"annotator": "bob", "label": "ORG", "provenance": "human"},
        {"annotator": "carol", "label": "ORG", "provenance": "human"},
    ]
    assert (armenia.label, armenia.annotators) == ("GPE", ["alice", "bob"])
    assert [(v.annotator, v.label, v.provenance) for v in armenia.votes] == [
        ("alice", "GPE", "human"),
        ("bob", "GPE", EDITED),
        ("carol", "LOC", "human"),
    ]
    (stance,) = gold.stances
    assert (stance.label, stance.provenance, stance.holder.entity, stance.target.entity) == (
        "SUPPORT", "adjudicated", "T1", "T2")  # fmt: skip
    assert [(v.annotator, v.label, v.provenance) for v in stance.votes] == [
        ("alice", "SUPPORT", "human"),
        ("bob", "SUPPORT", ACCEPTED),
        ("carol", "OPPOSE", "human"),
    ]
    a = gold.annotation
    assert (a.entities, a.stances, a.doc_stances) == ("adjudicated", "adjudicated", "none")
    assert a.annotators == ["alice", "bob", "carol"] and a.adjudication == "majority"
    assert a.tool == "doccano 1.8.4; doccano 1.8.5" and a.guidelines == GUIDELINES
    assert gold.annotation.annotators == ["alice", "bob", "carol"]
    again = Document.from_json(json.loads(json.dumps(gold.to_json())))  # a valid gold record
    assert again.entities[1].votes == armenia.votes


def test_unconfirmed_copy_and_unreviewed_suggestions_do_not_vote(tmp_path):
    """carol did not confirm d1: by default two annotators vote (a tie goes to review); with
    --include-unconfirmed carol votes too, but not with the suggestion she never looked at."""
    write_pull(tmp_path, "alice", [pulled("d1", TEXT, "alice", entities=((*BAKU, "GPE"),))])
    write_pull(tmp_path, "bob", [pulled("d1", TEXT, "bob", entities=((*BAKU, "LOC"),))])
    write_pull(tmp_path, "carol", [pulled("d1", TEXT, "carol", confirmed=False,
        entities=((*BAKU, "GPE", UNREVIEWED), (*YEREVAN, "GPE")))])  # fmt: skip
    narrow = adjudicate(tmp_path, "majority")
    assert narrow.documents[0].entities == []
    assert narrow.documents[0].annotation.annotators == ["alice", "bob"]
    assert [(c["text"], c["decision"], c["annotators"]) for c in narrow.conflicts] == [
        ("Baku", "review", ["alice", "bob"])
    ]
    wide = adjudicate(tmp_path, "majority", include_unconfirmed=True)
    assert wide.documents[0].entities == []  # Baku: GPE 1, LOC 1, carol's GPE not a vote
    baku, yerevan = wide.conflicts
    assert (baku["labels"], baku["unmarked"], baku["decision"]) == (
        {"GPE": ["alice"], "LOC": ["bob"]},
        ["carol"],
        "review",
    )  # 2 of 3 marked, no majority
    assert (yerevan["kind"], yerevan["decision"]) == ("minority", "dropped")


def test_layers_vote_apart(tmp_path):
    """bob's entities count but his document stance is unconfirmed: the doc stance is alice's
    alone (1 of 1), the entities are voted by both."""
    write_pull(tmp_path, "alice", [pulled("d1", TEXT, "alice", entities=((*CSTO, "ORG"),),
        doc_stances=(("CSTO", "SUPPORT"),), docstance="annotated")])  # fmt: skip
    write_pull(tmp_path, "bob", [pulled("d1", TEXT, "bob", entities=((*CSTO, "ORG"),),
        doc_stances=(("CSTO", "OPPOSE"),), docstance="unconfirmed")])  # fmt: skip
    (gold,) = adjudicate(tmp_path, "majority").documents
    assert [(d.target, d.label, d.annotators) for d in gold.doc_stances] == [
        ("CSTO", "SUPPORT", ["alice"])
    ]
    assert gold.entities[0].annotators == ["alice", "bob"]
    assert gold.annotation.doc_stances == "adjudicated"


def test_document_no_copy_of_which_counts_is_left_out(tmp_path):
    write_pull(
        tmp_path,
        "alice",
        [
            pulled("d1", TEXT, "alice", entities=((*CSTO, "ORG"),)),
            pulled("d2", TEXT, "alice", confirmed=False),
        ],
    )
    write_pull(tmp_path, "bob", [pulled("d2", TEXT, "bob", confirmed=False)])
    result = adjudicate(tmp_path, "majority")
    assert [d.id for d in result.documents] == ["d1"]
    summary = result.summary()
    assert summary["documents_left_out"] == 1
    assert result.to_json()["coverage"]["documents_left_out_ids"] == ["d2"]


def _fate(votes: dict[str, set], n: int) -> dict[str, str]:
    """The fate of every label of one key under majority, written out from the rule."""
    marked = set().union(*votes.values())
    winners = [lab for lab, who in votes.items() if 2 * len(who) > n]
    if len(winners) == 1:
        return {lab: "kept" if lab == winners[0] else "dropped" for lab in votes}
    if len(winners) > 1 or 2 * len(marked) == n:
        return dict.fromkeys(votes, "review")
    if 2 * len(marked) < n:
        return dict.fromkeys(votes, "dropped")
    return dict.fromkeys(votes, "review")


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_every_candidate_is_kept_dropped_or_reviewed(data):
    text = "a b c d"
    spans = [(0, 1), (2, 3), (4, 5), (0, 3)]
    names = ("p", "q", "r", "s")[: data.draw(st.integers(1, 4))]
    copies = {}
    for name in names:
        chosen = data.draw(st.lists(st.sampled_from(spans), unique=True, max_size=3))
        copies[name] = Document(id="x", text=text, entities=[
            Entity(f"T{i}", s, e, data.draw(st.sampled_from(("PER", "ORG"))), text[s:e])
            for i, (s, e) in enumerate(chosen)])  # fmt: skip
    votes: dict[tuple, dict[str, set]] = {}
    for name, doc in copies.items():
        for e in doc.entities:
            votes.setdefault((e.start, e.end), {}).setdefault(e.label, set()).add(name)
    result = adjudicate_set(AnnotationSet(Path("."), names, {}, {"x": copies}), "majority")
    expected = {"kept": 0, "dropped": 0, "review": 0}
    listed = {(c["start"], c["end"]): c["decision"] for c in result.conflicts}
    for key, by_label in votes.items():
        fates = _fate(by_label, len(names))
        for fate in fates.values():
            expected[fate] += 1
        if set(fates.values()) != {"kept"}:
            assert listed[key] == ("review" if "review" in fates.values() else "dropped"), key
    got = result.summary()["outcomes"]["entities"]
    assert {k: got[k] for k in expected} == expected


def test_cli_counts_per_label_include_unconfirmed_and_json(run, tmp_path):
    write_pull(tmp_path / "p", "alice", [pulled("d1", TEXT, "alice", entities=((*BAKU, "GPE"),))])
    write_pull(tmp_path / "p", "bob", [pulled("d1", TEXT, "bob", entities=((*BAKU, "LOC"),)),
                                       pulled("d2", TEXT, "bob", confirmed=False,
                                              entities=((*CSTO, "ORG"),))])  # fmt: skip
    out = tmp_path / "gold.jsonl"
    result = run("adjudicate", tmp_path / "p", "--out", out, "--json", "-")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["summary"]["outcomes"]["entities"]["by_label"] == {
        "GPE": {"kept": 0, "dropped": 0, "review": 1},
        "LOC": {"kept": 0, "dropped": 0, "review": 1},
    }
    assert data["summary"]["documents_left_out"] == 1 and "review" in data["definitions"]
    kinds = {f"kind {k}" for k in ("label", "tie", "minority", "below-min-agree", "overridden",
                                   "no-span", "unresolved")}  # fmt: skip
    assert kinds | {"kept", "dropped", "decision", "outcomes"} <= set(data["definitions"])
    assert "candidates per label" in result.stderr and "GPE" in result.stderr
    result = run("adjudicate", tmp_path / "p", "--out", out, "--include-unconfirmed")
    assert result.exit_code == 0, result.output
    assert [d.id for d in read_jsonl(out)] == ["d1", "d2"]
    assert "ORG" in result.stdout and "gold:" in result.stdout
