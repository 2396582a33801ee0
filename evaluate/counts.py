"""Addable count objects. Every score is a ratio of summed counts, computed last.

One shape serves every matching task: the five SemEval-2013 categories (as nervaluate
counts them) ``COR INC PAR MIS SPU``. Plain true/false positive counting is the special case
``INC = PAR = 0``: ``COR`` = TP, ``SPU`` = FP, ``MIS`` = FN. So entity schemas, stance
mentions, stance triples and conlleval views all share :class:`Counts`, its per-unit table
form (a ``units x 5`` integer array, see :mod:`goldwire.evaluate.metrics`) and the bootstrap.

The empty case is decided explicitly and as seqeval and nervaluate decide it: a ratio whose
denominator is 0 is 0.0 (precision with nothing predicted, recall with nothing in gold,
F1 when precision + recall is 0).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

COUNT_FIELDS = ("cor", "inc", "par", "mis", "spu")
COR, INC, PAR, MIS, SPU = range(5)
N_COUNTS = len(COUNT_FIELDS)

PARTIAL_CREDIT = 0.5
"""Weight of a partial match (PAR) in precision and recall, as in SemEval-2013 Task 9.1."""


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, or 0.0 when the denominator is 0 (the empty case)."""
    return numerator / denominator if denominator > 0 else 0.0


def f1_from(precision: float, recall: float) -> float:
    """Harmonic mean with nervaluate's and seqeval's exact float expression; 0.0 if both are 0."""
    total = precision + recall
    return 2 * (precision * recall) / total if total > 0 else 0.0


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float

    def to_dict(self) -> dict[str, float]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1}


@dataclass(frozen=True)
class Counts:
    """SemEval-2013 match counts: correct, incorrect, partial, missed, spurious."""

    cor: int = 0
    inc: int = 0
    par: int = 0
    mis: int = 0
    spu: int = 0

    @classmethod
    def from_tp(cls, tp: int, fp: int, fn: int) -> Counts:
        """Plain counting: true positives, false positives, false negatives."""
        return cls(cor=tp, spu=fp, mis=fn)

    @classmethod
    def from_row(cls, row) -> Counts:
        """From a sequence of five numbers in :data:`COUNT_FIELDS` order."""
        return cls(*(int(v) for v in row))

    def __add__(self, other: Counts) -> Counts:
        if not isinstance(other, Counts):
            return NotImplemented
        return Counts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def __radd__(self, other: object) -> Counts:
        if other == 0:  # so that sum() works
            return self
        return NotImplemented  # type: ignore[return-value]

    @property
    def possible(self) -> int:
        """POS: gold items (COR + INC + PAR + MIS)."""
        return self.cor + self.inc + self.par + self.mis

    @property
    def actual(self) -> int:
        """ACT: predicted items (COR + INC + PAR + SPU)."""
        return self.cor + self.inc + self.par + self.spu

    @property
    def credit(self) -> float:
        """COR + 0.5 PAR: the numerator of precision and recall."""
        return self.cor + PARTIAL_CREDIT * self.par

    def scores(self) -> PRF:
        precision = ratio(self.credit, self.actual)
        recall = ratio(self.credit, self.possible)
        return PRF(precision, recall, f1_from(precision, recall))

    def as_row(self) -> tuple[int, int, int, int, int]:
        return (self.cor, self.inc, self.par, self.mis, self.spu)

    def to_dict(self) -> dict[str, int]:
        out = {name: getattr(self, name) for name in COUNT_FIELDS}
        out["possible"] = self.possible
        out["actual"] = self.actual
        return out
