"""The report model: ranked runs, paired tests against the best run, leaderboard columns, and
the caveats that head the report (the benchmark's "only 8 documents", the documents left out
for want of gold), in every rendering."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from goldwire.errors import UsageError
from goldwire.evaluate.bootstrap import Comparison, Estimate
from goldwire.evaluate.scoring import ScoreResult, compare

# (column heading, section, figure), shown when the best run has the section
LEADERBOARD_COLUMNS = (
    ("conlleval F1", "conll.conlleval", "micro.f1"),
    ("strict F1", "entities.strict", "micro.f1"),
    ("exact F1", "entities.exact", "micro.f1"),
    ("partial F1", "entities.partial", "micro.f1"),
    ("type F1", "entities.type", "micro.f1"),
    ("strict macro-F1", "entities.strict", "macro.f1"),
    ("stance mention F1", "stances.mention_strict", "micro.f1"),
    ("stance triple F1", "stances.entity", "micro.f1"),
    ("doc stance macro-F1", "doc_stances", "macro_f1"),
    ("SemEval-2016", "doc_stances", "semeval2016"),
    ("FNC-1", "doc_stances", "fnc1"),
)

MAIN_CANDIDATES = (
    ("conll.conlleval", "micro.f1"),
    ("entities.strict", "micro.f1"),
    ("stances.entity", "micro.f1"),
    ("doc_stances", "macro_f1"),
)


def main_figure(result: ScoreResult) -> tuple[str, str]:
    """The figure runs are ranked by: conlleval or strict entity micro-F1 when there are
    entities, else stance triple F1, else document-stance macro-F1."""
    for section, figure in MAIN_CANDIDATES:
        sec = result.sections.get(section)
        if sec is not None and figure in sec.figures and (sec.kind != "labelled" or sec.labels):
            return section, figure
    return next(iter(result.sections), "entities.strict"), "micro.f1"  # none: nothing scored


@dataclass
class RunEntry:
    name: str
    result: ScoreResult
    vs_best: dict[str, dict[str, Comparison]] | None = None  # None for the best run

    def figure(self, section: str, figure: str) -> Estimate | None:
        sec = self.result.sections.get(section)
        return None if sec is None else sec.figures.get(figure)


@dataclass
class Report:
    gold: str
    split: str | None
    runs: list[RunEntry]
    main: tuple[str, str]
    alpha: float = 0.05
    columns: list[tuple[str, str, str]] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)

    @property
    def best(self) -> RunEntry:
        return self.runs[0]

    def main_comparison(self, entry: RunEntry) -> Comparison | None:
        if entry.vs_best is None:
            return None
        return entry.vs_best.get(self.main[0], {}).get(self.main[1])

    def mark(self, entry: RunEntry) -> str:
        """``best``; ``*`` significantly below the best (p < alpha); ``≈`` not significantly."""
        if entry is self.best:
            return "best"
        comp = self.main_comparison(entry)
        if comp is None or comp.p_value is None:
            return ""
        return "*" if comp.p_value < self.alpha else "≈"

    def to_dict(self) -> dict[str, Any]:
        board = []
        for rank, entry in enumerate(self.runs, 1):
            comp = self.main_comparison(entry)
            board.append(
                {
                    "rank": rank,
                    "run": entry.name,
                    "pred": entry.result.source.get("pred"),
                    "mark": self.mark(entry),
                    "figures": {
                        f"{s}/{f}": est.to_dict()
                        for _, s, f in self.columns
                        if (est := entry.figure(s, f)) is not None
                    },
                    "vs_best": None if comp is None else comp.to_dict(),
                }
            )
        return {
            "gold": self.gold,
            "split": self.split,
            "caveats": list(self.caveats),
            "main_figure": "/".join(self.main),
            "alpha": self.alpha,
            "significance": "paired bootstrap test against the best run "
            "(Berg-Kirkpatrick et al. 2012)",
            "leaderboard": board,
            "runs": {
                e.name: {
                    **e.result.to_dict(),
                    "vs_best": None
                    if e.vs_best is None
                    else {
                        s: {f: c.to_dict() for f, c in figs.items()}
                        for s, figs in e.vs_best.items()
                    },
                }
                for e in self.runs
            },
        }


def _predicts_entities(runs: Sequence[tuple[str, ScoreResult]], section: str) -> bool:
    """Whether any run predicted an entity: stance-only runs get no entity columns (their
    entity F1 would read 0.00 against a gold that has entities)."""
    for _, result in runs:
        sec = result.sections.get(section)
        if sec is not None:
            cor, inc, par, _mis, spu = sec.block.counts[:, :5].sum(axis=0)
            if cor + inc + par + spu > 0:
                return True
    return False


def build_report(
    runs: Sequence[tuple[str, ScoreResult]], *, alpha: float = 0.05, caveats: Sequence[str] = ()
) -> Report:
    """Rank scored runs on the same gold and test each against the best; ``caveats`` are
    said first, under the title, followed by what the scoring left out of the gold (the
    documents without gold, layers not scored: ``documents["notes"]`` of the results)."""
    if not runs:
        raise UsageError("give at least one run to report on")
    names = [n for n, _ in runs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UsageError(
            f"run names must differ, {', '.join(dupes)} is given twice; name runs as name=path"
        )
    main = main_figure(runs[0][1])

    def key(item: tuple[str, ScoreResult]) -> tuple[float, str]:
        sec = item[1].sections.get(main[0])
        est = sec.figures.get(main[1]) if sec else None
        return (-(est.value if est else 0.0), item[0])

    ranked = [RunEntry(n, r) for n, r in sorted(runs, key=key)]
    best = ranked[0]
    for entry in ranked[1:]:
        entry.vs_best = compare(best.result, entry.result)
    columns = [
        c
        for c in LEADERBOARD_COLUMNS
        if c[1] in best.result.sections
        and c[2] in best.result.sections[c[1]].figures
        and (not c[1].startswith("entities.") or _predicts_entities(runs, c[1]))
    ]
    first = runs[0][1]
    said = list(caveats)
    said += [n for n in first.documents.get("notes", []) if n not in said]
    return Report(
        first.source.get("gold", ""), first.source.get("split"), ranked, main, alpha, columns, said
    )
