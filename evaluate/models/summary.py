"""The summary of a benchmark (:func:`goldwire.evaluate.models.run.benchmark`), rendered.

* :func:`run_lines`: what each run did (training and prediction time, peak memory, the
  model's warnings), the lines ``goldwire evaluate benchmark`` prints after the runs;
* :func:`summary_rows` under :data:`SUMMARY_HEADER`: one row per run (figures, time per
  1,000 documents, peak memory), for the command's table and for ``bench/models.py``;
* :func:`summary_markdown`: ``benchmark.md``;
* :func:`headline_figures`: the figures of one task that the summary shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from goldwire.evaluate.models.run import BenchmarkResult, ModelRun


def run_lines(run: ModelRun) -> list[str]:
    """What one run did, a line a fact: training, the model's warnings, prediction."""
    lines = []
    t, p = run.trained, run.predicted
    if t:
        lines.append(
            f"{run.name}: trained in {t['seconds']:.1f} s, peak RSS {t['peak_rss_mb']:.0f} MB"
        )
    lines += [f"{run.name}: warning: {warning}" for warning in p.get("warnings", [])]
    lines.append(
        f"{run.name}: {p['documents']} documents in {p['seconds']:.2f} s "
        f"({p['docs_per_second']} documents/s), peak RSS {p['peak_rss_mb']:.0f} MB"
    )
    return lines


def figure_text(fig: dict[str, Any] | None) -> str:
    """A headline figure (``{value, ci}``) as the reports write it, ``–`` when missing."""
    from goldwire.evaluate.bootstrap import Estimate
    from goldwire.evaluate.report import format as fmt

    if not fig:
        return "–"
    ci = fig.get("ci")
    return fmt.estimate(Estimate(fig["value"], *(ci if ci else (None, None))))


def summary_rows(result: BenchmarkResult, separator: str = "; ") -> list[list[str]]:
    """One row per run under :data:`SUMMARY_HEADER` (``separator`` between figures)."""
    rows = []
    for r in result.runs:
        p = r.predicted
        t = r.trained or {}
        figs = separator.join(f"{k} {figure_text(v)}" for k, v in r.figures.items()) or "not scored"
        rows.append(
            [
                r.name,
                r.task,
                figs,
                str(p.get("documents", "")),
                f"{p.get('seconds_per_1000', 0):.2f}",
                f"{p.get('peak_rss_mb', 0):.0f} ({p.get('rss_before_mb', 0):.0f})",
                f"{t['seconds']:.1f}" if t else "–",
                f"{t['peak_rss_mb']:.0f} ({t['rss_before_mb']:.0f})" if t else "–",
            ]
        )
    return rows


SUMMARY_HEADER = [
    "model",
    "task",
    "figures (percent, 95% CI)",
    "documents",
    "predict s / 1,000 docs",
    "predict peak RSS MB (at start)",
    "train s",
    "train peak RSS MB (at start)",
]


def summary_markdown(result: BenchmarkResult) -> str:
    """``benchmark.md``: the gold, the command, the caveats, the table, the reports."""
    lines = ["# goldwire benchmark", ""]
    split = f" [{result.split}]" if result.split else ""
    noun = "document" if result.documents == 1 else "documents"
    lines += [f"Gold: {result.gold}{split}, {result.documents} {noun}.", ""]
    if result.command:
        lines += ["Command:", "", f"    {result.command}", ""]
    for c in result.caveats:
        lines += [f"**Caveat.** {c}", ""]
    lines.append("| " + " | ".join(SUMMARY_HEADER) + " |")
    lines.append("|" + "|".join("---" for _ in SUMMARY_HEADER) + "|")
    for row in summary_rows(result):
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
    isolated = all(r.predicted.get("isolated") for r in result.runs)
    lines += [
        "",
        "Time: the model's own work (predicting and writing the predictions; fitting "
        "and saving), not loading. Peak RSS: the whole process (interpreter, libraries, "
        "documents) while the model worked; in brackets what it held when the model "
        "started"
        + (
            "; each phase ran in its own process."
            if isolated
            else "; all models ran in one process (--no-isolate), so later models may "
            "show memory earlier ones left."
        ),
        "",
    ]
    for task, files in result.reports.items():
        lines.append(f"- {task}: {files[0]}")
    return "\n".join(lines) + "\n"


def headline_figures(result, task: str) -> dict[str, Any]:
    """The figures of a task that the summary shows, as ``{name: {value, ci}}``."""
    from goldwire.evaluate.models.base import Task

    wanted = {
        Task.ENTITIES.value: [
            ("entities.strict", "micro.precision", "strict precision"),
            ("entities.strict", "micro.recall", "strict recall"),
            ("entities.strict", "micro.f1", "strict f1"),
            ("entities.strict", "macro.f1", "strict macro f1"),
        ],
        Task.STANCES.value: [
            ("stances.entity", "micro.precision", "triple precision"),
            ("stances.entity", "micro.recall", "triple recall"),
            ("stances.entity", "micro.f1", "triple f1"),
            ("stances.mention_strict", "micro.f1", "mention strict f1"),
            ("stances.mention_relaxed", "micro.f1", "mention relaxed f1"),
        ],
        Task.DOC_STANCES.value: [
            ("doc_stances", f, f) for f in ("accuracy", "macro_f1", "fnc1", "semeval2016")
        ],
    }[task]
    out: dict[str, Any] = {}
    for section, figure, label in wanted:
        sec = result.sections.get(section)
        if sec is None or figure not in sec.figures:
            continue
        if section.startswith("stances.mention"):
            excluded = sec.extra.get("excluded_without_offsets", {})
            total = sec.counts()["micro"].possible + excluded.get("gold", 0)
            if not total or excluded.get("gold", 0) == total:
                continue  # name-only gold: no mention level
        out[label] = sec.figures[figure].to_dict()
    return out
