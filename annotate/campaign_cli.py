"""``goldwire annotate assign`` and ``goldwire annotate status``: thin Typer wrappers over
:func:`goldwire.annotate.campaign.assign` and :func:`goldwire.annotate.campaign_status.status`,
mounted by :mod:`goldwire.annotate.cli`."""

from __future__ import annotations

from typing import Annotated

import typer

from goldwire.annotate.cli import (
    BatchSizeOption,
    CorpusArgument,
    PasswordStdinOption,
    PreAnnotateOption,
    PushLabelsOption,
    SuggestionsFromOption,
    UrlOption,
    UsernameOption,
    _stdin_password,
)
from goldwire.annotate.cli_common import Echo, json_option
from goldwire.annotate.cli_echo import echo_problems
from goldwire.files import is_stdout

CampaignNameOption = Annotated[
    str,
    typer.Option(
        "--campaign",
        help="Campaign name (letters, digits, . _ -); its projects are NAME--USER.",
        show_default=False,
    ),
]
AnnotatorsOption = Annotated[
    str,
    typer.Option(
        "--annotators",
        help="Comma-separated Doccano usernames (accounts: `goldwire annotate users add`). "
        "Extending a campaign: every earlier annotator plus the new ones.",
        show_default=False,
    ),
]
OverlapOption = Annotated[
    float,
    typer.Option("--overlap", min=0.0, max=1.0,
                 help="Share of the documents that go to several annotators (agreement)."),
]  # fmt: skip
PerDocumentOption = Annotated[
    int, typer.Option("--per-document", min=1, help="Annotators per overlap document.")
]
AssignSplitOption = Annotated[
    str | None,
    typer.Option("--split", help="Assign one split of a dataset (default: all).",
                 show_default=False),
]  # fmt: skip
SeedOption = Annotated[
    str, typer.Option("--seed", help="Chooses the overlap documents: sha256(seed + id).")
]
AssignJsonOption = json_option("the report")
StatusJsonOption = json_option("the status")


def assign_cli(
    corpus: CorpusArgument,
    *,
    campaign: CampaignNameOption,
    annotators: AnnotatorsOption,
    overlap: OverlapOption = 0.2,
    per_document: PerDocumentOption = 2,
    split: AssignSplitOption = None,
    seed: SeedOption = "goldwire",
    labels: PushLabelsOption = None,
    pre_annotate: PreAnnotateOption = None,
    suggestions_from: SuggestionsFromOption = None,
    batch_size: BatchSizeOption = 1000,
    url: UrlOption = None,
    username: UsernameOption = None,
    password_stdin: PasswordStdinOption = False,
    json_out: AssignJsonOption = None,
) -> None:  # fmt: skip
    """Give each annotator their own share of a corpus, with an overlap for agreement.

    Every document goes to one annotator; round(overlap x N) of them (ranked by
    sha256(seed + id)) to --per-document annotators, balanced. Each annotator gets their own
    project NAME--USER (doccano 1.8.4 shows every example of a project to every member) with
    the same labels and guidelines, and is made its member. The plan is kept in goldwire's
    home. Run it again with more documents or annotators to extend the campaign: only new
    documents are dealt, nothing assigned moves. --pre-annotate creates each annotator's
    suggestions as them (their API token, saved by `users add`). Exit code 1 when something
    was not uploaded.

    Example: goldwire annotate assign data/seed --campaign spring --annotators alice,bob,carol --overlap 0.2
    """  # noqa: E501
    from goldwire.annotate.campaign import AssignRequest, assign
    from goldwire.progress import Bars

    names = [a.strip() for a in annotators.split(",") if a.strip()]
    request = AssignRequest(corpus, campaign, names, overlap=overlap, per_document=per_document,
                            split=split, seed=seed, labels=labels, pre_annotate=pre_annotate,
                            suggestions_from=suggestions_from, batch_size=batch_size, url=url,
                            username=username,
                            password=_stdin_password(password_stdin))  # fmt: skip
    with Bars(enabled=not is_stdout(json_out)) as bars:
        report = assign(request, progress=bars)
    echo = Echo(json_out)
    echo.json(report.to_dict())
    _echo_assign(report, echo)
    if report.problems:
        echo_problems(report.problems, None, echo)
        raise typer.Exit(1)


