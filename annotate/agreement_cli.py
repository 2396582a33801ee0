"""``goldwire annotate agreement`` and ``goldwire annotate adjudicate``: thin Typer wrappers.

The commands are plain functions mounted by :mod:`goldwire.annotate.cli`; the work is done by
:func:`goldwire.annotate.agreement.agreement` and :func:`goldwire.annotate.adjudicate.adjudicate`,
which return result objects and never print. With ``--json -`` the JSON goes to standard
output and the tables to standard error.
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
UnconfirmedOption = Annotated[
    bool,
    typer.Option(
        "--include-unconfirmed",
        help="Also count the layers an annotator did not mark done (default: confirmed only). "
        "Suggestions left unreviewed never count.",
    ),
]
StrategyOption = Annotated[str, typer.Option("--strategy", help="majority | prefer:USER | single.")]
MinAgreeOption = Annotated[
    int,
    typer.Option("--min-agree", min=1,
                 help="majority only: also need at least N annotators to agree."),
]  # fmt: skip


_JSON_HELP = "here ('-': standard output, the tables then go to standard error)."
AgreementJson = Annotated[
    Path | None,
    typer.Option("--json", help=f"Also write every figure (per pair and label) {_JSON_HELP}",
                 show_default=False),
]  # fmt: skip
AdjudicationJson = Annotated[
    Path | None,
    typer.Option("--json", help=f"Also write the summary, definitions and coverage {_JSON_HELP}",
                 show_default=False),
]  # fmt: skip


def _console(json_path: Path | None = None):
    from goldwire.console import console

    return console(json_path=json_path)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _schema(labels: Path | None):
    from goldwire.schema import LabelSchema

    return LabelSchema.from_toml(labels) if labels else None


def _written(console, what: str, path: Path | None) -> None:
    from goldwire.files import is_stdout

    if path is not None and not is_stdout(path):
        console.print(f"{what}: {path}", highlight=False)


# --------------------------------------------------------------------------- agreement


def agreement_cmd(
    folder: FolderArgument,
    *,
    json_out: AgreementJson = None,
    min_overlap: Annotated[
        float,
        typer.Option("--min-overlap", min=0.001, max=100.0,
                     help="Overlap agreement: percent of the reference span two spans must "
                     "share (evaluate's type schema)."),
    ] = 1.0,
    include_unconfirmed: UnconfirmedOption = False,
    labels: LabelsOption = None,
) -> None:  # fmt: skip
    """Agreement between annotators: span F1 (exact, overlap), token kappa, alpha, stances;
    how often suggestions were accepted unchanged.

    Only what counts: layers an annotator confirmed (--include-unconfirmed: unconfirmed ones
    too), never a suggestion left unreviewed. Pairs are scored on the documents both
    annotated for that layer; alpha uses all annotators at once.

    Example: goldwire annotate agreement data/pull --json data/pull/agreement.json
    """
    from goldwire import files
    from goldwire.annotate.agreement import agreement

    result = agreement(folder, labels=_schema(labels), min_overlap=min_overlap,
                       include_unconfirmed=include_unconfirmed)  # fmt: skip
    data = result.to_json()
    if json_out:
        files.write_json(json_out, data)
    console = _console(json_out)
    if result.campaign is not None:
        c = result.campaign
        console.print(
            f"campaign {c['name']}: agreement on the {c['assigned_to_several']} of "
            f"{c['documents_assigned']} documents assigned to more than one annotator "
            f"({c['annotated_by_several']} annotated by two or more so far)"
        )
    _print_coverage(data["coverage"], console)
    _print_agreement(result, console)
    _print_suggestions(data["suggestions"], console)
    _written(console, "agreement", json_out)


def _print_coverage(coverage: dict[str, Any], console) -> None:
    from rich.table import Table

    from goldwire.provenance import LAYERS

    table = Table(title=f"what counts: {coverage['counting']}")
    table.add_column("annotator")
    table.add_column("copies", justify="right")
    for layer in LAYERS:
        table.add_column(layer.replace("_", " "), justify="right")
    table.add_column("left out (layer: status)")
    table.add_column("items removed (not a judgement)")
    rows = {**coverage["by_annotator"], "all": coverage["total"]}
    for name, c in rows.items():
        left = ", ".join(f"{layer} {status}: {n}" for layer, by in c["left_out"].items()
                         for status, n in by.items())  # fmt: skip
        removed = ", ".join(f"{layer} {prov}: {n}" for layer, by in c["items_removed"].items()
                            for prov, n in by.items())  # fmt: skip
        style = "bold" if name == "all" else None
        table.add_row(name, str(c["copies"]), *(str(c["counted"][layer]) for layer in LAYERS),
                      left or "-", removed or "-", style=style)  # fmt: skip
    table.caption = (f"layers counted per annotator; documents left out (no copy counts): "
                     f"{coverage['documents_left_out']}")  # fmt: skip
    console.print(table)


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
    for col in ("docs", "tokens", "exact F1", "overlap F1", "kappa", "stance docs",
                "stance mention", "stance relaxed", "stance triple"):  # fmt: skip
        pairs.add_column(col, justify="right")
    for p in result.pairs:
        pairs.add_row(
            f"{p.a} / {p.b}", str(p.documents), str(p.tokens),
            *(_fmt(p.spans[lvl].f1()) for lvl in SpanLevel), _fmt(p.kappa),
            str(p.stance_documents), *(_fmt(p.stances[lvl].f1()) for lvl in StanceLevel),
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


SUGGESTION_COLUMNS = ("human", "accepted", "edited", "rejected", "orphaned", "unreviewed")


def _print_suggestions(suggestions: dict[str, Any], console) -> None:
    from rich.table import Table

    table = Table(title="use of model suggestions (what counts)")
    table.add_column("annotator")
    for col in (*SUGGESTION_COLUMNS, "acceptance rate"):
        table.add_column(col, justify="right")
    rows = {**suggestions["by_annotator"], "pooled": suggestions["pooled"]}
    for name, s in rows.items():
        style = "bold" if name == "pooled" else None
        table.add_row(name, *(str(s[col]) for col in SUGGESTION_COLUMNS),
                      _fmt(s["acceptance_rate"]), style=style)  # fmt: skip
    table.caption = ("acceptance rate = accepted / (accepted + edited + rejected); unreviewed "
                     "suggestions are not counted as anyone's judgement")  # fmt: skip
    console.print(table)


# --------------------------------------------------------------------------- adjudicate


def adjudicate_cmd(
    folder: FolderArgument,
    *,
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Gold JSONL to write; conflicts.jsonl goes beside it.",
                     show_default=False),
    ],
    strategy: StrategyOption = "majority",
    min_agree: MinAgreeOption = 1,
    include_unconfirmed: UnconfirmedOption = False,
    review: Annotated[
        Path | None,
        typer.Option("--review", help="Pull folder of a review round (one reviewer): the "
                     "reviewer's confirmed documents become gold.", show_default=False),
    ] = None,
    json_out: AdjudicationJson = None,
    labels: LabelsOption = None,
) -> None:  # fmt: skip
    """Merge annotators into gold with provenance; write the conflicts to review.

    Only what counts votes: layers an annotator confirmed (--include-unconfirmed: unconfirmed
    ones too), never a suggestion left unreviewed. Every candidate is kept, dropped
    (outvoted) or left for review (ties: never dropped silently).

    majority: kept when more than half of a document's annotators gave it.

    prefer:USER: USER's annotations win where USER annotated; majority elsewhere.

    single: exactly one annotator per document.

    Example: goldwire annotate adjudicate data/pull --strategy majority --out data/gold.jsonl
    """
    from goldwire import files
    from goldwire.annotate.adjudicate import adjudicate, write_adjudication

    result = adjudicate(folder, strategy, min_agree=min_agree, labels=_schema(labels),
                        include_unconfirmed=include_unconfirmed, review=review)  # fmt: skip
    gold, conflicts = write_adjudication(result, out)
    data = result.to_json()
    if json_out:
        files.write_json(json_out, data)
    console = _console(json_out)
    _print_coverage(data["coverage"], console)
    _print_adjudication(data["summary"], console)
    if data["summary"]["review"] is not None:
        _print_review(data["summary"]["review"], console)
    console.print(f"gold: {gold}\nconflicts: {conflicts}", highlight=False)
    _written(console, "summary", json_out)


def _outcome_table(title: str, outcomes: dict[str, Any], columns: tuple[str, ...]):
    from rich.table import Table

    table = Table(title=title)
    table.add_column("layer")
    table.add_column("label")
    for col in columns:
        table.add_column(col, justify="right")
    for layer, counts in outcomes.items():
        for label, by in counts["by_label"].items():
            table.add_row(layer.replace("_", " "), label, *(str(by[c]) for c in columns))
        table.add_row(layer.replace("_", " "), "all", *(str(counts[c]) for c in columns),
                      style="bold")  # fmt: skip
    return table


def _print_adjudication(summary: dict[str, Any], console) -> None:
    from rich.table import Table

    from goldwire.annotate.adjudicate import OUTCOMES

    table = _outcome_table(f"adjudication ({summary['strategy']}): candidates per label",
                           summary["outcomes"], OUTCOMES)  # fmt: skip
    table.caption = ("kept: in gold; dropped: outvoted; review: no decision (ties), in "
                     "conflicts.jsonl")  # fmt: skip
    console.print(table)
    gold = Table(title="gold")
    gold.add_column("what")
    gold.add_column("count", justify="right")
    for key in ("documents", "documents_left_out", "entities", "stances", "doc_stances",
                "stances_endpoint_not_in_gold", "conflicts"):  # fmt: skip
        gold.add_row(key.replace("_", " "), str(summary[key]))
    for kind, n in summary["conflicts_by_kind"].items():
        gold.add_row(f"  {kind}", str(n))
    console.print(gold)


def _print_review(review: dict[str, Any], console) -> None:
    from goldwire.annotate.review_merge import OUTCOMES

    table = _outcome_table(f"review by {review['reviewer']} ({review['reviewed_at']}): items "
                           "per label", review["outcomes"], OUTCOMES)  # fmt: skip
    table.caption = (
        f"documents reviewed: {review['documents_reviewed']}, left unconfirmed: "
        f"{review['documents_unconfirmed']}; conflicts resolved: {review['conflicts_resolved']}"
    )
    console.print(table)
