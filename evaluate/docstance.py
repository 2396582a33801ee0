"""Document-level stance (one label per document and target, as in FNC-1 and SemEval-2016).

Gold and predicted ``doc_stances`` pair by document and normalised target (through the alias
table when given). Every gold pair is scored; a gold pair without a prediction counts as
wrong (it is in no predicted class); predictions for targets the gold does not have are
counted and reported, not scored.

Figures: accuracy, macro-F1 and per-class precision/recall/F1 (scikit-learn), the confusion
matrix, the SemEval-2016 Task 6 score (mean F1 of the two opinion classes, FAVOR/AGAINST
there, SUPPORT/OPPOSE in goldwire's labels) and the FNC-1 relative score when the labels are
FNC-1's (agree, disagree, discuss, unrelated).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from goldwire.errors import UsageError
from goldwire.evaluate.metrics import classification_statistic, fnc_points4
from goldwire.evaluate.stance import AliasTable, normalize_name
from goldwire.schema import Document

MISSING = "(no prediction)"
FNC_LABELS = frozenset({"agree", "disagree", "discuss", "unrelated"})
OPINION_ALTERNATIVES = (("SUPPORT", "OPPOSE"), ("FAVOR", "AGAINST"), ("agree", "disagree"))


@dataclass
class DocStancePairs:
    """Gold (document, target) pairs with the predicted label of each (None if missing)."""

    doc_index: list[int] = field(default_factory=list)
    target: list[str] = field(default_factory=list)
    gold: list[str] = field(default_factory=list)
    pred: list[str | None] = field(default_factory=list)
    unpaired_predictions: int = 0

    def __len__(self) -> int:
        return len(self.gold)

    @property
    def y_pred(self) -> list[str]:
        return [MISSING if p is None else p for p in self.pred]


def pair_doc_stances(
    gold_docs: Sequence[Document],
    pred_docs: Sequence[Document | None],
    alias: AliasTable | None = None,
) -> DocStancePairs:
    """Pair gold and predicted document stances by document and normalised target."""
    key = alias.canonical if alias is not None else normalize_name
    pairs = DocStancePairs()
    for i, (gold, pred) in enumerate(zip(gold_docs, pred_docs, strict=True)):
        predicted: dict[str, str] = {}
        if pred is not None:
            for d in pred.doc_stances:
                predicted.setdefault(key(d.target), d.label)
        used = set()
        for d in gold.doc_stances:
            k = key(d.target)
            if k in used:
                continue
            used.add(k)
            pairs.doc_index.append(i)
            pairs.target.append(d.target)
            pairs.gold.append(d.label)
            pairs.pred.append(predicted.get(k))
        pairs.unpaired_predictions += len(predicted.keys() - used)
    return pairs


@dataclass(frozen=True)
class DocStanceSetup:
    """Which classes are scored and which special scores apply."""

    classes: tuple[str, ...]
    opinion: tuple[str, str] | None
    unrelated: str | None  # the FNC-1 'unrelated' label when the labels are FNC-1's

    @classmethod
    def infer(
        cls,
        pairs: DocStancePairs,
        schema_labels: Sequence[str] = (),
        opinion: Sequence[str] | None = None,
    ) -> DocStanceSetup:
        seen = set(pairs.gold) | {p for p in pairs.pred if p is not None}
        order = [c for c in schema_labels if c in seen] + sorted(seen - set(schema_labels))
        if opinion is not None:
            if len(opinion) != 2:
                raise UsageError(f"give exactly two opinion labels, got {list(opinion)}")
            chosen: tuple[str, str] | None = (opinion[0], opinion[1])
            missing = [c for c in chosen if c not in order]
            order += missing
        else:
            chosen = next(
                (alt for alt in OPINION_ALTERNATIVES if all(c in seen for c in alt)), None
            )
        gold_lower = {g.lower() for g in pairs.gold}
        unrelated = None
        if gold_lower and gold_lower <= FNC_LABELS:
            unrelated = next((c for c in order if c.lower() == "unrelated"), "unrelated")
        return cls(tuple(order), chosen, unrelated)


def doc_stance_counts(pairs: DocStancePairs, setup: DocStanceSetup, n_docs: int) -> np.ndarray:
    """Per-document counts for :func:`classification_statistic` (``n_docs x (3k + 4)``)."""
    k = len(setup.classes)
    index = {c: i for i, c in enumerate(setup.classes)}
    out = np.zeros((n_docs, 3 * k + 4), dtype=np.int64)
    for d, gold, pred in zip(pairs.doc_index, pairs.gold, pairs.pred, strict=True):
        g = index[gold]
        out[d, 3 * g + 2] += 1
        if pred is not None:
            out[d, 3 * index[pred] + 1] += 1
            if pred == gold:
                out[d, 3 * g] += 1
                out[d, 3 * k] += 1
        out[d, 3 * k + 1] += 1
        if setup.unrelated is not None:
            points, best = fnc_points4(gold, pred, setup.unrelated)
            out[d, 3 * k + 2] += points
            out[d, 3 * k + 3] += best
    return out


def statistic_for(setup: DocStanceSetup):
    return classification_statistic(
        setup.classes, opinion=setup.opinion, fnc=setup.unrelated is not None
    )


@dataclass(frozen=True)
class SklearnView:
    """The figures scikit-learn gives for the pairs (the reference the counts must match)."""

    accuracy: float
    macro_f1: float
    precision: list[float]
    recall: list[float]
    f1: list[float]
    support: list[int]
    confusion_labels: list[str]
    confusion: list[list[int]]


def sklearn_view(pairs: DocStancePairs, setup: DocStanceSetup) -> SklearnView:
    """Accuracy, macro-F1, per-class P/R/F1 and the confusion matrix from scikit-learn."""
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    labels = list(setup.classes)
    y_true, y_pred = pairs.gold, pairs.y_pred
    cm_labels = labels + ([MISSING] if MISSING in y_pred else [])
    with warnings.catch_warnings():  # "a single label was found": we pass all labels
        warnings.simplefilter("ignore", UserWarning)
        p, r, f, s = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=None, zero_division=0
        )
        _, _, macro, _ = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average="macro", zero_division=0
        )
        cm = confusion_matrix(y_true, y_pred, labels=cm_labels)
    return SklearnView(
        float(accuracy_score(y_true, y_pred)),
        float(macro),
        [float(x) for x in p],
        [float(x) for x in r],
        [float(x) for x in f],
        [int(x) for x in s],
        cm_labels,
        cm.tolist(),
    )
