"""Counts add up, and their ratios are nervaluate's, float for float."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from nervaluate.entities import EvaluationResult

from goldwire.evaluate.counts import Counts
from goldwire.evaluate.metrics import labelled_statistic, prf

COUNTS = st.builds(Counts, *(st.integers(0, 50) for _ in range(5)))


@settings(max_examples=200, deadline=None)
@given(COUNTS)
def test_scores_are_nervaluates_partial_credit_formula(c):
    ref = EvaluationResult(
        correct=c.cor, incorrect=c.inc, partial=c.par, missed=c.mis, spurious=c.spu
    )
    ref.compute_metrics(partial_or_type=True)
    s = c.scores()
    assert (s.precision, s.recall, s.f1) == (ref.precision, ref.recall, ref.f1)
    assert (c.actual, c.possible) == (ref.actual, ref.possible)


@settings(max_examples=100, deadline=None)
@given(st.lists(COUNTS, max_size=6))
def test_vectorised_prf_equals_scalar_scores(items):
    rows = np.array([c.as_row() for c in items], dtype=np.int64).reshape(-1, 5)
    p, r, f = prf(rows)
    for i, c in enumerate(items):
        s = c.scores()
        assert (p[i], r[i], f[i]) == (s.precision, s.recall, s.f1)


@given(COUNTS, COUNTS)
def test_counts_add(a, b):
    total = a + b
    assert total.as_row() == tuple(x + y for x, y in zip(a.as_row(), b.as_row(), strict=True))
    assert sum([a, b]) == total
    assert total.possible == a.possible + b.possible


def test_the_empty_case_is_zero_not_an_error():
    assert Counts().scores().to_dict() == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert Counts(spu=3).scores().precision == 0.0
    assert Counts(mis=3).scores().recall == 0.0
    assert Counts.from_tp(tp=2, fp=1, fn=1) == Counts(cor=2, spu=1, mis=1)
    stat = labelled_statistic([])
    out = stat(np.zeros((1, 5)))
    assert out["macro.f1"][0] == 0.0 and out["micro.f1"][0] == 0.0


def test_to_dict_reports_possible_and_actual():
    assert Counts(1, 2, 3, 4, 5).to_dict() == {
        "cor": 1,
        "inc": 2,
        "par": 3,
        "mis": 4,
        "spu": 5,
        "possible": 10,
        "actual": 11,
    }
