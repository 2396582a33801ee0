"""Scores from summed counts, vectorised so that one function serves the point estimate
and every bootstrap resample (rows of a ``resamples x columns`` matrix of sums).

Float expressions are nervaluate's and seqeval's, so figures are identical, not just close:
precision ``(COR + 0.5 PAR) / ACT``, recall ``(COR + 0.5 PAR) / POS``, F1
``2 (P R) / (P + R)``, macro = unweighted mean over labels, weighted = support-weighted
mean (seqeval's ``weighted avg``); a ratio with a zero denominator is 0.0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from goldwire.evaluate.counts import COR, INC, MIS, N_COUNTS, PAR, PARTIAL_CREDIT, SPU

Statistic = Callable[[np.ndarray], dict[str, np.ndarray]]
"""Maps summed counts ``(resamples, columns)`` to named figures, each ``(resamples,)``."""


def divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Elementwise ratio, 0.0 where the denominator is 0."""
    numerator = np.asarray(numerator, dtype=np.float64)
    out = np.zeros(np.broadcast_shapes(numerator.shape, np.shape(denominator)))
    return np.divide(numerator, denominator, out=out, where=np.asarray(denominator) > 0)


def prf(sums: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall, F1 from counts in the last axis (COR INC PAR MIS SPU)."""
    sums = np.asarray(sums, dtype=np.float64)
    credit = sums[..., COR] + PARTIAL_CREDIT * sums[..., PAR]
    actual = sums[..., COR] + sums[..., INC] + sums[..., PAR] + sums[..., SPU]
    possible = sums[..., COR] + sums[..., INC] + sums[..., PAR] + sums[..., MIS]
    precision = divide(credit, actual)
    recall = divide(credit, possible)
    f1 = divide(2 * (precision * recall), precision + recall)
    return precision, recall, f1


def support(sums: np.ndarray) -> np.ndarray:
    """POS: gold items, from counts in the last axis."""
    return sums[..., COR] + sums[..., INC] + sums[..., PAR] + sums[..., MIS]


def labelled_statistic(labels: Sequence[str], *, weighted: bool = False) -> Statistic:
    """Micro, macro (and weighted) P/R/F1 and per-label P/R/F1.

    Columns: ``(1 + len(labels)) x 5`` counts, first the overall (micro) counts, then one
    group of five per label. Macro averages run over the given labels (those seen in gold or
    predictions, as seqeval and nervaluate report them); with no label they are 0.0.
    """
    labels = list(labels)
    n = 1 + len(labels)

    def statistic(sums: np.ndarray) -> dict[str, np.ndarray]:
        groups = np.asarray(sums, dtype=np.float64).reshape(len(sums), n, N_COUNTS)
        p, r, f = prf(groups)
        out: dict[str, np.ndarray] = {}
        for name, values in (("precision", p), ("recall", r), ("f1", f)):
            out[f"micro.{name}"] = values[:, 0]
            per_label = values[:, 1:]
            out[f"macro.{name}"] = per_label.mean(axis=1) if labels else np.zeros(len(values))
            if weighted:
                w = support(groups[:, 1:])
                out[f"weighted.{name}"] = divide((per_label * w).sum(axis=1), w.sum(axis=1))
            for i, label in enumerate(labels):
                out[f"label.{label}.{name}"] = per_label[:, i]
        return out

    return statistic


# --------------------------------------------------------------------------- classification


def classification_statistic(
    classes: Sequence[str],
    *,
    opinion: Sequence[str] | None = None,
    fnc: bool = False,
) -> Statistic:
    """Accuracy, macro-F1, per-class P/R/F1, SemEval-2016 and FNC-1 scores from counts.

    Columns: for each class ``tp pred gold``, then ``correct total fnc_score4 fnc_max4``
    (FNC-1 points times four, so they stay integers). F1 is ``2 tp / (gold + pred)``,
    scikit-learn's expression. ``opinion`` names the two classes whose mean F1 is the
    SemEval-2016 Task 6 score (FAVOR/AGAINST there).
    """
    classes = list(classes)
    k = len(classes)
    index = {c: i for i, c in enumerate(classes)}

    def statistic(sums: np.ndarray) -> dict[str, np.ndarray]:
        sums = np.asarray(sums, dtype=np.float64)
        per = sums[:, : 3 * k].reshape(len(sums), k, 3)
        tp, pred, gold = per[..., 0], per[..., 1], per[..., 2]
        precision, recall = divide(tp, pred), divide(tp, gold)
        f1 = divide(2 * tp, gold + pred)
        correct, total, score, best = (sums[:, 3 * k + i] for i in range(4))
        out = {
            "accuracy": divide(correct, total),
            "macro_f1": f1.mean(axis=1) if k else np.zeros(len(sums)),
        }
        for i, c in enumerate(classes):
            out[f"class.{c}.precision"] = precision[:, i]
            out[f"class.{c}.recall"] = recall[:, i]
            out[f"class.{c}.f1"] = f1[:, i]
        if opinion is not None:
            out["semeval2016"] = (f1[:, index[opinion[0]]] + f1[:, index[opinion[1]]]) / 2
        if fnc:
            out["fnc1"] = divide(score, best)
        return out

    return statistic


def fnc_points4(gold: str, pred: str | None, unrelated: str) -> tuple[int, int]:
    """FNC-1 points (times four) of one pair, and the most it could score (times four).

    +0.25 when the related/unrelated decision is right, a further +0.75 when a related pair
    gets its exact label (the official scorer's arithmetic).
    """
    related_gold = gold != unrelated
    best = 4 if related_gold else 1
    if pred is None:
        return 0, best
    related_pred = pred != unrelated
    points = 1 if related_gold == related_pred else 0
    if related_gold and pred == gold:
        points += 3
    return points, best
