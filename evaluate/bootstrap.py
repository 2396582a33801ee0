"""Bootstrap confidence intervals and the paired bootstrap test, over per-unit counts.

Every figure is a function of summed counts, so a resample of documents is a weighted sum of
the per-document count rows: draw ``resamples x documents`` indices, turn each resample into
a weight vector (how often each document was drawn) with one ``bincount``, and multiply the
weight matrix by the ``documents x columns`` count matrix. The figures of all resamples then
come from one vectorised call of the same statistic that gives the point estimate.

The paired test (Berg-Kirkpatrick, Burkett and Klein 2012) draws the same resamples for two
systems scored on the same gold and reports how often the resampled difference is at least
twice the observed one: the p-value of "the better system is better only by chance".
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from goldwire.errors import UsageError
from goldwire.evaluate.metrics import Statistic

T = TypeVar("T")
CHUNK_ELEMENTS = 1 << 19  # indices drawn per step: bounds the bootstrap's extra memory


@dataclass(frozen=True)
class Block:
    """Per-unit counts of one family of figures and the statistic that scores them."""

    name: str
    counts: np.ndarray  # (units, columns), integers
    statistic: Statistic

    def point(self) -> dict[str, float]:
        totals = self.counts.sum(axis=0, dtype=np.int64)[None, :]
        return {k: float(v[0]) for k, v in self.statistic(totals).items()}


@dataclass(frozen=True)
class Estimate:
    """A figure and its bootstrap confidence interval (None when not resampled)."""

    value: float
    low: float | None = None
    high: float | None = None

    def to_dict(self) -> dict[str, float | list[float] | None]:
        ci = None if self.low is None else [self.low, self.high]
        return {"value": self.value, "ci": ci}


@dataclass(frozen=True)
class Comparison:
    """A paired comparison of system A and system B on one figure."""

    a: float
    b: float
    delta: float  # a - b
    low: float | None
    high: float | None
    p_value: float | None  # one-sided, for the observed direction

    def to_dict(self) -> dict[str, object]:
        return {
            "a": self.a,
            "b": self.b,
            "delta": self.delta,
            "ci": None if self.low is None else [self.low, self.high],
            "p_value": self.p_value,
        }


def check_settings(resamples: int, confidence: float) -> None:
    if resamples < 0:
        raise UsageError(f"--bootstrap must be 0 (off) or a number of resamples, got {resamples}")
    if not 0 < confidence < 1:
        raise UsageError(f"confidence must lie in (0, 1), got {confidence}")


def resampled_sums(counts: np.ndarray, resamples: int, seed: int | None) -> np.ndarray:
    """Column sums of ``resamples`` bootstrap resamples of the rows of ``counts``.

    Deterministic for a given seed, number of rows and number of resamples.
    """
    counts = np.asarray(counts)
    n, k = counts.shape
    rng = np.random.default_rng(seed)
    out = np.empty((resamples, k), dtype=np.float64)
    if n == 0:
        out[:] = 0.0
        return out
    # float64 sums of integer counts are exact below 2**53; (float32 would be exact only
    # below 2**24, and OpenBLAS's sgemm is not faster than dgemm on every machine)
    matrix = counts if counts.dtype == np.float64 else counts.astype(np.float64)
    step = max(1, CHUNK_ELEMENTS // n)
    with _one_blas_thread():
        for first in range(0, resamples, step):
            m = min(step, resamples - first)
            idx = rng.integers(0, n, size=(m, n))
            idx += (np.arange(m) * n)[:, None]
            weights = np.bincount(idx.ravel(), minlength=m * n).reshape(m, n)
            out[first : first + m] = weights.astype(np.float64) @ matrix
    return out


def _one_blas_thread():
    """These products are small: threaded BLAS only adds contention (3-5x slower on a
    loaded 2-core machine), so run them on one thread when threadpoolctl is there."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn depends on threadpoolctl
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def _stacked(blocks: Sequence[Block]) -> tuple[np.ndarray, list[slice]]:
    """Blocks of the same units side by side as one float64 matrix (what the resampling
    multiplies)."""
    widths = [b.counts.shape[1] for b in blocks]
    cuts = np.cumsum([0, *widths])
    units = {b.counts.shape[0] for b in blocks}
    if len(units) > 1:
        raise ValueError(f"blocks cover different numbers of units: {sorted(units)}")
    slices = [slice(a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    matrix = np.empty((units.pop(), int(cuts[-1])), dtype=np.float64)
    for block, cols in zip(blocks, slices, strict=True):
        matrix[:, cols] = block.counts
    return matrix, slices


def _by_units(items: Sequence[T], block: Callable[[T], Block] = lambda b: b) -> list[list[T]]:
    """Blocks (or items holding one: ``block``) grouped by their number of units, groups in
    order of first appearance.

    Sections of different layers may cover different documents (each layer is scored on the
    documents with gold on it); each group is resampled on its own, with the same seed, so
    blocks over the same documents share their draws, and when every block covers the same
    documents (the common case) there is one group, resampled exactly as one matrix."""
    groups: dict[int, list[T]] = {}
    for item in items:
        groups.setdefault(block(item).counts.shape[0], []).append(item)
    return list(groups.values())


def estimate(
    blocks: Sequence[Block],
    *,
    resamples: int = 1000,
    seed: int | None = 0,
    confidence: float = 0.95,
) -> dict[str, dict[str, Estimate]]:
    """Point estimates and percentile confidence intervals of every figure of every block
    (blocks over different numbers of units resampled group by group: :func:`_by_units`)."""
    check_settings(resamples, confidence)
    out = {b.name: {k: Estimate(v) for k, v in b.point().items()} for b in blocks}
    if resamples == 0:
        return out
    tail = 100 * (1 - confidence) / 2
    for group in _by_units(blocks):
        if group[0].counts.shape[0] == 0:
            continue
        matrix, slices = _stacked(group)
        sums = resampled_sums(matrix, resamples, seed)
        for block, cols in zip(group, slices, strict=True):
            for name, values in block.statistic(sums[:, cols]).items():
                low, high = np.percentile(values, [tail, 100 - tail])
                point = out[block.name][name].value
                out[block.name][name] = Estimate(point, float(low), float(high))
    return out


def paired_test(
    blocks_a: Sequence[Block],
    blocks_b: Sequence[Block],
    *,
    resamples: int = 1000,
    seed: int | None = 0,
    confidence: float = 0.95,
) -> dict[str, dict[str, Comparison]]:
    """Paired bootstrap test of A against B on every shared figure (same units, same draws;
    blocks over different numbers of units resampled group by group: :func:`_by_units`).

    For an observed difference ``d = A - B`` the p-value is the share of resamples whose
    difference ``d*`` satisfies ``sign(d) d* >= 2 |d|`` (Berg-Kirkpatrick et al. 2012, §2);
    with ``d = 0`` it is the share with ``d* >= 0``, so identical systems get p = 1.
    """
    check_settings(resamples, confidence)
    by_name = {b.name: b for b in blocks_b}
    pairs = [(a, by_name[a.name]) for a in blocks_a if a.name in by_name]
    for a, b in pairs:
        if a.counts.shape[0] != b.counts.shape[0]:
            raise UsageError(
                f"{a.name}: the two runs cover {a.counts.shape[0]} and {b.counts.shape[0]} "
                "documents; a paired test needs both scored on the same gold"
            )
    out: dict[str, dict[str, Comparison]] = {}
    for group in _by_units(pairs, lambda pair: pair[0]):
        if resamples == 0 or group[0][0].counts.shape[0] == 0:
            out.update(_point_comparisons(group))
        else:
            out.update(_paired_group(group, resamples, seed, confidence))
    return {a.name: out[a.name] for a, _ in pairs}


def _point_comparisons(pairs: Sequence[tuple[Block, Block]]) -> dict[str, dict[str, Comparison]]:
    out = {}
    for a, b in pairs:
        pa, pb = a.point(), b.point()
        out[a.name] = {
            k: Comparison(pa[k], pb[k], pa[k] - pb[k], None, None, None) for k in pa if k in pb
        }
    return out


def _paired_group(
    pairs: Sequence[tuple[Block, Block]], resamples: int, seed: int | None, confidence: float
) -> dict[str, dict[str, Comparison]]:
    """The paired test of pairs of blocks over the same units, on one set of draws."""
    matrix, slices = _stacked([blk for pair in pairs for blk in pair])
    sums = resampled_sums(matrix, resamples, seed)
    tail = 100 * (1 - confidence) / 2
    out: dict[str, dict[str, Comparison]] = {}
    for i, (a, b) in enumerate(pairs):
        fa = a.statistic(sums[:, slices[2 * i]])
        fb = b.statistic(sums[:, slices[2 * i + 1]])
        pa, pb = a.point(), b.point()
        out[a.name] = {}
        for k in fa.keys() & fb.keys():
            delta = pa[k] - pb[k]
            deltas = fa[k] - fb[k]
            sign = 1.0 if delta >= 0 else -1.0
            p_value = float(np.mean(sign * deltas >= 2 * abs(delta) - 1e-12))
            low, high = np.percentile(deltas, [tail, 100 - tail])
            out[a.name][k] = Comparison(pa[k], pb[k], delta, float(low), float(high), p_value)
    return out
