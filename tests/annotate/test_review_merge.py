"""The review merge: a reviewer's confirmed documents become gold (kept, changed, added,
removed), what still overlaps is unresolved, unconfirmed documents keep the plain
adjudication; resolved conflicts are no longer pending; the CLI's --review."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from pullgen import ACCEPTED, EDITED, pulled, write_pull

from goldwire.annotate.adjudicate import adjudicate, write_adjudication
from goldwire.annotate.review_merge import merge_review
from goldwire.errors import InputError
from goldwire.schema import read_jsonl

R1 = "CSTO backs Armenia against Baku in Yerevan talks, Moscow said."
R2 = "Kyiv and Minsk met."
R3 = "Astana hosted talks."
R4 = "Baku and Yerevan signed."
PULLED_AT = "2026-01-02T03:04:05+00:00"


def at(text: str, word: str, label: str, *rest) -> tuple:
    start = text.index(word)
    return (start, start + len(word), label, *rest)


def r1(user: str, armenia: str, yerevan: tuple, doc: str) -> dict:
    """alice and bob agree on CSTO, Baku and the stance; disagree on Armenia, Yerevan and the
    document stance."""
    ents = (at(R1, "CSTO", "ORG"), at(R1, "Armenia", armenia), at(R1, "Baku", "GPE"), yerevan)
    return pulled("r1", R1, user, entities=ents, stances=((0, 1, "SUPPORT"),),
                  doc_stances=(("CSTO", doc),), docstance="annotated")  # fmt: skip


@pytest.fixture()
def folders(tmp_path):
    main, review = tmp_path / "pull", tmp_path / "review"
    kyiv_minsk = (at(R2, "Kyiv", "GPE"), at(R2, "Minsk", "GPE"))
    write_pull(main, "alice", [
        r1("alice", "GPE", at(R1, "Yerevan", "GPE"), "SUPPORT"),
        pulled("r2", R2, "alice", entities=kyiv_minsk, stances=((0, 1, "OPPOSE"),),
               doc_stances=(("Kyiv", "SUPPORT"),), docstance="annotated"),
        pulled("r3", R3, "alice", entities=(at(R3, "Astana", "GPE"),)),
        pulled("r4", R4, "alice", entities=(at(R4, "Baku", "GPE"), at(R4, "Yerevan", "GPE")),
               doc_stances=(("Baku", "SUPPORT"),), docstance="annotated"),
    ])  # fmt: skip
    write_pull(main, "bob", [
        r1("bob", "LOC", at(R1, "Yerevan talks", "EVENT"), "NEUTRAL"),
        pulled("r2", R2, "bob", entities=kyiv_minsk, stances=((0, 1, "SUPPORT"),),
               doc_stances=(("Kyiv", "OPPOSE"),), docstance="annotated"),
        pulled("r3", R3, "bob", entities=(at(R3, "Astana", "LOC"),)),
        pulled("r4", R4, "bob", entities=(at(R4, "Baku", "GPE"),),
               doc_stances=(("Baku", "OPPOSE"),), docstance="annotated"),
    ])  # fmt: skip
    write_pull(review, "rita", [
        # r1: CSTO kept, Armenia GPE decided, Baku deleted, Moscow added, both Yerevan spans
        # left overlapping; the stance kept, one added; the document stance decided
        pulled("r1", R1, "rita", entities=(
            at(R1, "CSTO", "ORG", ACCEPTED), at(R1, "Armenia", "GPE", ACCEPTED),
            at(R1, "Yerevan", "GPE", ACCEPTED), at(R1, "Yerevan talks", "EVENT", ACCEPTED),
            at(R1, "Moscow", "GPE")), stances=((0, 1, "SUPPORT", ACCEPTED), (4, 1, "OPPOSE")),
            doc_stances=(("CSTO", "SUPPORT", ACCEPTED),), docstance="annotated"),
        # r2: entities kept, two labels left on the stance and on the document stance
        pulled("r2", R2, "rita", entities=kyiv_minsk,
               stances=((0, 1, "OPPOSE", ACCEPTED), (0, 1, "SUPPORT", ACCEPTED)),
               doc_stances=(("Kyiv", "SUPPORT", ACCEPTED), ("Kyiv", "NEUTRAL")),
               docstance="annotated"),
        # r3: not confirmed: the plain adjudication stays
        pulled("r3", R3, "rita", entities=(at(R3, "Astana", "GPE", ACCEPTED),), confirmed=False),
        # r4: entities confirmed (Yerevan decided), the document stance not
        pulled("r4", R4, "rita", entities=(at(R4, "Baku", "GPE", ACCEPTED),
                                           at(R4, "Yerevan", "GPE", EDITED)),
               doc_stances=(("Baku", "OPPOSE", ACCEPTED),), docstance="unconfirmed"),
    ], pulled_at=PULLED_AT)  # fmt: skip
    return main, review


@pytest.fixture()
def merged(folders):
    main, review = folders
    plain = adjudicate(main, "majority")
    return plain, merge_review(plain, review)


def docs(result) -> dict:
    return {d.id: d for d in result.documents}


def test_reviewed_entities_kept_changed_added_removed_unresolved(merged):
    plain, result = merged
    gold = docs(result)["r1"]
    assert [(e.id, e.text, e.label, e.provenance, e.adjudicated_by) for e in gold.entities] == [
        ("T1", "CSTO", "ORG", "adjudicated", ""),
        ("T2", "Armenia", "GPE", "reviewed", "rita"),
        ("T3", "Moscow", "GPE", "reviewed", "rita"),
    ]  # Baku removed; Yerevan / Yerevan talks unresolved
    csto, armenia, moscow = gold.entities
    assert csto == docs(plain)["r1"].entities[0]  # the adjudicated item as it was
    assert [(v.annotator, v.label) for v in armenia.votes] == [("alice", "GPE"), ("bob", "LOC")]
    assert armenia.annotators == ["alice"]
    assert moscow.votes == [] and moscow.annotators == []
    assert (gold.annotation.reviewers, gold.annotation.reviewed_at) == (["rita"], PULLED_AT)
    assert docs(plain)["r1"].annotation.reviewers == []  # the input is not changed


def test_reviewed_stances_link_to_the_final_entities(merged):
    _, result = merged
    gold = docs(result)["r1"]
    assert [(s.holder.entity, s.target.entity, s.label, s.provenance) for s in gold.stances] == [
        ("T1", "T2", "SUPPORT", "adjudicated"),
        ("T3", "T2", "OPPOSE", "reviewed"),
    ]
    assert [(d.target, d.label, d.provenance, d.annotators) for d in gold.doc_stances] == [
        ("CSTO", "SUPPORT", "reviewed", ["alice"])
    ]


def test_unresolved_are_listed_never_guessed(merged):
    _, result = merged
    unresolved = [c for c in result.conflicts if c["kind"] == "unresolved"]
    assert [(c["document"], c["what"]) for c in unresolved] == [
        ("r1", "entity"),
        ("r2", "stance"),
        ("r2", "doc_stance"),
    ]
    yerevan = unresolved[0]
    assert (yerevan["text"], yerevan["reviewer"], yerevan["decision"]) == (
        "Yerevan talks", "rita", "review")  # fmt: skip
    assert [(c["text"], c["label"], [v["annotator"] for v in c["votes"]])
            for c in yerevan["candidates"]] == [
        ("Yerevan", "GPE", ["alice"]), ("Yerevan talks", "EVENT", ["bob"])]  # fmt: skip
    assert unresolved[1]["labels"] == ["OPPOSE", "SUPPORT"]
    assert unresolved[2]["labels"] == ["NEUTRAL", "SUPPORT"]
    r2 = docs(result)["r2"]
    assert r2.stances == [] and r2.doc_stances == []
    assert [e.provenance for e in r2.entities] == ["adjudicated", "adjudicated"]


def test_unconfirmed_review_keeps_the_plain_adjudication(merged):
    plain, result = merged
    assert docs(result)["r3"] == docs(plain)["r3"]
    assert [c["kind"] for c in result.conflicts if c["document"] == "r3"] == ["label"]
    r4 = docs(result)["r4"]  # entities reviewed, the document stance not
    assert [(e.text, e.provenance) for e in r4.entities] == [
        ("Baku", "adjudicated"),
        ("Yerevan", "reviewed"),
    ]
    assert r4.doc_stances == []
    assert [(c["what"], c["kind"]) for c in result.conflicts if c["document"] == "r4"] == [
        ("doc_stance", "label")
    ]


def test_counts_per_label_and_resolved_conflicts(merged):
    plain, result = merged
    review = result.summary()["review"]
    assert (review["reviewer"], review["documents_reviewed"], review["documents_unconfirmed"]) == (
        "rita", 3, 1)  # fmt: skip
    by = review["outcomes"]
    zero = dict.fromkeys(("kept", "changed", "added", "removed", "unresolved"), 0)
    assert by["entities"]["by_label"] == {
        "EVENT": {**zero, "unresolved": 1},
        "GPE": {**zero, "kept": 3, "changed": 2, "added": 1, "removed": 1, "unresolved": 1},
        "ORG": {**zero, "kept": 1},
    }
    assert by["stances"]["by_label"] == {
        "OPPOSE": {**zero, "added": 1, "unresolved": 1},
        "SUPPORT": {**zero, "kept": 1, "unresolved": 1},
    }
    assert by["doc_stances"]["by_label"] == {
        "NEUTRAL": {**zero, "unresolved": 1},
        "SUPPORT": {**zero, "changed": 1, "unresolved": 1},
    }
    # resolved: r1 entity x3 + doc stance, r2 stance + doc stance, r4 entity (Yerevan tie)
    assert review["conflicts_resolved_by_kind"] == {
        "doc_stance:label": 2,
        "entity:label": 1,
        "entity:tie": 3,
        "stance:label": 1,
    }
    pending = Counter((c["document"], c["what"], c["kind"]) for c in plain.conflicts)
    for c in result.conflicts:
        if c["kind"] != "unresolved":
            assert pending[(c["document"], c["what"], c["kind"])] > 0
    assert len(result.conflicts) == len(plain.conflicts) - 7 + 3


def test_review_folder_errors(folders, tmp_path):
    main, review = folders
    plain = adjudicate(main, "majority")
    write_pull(review, "rob", [])
    with pytest.raises(InputError, match=r"holds one reviewer's file, found 2 \(rita, rob\)"):
        merge_review(plain, review)
    (review / "annotators" / "rob.jsonl").unlink()
    (review / "summary.json").unlink()
    with pytest.raises(InputError, match=r"summary\.json: cannot read the pull summary"):
        merge_review(plain, review)
    other = tmp_path / "other"
    write_pull(other, "rita", [pulled("zz", R2, "rita")], pulled_at=PULLED_AT)
    with pytest.raises(InputError) as err:
        merge_review(plain, other)
    assert str(err.value) == (
        f"{other / 'annotators' / 'rita.jsonl'}: document zz is not in the adjudication of "
        f"{main} (no copy of it counts there); review the conflicts of this pull folder, "
        "adjudicated with the options the review round was built from"
    )


def test_cli_review(cli, folders, tmp_path):
    main, review = folders
    out = tmp_path / "gold" / "gold.jsonl"
    result = cli("annotate", "adjudicate", main, "--out", out, "--review", review,
                 "--json", tmp_path / "adj.json")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "review by rita" in result.output and "unresolved" in result.output
    gold = {d.id: d for d in read_jsonl(out)}
    assert gold["r1"].annotation.reviewers == ["rita"]
    conflicts = [json.loads(x) for x in (out.parent / "conflicts.jsonl").read_text().splitlines()]
    assert sum(c["kind"] == "unresolved" for c in conflicts) == 3
    data = json.loads((tmp_path / "adj.json").read_text())
    assert data["summary"]["review"]["conflicts_resolved"] == 7
    assert "review unresolved" in data["definitions"]
    again = write_adjudication(adjudicate(main, "majority", review=review), tmp_path / "g2.jsonl")
    assert again[0].read_bytes() == out.read_bytes()
