"""``goldwire evaluate train|predict|benchmark``: Typer wrappers over
:mod:`goldwire.evaluate.models.run` (mounted on the evaluate app by ``goldwire.cli``).

Only this module prints; heavy imports happen inside the commands.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

MODEL_HELP = ("Model: gazetteer, sklearn-ner, rules-stance, sklearn-stance, prior-stance, "
              "sklearn-docstance (or an adapter: spacy, hf, gliner).")


def _console():
    import shutil

    from rich.console import Console

    return Console(highlight=False, width=max(120, shutil.get_terminal_size((120, 24)).columns))


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


def _write_json(data: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n",
                    encoding="utf-8")


def train_cmd(
    *,
    model: Annotated[str, typer.Option("--model", "-m", help=MODEL_HELP)],
    corpus: Annotated[Path, typer.Option("--corpus", "-c", help="A goldwire corpus directory "
                                         "(or a goldwire JSONL file) to train on.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to save the model in.")],
    split: Annotated[str, typer.Option(help="Split to train on.")] = "train",
    validation_split: Annotated[str, typer.Option(
        help="Split a model may tune on (thresholds, reported accuracy); '' for none.")
    ] = "validation",
    param: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045 (typer needs Optional)
        "--param", "-p", help="A model setting KEY=VALUE (JSON values), repeatable, e.g. "
        "--param ambiguous=majority.")] = None,
    json_out: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--json", help="Write the training summary as JSON here.")] = None,
) -> None:
    """Train a model on a corpus split and save it to a folder (model.json + its files).

    Example: goldwire evaluate train --model sklearn-ner --corpus data/conll --out models/ner
    """
    from goldwire.evaluate.models.run import train

    con = _console()
    con.print(f"training {model} on {corpus} [{split}] ...")
    result = train(model, corpus, out, split=split, validation_split=validation_split or None,
                   params=_params(param or []))
    con.print(f"trained {model} on {result.documents} documents in {result.seconds:.1f} s "
              f"(peak RSS {result.peak_rss_mb:.0f} MB); saved to {result.out}")
    facts = {k: v for k, v in result.training.items()
             if not isinstance(v, dict) and k not in ("corpus", "split")}
    if facts:
        con.print("  " + ", ".join(f"{k} {v}" for k, v in facts.items()), markup=False)
    con.print(f"use it with --model {model}:{result.out}")
    if json_out is not None:
        _write_json(result.to_dict(), json_out)


def predict_cmd(
    *,
    model: Annotated[str, typer.Option("--model", "-m", help="NAME or NAME:PATH. " + MODEL_HELP)],
    corpus: Annotated[Path, typer.Option("--corpus", "-c", help="A goldwire corpus directory "
                                         "or a goldwire JSONL file to predict on.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Predictions file (goldwire JSONL).")],
    split: Annotated[str, typer.Option(help="Split of a corpus directory.")] = "test",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    json_out: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--json", help="Write timing and counts as JSON here.")] = None,
) -> None:
    """Run a model over a corpus split and write its predictions as goldwire JSONL.

    Example: goldwire evaluate predict -m sklearn-ner:models/ner -c data/conll --out p.jsonl

    Example: goldwire evaluate predict -m rules-stance -c seeds/gold/seed.jsonl --out p.jsonl
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from goldwire.evaluate.models.run import predict

    con = _console()
    if quiet:
        result = predict(model, corpus, out, split=split)
    else:
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                      TimeRemainingColumn(), console=con, transient=False) as bar:
            task = bar.add_task(f"predicting with {model}", total=None, rate="")
            started: list[float] = []

            def progress(done: int, total: int) -> None:
                import time

                if not started:
                    started.append(time.perf_counter())
                elapsed = time.perf_counter() - started[0]
                rate = f"{done / elapsed:,.1f} docs/s" if elapsed > 0 else ""
                bar.update(task, completed=done, total=total, rate=rate)

            result = predict(model, corpus, out, split=split, on_progress=progress)
    counts = ", ".join(f"{n} {k}" for k, n in result.predicted.items())
    rate = f"{result.docs_per_second:,.1f}" if result.docs_per_second else "–"
    con.print(f"{result.documents} documents in {result.seconds:.2f} s: {rate} documents/s "
              f"({result.seconds_per_1000 or 0:.2f} s per 1,000 documents); predicted "
              f"{counts}; peak RSS {result.peak_rss_mb:.0f} MB")
    con.print(f"predictions written to {result.out}")
    if json_out is not None:
        _write_json(result.to_dict(), json_out)


def benchmark_cmd(
    *,
    models: Annotated[str, typer.Option("--models", help="Models, comma separated: NAME or "
                                        "NAME:PATH each. " + MODEL_HELP)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for models, predictions, "
                                      "reports and benchmark.md/json.")],
    corpus: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--corpus", "-c", help="A goldwire corpus: models that need training are trained on "
        "its train split and, without --gold, scored on --split.")] = None,
    gold: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--gold", "-g", help="Gold to score on: a corpus directory or a goldwire JSONL file "
        "(e.g. seeds/gold/seed.jsonl).")] = None,
    split: Annotated[str, typer.Option(help="Split scored (of a directory).")] = "test",
    train_split: Annotated[str, typer.Option(help="Split to train on.")] = "train",
    validation_split: Annotated[str, typer.Option(
        help="Split models may tune on; '' for none.")] = "validation",
    bootstrap: Annotated[int, typer.Option("--bootstrap", "-b", min=0, help="Bootstrap "
                                           "resamples for confidence intervals (0 = off).")
                         ] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed of the bootstrap.")] = 0,
    alias: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--alias", help="Alias table (JSON or TSV) for stance triples and document-stance "
        "targets, e.g. the aliases.json of a BASIL import.")] = None,
    isolate: Annotated[bool, typer.Option(
        "--isolate/--no-isolate", help="Train and predict each model in its own process "
        "(exact peak memory per model).")] = True,
) -> None:
    """Train where needed, predict, score and report several models in one go; time per
    1,000 documents and peak memory per model in the results.

    Example: goldwire evaluate benchmark -c data/conll --models gazetteer,sklearn-ner --out rep

    Example: goldwire evaluate benchmark -g seeds/gold/seed.jsonl --models rules-stance --out rep
    """
    from goldwire.evaluate.models.run import SUMMARY_HEADER, benchmark, summary_rows
    from goldwire.evaluate.scoring import ScoreOptions
    from goldwire.evaluate.stance import AliasTable

    con = _console()
    options = ScoreOptions(resamples=bootstrap, seed=seed,
                           alias=AliasTable.load(alias) if alias else None)
    command = "goldwire " + " ".join(shlex.quote(a) for a in sys.argv[1:]) \
        if Path(sys.argv[0]).name == "goldwire" else None
    result = benchmark(models, out, corpus=corpus, gold=gold, split=split,
                       train_split=train_split, validation_split=validation_split or None,
                       options=options, isolate=isolate, command=command,
                       on_event=lambda m: con.print(m, markup=False))
    from rich.table import Table

    table = Table(title=f"benchmark on {result.gold}"
                  + (f" [{result.split}]" if result.split else "")
                  + f", {result.documents} document{'' if result.documents == 1 else 's'}",
                  title_justify="left")
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
