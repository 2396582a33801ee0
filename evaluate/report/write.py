"""Rendering a :class:`Report`: one content list (headings, paragraphs, the report's caveats,
tables, images), a Markdown and an HTML renderer, and the writer of the three files (through
:mod:`goldwire.files`, each written atomically)."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path

from goldwire import files
from goldwire.evaluate.report import format as fmt
from goldwire.evaluate.report import plots
from goldwire.evaluate.report.build import Report, RunEntry
from goldwire.evaluate.scoring import Section

SCHEMA_SECTIONS = ("entities.strict", "entities.exact", "entities.partial", "entities.type")
STANCE_SECTIONS = {
    "stances.mention_strict": "mention, strict",
    "stances.mention_relaxed": "mention, relaxed",
    "stances.entity": "entity triples",
}


@dataclass
class Heading:
    text: str
    level: int = 2


@dataclass
class Para:
    text: str


@dataclass
class Caveat:
    """A warning about the whole report, said right under its title."""

    text: str


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    title: str = ""


@dataclass
class Image:
    """A plot, drawn (matplotlib) only when a renderer asks for its ``png``: a report made
    where matplotlib is not installed leaves its images out (:func:`write_report`)."""

    key: str
    title: str
    draw: Callable[[], bytes] = field(repr=False)

    @cached_property
    def png(self) -> bytes:
        return self.draw()


Content = Heading | Para | Caveat | Table | Image


# --------------------------------------------------------------------------- content


def _leaderboard(report: Report) -> list[Content]:
    resamples = report.best.result.options.resamples
    header = ["#", "run", "sig."] + [c[0] for c in report.columns] + ["Δ vs best", "p"]
    rows = []
    for rank, entry in enumerate(report.runs, 1):
        comp = report.main_comparison(entry)
        rows.append(
            [str(rank), entry.name, report.mark(entry)]
            + [fmt.estimate(entry.figure(s, f)) for _, s, f in report.columns]
            + [fmt.delta(comp), fmt.p_value(comp.p_value if comp else None, resamples)]
        )
    main_col = next(
        (c[0] for c in report.columns if (c[1], c[2]) == report.main), "/".join(report.main)
    )
    out: list[Content] = [
        Heading("Leaderboard"),
        Para(
            f"Ranked by {main_col}. Scores in percent with {_ci_words(report)}. "
            f"Δ and p: paired bootstrap test of each run against the best "
            f"(Berg-Kirkpatrick et al. 2012) on {main_col}; "
            f"* = significantly below the best (p < {report.alpha}), "
            "≈ = not significantly different."
        ),
        Table(header, rows),
    ]
    values = [entry.figure(*report.main) for entry in report.runs]
    if all(v is not None for v in values):
        draw = partial(
            plots.leaderboard,
            [e.name for e in report.runs],
            [(v.value, v.low, v.high) for v in values if v is not None],
            main_col,
        )
        out.append(Image("leaderboard", f"{main_col} by run", draw))
    return out


def _ci_words(report: Report) -> str:
    o = report.best.result.options
    if not o.resamples:
        return "no confidence intervals (bootstrap off)"
    return (
        f"{round(o.confidence * 100)}% bootstrap confidence intervals "
        f"({o.resamples} resamples of {report.best.result.documents.get('unit', 'document')}s, "
        f"seed {o.seed})"
    )


def _main_entity_section(entry: RunEntry) -> Section | None:
    for name in ("conll.conlleval", "entities.strict"):
        sec = entry.result.sections.get(name)
        if sec is not None and sec.labels:
            return sec
    return None


def _per_label_plot(report: Report) -> list[Content]:
    sections = [(e.name, _main_entity_section(e)) for e in report.runs]
    labels = sorted({lab for _, s in sections if s for lab in s.labels})
    if not labels:
        return []
    runs = []
    for name, sec in sections:
        vals = []
        for lab in labels:
            est = sec.figures.get(f"label.{lab}.f1") if sec else None
            vals.append((est.value, est.low, est.high) if est else (0.0, None, None))
        runs.append((name, vals))
    title = sections[0][1].title if sections[0][1] else "F1 by label"
    return [
        Heading("F1 by label"),
        Image(
            "f1_by_label",
            "F1 by label with confidence intervals",
            partial(plots.f1_by_label, labels, runs, title),
        ),
    ]


def _labelled_table(sec: Section, extra_f1: dict[str, Section] | None = None) -> Table:
    counts = sec.counts()
    others = extra_f1 or {}
    header = ["", "support", "P", "R", "F1"] + [f"{n.split('.')[-1]} F1" for n in others]
    rows = []
    averages = ["micro", "macro"] + (["weighted"] if sec.weighted else [])
    for avg in averages:
        rows.append(
            [avg, str(counts["micro"].possible) if avg != "macro" else ""]
            + [fmt.estimate(sec.figures.get(f"{avg}.{m}")) for m in ("precision", "recall", "f1")]
            + [fmt.estimate(o.figures.get(f"{avg}.f1")) for o in others.values()]
        )
    for lab in sec.labels:
        rows.append(
            [lab, str(counts[lab].possible)]
            + [
                fmt.estimate(sec.figures.get(f"label.{lab}.{m}"))
                for m in ("precision", "recall", "f1")
            ]
            + [fmt.estimate(o.figures.get(f"label.{lab}.f1")) for o in others.values()]
        )
    return Table(header, rows, sec.title)


def _stance_table(sections: list[Section]) -> Table:
    """One row per stance matching level (micro), then per label when there are several."""
    rows = []
    for sec in sections:
        c = sec.counts()
        keys = [("micro", "micro")] + (
            [(lab, f"label.{lab}") for lab in sec.labels] if len(sec.labels) > 1 else []
        )
        for name, key in keys:
            level = STANCE_SECTIONS[sec.name] + ("" if name == "micro" else f": {name}")
            counts = c["micro" if name == "micro" else name]
            rows.append(
                [level, str(counts.possible), str(counts.actual)]
                + [
                    fmt.estimate(sec.figures.get(f"{key}.{m}"))
                    for m in ("precision", "recall", "f1")
                ]
            )
    return Table(
        ["level", "support", "predictions", "P", "R", "F1"],
        rows,
        "Stances (mention level: spans; entity level: normalised name triples)",
    )


def _classification(sec: Section) -> list[Content]:
    figs = [
        (n, sec.figures.get(k))
        for n, k in (
            ("accuracy", "accuracy"),
            ("macro-F1", "macro_f1"),
            (
                "SemEval-2016 (F1 mean of "
                + "/".join(sec.extra.get("opinion_classes") or [])
                + ")",
                "semeval2016",
            ),
            ("FNC-1 relative score", "fnc1"),
        )
    ]
    out: list[Content] = [
        Table(
            ["figure", "value"], [[n, fmt.estimate(e)] for n, e in figs if e is not None], sec.title
        ),
        Para(
            f"{sec.extra['pairs']} gold (document, target) pairs, "
            f"{sec.extra['pairs_without_prediction']} without a prediction (counted wrong), "
            f"{sec.extra['predictions_for_targets_not_in_gold']} predictions for targets "
            "the gold does not have (not scored)."
        ),
        Table(
            ["class", "support", "P", "R", "F1"],
            [
                [c, str(sec.extra["support"].get(c, 0))]
                + [
                    fmt.estimate(sec.figures.get(f"class.{c}.{m}"))
                    for m in ("precision", "recall", "f1")
                ]
                for c in sec.labels
            ],
        ),
    ]
    cm = sec.extra["confusion_matrix"]
    out.append(
        Image(
            f"docstance_confusion_{id(sec)}",
            "Document stance confusion matrix",
            partial(
                plots.heatmap,
                cm["rows"],
                cm["columns"],
                cm["counts"],
                "Document stance: confusion matrix",
            ),
        )
    )
    return out


def _run_content(entry: RunEntry) -> list[Content]:
    res = entry.result
    docs = res.documents
    out: list[Content] = [
        Heading(f"Run: {entry.name}"),
        Para(
            f"Predictions {res.source.get('pred')}; "
            f"{docs.get('gold')} {docs.get('unit', 'document')}s, "
            f"{docs.get('without_prediction', 0)} without a prediction "
            f"(scored as predicting nothing), "
            f"{len(docs.get('skipped', []))} items skipped (--lenient)."
        ),
    ]
    for note in docs.get("prediction_notes", []):
        out.append(Para(f"Not scored: {note}."))
    for msg in docs.get("skipped", [])[:10]:
        out.append(Para(f"skipped: {msg}"))
    main = _main_entity_section(entry)
    if main is not None:
        others = {
            n: res.sections[n] for n in SCHEMA_SECTIONS if n in res.sections and n != main.name
        }
        out.append(_labelled_table(main, others))
    if "conll.iob2_strict" in res.sections:
        out.append(_labelled_table(res.sections["conll.iob2_strict"]))
    stances = [
        res.sections[n] for n in STANCE_SECTIONS if n in res.sections and res.sections[n].labels
    ]
    if stances:
        out.append(_stance_table(stances))
    if "doc_stances" in res.sections:
        out += _classification(res.sections["doc_stances"])
    out += _analysis(entry)
    return out


def _analysis(entry: RunEntry) -> list[Content]:
    a = entry.result.analysis
    if a is None or len(a.gold_labels) <= 1:
        return []
    out: list[Content] = [
        Heading(f"Error analysis: {entry.name}", 3),
        Image(
            f"confusion_{entry.name}",
            "Entity label confusion (partial-match pairs)",
            partial(
                plots.heatmap,
                a.gold_labels,
                a.pred_labels,
                a.matrix,
                f"{entry.name}: entity labels (overlap pairs)",
            ),
        ),
    ]
    if a.confusions:
        out.append(
            Table(
                ["gold", "predicted", "count", "same span", "example"],
                [
                    [c.gold, c.pred, str(c.count), str(c.exact_span), c.example]
                    for c in a.confusions
                ],
                "Most frequent label confusions",
            )
        )
    if a.missed:
        out.append(
            Table(
                ["entity", "label", "missed", "document", "context"],
                [[m.text, m.label, str(m.count), m.doc, m.context] for m in a.missed],
                "Most missed gold entities (no overlapping prediction)",
            )
        )
    if a.spurious:
        out.append(
            Table(
                ["prediction", "label", "count", "document", "context"],
                [[m.text, m.label, str(m.count), m.doc, m.context] for m in a.spurious],
                "Most frequent spurious predictions",
            )
        )
    return out


def report_content(report: Report) -> list[Content]:
    best = report.best.result
    docs = best.documents
    split = f" (split {report.split})" if report.split else ""
    scored = f"{docs.get('gold')} {docs.get('unit', 'document')}s"
    if docs.get("in_gold", docs.get("gold")) != docs.get("gold"):
        scored += f" with gold scored of {docs['in_gold']}"
    out: list[Content] = [
        Heading("goldwire evaluation report", 1),
        *(Caveat(text) for text in report.caveats),
        Para(
            f"Gold: {report.gold}{split}, {scored}; "
            f"{len(report.runs)} run(s); entity schemas as SemEval-2013 / nervaluate, "
            f"overlap threshold {best.options.min_overlap}% of the gold span."
        ),
    ]
    out += _leaderboard(report)
    out += _per_label_plot(report)
    for entry in report.runs:
        out += _run_content(entry)
    return out


# --------------------------------------------------------------------------- renderers


# Markdown's inline syntax, escaped with a backslash (CommonMark escapes any ASCII punctuation)
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|])")


def _md(text: str) -> str:
    """Plain text as inert Markdown: HTML as entities (no raw HTML reaches a renderer that
    allows it), inline syntax (links, emphasis, code, table pipes) escaped, one line."""
    text = html.escape(text, quote=False)
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.splitlines()))


def render_markdown(content: list[Content], image_paths: dict[str, str]) -> str:
    """Every text of ``content`` is plain text: the renderer adds the only markup."""
    lines: list[str] = []
    for item in content:
        if isinstance(item, Heading):
            lines += ["#" * item.level + " " + _md(item.text), ""]
        elif isinstance(item, Para):
            lines += [_md(item.text), ""]
        elif isinstance(item, Caveat):
            lines += [f"**Caveat.** {_md(item.text)}", ""]
        elif isinstance(item, Table):
            if item.title:
                lines += [f"**{_md(item.title)}**", ""]
            lines.append("| " + " | ".join(_md(h) or " " for h in item.header) + " |")
            lines.append("|" + "|".join("---" for _ in item.header) + "|")
            lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in item.rows]
            lines.append("")
        elif isinstance(item, Image):
            lines += [f"![{_md(item.title)}]({image_paths[item.key]})", ""]
    return "\n".join(lines)


CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1150px;margin:2em auto;
padding:0 1em;color:#1d2430;line-height:1.45}
h1{border-bottom:2px solid #1f3b63;padding-bottom:.3em}
h2{margin-top:2em;border-bottom:1px solid #d0d7e2;padding-bottom:.2em}
table{border-collapse:collapse;margin:.6em 0 1.4em;font-size:13px}
caption{text-align:left;font-weight:600;padding:.3em 0}
th,td{border:1px solid #d0d7e2;padding:4px 8px;text-align:right;vertical-align:top}
td{white-space:nowrap}
th{background:#eef2f8}
td.left,th.left,th:first-child{text-align:left}
td.mono{white-space:normal;text-align:left;max-width:560px;font-family:ui-monospace,Menlo,monospace;font-size:12px}
.ci{color:#6b7685;font-size:11px;white-space:nowrap}
tr:nth-child(even) td{background:#f8fafc}
img{max-width:100%;display:block;margin:.5em 0 1.5em}
p{max-width:900px}
"""


