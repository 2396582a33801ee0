"""What counts of a pull folder: confirmed layers only by default, per layer, never an
unreviewed suggestion; what was left out is counted; old files without status count fully;
the use of suggestions per annotator."""

from __future__ import annotations

import pytest
from pullgen import ACCEPTED, UNREVIEWED, pulled, write_pull, write_suggestion_folder

from goldwire.annotate.annotations import (
    Counting,
    SuggestionUse,
    load_annotations,
    read_annotations,
    suggestion_use,
)
from gwtest import TEST_DATA

TEXT = "CSTO backs Armenia against Baku in Yerevan talks."
# CSTO 0-4, Armenia 11-18, Baku 27-31, Yerevan 35-42


@pytest.fixture()
def folder(tmp_path):
    """alice: d1 confirmed (one unreviewed suggestion left in the file), d2 unconfirmed;
    bob: d1 confirmed with its document-stance layer unconfirmed, d3 unconfirmed only."""
    write_pull(tmp_path, "alice", [
        pulled("d1", TEXT, "alice", entities=((0, 4, "ORG"), (11, 18, "GPE", ACCEPTED),
                                              (27, 31, "GPE", UNREVIEWED)),
               stances=((0, 1, "SUPPORT"), (1, 2, "OPPOSE", UNREVIEWED)),
               doc_stances=(("CSTO", "SUPPORT"),), docstance="annotated"),
        pulled("d2", TEXT, "alice", entities=((0, 4, "ORG", UNREVIEWED), (27, 31, "GPE")),
               confirmed=False),
    ])  # fmt: skip
    write_pull(tmp_path, "bob", [
        pulled("d1", TEXT, "bob", entities=((0, 4, "ORG"),), doc_stances=(("CSTO", "OPPOSE"),),
               docstance="unconfirmed"),
        pulled("d3", TEXT, "bob", entities=((35, 42, "GPE"),), confirmed=False),
    ])  # fmt: skip
    return tmp_path


def spans(doc) -> list[tuple]:
    return [(e.start, e.end, e.label) for e in doc.entities]


def test_default_counts_confirmed_layers_only(folder):
    counted = load_annotations(folder)
    assert list(counted.documents) == ["d1"]  # d2, d3: only unconfirmed copies
    assert counted.left_out == ("d2", "d3")
    assert counted.copies("d1", "entities").keys() == {"alice", "bob"}
    assert counted.copies("d1", "doc_stances").keys() == {"alice"}  # bob's is unconfirmed
    bob = counted.documents["d1"]["bob"]
    assert spans(bob) == [(0, 4, "ORG")] and bob.doc_stances == []
    assert counted.shared("alice", "bob", "entities") == ["d1"]
    assert counted.shared("alice", "bob", "doc_stances") == []


def test_unreviewed_suggestions_never_count(folder):
    for include in (False, True):
        counted = load_annotations(folder, include_unconfirmed=include)
        alice = counted.documents["d1"]["alice"]
        assert spans(alice) == [(0, 4, "ORG"), (11, 18, "GPE")]  # Baku was never looked at
        assert [(s.holder.text, s.target.text) for s in alice.stances] == [("CSTO", "Armenia")]
    d2 = counted.documents["d2"]["alice"]  # with --include-unconfirmed
    assert spans(d2) == [(27, 31, "GPE")]  # the untouched CSTO suggestion is gone


def test_include_unconfirmed_counts_unconfirmed_layers(folder):
    counted = load_annotations(folder, include_unconfirmed=True)
    assert list(counted.documents) == ["d1", "d2", "d3"] and counted.left_out == ()
    assert counted.copies("d1", "doc_stances").keys() == {"alice", "bob"}
    assert counted.copies("d3", "doc_stances") == {}  # status none: never counts
    assert counted.counting == Counting(include_unconfirmed=True)


def test_coverage_says_what_was_left_out_and_why(folder):
    counted = load_annotations(folder)
    alice, bob = counted.coverage["alice"], counted.coverage["bob"]
    assert alice.to_json() == {
        "copies": 2,
        "counted": {"entities": 1, "stances": 1, "doc_stances": 1},
        "left_out": {"doc_stances": {"none": 1}, "entities": {"unconfirmed": 1},
                     "stances": {"unconfirmed": 1}},
        "items_removed": {"entities": {UNREVIEWED: 1}, "stances": {UNREVIEWED: 1}},
    }  # fmt: skip
    assert bob.left_out == {("doc_stances", "unconfirmed"): 1, ("entities", "unconfirmed"): 1,
                            ("stances", "unconfirmed"): 1, ("doc_stances", "none"): 1}  # fmt: skip
    report = counted.coverage_json()
    assert report["documents_left_out"] == 2 and report["documents_left_out_ids"] == ["d2", "d3"]
    assert report["total"]["copies"] == 4 and report["counting"] == "confirmed layers only"


def test_stance_keeps_offsets_when_its_entity_is_removed(tmp_path):
    write_pull(tmp_path, "alice", [
        pulled("d1", TEXT, "alice", entities=((0, 4, "ORG", UNREVIEWED), (11, 18, "GPE")),
               stances=((0, 1, "SUPPORT"),)),
    ])  # fmt: skip
    (stance,) = load_annotations(tmp_path).documents["d1"]["alice"].stances
    assert (stance.holder.text, stance.holder.start, stance.holder.end) == ("CSTO", 0, 4)
    assert stance.holder.entity is None and stance.target.entity == "s2"


def test_old_files_without_status_count_fully():
    pair = TEST_DATA / "annotate" / "pair"
    raw, counted = read_annotations(pair), load_annotations(pair)
    assert counted.documents.keys() == raw.documents.keys()
    for doc_id, copies in raw.documents.items():
        for who, doc in copies.items():
            assert counted.documents[doc_id][who].entities == doc.entities
    assert all(c.layers_left_out == 0 for c in counted.coverage.values())


# --------------------------------------------------------------------------- suggestions


def test_suggestion_use_by_hand(tmp_path):
    # alice d1 (confirmed): accepted 2 (ORG, the stance), edited 1, human 1, rejected 1,
    #   orphaned 1; d2 (unconfirmed): accepted 1, unreviewed 1, rejected 2
    # bob d1 (confirmed): accepted 1, human 2, rejected 3
    write_suggestion_folder(tmp_path)
    use = suggestion_use(load_annotations(tmp_path))
    assert use["alice"] == SuggestionUse(human=1, accepted=2, edited=1, rejected=1, orphaned=1)
    assert use["bob"] == SuggestionUse(human=2, accepted=1, rejected=3)
    assert use["alice"].acceptance_rate == pytest.approx(2 / 4)
    assert use["bob"].acceptance_rate == pytest.approx(1 / 4)
    pooled = use["alice"] + use["bob"]
    assert pooled.acceptance_rate == pytest.approx(3 / 8)
    wide = suggestion_use(load_annotations(tmp_path, include_unconfirmed=True))["alice"]
    assert wide == SuggestionUse(human=1, accepted=3, edited=1, rejected=3, orphaned=1,
                                 unreviewed=1)  # fmt: skip
    assert wide.acceptance_rate == pytest.approx(3 / 7)


def test_no_reviewed_suggestion_is_undefined_not_zero():
    assert SuggestionUse(human=4).acceptance_rate is None
    assert SuggestionUse(unreviewed=3).acceptance_rate is None
    assert SuggestionUse(rejected=2).acceptance_rate == 0.0
