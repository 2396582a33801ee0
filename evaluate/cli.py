"""``goldwire evaluate``: score entity and stance predictions against gold.

Thin Typer layer: options are parsed here and handed to plain functions
(:mod:`goldwire.evaluate.runs`, :mod:`goldwire.evaluate.scoring`,
:mod:`goldwire.evaluate.report`), which return values; only this module prints. Heavy
imports happen inside the commands so that ``goldwire --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from goldwire.console import shown_list
from goldwire.files import is_stdout, write_json

if TYPE_CHECKING:
    from goldwire.evaluate.scoring import ScoreOptions, ScoreResult

FEW_UNITS = 30  # below this many documents, say that the intervals are unreliable

app = typer.Typer(
    help="Score entity and stance predictions against gold.\n\n"
    "Example: goldwire evaluate score --gold seeds/gold/seed.jsonl --pred preds.jsonl",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

Gold = Annotated[
    Path,
    typer.Option(
        "--gold",
        "-g",
        help="Gold: a goldwire dataset directory, a goldwire JSONL file or a CoNLL file.",
    ),
]
Split = Annotated[str, typer.Option(help="Split of a dataset directory to score against.")]
Lenient = Annotated[
    bool,
    typer.Option(
        "--lenient",
        help="Skip (and report) unusable predicted documents and spans instead of "
        "stopping at the first one.",
    ),
]
Bootstrap = Annotated[
    int,
    typer.Option(
        "--bootstrap",
        "-b",
        min=0,
        help="Bootstrap resamples of documents for confidence intervals and tests (0 = off).",
    ),
]
Seed = Annotated[int, typer.Option(help="Random seed of the bootstrap.")]
Alias = Annotated[
    Path | None,
    typer.Option(  # noqa: UP045 (typer needs Optional here)
        "--alias",
        help="Alias table (JSON or TSV) mapping surface forms to one entity, for "
        "stance triples and document-stance targets.",
    ),
]
Fmt = Annotated[
    str,
    typer.Option(
        "--format",
        "-f",
        help="Input format: auto (by extension: .conll/.bio/.iob/.tsv are "
        "CoNLL), goldwire or conll.",
    ),
]
MinOverlap = Annotated[
    float,
    typer.Option(
        "--min-overlap",
        help="Share of the gold span (percent) an overlap must cover for "
        "partial/type matches; nervaluate's min_overlap_percentage.",
    ),
]
Opinion = Annotated[
    str | None,
    typer.Option(  # noqa: UP045
        "--opinion-labels",
        help="The two opinion classes of the SemEval-2016 score, comma "
        "separated (default: SUPPORT,OPPOSE or FAVOR,AGAINST when present).",
    ),
]
Confidence = Annotated[float, typer.Option(help="Confidence level of the intervals.")]
IncludeUnannotated = Annotated[
    bool,
    typer.Option(
        "--include-unannotated",
        help="Score every document on every layer, documents without gold (annotation "
        "status none or unconfirmed) as gold with no labels. By default each layer is "
        "scored only on the documents with gold on it.",
    ),
]


def _options(
    bootstrap: int,
    seed: int,
    alias: Path | None,
    min_overlap: float,
    opinion: str | None,
    confidence: float,
) -> ScoreOptions:
    from goldwire.errors import UsageError
    from goldwire.evaluate.scoring import ScoreOptions
    from goldwire.evaluate.stance import AliasTable

    pair = None
    if opinion:
        parts = [p.strip() for p in opinion.split(",") if p.strip()]
        if len(parts) != 2:
            raise UsageError(
                f"--opinion-labels needs two labels separated by a comma, got {opinion!r}"
            )
        pair = (parts[0], parts[1])
    return ScoreOptions(
        resamples=bootstrap,
        seed=seed,
        confidence=confidence,
        min_overlap=min_overlap,
        opinion=pair,
        alias=AliasTable.load(alias) if alias else None,
    )


@app.command()
def score(
    *,
    gold: Gold,
    pred: Annotated[
        Path,
        typer.Option(
            "--pred", "-p", help="Predictions: goldwire JSONL (or CoNLL with --format conll)."
        ),
    ],
    split: Split = "test",
    lenient: Lenient = False,
    json_out: Annotated[
        Path | None,
        typer.Option(  # noqa: UP045
            "--json", help="Write the full results as JSON here ('-': standard output)."
        ),
    ] = None,
    bootstrap: Bootstrap = 1000,
    seed: Seed = 0,
    alias: Alias = None,
    fmt: Fmt = "auto",
    min_overlap: MinOverlap = 1.0,
    opinion_labels: Opinion = None,
    confidence: Confidence = 0.95,
    include_unannotated: IncludeUnannotated = False,
) -> None:
    """Score one predictions file: entities (strict, exact, partial, type), stances,
    document stance, with bootstrap confidence intervals.

    Example: goldwire evaluate score --gold data/corpus --pred preds.jsonl --json out.json

    Example (CoNLL): goldwire evaluate score --gold test.conll --pred pred.conll
    """
    from goldwire.evaluate.runs import open_gold, score_run

    _check_outputs([("--json", json_out)], gold=gold, preds=[pred], alias=alias)
    options = _options(bootstrap, seed, alias, min_overlap, opinion_labels, confidence)
    g = open_gold(gold, split=split, fmt=fmt, preds=[pred], include_unannotated=include_unannotated)
    result = score_run(g, pred, lenient=lenient, options=options)
    _print_result(result, _console(json_out), json_out)
    if json_out is not None:
        write_json(json_out, result.to_dict())
        _console(json_out).print(f"results written to {json_out}", markup=False, soft_wrap=True)


@app.command("compare")
def compare_cmd(
    pred_a: Annotated[Path, typer.Argument(help="Predictions of system A.")],
    pred_b: Annotated[Path, typer.Argument(help="Predictions of system B.")],
    *,
    gold: Gold,
    split: Split = "test",
    lenient: Lenient = False,
    json_out: Annotated[
        Path | None,
        typer.Option(  # noqa: UP045
            "--json", help="Write the comparison as JSON here ('-': standard output)."
        ),
    ] = None,
    bootstrap: Bootstrap = 1000,
    seed: Seed = 0,
    alias: Alias = None,
    fmt: Fmt = "auto",
    min_overlap: MinOverlap = 1.0,
    opinion_labels: Opinion = None,
    confidence: Confidence = 0.95,
    include_unannotated: IncludeUnannotated = False,
) -> None:
    """Paired bootstrap test (Berg-Kirkpatrick et al. 2012) of two prediction files on the
    same gold: difference, its confidence interval and p-value for every headline figure.

    Example: goldwire evaluate compare run_a.jsonl run_b.jsonl --gold data/corpus --split test
    """
    from goldwire.errors import UsageError
    from goldwire.evaluate.runs import open_gold, score_run
    from goldwire.evaluate.scoring import compare

    if bootstrap == 0:
        raise UsageError("compare needs bootstrap resamples; use --bootstrap 1000 (or more)")
    _check_outputs([("--json", json_out)], gold=gold, preds=[pred_a, pred_b], alias=alias)
    options = _options(bootstrap, seed, alias, min_overlap, opinion_labels, confidence)
    g = open_gold(
        gold, split=split, fmt=fmt, preds=[pred_a, pred_b], include_unannotated=include_unannotated
    )
    a = score_run(g, pred_a, lenient=lenient, options=options)
    b = score_run(g, pred_b, lenient=lenient, options=options)
    result = compare(a, b)
    con = _console(json_out)
    _print_notes(con, a.documents.get("notes", []))
    for name, run in (("A", a), ("B", b)):
        _print_notes(con, run.documents.get("prediction_notes", []), f"{name}: ")
    _print_comparison(con, a, b, result, str(pred_a), str(pred_b))
    if json_out is not None:
        write_json(json_out, _comparison_dict(a, b, str(pred_a), str(pred_b), options, result))
        _console(json_out).print(f"comparison written to {json_out}", markup=False, soft_wrap=True)


def _comparison_dict(
    run_a: ScoreResult, run_b: ScoreResult, a: str, b: str, options: ScoreOptions, result
) -> dict:
    return {
        "a": a,
        "b": b,
        "documents": {"a": run_a.documents, "b": run_b.documents},
        "resamples": options.resamples,
        "seed": options.seed,
        "test": "paired bootstrap (Berg-Kirkpatrick et al. 2012), one-sided",
        "figures": {s: {f: c.to_dict() for f, c in figs.items()} for s, figs in result.items()},
    }


@app.command()
def report(
    runs: Annotated[
        list[str],
        typer.Argument(
            help="Prediction files, each optionally named: name=path.", show_default=False
        ),
    ],
    *,
    gold: Gold,
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Directory for report.md, report.html, results.json."),
    ],
    split: Split = "test",
    lenient: Lenient = False,
    bootstrap: Bootstrap = 1000,
    seed: Seed = 0,
    alias: Alias = None,
    fmt: Fmt = "auto",
    min_overlap: MinOverlap = 1.0,
    opinion_labels: Opinion = None,
    confidence: Confidence = 0.95,
    alpha: Annotated[float, typer.Option(help="Significance level of the marks.")] = 0.05,
    include_unannotated: IncludeUnannotated = False,
) -> None:
    """Leaderboard of several runs with significance marks against the best run, per-label
    tables, plots and error analysis, as Markdown, self-contained HTML and JSON.

    Example: goldwire evaluate report crf=crf.jsonl bert=bert.jsonl --gold data/corpus --out rep
    """
    from goldwire.evaluate.report import build_report, plots, write_report
    from goldwire.evaluate.runs import open_gold, parse_run, score_run

    options = _options(bootstrap, seed, alias, min_overlap, opinion_labels, confidence)
    named = [parse_run(r) for r in runs]
    written_names = ("report.md", "report.html", "results.json")
    _check_outputs([("--out", out / name) for name in written_names], gold=gold,
                   preds=[p for _, p in named], alias=alias)  # fmt: skip
    g = open_gold(
        gold,
        split=split,
        fmt=fmt,
        preds=[p for _, p in named],
        include_unannotated=include_unannotated,
    )
    scored = [(name, score_run(g, path, lenient=lenient, options=options)) for name, path in named]
    rep = build_report(scored, alpha=alpha)
    written = write_report(rep, out)
    con = _console()
    _print_notes(con, rep.caveats + [n for n in [plots.skipped()] if n])
    for name, run in scored:
        _print_notes(con, run.documents.get("prediction_notes", []), f"{name}: ")
    _print_leaderboard(rep)
    for path in written:
        typer.echo(f"wrote {path}")


# --------------------------------------------------------------------------- printing


def _check_outputs(outputs, *, gold: Path, preds, alias: Path | None) -> None:
    """Refuse, before any work, an output file that is one of the inputs."""
    from goldwire.outputs import check_output_files

    inputs = [("gold", gold), *(("predictions file", Path(p)) for p in preds)]
    check_output_files(outputs, inputs + ([("alias table", alias)] if alias else []))


def _console(json_path: Path | None = None):
    from goldwire.console import console

    return console(json_path=json_path, wide=True)


def _table(title: str, columns: list[str], *, wrap_headers: bool = False):
    from rich.table import Table

    table = Table(title=title, title_justify="left", title_style="bold")
    for i, col in enumerate(columns):
        table.add_column(
            col,
            justify="left" if i == 0 else "right",
            no_wrap=not wrap_headers or i == 0,
            min_width=4 if wrap_headers else len(col),
        )
    return table


def _print_result(result: ScoreResult, con, json_out: Path | None = None) -> None:
    from goldwire.evaluate.report import format as fmt

    docs, src, o = result.documents, result.source, result.options
    split = f" [{src['split']}]" if src.get("split") else ""
    con.print(f"[bold]gold[/] {src['gold']}{split}   [bold]pred[/] {src['pred']}")
    ci = (
        f"; {round(o.confidence * 100)}% bootstrap CI over {o.resamples} resamples of "
        f"{docs['unit']}s (seed {o.seed})"
        if o.resamples
        else "; bootstrap off"
    )
    con.print(
        f"{docs['gold']} {docs['unit']}s, {docs.get('without_prediction', 0)} without a "
        f"prediction (scored as predicting nothing), {len(docs.get('skipped', []))} "
        f"items skipped; scores in percent{ci}"
    )
    if o.resamples and docs["gold"] < FEW_UNITS:
        con.print(
            f"  only {docs['gold']} {docs['unit']}s: bootstrap intervals from so few are "
            "unreliable",
            style="yellow",
        )
    _print_notes(con, docs.get("notes", []) + docs.get("prediction_notes", []), "  ")
    skipped = [f"skipped: {msg}" for msg in docs.get("skipped", [])]
    more_in = None if json_out is None or is_stdout(json_out) else json_out
    hint = "all are in the JSON" if is_stdout(json_out) else "all of them: --json FILE"
    for line in shown_list(skipped, more_in=more_in, hint=hint):
        con.print(f"  {line}", style="yellow", markup=False)
    sections = result.sections
    for view in ("conll.conlleval", "conll.iob2_strict"):
        if view in sections:
            con.print(_conlleval_table(sections[view], fmt))
    schemas = [s for n, s in sections.items() if n.startswith("entities.")]
    if schemas and schemas[0].labels:
        con.print(_summary_table("Entities (SemEval-2013 schemas, as nervaluate)", schemas, fmt))
        con.print(_per_label_table(schemas, fmt))
    stances = [s for n, s in sections.items() if n.startswith("stances.") and s.labels]
    if stances:
        con.print(_summary_table("Stances", stances, fmt, plain=True))
        excluded = stances[0].extra.get("excluded_without_offsets")
        if excluded and (excluded["gold"] or excluded["pred"]):
            con.print(
                f"  mention level leaves out stances without offsets on both ends: "
                f"{excluded['gold']} gold, {excluded['pred']} predicted"
            )
    if "doc_stances" in sections:
        _print_classification(con, sections["doc_stances"])


def _print_notes(con, notes: list[str], prefix: str = "") -> None:
    """What was left out of the scoring and why, a line each."""
    for note in notes:
        con.print(f"{prefix}{note}", style="yellow", markup=False, soft_wrap=True)


def _summary_table(title: str, sections, fmt, *, plain: bool = False):
    """One row per section; ``plain``: TP/FP/FN columns (no INC/PAR in plain matching)."""
    counts = ["TP", "FP", "FN"] if plain else ["COR", "INC", "PAR", "MIS", "SPU"]
    table = _table(title, ["", *counts, "P", "R", "F1 [CI]", "macro-F1 [CI]"])
    for sec in sections:
        c = sec.counts()["micro"]
        f = sec.figures
        values = (c.cor, c.spu, c.mis) if plain else c.as_row()
        table.add_row(
            sec.name.split(".", 1)[-1],
            *(str(v) for v in values),
            fmt.estimate(f["micro.precision"], ci=False),
            fmt.estimate(f["micro.recall"], ci=False),
            fmt.estimate(f["micro.f1"]),
            fmt.estimate(f["macro.f1"]),
        )
    return table


def _per_label_table(schemas, fmt):
    first = schemas[0]
    counts = first.counts()
    table = _table(
        "Entities per label (each label scored on its own, as nervaluate)",
        ["label", "gold", "pred", "strict P", "strict R", "strict F1 [CI]"]
        + [f"{s.name.split('.')[-1]} F1" for s in schemas[1:]],
    )
    for lab in first.labels:
        c = counts[lab]
        key = f"label.{lab}"
        table.add_row(
            lab,
            str(c.possible),
            str(c.actual),
            fmt.estimate(first.figures[f"{key}.precision"], ci=False),
            fmt.estimate(first.figures[f"{key}.recall"], ci=False),
            fmt.estimate(first.figures[f"{key}.f1"]),
            *(fmt.estimate(s.figures.get(f"{key}.f1"), ci=False) for s in schemas[1:]),
        )
    return table


def _conlleval_table(sec, fmt):
    counts = sec.counts()
    table = _table(sec.title, ["", "P", "R", "F1 [CI]", "support"])
    for lab in sec.labels:
        key = f"label.{lab}"
        table.add_row(
            lab,
            fmt.estimate(sec.figures[f"{key}.precision"], ci=False),
            fmt.estimate(sec.figures[f"{key}.recall"], ci=False),
            fmt.estimate(sec.figures[f"{key}.f1"]),
            str(counts[lab].possible),
        )
    for avg in ("micro", "macro", "weighted"):
        table.add_row(
            f"{avg} avg",
            fmt.estimate(sec.figures[f"{avg}.precision"], ci=False),
            fmt.estimate(sec.figures[f"{avg}.recall"], ci=False),
            fmt.estimate(sec.figures[f"{avg}.f1"]),
            str(counts["micro"].possible),
        )
    return table


def _print_classification(con, sec) -> None:
    from goldwire.evaluate.report import format as fmt

    table = _table(sec.title, ["", "support", "P", "R", "F1 [CI]"])
    for c in sec.labels:
        key = f"class.{c}"
        table.add_row(
            c,
            str(sec.extra["support"].get(c, 0)),
            fmt.estimate(sec.figures[f"{key}.precision"], ci=False),
            fmt.estimate(sec.figures[f"{key}.recall"], ci=False),
            fmt.estimate(sec.figures[f"{key}.f1"]),
        )
    con.print(table)
    for name, key in (
        ("accuracy", "accuracy"),
        ("macro-F1", "macro_f1"),
        (
            "SemEval-2016 (mean F1 of " + "/".join(sec.extra["opinion_classes"] or []) + ")",
            "semeval2016",
        ),
        ("FNC-1 relative score", "fnc1"),
    ):
        if key in sec.figures:
            con.print(f"  {name}: {fmt.estimate(sec.figures[key])}")
    con.print(
        f"  {sec.extra['pairs']} gold pairs, {sec.extra['pairs_without_prediction']} "
        f"without a prediction (wrong), {sec.extra['predictions_for_targets_not_in_gold']} "
        "predictions for targets not in the gold (not scored)"
    )
    cm = sec.extra["confusion_matrix"]
    grid = _table("confusion matrix (rows gold, columns predicted)", ["", *cm["columns"]])
    for r, row in zip(cm["rows"], cm["counts"], strict=True):
        grid.add_row(r, *(str(v) for v in row))
    con.print(grid)


def _print_comparison(con, a, b, result, name_a: str, name_b: str) -> None:
    from goldwire.evaluate.report import format as fmt

    table = _table(
        f"A = {name_a}   B = {name_b}   (paired bootstrap, {a.options.resamples} "
        "resamples; p: one-sided, for the observed direction)",
        ["figure", "A", "B", "A - B [CI]", "p"],
    )
    for sec_name, sec in a.sections.items():
        comps = result.get(sec_name, {})
        for fig in sec.headline():
            comp = comps.get(fig)
            if comp is not None:
                table.add_row(
                    f"{sec_name} {fig}",
                    fmt.pct(comp.a),
                    fmt.pct(comp.b),
                    fmt.delta(comp),
                    fmt.p_value(comp.p_value, a.options.resamples),
                )
    con.print(table)


def _print_leaderboard(rep) -> None:
    from goldwire.evaluate.report import format as fmt

    table = _table(
        "leaderboard (* significantly below the best run, ≈ not)",
        ["run", "sig."] + [c[0] for c in rep.columns] + ["p vs best"],
        wrap_headers=True,
    )
    for rank, entry in enumerate(rep.runs, 1):
        comp = rep.main_comparison(entry)
        table.add_row(
            f"{rank}. {entry.name}",
            rep.mark(entry),
            *(fmt.estimate(entry.figure(s, f), ci=False) for _, s, f in rep.columns),
            fmt.p_value(comp.p_value if comp else None, entry.result.options.resamples),
        )
    _console().print(table)


def _mount_model_commands() -> None:
    from goldwire.evaluate.models.cli import benchmark_cmd, predict_cmd, train_cmd

    app.command("train")(train_cmd)
    app.command("predict")(predict_cmd)
    app.command("benchmark")(benchmark_cmd)


_mount_model_commands()
