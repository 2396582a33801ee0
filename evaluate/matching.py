"""Entity matching under the four SemEval-2013 schemas, vectorised over whole corpora.

Each schema is a small strategy (:class:`Matcher`) that pairs predicted spans with gold spans
of the same unit (document or sentence) and gives each pair a category; unpaired gold spans
are missed (MIS), unpaired predictions spurious (SPU). The decisions are nervaluate 1.2's
(strict: span and label; exact: span; partial: span, overlap earns half; type: label and
overlap, the closest overlapping gold first), but the pairing is order-independent:

1. **identical spans first.** A prediction with the same span and label as a gold entity is
   paired with it (duplicates pair off one to one); for ``exact`` and ``partial``, remaining
   predictions are then paired with remaining gold entities of the same span and any label.
2. **then overlaps, in canonical order.** Each remaining prediction, in order of (start, end,
   label), takes the first remaining overlapping gold entity in the same order (``type``: the
   overlapping gold entity of its own label with the closest boundaries, else the first
   overlapping one of another label). An overlap counts when it covers at least
   ``min_overlap`` percent of the gold span, as nervaluate's ``min_overlap_percentage``.

On well-formed predictions (unique, non-overlapping spans) given to nervaluate in that
canonical order, every count is identical to nervaluate's; with overlapping predictions
nervaluate depends on their order and we do not (see docs/evaluate.md).

Per-label counts follow nervaluate: the schema is run again on each label's entities alone
(``per_label=True``), so a label confusion is missed + spurious there, not incorrect.

The work is done with numpy on all units at once: spans are laid on one global axis (each
unit its own segment), identical spans pair through sorted keys, overlapping candidates come
from two binary searches, and only predictions that compete for the same gold entity (rare)
go through a short Python loop.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np

from goldwire.choices import parse_choice
from goldwire.errors import UsageError
from goldwire.evaluate.counts import COR, INC, MIS, N_COUNTS, PAR, SPU, Counts


class Scheme(str, Enum):
    """The SemEval-2013 Task 9.1 evaluation schemas (nervaluate's names in brackets)."""

    STRICT = "strict"  # span and label exact
    EXACT = "exact"  # span exact, label ignored
    PARTIAL = "partial"  # span overlap (half credit), label ignored
    TYPE = "type"  # label exact, span overlap ("ent_type")

    @classmethod
    def parse(cls, value: str | Scheme) -> Scheme:
        return parse_choice(cls, value, "matching schema")


SCHEMES = tuple(Scheme)
NERVALUATE_NAMES = {
    Scheme.STRICT: "strict",
    Scheme.EXACT: "exact",
    Scheme.PARTIAL: "partial",
    Scheme.TYPE: "ent_type",
}


@dataclass(frozen=True)
class _Rule:
    """How a schema pairs spans: identical-span tiers, overlap choice, overlap category."""

    span_only_tier: bool  # after identical span+label, also pair identical spans of any label
    by_distance: bool  # overlap choice: own label with closest boundaries first (type)
    overlap_category: int  # category of an overlap pair (type: COR if labels agree, else INC)


RULES: dict[Scheme, _Rule] = {
    Scheme.STRICT: _Rule(span_only_tier=False, by_distance=False, overlap_category=INC),
    Scheme.EXACT: _Rule(span_only_tier=True, by_distance=False, overlap_category=INC),
    Scheme.PARTIAL: _Rule(span_only_tier=True, by_distance=False, overlap_category=PAR),
    Scheme.TYPE: _Rule(span_only_tier=False, by_distance=True, overlap_category=INC),
}


# --------------------------------------------------------------------------- span arrays


@dataclass(frozen=True)
class SpanArrays:
    """Spans of many units as parallel int64 arrays; ``end`` is exclusive."""

    unit: np.ndarray
    start: np.ndarray
    end: np.ndarray
    label: np.ndarray  # codes into a label tuple kept alongside

    def __len__(self) -> int:
        return len(self.unit)

    @classmethod
    def build(cls, rows: Iterable[tuple[int, int, int, int]]) -> SpanArrays:
        """From ``(unit, start, end, label_code)`` rows."""
        arr = np.array(list(rows), dtype=np.int64).reshape(-1, 4)
        return cls(arr[:, 0].copy(), arr[:, 1].copy(), arr[:, 2].copy(), arr[:, 3].copy())


SpanLike = Any  # an Entity, a dict with start/end/label, or a (start, end, label) tuple


def as_span(item: SpanLike) -> tuple[int, int, str]:
    """``(start, end, label)`` from an Entity, a mapping or a tuple."""
    if isinstance(item, tuple):
        return (int(item[0]), int(item[1]), str(item[2]))
    if isinstance(item, dict):
        return (int(item["start"]), int(item["end"]), str(item["label"]))
    return (int(item.start), int(item.end), str(item.label))


def encode_units(
    gold_units: Sequence[Sequence[SpanLike]],
    pred_units: Sequence[Sequence[SpanLike]],
    labels: Sequence[str] | None = None,
) -> tuple[SpanArrays, SpanArrays, tuple[str, ...]]:
    """Encode per-unit span lists with one shared, sorted label code table.

    With ``labels`` given, spans of other labels are left out (nervaluate's ``tags``).
    """
    if len(gold_units) != len(pred_units):
        raise UsageError(
            f"gold has {len(gold_units)} units but predictions have {len(pred_units)}; "
            "give one (possibly empty) prediction list per gold unit"
        )
    gold = [[as_span(s) for s in unit] for unit in gold_units]
    pred = [[as_span(s) for s in unit] for unit in pred_units]
    if labels is None:
        names = sorted({s[2] for unit in (*gold, *pred) for s in unit})
    else:
        names = sorted(set(labels))
    code = {name: i for i, name in enumerate(names)}

    def rows(units: list[list[tuple[int, int, str]]]):
        return (
            (u, s, e, code[lab])
            for u, unit in enumerate(units)
            for s, e, lab in unit
            if lab in code
        )

    return SpanArrays.build(rows(gold)), SpanArrays.build(rows(pred)), tuple(names)


# --------------------------------------------------------------------------- assignment


@dataclass(frozen=True)
class Assignment:
    """The outcome of one schema on one corpus, in the caller's span order."""

    scheme: Scheme
    per_label: bool
    gold: SpanArrays
    pred: SpanArrays
    pred_category: np.ndarray  # COR / INC / PAR / SPU per prediction (int8)
    gold_category: np.ndarray  # COR / INC / PAR / MIS per gold span (int8)
    pred_gold: np.ndarray  # index of the paired gold span, or -1

    def unit_counts(self, n_units: int) -> np.ndarray:
        """``(n_units, 5)`` counts in COR INC PAR MIS SPU order."""
        missed = self.gold.unit[self.gold_category == MIS]
        keys = np.concatenate(
            [
                self.pred.unit * N_COUNTS + self.pred_category.astype(np.int64),
                missed * N_COUNTS + MIS,
            ]
        )
        return np.bincount(keys, minlength=n_units * N_COUNTS).reshape(n_units, N_COUNTS)

    def unit_label_counts(self, n_units: int, n_labels: int) -> np.ndarray:
        """``(n_units, n_labels, 5)`` counts; labels are the prediction's (gold's for MIS)."""
        mis = self.gold_category == MIS
        keys = np.concatenate(
            [
                (self.pred.unit * n_labels + self.pred.label) * N_COUNTS
                + self.pred_category.astype(np.int64),
                (self.gold.unit[mis] * n_labels + self.gold.label[mis]) * N_COUNTS + MIS,
            ]
        )
        size = n_units * n_labels * N_COUNTS
        return np.bincount(keys, minlength=size).reshape(n_units, n_labels, N_COUNTS)

    def total(self) -> Counts:
        pred = np.bincount(self.pred_category, minlength=N_COUNTS)
        missed = int(np.count_nonzero(self.gold_category == MIS))
        return Counts(int(pred[COR]), int(pred[INC]), int(pred[PAR]), missed, int(pred[SPU]))


def _lex_key(columns: Sequence[np.ndarray]) -> np.ndarray:
    """An int64 key ordering rows like the tuple of (non-negative) columns."""
    n = len(columns[0])
    sizes = [int(c.max()) + 1 if n else 1 for c in columns]
    if math.prod(sizes) < 2**62:
        key = np.zeros(n, dtype=np.int64)
        for col, size in zip(columns, sizes, strict=True):
            key = key * size + col
        return key
    order = np.lexsort(tuple(reversed(columns)))  # dense ranks when the radix key would overflow
    rows = np.stack(columns, axis=1)[order]
    new = np.ones(n, dtype=bool)
    new[1:] = np.any(rows[1:] != rows[:-1], axis=1)
    key = np.empty(n, dtype=np.int64)
    key[order] = np.cumsum(new) - 1
    return key


def _pair_identical(kg: np.ndarray, kp: np.ndarray) -> np.ndarray:
    """For sorted keys, the gold index paired with each prediction (one to one), or -1."""
    rank = np.arange(len(kp)) - np.searchsorted(kp, kp, side="left")
    j = np.searchsorted(kg, kp, side="left") + rank
    ok = j < len(kg)
    ok[ok] = kg[j[ok]] == kp[ok]
    return np.where(ok, j, -1)


class Alignment:
    """Gold and predicted spans of one corpus, prepared once for every schema.

    Holds both sides sorted canonically on one global axis, their identical-span keys and
    the overlapping candidate pairs; :meth:`assign` pairs them under a schema.
    """

    def __init__(self, gold: SpanArrays, pred: SpanArrays, *, min_overlap: float = 1.0):
        self.gold, self.pred = gold, pred
        n_units = int(max(gold.unit.max(initial=-1), pred.unit.max(initial=-1))) + 1
        extent = np.zeros(max(n_units, 1), dtype=np.int64)
        np.maximum.at(extent, gold.unit, gold.end)
        np.maximum.at(extent, pred.unit, pred.end)
        base = np.concatenate([[0], np.cumsum(extent + 1)[:-1]])
        gs, ge = base[gold.unit] + gold.start, base[gold.unit] + gold.end
        ps, pe = base[pred.unit] + pred.start, base[pred.unit] + pred.end
        self.g_order = np.lexsort((gold.label, ge, gs))
        self.p_order = np.lexsort((pred.label, pe, ps))
        gs, ge, gl = gs[self.g_order], ge[self.g_order], gold.label[self.g_order]
        ps, pe, pl = ps[self.p_order], pe[self.p_order], pred.label[self.p_order]
        self.g_label, self.p_label = gl, pl
        n_g = len(gs)
        both = [
            np.concatenate([gs, ps]),
            np.concatenate([ge - gs, pe - ps]),
            np.concatenate([gl, pl]),
        ]
        span_label = _lex_key(both)
        span = _lex_key(both[:2])
        self.key_span_label = (span_label[:n_g], span_label[n_g:])
        self.key_span = (span[:n_g], span[n_g:])
        self._pairs(gs, ge, ps, pe, min_overlap)
        self._cache: dict[tuple[bool, bool, bool], tuple[np.ndarray, np.ndarray]] = {}

    def _pairs(self, gs, ge, ps, pe, min_overlap: float) -> None:
        """Overlapping (prediction, gold) pairs in sorted space, ordered by (pred, gold)."""
        hi = np.searchsorted(gs, pe, side="left")  # gold starting before the prediction ends
        reach = np.maximum.accumulate(ge) if len(ge) else ge
        lo = np.searchsorted(reach, ps, side="right")  # first gold that may end after its start
        count = np.maximum(hi - lo, 0)
        pi = np.repeat(np.arange(len(ps)), count)
        offsets = np.repeat(lo - (np.cumsum(count) - count), count)
        gi = np.arange(len(pi)) + offsets
        keep = ge[gi] > ps[pi]
        pi, gi = pi[keep], gi[keep]
        overlap = np.minimum(pe[pi], ge[gi]) - np.maximum(ps[pi], gs[gi])
        share = (overlap / (ge[gi] - gs[gi])) * 100.0  # nervaluate's expression
        keep = share >= min_overlap
        self.pair_p, self.pair_g = pi[keep], gi[keep]
        self.pair_same = self.g_label[self.pair_g] == self.p_label[self.pair_p]
        self.pair_dist = np.abs(ps[self.pair_p] - gs[self.pair_g]) + np.abs(
            pe[self.pair_p] - ge[self.pair_g]
        )

    # ---- pairing

    def _match(self, span_only_tier: bool, by_distance: bool, per_label: bool):
        """Sorted-space pairing: (gold index or -1 per prediction, tier 1/2 per prediction)."""
        cache_key = (span_only_tier and not per_label, by_distance, per_label)
        if cache_key in self._cache:
            return self._cache[cache_key]
        n_g, n_p = len(self.g_label), len(self.p_label)
        match = np.full(n_p, -1, dtype=np.int64)
        tier = np.zeros(n_p, dtype=np.int8)
        free_g = np.ones(n_g, dtype=bool)
        tiers = [self.key_span_label] + ([self.key_span] if cache_key[0] else [])
        for kg, kp in tiers:
            g_idx, p_idx = np.flatnonzero(free_g), np.flatnonzero(match < 0)
            j = _pair_identical(kg[g_idx], kp[p_idx])
            hit = j >= 0
            match[p_idx[hit]] = g_idx[j[hit]]
            tier[p_idx[hit]] = 1
            free_g[g_idx[j[hit]]] = False
        self._overlap_tier(match, tier, free_g, by_distance, per_label)
        self._cache[cache_key] = (match, tier)
        return match, tier

    def _overlap_tier(self, match, tier, free_g, by_distance: bool, per_label: bool) -> None:
        keep = (match[self.pair_p] < 0) & free_g[self.pair_g]
        if per_label:
            keep &= self.pair_same
        pi, gi = self.pair_p[keep], self.pair_g[keep]
        if by_distance:  # own label first, then closest boundaries, then gold order
            other = ~self.pair_same[keep]
            dist = np.where(other, 0, self.pair_dist[keep])
            order = np.lexsort((gi, dist, other, pi))
            pi, gi = pi[order], gi[order]
        if not len(pi):
            return
        first = np.flatnonzero(np.r_[True, pi[1:] != pi[:-1]])
        contested = np.bincount(gi, minlength=len(free_g))[gi] > 1
        hard = np.zeros(len(match), dtype=bool)
        hard[pi[contested]] = True
        easy = first[~hard[pi[first]]]  # no competitor: its first choice stands
        match[pi[easy]], tier[pi[easy]] = gi[easy], 2
        bounds = np.r_[first, len(pi)]
        taken: set[int] = set()
        for k in np.flatnonzero(hard[pi[first]]):  # competitors, in canonical order
            for j in range(bounds[k], bounds[k + 1]):
                g = int(gi[j])
                if g not in taken:
                    taken.add(g)
                    match[pi[j]], tier[pi[j]] = g, 2
                    break

    def assign(self, scheme: Scheme | str, *, per_label: bool = False) -> Assignment:
        """Pair predictions with gold spans under ``scheme``; categories per span."""
        scheme = Scheme.parse(scheme)
        rule = RULES[scheme]
        match, tier = self._match(rule.span_only_tier, rule.by_distance, per_label)
        cat = np.full(len(match), SPU, dtype=np.int8)
        cat[tier == 1] = COR
        second = tier == 2
        if scheme is Scheme.TYPE:
            same = self.g_label[match[second]] == self.p_label[second]
            cat[second] = np.where(same, COR, INC)
        else:
            cat[second] = rule.overlap_category
        gold_cat = np.full(len(self.g_label), MIS, dtype=np.int8)
        paired = match >= 0
        gold_cat[match[paired]] = cat[paired]
        # back to the caller's order
        pred_category = np.empty_like(cat)
        pred_category[self.p_order] = cat
        gold_category = np.empty_like(gold_cat)
        gold_category[self.g_order] = gold_cat
        pred_gold = np.full(len(match), -1, dtype=np.int64)
        pred_gold[self.p_order[paired]] = self.g_order[match[paired]]
        return Assignment(
            scheme, per_label, self.gold, self.pred, pred_category, gold_category, pred_gold
        )


# --------------------------------------------------------------------------- strategy


def check_min_overlap(value: float) -> float:
    """The overlap threshold as a float, or UsageError when it is not a percentage."""
    if not isinstance(value, (int, float)) or not 0 < value <= 100:
        raise UsageError(
            f"min_overlap must be a percentage of the gold span in (0, 100], got {value!r}; "
            "nervaluate's default is 1.0"
        )
    return float(value)


class Matcher:
    """A matching schema as a strategy object; arguments are checked here, once."""

    def __init__(
        self,
        scheme: Scheme | str = Scheme.STRICT,
        *,
        min_overlap: float = 1.0,
        per_label: bool = False,
    ):
        self.scheme = Scheme.parse(scheme)
        self.min_overlap = check_min_overlap(min_overlap)
        self.per_label = per_label

    def assign(self, gold: SpanArrays, pred: SpanArrays) -> Assignment:
        return Alignment(gold, pred, min_overlap=self.min_overlap).assign(
            self.scheme, per_label=self.per_label
        )

    def __repr__(self) -> str:
        return (
            f"Matcher({self.scheme.value!r}, min_overlap={self.min_overlap}, "
            f"per_label={self.per_label})"
        )


# --------------------------------------------------------------------------- plain functions


def match_entities(
    gold: Sequence[SpanLike],
    pred: Sequence[SpanLike],
    scheme: Scheme | str = Scheme.STRICT,
    *,
    min_overlap: float = 1.0,
) -> Counts:
    """Counts of one document's predictions against its gold entities under ``scheme``.

    Entities may be :class:`~goldwire.schema.Entity` objects, dicts with start/end/label or
    ``(start, end, label)`` tuples. Used by the annotate stage for pairwise agreement: the
    F1 of annotator A against annotator B is ``match_entities(a, b, "strict").scores().f1``.
    """
    return match_entity_docs([gold], [pred], scheme, min_overlap=min_overlap)


def match_entity_docs(
    gold_docs: Sequence[Sequence[SpanLike]],
    pred_docs: Sequence[Sequence[SpanLike]],
    scheme: Scheme | str = Scheme.STRICT,
    *,
    min_overlap: float = 1.0,
) -> Counts:
    """Summed counts over aligned per-document entity lists."""
    matcher = Matcher(scheme, min_overlap=min_overlap)
    gold, pred, _ = encode_units(gold_docs, pred_docs)
    return matcher.assign(gold, pred).total()


def match_entities_by_label(
    gold: Sequence[SpanLike],
    pred: Sequence[SpanLike],
    scheme: Scheme | str = Scheme.STRICT,
    *,
    min_overlap: float = 1.0,
) -> dict[str, Counts]:
    """Per-label counts for one document (each label matched on its own, as nervaluate)."""
    matcher = Matcher(scheme, min_overlap=min_overlap, per_label=True)
    g, p, labels = encode_units([gold], [pred])
    table = matcher.assign(g, p).unit_label_counts(1, len(labels))[0]
    return {label: Counts.from_row(table[i]) for i, label in enumerate(labels)}