def _echo_assign(report, echo: Echo) -> None:
    r = report.round
    joined = f"; joined: {', '.join(r.joined)}" if r.joined else ""
    echo(
        f"campaign {report.campaign} at {report.url}: {r.documents} new document(s) dealt, "
        f"{r.overlap_documents} of them to {report.per_document} annotators{joined}; "
        f"{report.documents} documents in all, {report.overlap_documents} shared "
        f"(plan: {report.plan})"
    )
    for name, a in report.annotators.items():
        echo(
            f"  {name}: {a.assigned} documents ({a.new} new, {a.overlap} shared) in "
            f"{a.project}, {a.uploaded} uploaded; member: {a.membership}"
        )
    for note in report.notes:
        echo(f"note: {note}")


def status_cli(
    *,
    campaign: Annotated[
        str | None,
        typer.Option("--campaign", help="A campaign (`goldwire annotate assign`).",
                     show_default=False),
    ] = None,
    project: Annotated[
        str | None,
        typer.Option("--project", help="One Doccano project instead.", show_default=False),
    ] = None,
    agreement: Annotated[
        bool,
        typer.Option("--agreement/--no-agreement",
                     help="With --campaign: also pull the work into a temporary folder for "
                     "the documents done by all and the agreement so far."),
    ] = True,
    url: UrlOption = None,
    username: UsernameOption = None,
    password_stdin: PasswordStdinOption = False,
    json_out: StatusJsonOption = None,
) -> None:  # fmt: skip
    """Progress per annotator: assigned, started, confirmed, spans and stances so far, last
    activity; per campaign: documents done by all their annotators, agreement so far.

    Counts come from doccano's metrics (no export). Doccano records no times, so the last
    activity is when a status or pull first saw the annotator's counts change.

    Example: goldwire annotate status --campaign spring --json -
    """
    from goldwire.annotate.campaign_status import StatusRequest, status
    from goldwire.progress import Bars

    request = StatusRequest(campaign, project, agreement=agreement, url=url, username=username,
                            password=_stdin_password(password_stdin))  # fmt: skip
    with Bars(enabled=not is_stdout(json_out)) as bars:
        report = status(request, progress=bars)
    echo = Echo(json_out)
    echo.json(report.to_dict())
    _echo_status(report, echo)


def _echo_status(report, echo: Echo) -> None:
    what = f"campaign {report.campaign}" if report.campaign else f"project {report.project}"
    echo(f"{what} at {report.url}: {report.documents} documents")
    for name, a in report.annotators.items():
        state = "started" if a.started else "not started"
        last = a.last_activity or "-"
        echo(
            f"  {name}: {a.assigned} assigned, {state}, {a.confirmed} confirmed, {a.spans} "
            f"spans, {a.stances} stances, {a.doc_stances} document stances "
            f"({a.suggested} suggested); last activity {last}"
        )
    if report.done_by_all is not None:
        echo(
            f"done by all their annotators: {report.done_by_all} of {report.documents} "
            f"({report.overlap_done_by_all} of {report.overlap_documents} shared)"
        )
    if report.agreement is not None:
        a = report.agreement
        fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
        echo(
            f"agreement so far on the shared documents ({a['documents_multiply_annotated']} "
            f"annotated by two or more): span F1 exact {fmt(a['span_f1_exact'])}, token kappa "
            f"{fmt(a['token_kappa'])}, stance F1 {fmt(a['stance_f1_mention'])}"
        )
    for note in report.notes:
        echo(f"note: {note}")


__all__ = ["assign_cli", "status_cli"]
