"""Adjudication strategies: the decision on one key (gold label, conflict kind, fate of the
rest) for each strategy, case by case."""

from __future__ import annotations

import pytest

from goldwire.annotate.adjudicators import Fate, Majority, Prefer, Single, parse_strategy

ABC = ("a", "b", "c")


@pytest.mark.parametrize(
    ("candidates", "annotators", "expected"),
    [
        ({"GPE": {"a", "b"}}, ("a", "b"), ("GPE", None, "kept")),
        ({"GPE": {"a"}, "LOC": {"b"}}, ("a", "b"), (None, "label", "review")),  # 2 disagree
        ({"GPE": {"a"}}, ("a", "b"), (None, "tie", "review")),
        ({"GPE": {"a", "b"}, "LOC": {"c"}}, ABC, ("GPE", "label", "dropped")),
        ({"EVENT": {"c"}}, ABC, (None, "minority", "dropped")),
        ({"GPE": {"a"}, "LOC": {"b"}}, ABC, (None, "label", "review")),  # most marked it
        ({"GPE": {"a"}, "LOC": {"b"}, "ORG": {"c"}}, ABC, (None, "label", "review")),
        ({"GPE": {"a"}, "LOC": {"b"}}, ("a", "b", "c", "d", "e"), (None, "label", "dropped")),
        ({"GPE": {"a"}, "LOC": {"a"}}, ("a",), (None, "label", "review")),  # both pass
    ],
)
def test_majority_decisions(candidates, annotators, expected):
    d = Majority().decide(candidates, annotators)
    assert (d.gold, d.kind, d.decision) == expected


def test_min_agree_drops_a_small_majority():
    d = Majority(min_agree=3).decide({"GPE": {"a", "b"}, "LOC": {"c"}}, ABC)
    assert (d.gold, d.kind, d.fate) == (None, "label", Fate.DROPPED)
    d = Majority(min_agree=2).decide({"GPE": {"a"}}, ("a",))
    assert (d.gold, d.kind, d.fate) == (None, "below-min-agree", Fate.DROPPED)


def test_prefer_overrides_where_the_user_annotated():
    prefer = Prefer("c")
    d = prefer.decide({"GPE": {"a", "b"}}, ABC)
    assert (d.gold, d.kind, d.fate) == (None, "overridden", Fate.DROPPED)
    d = prefer.decide({"EVENT": {"c"}}, ABC)
    assert (d.gold, d.kind, d.decision) == ("EVENT", "minority", "kept")  # listed, kept
    d = prefer.decide({"GPE": {"a"}}, ("a", "b"))  # c absent: the majority rule
    assert (d.gold, d.kind, d.fate) == (None, "tie", Fate.REVIEW)


def test_single_keeps_its_annotator_and_reviews_two_labels():
    assert Single().decide({"GPE": {"a"}}, ("a",)).gold == "GPE"
    d = Single().decide({"GPE": {"a"}, "LOC": {"a"}}, ("a",))
    assert (d.gold, d.fate) == (None, Fate.REVIEW)


def test_fate_of_each_candidate():
    d = parse_strategy("majority").decide({"GPE": {"a", "b"}, "LOC": {"c"}}, ABC)
    assert (d.fate_of("GPE"), d.fate_of("LOC")) == (Fate.KEPT, Fate.DROPPED)
