"""Ballots and tallies: votes in a fixed order, addable tallies per layer and label, gold
entities renumbered and stance mentions linked by offsets."""

from __future__ import annotations

import pytest

from goldwire.annotate.ballots import (
    Tally,
    cast,
    link_stances,
    mention,
    number_entities,
    voters,
    votes,
)
from goldwire.schema import Entity, Stance

TEXT = "Kyiv and Minsk met."


def test_votes_are_one_per_annotator_and_label_in_order():
    ballots: dict = {}
    cast(ballots, (0, 4), "LOC", "bob", "human")
    cast(ballots, (0, 4), "GPE", "alice", "suggestion-accepted")
    cast(ballots, (0, 4), "GPE", "alice", "human")  # a second mark votes once
    ballot = ballots[(0, 4)]
    assert [(v.annotator, v.label, v.provenance) for v in votes(ballot)] == [
        ("alice", "GPE", "suggestion-accepted"),
        ("bob", "LOC", "human"),
    ]
    assert voters(ballot, "GPE") == ["alice"] and voters(None, "GPE") == [] and votes(None) == []


def test_tally_adds_and_reports_per_label():
    a, b = Tally(("kept", "review")), Tally(("kept", "review"))
    a.add("entities", "GPE", "kept")
    b.add("entities", "GPE", "review", 2)
    b.add("stances", "SUPPORT", "kept")
    total = (a + b).to_json()
    assert total["entities"] == {"kept": 1, "review": 2,
                                 "by_label": {"GPE": {"kept": 1, "review": 2}}}  # fmt: skip
    assert total["doc_stances"] == {"kept": 0, "review": 0, "by_label": {}}
    with pytest.raises(ValueError, match="unknown outcome 'dropped'"):
        a.add("entities", "GPE", "dropped")


def test_entities_renumbered_and_stances_linked_by_offsets():
    minsk = Entity("x", 9, 14, "GPE", "Minsk")
    kyiv = Entity("y", 0, 4, "GPE", "Kyiv")
    entities = number_entities([minsk, kyiv])
    assert [(e.id, e.text) for e in entities] == [("T1", "Kyiv"), ("T2", "Minsk")]
    stances = [Stance(mention(TEXT, 9, 14), mention(TEXT, 15, 18), "OPPOSE"),
               Stance(mention(TEXT, 0, 4), mention(TEXT, 9, 14), "SUPPORT")]  # fmt: skip
    linked = link_stances(stances, entities)
    assert [(s.holder.entity, s.target.entity, s.target.text) for s in linked] == [
        ("T1", "T2", "Minsk"),
        ("T2", None, "met"),  # "met" is no gold entity: offsets and text only
    ]
