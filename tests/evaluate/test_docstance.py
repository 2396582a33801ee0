"""Document-level stance: figures identical to scikit-learn; SemEval-2016 and FNC-1 scores."""

from __future__ import annotations

import csv
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from goldwire.evaluate.docstance import (
    MISSING,
    DocStanceSetup,
    doc_stance_counts,
    pair_doc_stances,
    statistic_for,
)
from goldwire.evaluate.inputs import GoldSet, PredictionSet
from goldwire.evaluate.scoring import ScoreOptions, score_documents
from goldwire.evaluate.stance import AliasTable
from goldwire.schema import DocStance, Document

GOGL = ("SUPPORT", "OPPOSE", "NEUTRAL")
FNC = ("agree", "disagree", "discuss", "unrelated")


def official_fnc_score(gold: list[str], pred: list[str]) -> float:
    """The FNC-1 scorer's arithmetic (FakeNewsChallenge/fnc-1 scorer.py), restated."""
    related = {"agree", "disagree", "discuss"}
    score = 0.0
    for g, t in zip(gold, pred, strict=True):
        if g == t:
            score += 0.25
            if g != "unrelated":
                score += 0.50
        if g in related and t in related:
            score += 0.25
    return score


def corpus(pairs_per_doc: list[list[tuple[str, str, str | None]]]):
    """Documents from (target, gold label, predicted label or None) triples."""
    gold, pred = [], []
    for i, pairs in enumerate(pairs_per_doc):
        gold.append(
            Document(id=f"d{i}", text="t", doc_stances=[DocStance(t, g) for t, g, _ in pairs])
        )
        pred.append(
            Document(
                id=f"d{i}",
                text="t",
                doc_stances=[DocStance(t, p) for t, _, p in pairs if p is not None],
            )
        )
    return gold, pred


def _score(gold, pred):
    result = score_documents(
        GoldSet(gold, None, "g"),
        PredictionSet("p", pred),
        ScoreOptions(resamples=0, analysis=False),
    )
    return result.sections["doc_stances"]


LABELLED = st.lists(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c"]),
            st.sampled_from(GOGL),
            st.one_of(st.none(), st.sampled_from(GOGL)),
        ),
        min_size=1,
        max_size=3,
        unique_by=lambda t: t[0],
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=200, deadline=None)
@given(LABELLED)
def test_counts_give_exactly_what_sklearn_gives(docs):
    gold, pred = corpus(docs)
    pairs = pair_doc_stances(gold, pred)
    setup = DocStanceSetup.infer(pairs)  # no schema: classes sorted, as score_documents has it
    counts = doc_stance_counts(pairs, setup, len(gold)).sum(axis=0)[None, :]
    ours = {k: float(v[0]) for k, v in statistic_for(setup)(counts).items()}
    y_true, y_pred = pairs.gold, pairs.y_pred
    labels = list(setup.classes)
    assert ours["accuracy"] == accuracy_score(y_true, y_pred)
    assert ours["macro_f1"] == f1_score(
        y_true, y_pred, labels=labels, average="macro", zero_division=0
    )
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    for i, c in enumerate(labels):
        assert (ours[f"class.{c}.precision"], ours[f"class.{c}.recall"], ours[f"class.{c}.f1"]) == (
            p[i],
            r[i],
            f[i],
        )
    if setup.opinion:
        f_opinion = f1_score(
            y_true, y_pred, labels=list(setup.opinion), average=None, zero_division=0
        )
        assert ours["semeval2016"] == pytest.approx(np.mean(f_opinion), abs=1e-15)
    section = _score(gold, pred)
    assert section.figures["macro_f1"].value == ours["macro_f1"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(FNC), st.sampled_from(FNC)), min_size=1, max_size=30))
def test_fnc1_relative_score_is_the_official_one(pairs):
    gold, pred = corpus([[("headline", g, p)] for g, p in pairs])
    section = _score(gold, pred)
    g = [x for x, _ in pairs]
    t = [y for _, y in pairs]
    assert section.figures["fnc1"].value == pytest.approx(
        official_fnc_score(g, t) / official_fnc_score(g, g), abs=1e-12
    )


def test_missing_predictions_count_wrong_and_extra_targets_are_reported():
    gold, pred = corpus([[("Russia", "SUPPORT", "SUPPORT"), ("EU", "OPPOSE", None)]])
    pred[0].doc_stances.append(DocStance("NATO", "OPPOSE"))
    section = _score(gold, pred)
    assert section.figures["accuracy"].value == 0.5
    assert section.extra["pairs"] == 2
    assert section.extra["pairs_without_prediction"] == 1
    assert section.extra["predictions_for_targets_not_in_gold"] == 1
    cm = section.extra["confusion_matrix"]
    assert cm["columns"][-1] == MISSING
    assert cm["counts"][cm["rows"].index("OPPOSE")][-1] == 1


def test_targets_pair_by_normalised_name_and_alias():
    gold, pred = corpus([[("Russian Federation", "SUPPORT", None)]])
    pred[0].doc_stances.append(DocStance('"russia"', "SUPPORT"))
    assert pair_doc_stances(gold, pred).pred == [None]
    alias = AliasTable.from_groups([("Russia", ["Russian Federation"], "test")])
    assert pair_doc_stances(gold, pred, alias).pred == ["SUPPORT"]


def test_opinion_classes_are_configurable_and_fnc_only_for_fnc_labels():
    gold, pred = corpus([[("t", "FAVOR", "FAVOR"), ("u", "AGAINST", "NONE")]])
    pairs = pair_doc_stances(gold, pred)
    assert DocStanceSetup.infer(pairs).opinion == ("FAVOR", "AGAINST")
    assert DocStanceSetup.infer(pairs).unrelated is None
    assert DocStanceSetup.infer(pairs, opinion=["NONE", "FAVOR"]).opinion == ("NONE", "FAVOR")


@pytest.mark.shared_data
def test_fnc1_competition_test_set(shared_data):
    with (shared_data / "fnc1" / "competition_test_stances.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rng = random.Random(1)
    docs = {}
    for row in rows:
        pred = row["Stance"] if rng.random() < 0.7 else rng.choice(FNC)
        docs.setdefault(row["Body ID"], []).append((row["Headline"], row["Stance"], pred))
    gold, pred = corpus(list(docs.values()))
    section = _score(gold, pred)
    pairs = pair_doc_stances(gold, pred)
    assert section.extra["pairs"] == len(pairs) and len(pairs) > 25000
    want = official_fnc_score(pairs.gold, pairs.y_pred) / official_fnc_score(pairs.gold, pairs.gold)
    assert section.figures["fnc1"].value == pytest.approx(want, abs=1e-12)
