"""``goldwire evaluate train|predict|benchmark``: Typer wrappers over
:mod:`goldwire.evaluate.models.run` (mounted on the evaluate app by
:mod:`goldwire.evaluate.cli`).

Each command parses its options (the long ones are the module-level ``Annotated`` aliases
below) and calls one library function; progress is drawn by :class:`goldwire.progress.Bars`
on standard error, and only this module prints. Heavy imports happen inside the commands.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

MODEL_HELP = (
    "Model: gazetteer, sklearn-ner, rules-stance, sklearn-stance, prior-stance, "
    "sklearn-docstance (or an adapter: spacy, hf, gliner)."
)


def _console(json_path: Path | None = None):
    from goldwire.console import console

    return console(json_path=json_path, wide=True)


def _params(values: list[str]) -> dict[str, Any]:
    from goldwire.errors import UsageError

    out: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param takes KEY=VALUE, got {item!r}")
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw
    return out


def _write_json(data: dict, path: Path | None) -> None:
    """``--json PATH``: write ``data`` there (nothing without the option)."""
    from goldwire.files import write_json

    if path is not None:
        write_json(path, data, default=str)


Model = Annotated[str, typer.Option("--model", "-m", help=MODEL_HELP)]
ModelSpec = Annotated[str, typer.Option("--model", "-m", help="NAME or NAME:PATH. " + MODEL_HELP)]
TrainCorpus = Annotated[
    Path,
    typer.Option(
        "--corpus", "-c", help="A goldwire corpus directory (or a goldwire JSONL file) to train on."
    ),
]
PredictCorpus = Annotated[
    Path,
    typer.Option(
        "--corpus", "-c", help="A goldwire corpus directory or a goldwire JSONL file to predict on."
    ),
]
ModelOut = Annotated[Path, typer.Option("--out", "-o", help="Folder to save the model in.")]
PredictionsOut = Annotated[
    Path, typer.Option("--out", "-o", help="Predictions file (goldwire JSONL).")
]
TrainSplit = Annotated[str, typer.Option(help="Split to train on.")]
ValidationSplit = Annotated[
    str,
    typer.Option(help="Split a model may tune on (thresholds, reported accuracy); '' for none."),
]
Param = Annotated[
    list[str] | None,
    typer.Option(  # noqa: UP045 (typer needs Optional)
        "--param",
        "-p",
        help="A model setting KEY=VALUE (JSON values), repeatable, e.g. "
        "--param ambiguous=majority.",
    ),
]
TrainJson = Annotated[
    Path | None,
    typer.Option(  # noqa: UP045
        "--json", help="Write the training summary as JSON here ('-': standard output)."
    ),
]
PredictJson = Annotated[
    Path | None,
    typer.Option(  # noqa: UP045
        "--json", help="Write timing and counts as JSON here ('-': standard output)."
    ),
]
Models = Annotated[
    str,
    typer.Option("--models", help="Models, comma separated: NAME or NAME:PATH each. " + MODEL_HELP),
]
BenchmarkOut = Annotated[
    Path,
    typer.Option(
        "--out", "-o", help="Folder for models, predictions, reports and benchmark.md/json."
    ),
]
BenchmarkCorpus = Annotated[
    Path | None,
    typer.Option(  # noqa: UP045
        "--corpus",
        "-c",
        help="A goldwire corpus: models that need training are trained on "
        "its train split and, without --gold, scored on --split.",
    ),
]
BenchmarkGold = Annotated[
    Path | None,
    typer.Option(  # noqa: UP045
        "--gold",
        "-g",
        help="Gold to score on: a corpus directory or a goldwire JSONL file "
        "(e.g. seeds/gold/seed.jsonl).",
    ),
]
Bootstrap = Annotated[
    int,
    typer.Option(
        "--bootstrap", "-b", min=0, help="Bootstrap resamples for confidence intervals (0 = off)."
    ),
]
Seed = Annotated[int, typer.Option(help="Random seed of the bootstrap.")]
Alias = Annotated[
    Path | None,
    typer.Option(  # noqa: UP045
        "--alias",
        help="Alias table (JSON or TSV) for stance triples and document-stance "
        "targets, e.g. the aliases.json of a BASIL import.",
    ),
]
IncludeUnannotated = Annotated[
    bool,
    typer.Option(
        "--include-unannotated",
        help="Use every document, one without gold on the model's layer (annotation status "
        "none or unconfirmed) as gold with no labels. By default only documents with gold "
        "on it are trained on and scored.",
    ),
]
Isolate = Annotated[
    bool,
    typer.Option(
        "--isolate/--no-isolate",
        help="Train and predict each model in its own process (exact peak memory per model).",
    ),
]


def train_cmd(
    *,
    model: Model,
    corpus: TrainCorpus,
    out: ModelOut,
    split: TrainSplit = "train",
    validation_split: ValidationSplit = "validation",
    param: Param = None,
    json_out: TrainJson = None,
    include_unannotated: IncludeUnannotated = False,
) -> None:
    """Train a model on a corpus split and save it to a folder (model.json + its files).

    Example: goldwire evaluate train --model sklearn-ner --corpus data/conll --out models/ner
    """
    from goldwire.evaluate.models.run import train
    from goldwire.outputs import check_output_files

    check_output_files([("--json", json_out)], [("corpus", corpus)])
    con = _console(json_out)
    con.print(f"training {model} on {corpus} [{split}] ...")
    result = train(
        model,
        corpus,
        out,
        split=split,
        validation_split=validation_split or None,
        params=_params(param or []),
        include_unannotated=include_unannotated,
    )
    con.print(
        f"trained {model} on {result.documents} documents in {result.seconds:.1f} s "
        f"(peak RSS {result.peak_rss_mb:.0f} MB); saved to {result.out}"
    )
    for note in result.notes:
        con.print(f"  {note}", style="yellow", markup=False, soft_wrap=True)
    facts = {
        k: v
        for k, v in result.training.items()
        if not isinstance(v, dict) and k not in ("corpus", "split")
    }
    if facts:
        con.print("  " + ", ".join(f"{k} {v}" for k, v in facts.items()), markup=False)
    con.print(f"use it with --model {model}:{result.out}")
    _write_json(result.to_dict(), json_out)


def predict_cmd(
    *,
    model: ModelSpec,
    corpus: PredictCorpus,
    out: PredictionsOut,
    split: Annotated[str, typer.Option(help="Split of a corpus directory.")] = "test",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    json_out: PredictJson = None,
) -> None:
    """Run a model over a corpus split and write its predictions as goldwire JSONL.

    Example: goldwire evaluate predict -m sklearn-ner:models/ner -c data/conll --out p.jsonl

    Example: goldwire evaluate predict -m rules-stance -c seeds/gold/seed.jsonl --out p.jsonl
    """
    from goldwire.evaluate.models.run import predict
    from goldwire.outputs import check_output_files
    from goldwire.progress import Bars

    check_output_files([("--out", out), ("--json", json_out)], [("corpus", corpus)])

    with Bars(not quiet, transient=False) as bars:
        result = predict(model, corpus, out, split=split, progress=bars)
    counts = ", ".join(f"{n} {k}" for k, n in result.predicted.items())
    rate = f"{result.docs_per_second:,.1f}" if result.docs_per_second else "–"
    con = _console(json_out)
    con.print(
        f"{result.documents} documents in {result.seconds:.2f} s: {rate} documents/s "
        f"({result.seconds_per_1000 or 0:.2f} s per 1,000 documents); predicted "
        f"{counts}; peak RSS {result.peak_rss_mb:.0f} MB"
    )
    con.print(f"predictions written to {result.out}")
    _write_json(result.to_dict(), json_out)


def benchmark_cmd(
    *,
    models: Models,
    out: BenchmarkOut,
    corpus: BenchmarkCorpus = None,
    gold: BenchmarkGold = None,
    split: Annotated[str, typer.Option(help="Split scored (of a directory).")] = "test",
    train_split: TrainSplit = "train",
    validation_split: Annotated[
        str, typer.Option(help="Split models may tune on; '' for none.")
    ] = "validation",
    bootstrap: Bootstrap = 1000,
    seed: Seed = 0,
    alias: Alias = None,
    isolate: Isolate = True,
    include_unannotated: IncludeUnannotated = False,
) -> None:
    """Train where needed, predict, score and report several models in one go; time per
    1,000 documents and peak memory per model in the results.

    Example: goldwire evaluate benchmark -c data/conll --models gazetteer,sklearn-ner --out rep

    Example: goldwire evaluate benchmark -g seeds/gold/seed.jsonl --models rules-stance --out rep
    """
    from goldwire.evaluate.models.run import benchmark
    from goldwire.evaluate.scoring import ScoreOptions
    from goldwire.evaluate.stance import AliasTable
    from goldwire.progress import Bars

    options = ScoreOptions(
        resamples=bootstrap, seed=seed, alias=AliasTable.load(alias) if alias else None
    )
    command = (
        "goldwire " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        if Path(sys.argv[0]).name == "goldwire"
        else None
    )
    with Bars() as bars:
        result = benchmark(
            models,
            out,
            corpus=corpus,
            gold=gold,
            split=split,
            train_split=train_split,
            validation_split=validation_split or None,
            options=options,
            isolate=isolate,
            command=command,
            progress=bars,
            include_unannotated=include_unannotated,
        )
    _print_benchmark(result)


def _print_benchmark(result) -> None:
    """What each run did, the summary table, the caveats and where the reports are."""
    from rich.table import Table

    from goldwire.evaluate.models.summary import SUMMARY_HEADER, run_lines, summary_rows

    con = _console()
    for run in result.runs:
        for line in run_lines(run):
            con.print(line, markup=False)
    table = Table(
        title=f"benchmark on {result.gold}"
        + (f" [{result.split}]" if result.split else "")
        + f", {result.documents} document{'' if result.documents == 1 else 's'}",
        title_justify="left",
    )
    for i, col in enumerate(SUMMARY_HEADER):
        table.add_column(col, justify="left" if i < 3 else "right", overflow="fold")
    for row in summary_rows(result, separator="\n"):
        table.add_row(*row)
    con.print(table)
    for caveat in result.caveats:
        con.print(f"caveat: {caveat}", style="yellow", markup=False)
    for task, files in result.reports.items():
        con.print(f"{task} report: {files[0]}")
    con.print(f"summary: {Path(result.out) / 'benchmark.md'}")
