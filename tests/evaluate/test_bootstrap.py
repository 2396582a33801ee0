"""Bootstrap intervals and the paired test over per-document counts."""

from __future__ import annotations

import numpy as np
import pytest

from goldwire.errors import UsageError
from goldwire.evaluate.bootstrap import Block, estimate, paired_test, resampled_sums
from goldwire.evaluate.metrics import labelled_statistic


def accuracy_block(name: str, correct: np.ndarray) -> Block:
    counts = np.stack([correct, np.ones_like(correct)], axis=1)
    return Block(name, counts, lambda s: {"acc": s[:, 0] / s[:, 1]})


def test_each_resample_draws_as_many_documents_as_there_are():
    n = 37
    sums = resampled_sums(np.eye(n, dtype=np.int64), 500, seed=1)
    assert sums.shape == (500, n)
    assert np.all(sums == np.round(sums)) and np.all(sums >= 0)
    assert np.all(sums.sum(axis=1) == n)
    # every document is drawn once per resample on average
    assert abs(sums.mean() - 1.0) < 0.05


def test_resamples_are_seeded():
    counts = np.arange(60).reshape(20, 3)
    a, b = resampled_sums(counts, 100, 5), resampled_sums(counts, 100, 5)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, resampled_sums(counts, 100, 6))


def test_large_sums_stay_exact():
    counts = np.full((4, 1), 2**30, dtype=np.int64)  # beyond float32's exact integers
    sums = resampled_sums(counts, 20, 0)
    assert set(sums[:, 0].tolist()) == {4 * 2**30}


def test_interval_covers_the_truth_at_about_the_nominal_rate():
    rng = np.random.default_rng(0)
    hits = 0
    for trial in range(200):
        correct = (rng.random(300) < 0.7).astype(np.int64)
        est = estimate([accuracy_block("b", correct)], resamples=300, seed=trial)["b"]["acc"]
        hits += est.low <= 0.7 <= est.high
        assert est.low <= est.value <= est.high
    assert 0.88 <= hits / 200 <= 0.99


def test_interval_is_a_point_when_every_document_agrees():
    est = estimate([accuracy_block("b", np.ones(50, dtype=np.int64))], resamples=200)["b"]["acc"]
    assert (est.value, est.low, est.high) == (1.0, 1.0, 1.0)


def test_no_resamples_gives_point_estimates_only():
    est = estimate([accuracy_block("b", np.array([1, 0]))], resamples=0)["b"]["acc"]
    assert est.to_dict() == {"value": 0.5, "ci": None}
    with pytest.raises(UsageError, match="--bootstrap must be 0"):
        estimate([], resamples=-1)


def test_labelled_statistic_point_and_resamples_share_one_formula():
    counts = np.array([[3, 1, 0, 1, 2] * 2, [0, 0, 0, 2, 1] * 2])  # micro + one label
    block = Block("e", counts, labelled_statistic(["PER"]))
    point = block.point()
    assert point["micro.precision"] == 3 / 7 and point["micro.recall"] == 3 / 7
    assert point["label.PER.f1"] == point["micro.f1"] == point["macro.f1"]


def test_paired_test_identical_systems_are_not_different():
    correct = (np.random.default_rng(1).random(200) < 0.6).astype(np.int64)
    result = paired_test(
        [accuracy_block("b", correct)], [accuracy_block("b", correct)], resamples=500
    )["b"]["acc"]
    assert result.delta == 0 and result.p_value == 1.0
    assert (result.low, result.high) == (0.0, 0.0)


def test_paired_test_finds_a_clearly_better_system_in_either_order():
    rng = np.random.default_rng(2)
    worse = (rng.random(400) < 0.6).astype(np.int64)
    better = np.maximum(worse, (rng.random(400) < 0.3).astype(np.int64))
    ab = paired_test(
        [accuracy_block("b", better)], [accuracy_block("b", worse)], resamples=1000, seed=3
    )["b"]["acc"]
    ba = paired_test(
        [accuracy_block("b", worse)], [accuracy_block("b", better)], resamples=1000, seed=3
    )["b"]["acc"]
    assert ab.delta > 0 and ab.p_value < 0.01 and ab.low > 0
    assert ba.delta == -ab.delta and ba.p_value == ab.p_value and ba.high < 0


def test_paired_test_small_noisy_difference_is_not_significant():
    rng = np.random.default_rng(4)
    a = (rng.random(60) < 0.6).astype(np.int64)
    b = a.copy()
    b[:2] = 1 - b[:2]  # two documents differ
    result = paired_test([accuracy_block("x", a)], [accuracy_block("x", b)], resamples=1000)["x"][
        "acc"
    ]
    assert result.p_value > 0.05


def test_paired_test_needs_the_same_documents():
    with pytest.raises(UsageError, match="the two runs cover 3 and 2 documents"):
        paired_test(
            [accuracy_block("b", np.ones(3, dtype=np.int64))],
            [accuracy_block("b", np.ones(2, dtype=np.int64))],
        )


# --------------------------------------------------------------------------- blocks of layers


def _percentile_interval(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def _blocks(seed: int, *units: int) -> list[Block]:
    rng = np.random.default_rng(seed)
    return [
        accuracy_block(f"b{k}", (rng.random(n) < 0.3 + 0.1 * k).astype(np.int64))
        for k, n in enumerate(units)
    ]


def test_blocks_over_the_same_documents_share_one_set_of_draws():
    """The computation before layers could differ, restated: every block's columns side by
    side, one resampling, each block's statistic on its columns."""
    blocks = _blocks(7, 40, 40, 40)
    ours = estimate(blocks, resamples=300, seed=5)
    sums = resampled_sums(np.hstack([b.counts for b in blocks]), 300, 5)
    for k, block in enumerate(blocks):
        values = block.statistic(sums[:, 2 * k : 2 * k + 2])["acc"]
        est = ours[block.name]["acc"]
        assert (est.low, est.high) == _percentile_interval(values)


def test_blocks_over_different_documents_are_resampled_group_by_group():
    a, b, c = _blocks(8, 40, 25, 40)
    mixed = estimate([a, b, c], resamples=300, seed=5)
    alone = {**estimate([a, c], resamples=300, seed=5), **estimate([b], resamples=300, seed=5)}
    assert mixed == alone
    values = b.statistic(resampled_sums(b.counts, 300, 5))["acc"]
    assert (mixed["b1"]["acc"].low, mixed["b1"]["acc"].high) == _percentile_interval(values)
    assert all(est["acc"].low is not None for est in mixed.values())


def test_paired_test_groups_blocks_by_documents_too():
    a = _blocks(9, 40, 25)
    b = _blocks(10, 40, 25)
    both = paired_test(a, b, resamples=300, seed=2)
    first = paired_test(a[:1], b[:1], resamples=300, seed=2)
    second = paired_test(a[1:], b[1:], resamples=300, seed=2)
    assert both == {**first, **second} and list(both) == ["b0", "b1"]
    assert all(c["acc"].p_value is not None for c in both.values())
