"""Error analysis of entity predictions: label confusions, most missed, most spurious.

Built from two assignments of the same corpus: ``partial`` (label-blind pairing by span
overlap, identical spans first) gives the label confusion matrix and the most frequent
confusions; ``strict`` gives what was missed outright (no prediction overlaps it) and what
was predicted with no gold entity near it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Protocol

import numpy as np

from goldwire.evaluate.counts import MIS, SPU
from goldwire.evaluate.matching import Assignment
from goldwire.evaluate.stance import normalize_name

MISSED_COLUMN = "(missed)"
SPURIOUS_ROW = "(spurious)"
CONTEXT_CHARS = 60


class Locator(Protocol):
    """Gives the surface text and a line of context of a span of a unit."""

    def unit_id(self, unit: int) -> str: ...

    def surface(self, unit: int, start: int, end: int) -> str: ...

    def context(self, unit: int, start: int, end: int) -> str: ...


def context_line(text: str, start: int, end: int, width: int = CONTEXT_CHARS) -> str:
    """The line around ``text[start:end]``, cut to ``width`` characters a side, span in «»."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    left = text[max(line_start, start - width) : start]
    right = text[end : min(line_end, end + width)]
    if start - width > line_start:
        left = "…" + left.lstrip()
    if end + width < line_end:
        right = right.rstrip() + "…"
    return f"{left}«{text[start:end]}»{right}".replace("\t", " ")


@dataclass
class DocLocator:
    """Locator over goldwire documents (character offsets)."""

    ids: Sequence[str]
    texts: Sequence[str]

    def unit_id(self, unit: int) -> str:
        return self.ids[unit]

    def surface(self, unit: int, start: int, end: int) -> str:
        return self.texts[unit][start:end]

    def context(self, unit: int, start: int, end: int) -> str:
        return context_line(self.texts[unit], start, end)


@dataclass
class TokenLocator:
    """Locator over tokenised sentences (token offsets), for CoNLL input."""

    ids: Sequence[str]
    sentences: Sequence[Sequence[str]]

    def unit_id(self, unit: int) -> str:
        return self.ids[unit]

    def surface(self, unit: int, start: int, end: int) -> str:
        return " ".join(self.sentences[unit][start:end])

    def context(self, unit: int, start: int, end: int) -> str:
        toks = self.sentences[unit]
        text = " ".join(toks)
        char_start = len(" ".join(toks[:start])) + (1 if start else 0)
        return context_line(text, char_start, char_start + len(self.surface(unit, start, end)))


@dataclass
class Confusion:
    gold: str
    pred: str
    count: int
    exact_span: int  # how many of them had exactly the gold span
    example: str  # a line of context with the gold span marked


@dataclass
class Frequent:
    text: str
    label: str
    count: int
    doc: str
    context: str


@dataclass
class Analysis:
    gold_labels: list[str]
    pred_labels: list[str]
    matrix: list[list[int]]  # rows gold labels + (spurious), columns pred labels + (missed)
    confusions: list[Confusion] = field(default_factory=list)
    missed: list[Frequent] = field(default_factory=list)
    spurious: list[Frequent] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "confusion_matrix": {
                "rows": self.gold_labels,
                "columns": self.pred_labels,
                "counts": self.matrix,
            },
            "confusions": [asdict(c) for c in self.confusions],
            "missed": [asdict(m) for m in self.missed],
            "spurious": [asdict(s) for s in self.spurious],
        }


def _frequent(assignment_side, category: int, labels, where: Locator, top: int) -> list[Frequent]:
    spans, cats = assignment_side
    idx = np.flatnonzero(cats == category)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    names: dict[str, str] = {}  # normalised surface, computed once per distinct surface
    columns = (spans.unit[idx], spans.start[idx], spans.end[idx], spans.label[idx])
    for i, u, s, e, lab in zip(idx.tolist(), *(c.tolist() for c in columns), strict=True):
        surface = where.surface(u, s, e)
        name = names.get(surface)
        if name is None:
            name = names[surface] = normalize_name(surface)
        groups[(name, labels[lab])].append(i)
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:top]
    out = []
    for (_, label), members in ranked:
        first = members[0]
        u, s, e = int(spans.unit[first]), int(spans.start[first]), int(spans.end[first])
        out.append(
            Frequent(
                where.surface(u, s, e),
                label,
                len(members),
                where.unit_id(u),
                where.context(u, s, e),
            )
        )
    return out


def analyse(
    strict: Assignment, partial: Assignment, labels: Sequence[str], where: Locator, *, top: int = 15
) -> Analysis:
    """Confusion matrix and top lists (see the module docstring)."""
    gold, pred = partial.gold, partial.pred
    k = len(labels)
    matrix = np.zeros((k + 1, k + 1), dtype=np.int64)
    paired = partial.pred_gold >= 0
    g_idx, p_idx = partial.pred_gold[paired], np.flatnonzero(paired)
    np.add.at(matrix, (gold.label[g_idx], pred.label[p_idx]), 1)
    np.add.at(matrix, (k, pred.label[partial.pred_category == SPU]), 1)
    np.add.at(matrix, (gold.label[partial.gold_category == MIS], k), 1)
    used = [i for i in range(k) if matrix[i].sum() or matrix[:, i].sum()]
    rows, cols = used + [k], used + [k]
    tally: Counter[tuple[str, str]] = Counter()
    exact: Counter[tuple[str, str]] = Counter()
    example: dict[tuple[str, str], str] = {}
    differ = gold.label[g_idx] != pred.label[p_idx]
    for g, p in zip(g_idx[differ].tolist(), p_idx[differ].tolist(), strict=True):
        key = (labels[gold.label[g]], labels[pred.label[p]])
        tally[key] += 1
        same = gold.start[g] == pred.start[p] and gold.end[g] == pred.end[p]
        exact[key] += int(same)
        if key not in example:
            example[key] = where.context(int(gold.unit[g]), int(gold.start[g]), int(gold.end[g]))
    confusions = [
        Confusion(g, p, n, exact[(g, p)], example[(g, p)])
        for (g, p), n in sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    ]
    names = list(labels)
    return Analysis(
        [names[i] for i in used] + [SPURIOUS_ROW],
        [names[i] for i in used] + [MISSED_COLUMN],
        matrix[np.ix_(rows, cols)].tolist(),
        confusions,
        _frequent((strict.gold, strict.gold_category), MIS, names, where, top),
        _frequent((strict.pred, strict.pred_category), SPU, names, where, top),
    )
