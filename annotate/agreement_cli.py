"""``goldwire annotate agreement`` and ``goldwire annotate adjudicate``: thin Typer wrappers.

The commands are plain functions mounted by :mod:`goldwire.annotate.cli`; the work is done by
:func:`goldwire.annotate.agreement.agreement` and :func:`goldwire.annotate.adjudicate.adjudicate`,
which return result objects and never print.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

FolderArgument = Annotated[
    Path,
    typer.Argument(
        help="Pull folder: one goldwire JSONL per annotator in FOLDER/annotators/<username>.jsonl.",
        show_default=False,
    ),
]
LabelsOption = Annotated[
    Path | None,
    typer.Option(
        "--labels",
        help="Label schema TOML; an annotation with a label outside it is an error "
        "(default: every label found is accepted).",
        show_default=False,
    ),
]


def _console(json_path: Path | None = None):
    from goldwire.console import console

    return console(json_path=json_path)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _schema(labels: Path | None):
    from goldwire.schema import LabelSchema

    return LabelSchema.from_toml(labels) if labels else None


# --------------------------------------------------------------------------- agreement


def agreement_cmd(
    folder: FolderArgument,
    *,
    json_out: Annotated[
        Path | None,
        typer.Option("--json", help="Also write every figure (per pair and label) here.",
                     show_default=False),
    ] = None,
    min_overlap: Annotated[
        float,
        typer.Option("--min-overlap", min=0.001, max=100.0,
                     help="Overlap agreement: percent of the reference span two spans must "
                     "share (evaluate's type schema)."),
    ] = 1.0,
    labels: LabelsOption = None,
) -> None:  # fmt: skip
    """Agreement between annotators: span F1 (exact, overlap), token kappa, alpha, stances.

    Pairs are scored on the documents both annotated; alpha uses all annotators at once.

    Example: goldwire annotate agreement data/pull --json data/pull/agreement.json
    """
    from goldwire import files
    from goldwire.annotate.agreement import agreement

    result = agreement(folder, labels=_schema(labels), min_overlap=min_overlap)
    if json_out:
        files.write_json(json_out, result.to_json())
    _print_agreement(result, _console(json_out))
    if json_out:
        _console(json_out).print(f"agreement: {json_out}", highlight=False)


def _print_agreement(result, console) -> None:
    from rich.table import Table

    from goldwire.annotate.agreement import SpanLevel, StanceLevel

    docs = Table(title=f"annotators in {result.folder}")
    docs.add_column("annotator")
    docs.add_column("documents", justify="right")
    for name, n in result.documents_by_annotator.items():
        docs.add_row(name, str(n))
    docs.caption = f"documents: {result.documents}, by two or more: {result.multiply_annotated}"
    console.print(docs)

    pairs = Table(title="pairwise agreement (documents both annotated; F1 unless kappa)")
    pairs.add_column("pair", no_wrap=True)
    for col in ("docs", "tokens", "exact F1", "overlap F1", "kappa",
                "stance mention", "stance relaxed", "stance triple"):  # fmt: skip
        pairs.add_column(col, justify="right")
    for p in result.pairs:
        pairs.add_row(
            f"{p.a} / {p.b}", str(p.documents), str(p.tokens),
            *(_fmt(p.spans[lvl].f1()) for lvl in SpanLevel), _fmt(p.kappa),
            *(_fmt(p.stances[lvl].f1()) for lvl in StanceLevel),
        )  # fmt: skip
    console.print(pairs)

    labels = Table(title="per label (F1 pooled over pairs, kappa averaged, alpha over all)")
    for col in ("label", "span F1 exact", "span F1 overlap", "token kappa", "token alpha"):
        labels.add_column(col, justify="left" if col == "label" else "right")
    exact, overlap = result.spans(SpanLevel.EXACT), result.spans(SpanLevel.OVERLAP)
    for lab in result.labels:
        labels.add_row(lab, _fmt(exact.f1(lab)), _fmt(overlap.f1(lab)),
                       _fmt(result.kappa_for(lab)),
                       _fmt(result.alpha_by_label.get(lab)))  # fmt: skip
    labels.add_row("overall", _fmt(exact.f1()), _fmt(overlap.f1()), _fmt(result.kappa),
                   _fmt(result.alpha), style="bold")  # fmt: skip
    labels.caption = f"alpha over {result.alpha_tokens} tokens annotated at least twice"
    console.print(labels)

    if result.stance_labels:
        stances = Table(title="stances per label (F1 pooled over pairs)")
        stances.add_column("label")
        for lvl in StanceLevel:
            stances.add_column(lvl.value, justify="right")
        tables = [result.stances(lvl) for lvl in StanceLevel]
        for lab in result.stance_labels:
            stances.add_row(lab, *(_fmt(t.f1(lab)) for t in tables))
        stances.add_row("overall", *(_fmt(t.f1()) for t in tables), style="bold")
        console.print(stances)


# --------------------------------------------------------------------------- adjudicate


def adjudicate_cmd(
    folder: FolderArgument,
    *,
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Gold JSONL to write; conflicts.jsonl goes beside it.",
                     show_default=False),
    ],
    strategy: Annotated[
        str,
        typer.Option("--strategy", help="majority | prefer:USER | single."),
    ] = "majority",
    min_agree: Annotated[
        int,
        typer.Option("--min-agree", min=1,
                     help="majority only: also need at least N annotators to agree."),
    ] = 1,
    labels: LabelsOption = None,
) -> None:  # fmt: skip
    """Merge annotators into gold with provenance; write the conflicts to review.

    majority: kept when more than half of a document's annotators marked it (ties are conflicts).

    prefer:USER: USER's annotations win where USER annotated; majority elsewhere.

    single: exactly one annotator per document.

    Example: goldwire annotate adjudicate data/pull --strategy majority --out data/gold.jsonl
    """
    from goldwire.annotate.adjudicate import adjudicate, write_adjudication

    result = adjudicate(folder, strategy, min_agree=min_agree, labels=_schema(labels))
    gold, conflicts = write_adjudication(result, out)
    _print_adjudication(result.summary())
    _console().print(f"gold: {gold}\nconflicts: {conflicts}", highlight=False)


def _print_adjudication(summary: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title=f"adjudication ({summary['strategy']})")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key in ("documents", "entities", "stances", "doc_stances", "conflicts"):
        table.add_row(key.replace("_", " "), str(summary[key]))
    for kind, n in summary["conflicts_by_kind"].items():
        table.add_row(f"  {kind}", str(n))
    _console().print(table)