MONO_COLUMNS = {"example", "context", "entity", "prediction"}
LEFT_COLUMNS = {"run", "gold", "predicted", "label", "class", "figure", "document", "level", "sig."}
ESTIMATE_RE = re.compile(r"^(\S+) (\[[^\]]+\])$")


def _cell(header: str, text: str, first: bool) -> str:
    e = html.escape
    if header in MONO_COLUMNS:
        return f'<td class="mono">{e(text)}</td>'
    if first or header in LEFT_COLUMNS:
        return f'<td class="left">{e(text)}</td>'
    match = ESTIMATE_RE.match(text)
    if match:
        return f'<td>{e(match[1])} <span class="ci">{e(match[2])}</span></td>'
    return f"<td>{e(text)}</td>"


def render_html(content: list[Content]) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>goldwire evaluation report</title>",
        f"<style>{CSS}</style></head><body>",
    ]
    for item in content:
        if isinstance(item, Heading):
            parts.append(f"<h{item.level}>{e(item.text)}</h{item.level}>")
        elif isinstance(item, Para):
            parts.append(f"<p>{e(item.text)}</p>")
        elif isinstance(item, Caveat):
            parts.append(f'<p class="caveat"><strong>Caveat.</strong> {e(item.text)}</p>')
        elif isinstance(item, Table):
            parts.append("<table>")
            if item.title:
                parts.append(f"<caption>{e(item.title)}</caption>")
            parts.append(
                "<tr>"
                + "".join(
                    f'<th class="left">{e(h)}</th>'
                    if h in MONO_COLUMNS | LEFT_COLUMNS
                    else f"<th>{e(h)}</th>"
                    for h in item.header
                )
                + "</tr>"
            )
            for row in item.rows:
                cells = "".join(
                    _cell(h, c, i == 0)
                    for i, (h, c) in enumerate(zip(item.header, row, strict=True))
                )
                parts.append(f"<tr>{cells}</tr>")
            parts.append("</table>")
        elif isinstance(item, Image):
            data = base64.b64encode(item.png).decode("ascii")
            parts.append(
                f'<img alt="{e(item.title)}" title="{e(item.title)}" '
                f'src="data:image/png;base64,{data}">'
            )
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(report: Report, out_dir: str | Path) -> list[Path]:
    """Write report.md (with its PNGs under plots/), report.html and results.json. Without
    matplotlib the plots are left out, and said in the report (:func:`plots.skipped`); no
    ``plots/`` folder is made then."""
    out = Path(out_dir)
    content = report_content(report)
    skipped = plots.skipped()
    if skipped is not None:
        at = next((i for i, c in enumerate(content) if isinstance(c, Heading) and c.level == 2),
                  len(content))  # fmt: skip
        content = [c for c in content if not isinstance(c, Image)]
        content.insert(at, Para(f"{skipped}."))
    paths: dict[str, str] = {}
    for i, item in enumerate(c for c in content if isinstance(c, Image)):
        name = f"plots/{i:02d}_{''.join(ch if ch.isalnum() else '_' for ch in item.key)}.png"
        files.write_bytes(out / name, item.png)  # makes plots/
        paths[item.key] = name
    return [
        files.write_text(out / "report.md", render_markdown(content, paths)),
        files.write_text(out / "report.html", render_html(content)),
        files.write_json(out / "results.json", report.to_dict()),
    ]
