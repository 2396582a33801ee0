"""``goldwire annotate``: Doccano server, push, pull, agreement, adjudication.

Thin Typer wrappers: each command parses its options (long declarations are the module-level
``Annotated`` aliases), calls one library function (:mod:`~goldwire.annotate.server`,
:func:`~goldwire.annotate.push.push_corpus`, :func:`~goldwire.annotate.pull.pull_to_folder`;
agreement and adjudication in :mod:`~goldwire.annotate.agreement_cli`) with
:class:`goldwire.progress.Bars` as its progress, and prints the result (``_echo_*``).
Errors become exit codes in :mod:`goldwire.cli`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from goldwire.annotate.agreement_cli import (
    FolderArgument,
    MinAgreeOption,
    StrategyOption,
    UnconfirmedOption,
)
from goldwire.annotate.cli_common import Echo, json_option
from goldwire.annotate.cli_echo import echo_pull, echo_push
from goldwire.files import is_stdout

app = typer.Typer(
    help="Annotate in Doccano: run a server, push documents, pull annotations back.\n\n"
    "Example: goldwire annotate server start",
    no_args_is_help=True,
)

server_app = typer.Typer(
    name="server",
    help="Run a local Doccano server (doccano 1.8.4 in its own venv, data under GOLDWIRE_HOME).\n\n"
    "Example: goldwire annotate server start --port 8000",
    no_args_is_help=True,
)
app.add_typer(server_app, name="server")

PortOption = Annotated[
    int | None,
    typer.Option(
        "--port",
        envvar="GOLDWIRE_DOCCANO_PORT",
        help="Port on 127.0.0.1 for the managed server (default 8000).",
        show_default=False,
    ),
]


StatusJsonOption = json_option("the status")


def _echo_status(status, echo: Echo) -> None:
    echo.json(status.to_dict())
    state = "running" if status.running else "not running"
    kind = "" if status.managed else " (not managed by goldwire)"
    echo(f"doccano{kind}: {status.url} ({state})")
    echo(f"health: {status.health}")
    if status.pids:
        echo("pids: " + ", ".join(f"{name} {pid}" for name, pid in status.pids.items()))
    if status.username:
        echo(f"admin: {status.username} (password in {status.credentials})")
    if status.public_hosts:
        echo("public hosts: " + ", ".join(status.public_hosts))
    for name, log in status.logs.items():
        echo(f"{name} log: {log}")


@server_app.command("install")
def install_cli(
    *,
    venv: Annotated[
        Path | None,
        typer.Option(
            "--venv",
            envvar="GOLDWIRE_DOCCANO_VENV",
            help="Virtual environment to install into (default: GOLDWIRE_HOME/doccano/venv).",
            show_default=False,
        ),
    ] = None,
    python: Annotated[
        str | None,
        typer.Option(
            "--python",
            envvar="GOLDWIRE_DOCCANO_PYTHON",
            help="Python 3.10 or 3.11 interpreter to build the venv with.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Rebuild the venv from scratch.")] = False,
) -> None:
    """Install doccano into the server's own venv (done by `start` when missing).

    Example: goldwire annotate server install
    """
    from goldwire.annotate import server

    info = server.install(venv, python=python, force=force)
    verb = f"installed in {info.seconds:g} s" if info.installed else "already installed"
    typer.echo(f"doccano {info.doccano} {verb}: {info.path}")


@server_app.command("start")
def start_cli(
    *,
    port: PortOption = None,
    username: Annotated[
        str | None,
        typer.Option(
            "--username",
            envvar="GOLDWIRE_DOCCANO_USERNAME",
            help="Admin account to create (default: admin). Its password comes from "
            "GOLDWIRE_DOCCANO_PASSWORD, else one is generated and saved (mode 0600).",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds to wait for the server to be healthy.")
    ] = 180.0,
    public_host: Annotated[
        list[str] | None,
        typer.Option(
            "--public-host",
            envvar="GOLDWIRE_DOCCANO_PUBLIC_HOST",
            help="NAME[:PORT] a reverse proxy serves this server under (repeatable): its "
            "requests are accepted and its https/http origin trusted for CSRF. Without it "
            "only 127.0.0.1, localhost and [::1] are answered.",
            show_default=False,
        ),
    ] = None,
    json_out: StatusJsonOption = None,
) -> None:
    """Install if needed, initialise and start Doccano on 127.0.0.1; harmless when running.

    No other web page may read its API (no cross-origin access); requests for host names
    other than the loopback ones and --public-host are refused (400).

    Example: goldwire annotate server start --port 8000
    """
    from goldwire.annotate import server
    from goldwire.annotate.settings import check_port, server_paths

    port = check_port(port) if port is not None else None
    server.public_host_settings(public_host or ())  # a bad name fails before the install
    echo = Echo(json_out)
    if not server.venv_ready(server_paths().venv):
        echo("installing doccano into its own venv (takes a minute or two)...", err=True)
    status = server.start(
        port=port, username=username, timeout=timeout, public_hosts=public_host or ()
    )
    echo("already running" if status.already_running else "started")
    _echo_status(status, echo)


@server_app.command("stop")
def stop_cli(
    *,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout", help="Seconds to let running requests and tasks finish before killing."
        ),
    ] = 20.0,
) -> None:
    """Stop the processes `start` started (and only those); harmless when not running.

    Example: goldwire annotate server stop
    """
    from goldwire.annotate import server

    report = server.stop(timeout=timeout)
    if report.stopped:
        pids = ", ".join(f"{name} {pid}" for name, pid in report.stopped.items())
        typer.echo(f"stopped doccano at {report.url} ({pids})")
    else:
        typer.echo("doccano was not running")
    if report.not_ours:
        pids = ", ".join(f"{name} {pid}" for name, pid in report.not_ours.items())
        typer.echo(f"left alone: pids now used by other programs ({pids})")


@server_app.command("status")
def status_cli(
    *,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            envvar="GOLDWIRE_DOCCANO_URL",
            help="Check this Doccano server instead of the managed one.",
        ),
    ] = None,
    json_out: StatusJsonOption = None,
) -> None:
    """Show URL, pids, admin user, log files and health; exit code 1 unless healthy.

    Example: goldwire annotate server status --json -
    """
    from goldwire.annotate import server

    status = server.status(url=url)
    _echo_status(status, Echo(json_out))
    if not status.healthy:
        raise typer.Exit(1)


# -- push and pull ---------------------------------------------------------------------------

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        envvar="GOLDWIRE_DOCCANO_URL",
        help="Doccano server (default: the managed one, with its saved admin login).",
        show_default=False,
    ),
]
UsernameOption = Annotated[
    str | None,
    typer.Option(
        "--username", envvar="GOLDWIRE_DOCCANO_USERNAME", help="Doccano user.", show_default=False
    ),
]
PasswordStdinOption = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the Doccano password from standard input (default: GOLDWIRE_DOCCANO_PASSWORD, "
        "or the managed server's saved one); a password is never an argument, since every "
        "local user can read a command line.",
    ),
]


def _stdin_password(wanted: bool) -> str | None:
    """The first line of standard input when ``--password-stdin`` is given, else None."""
    if not wanted:
        return None
    import sys

    from goldwire.errors import UsageError

    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise UsageError(
            "--password-stdin read no password from standard input; pipe it in, e.g. "
            "`pass show doccano | goldwire annotate ... --password-stdin`"
        )
    return password


ProjectOption = Annotated[
    str, typer.Option("--project", help="Doccano project name.", show_default=False)
]
CorpusArgument = Annotated[
    Path,
    typer.Argument(
        help="A goldwire dataset folder (`goldwire corpus build`) or a goldwire JSONL file.",
        show_default=False,
    ),
]
PushSplitOption = Annotated[
    str | None,
    typer.Option("--split", help="Push one split of a dataset (default: all).", show_default=False),
]
PushLabelsOption = Annotated[
    Path | None,
    typer.Option(
        "--labels",
        help="Label schema TOML (default: the dataset's own, else goldwire/labels.toml).",
        show_default=False,
    ),
]
PreAnnotateOption = Annotated[
    Path | None,
    typer.Option(
        "--pre-annotate",
        help="Goldwire JSONL predictions (matched by id) to upload as suggestions.",
        show_default=False,
    ),
]
AsUserOption = Annotated[
    str | None,
    typer.Option(
        "--as-user",
        envvar="GOLDWIRE_DOCCANO_AS_USER",
        help="Create the suggestions as this annotator (doccano shows each user only their "
        "own labels); the password comes from GOLDWIRE_DOCCANO_AS_USER_PASSWORD.",
        show_default=False,
    ),
]
SuggestionsFromOption = Annotated[
    str | None,
    typer.Option(
        "--suggestions-from",
        help="Name of the model the suggestions come from, recorded with each suggestion "
        "(default: the --pre-annotate file's name).",
        show_default=False,
    ),
]
BatchSizeOption = Annotated[
    int, typer.Option("--batch-size", min=1, max=1000, help="Documents per upload.")
]
FullCheckOption = Annotated[
    bool,
    typer.Option(
        "--full-check",
        help="List the project through the export even when the local record of the last "
        "push is still valid.",
    ),
]
ProblemsOption = Annotated[
    Path | None,
    typer.Option("--problems", help="Write every problem as JSONL here.", show_default=False),
]
PushJsonOption = json_option("the report")


@app.command("push")
def push_cli(
    corpus: CorpusArgument,
    *,
    project: ProjectOption,
    split: PushSplitOption = None,
    labels: PushLabelsOption = None,
    pre_annotate: PreAnnotateOption = None,
    as_user: AsUserOption = None,
    suggestions_from: SuggestionsFromOption = None,
    batch_size: BatchSizeOption = 1000,
    full_check: FullCheckOption = False,
    problems: ProblemsOption = None,
    url: UrlOption = None,
    username: UsernameOption = None,
    password_stdin: PasswordStdinOption = False,
    json_out: PushJsonOption = None,
) -> None:
    """Push a corpus into a Doccano project; only documents not there yet are uploaded.

    Creates (or reuses) a sequence-labelling project with relations, labels kept per
    annotator, offsets in UTF-16 units (grapheme mode off), the goldwire guidelines; syncs
    entity labels as span types and stance labels as relation types; adds a NAME-docstance
    classification project when the label schema has doc_stance_targets. Exit code 1 when
    something was not uploaded (text mismatch, dropped span, ...): see --problems.

    Example: goldwire annotate push data/seed --project seed --pre-annotate seeds/gold/seed.jsonl
    """
    from goldwire.annotate.push import PushRequest, push_corpus
    from goldwire.progress import Bars

    password = _stdin_password(password_stdin)
    request = PushRequest(corpus, project, split=split, labels=labels, pre_annotate=pre_annotate,
                          as_user=as_user, suggestions_from=suggestions_from,
                          batch_size=batch_size, full_check=full_check,
                          problems=problems, url=url, username=username,
                          password=password)  # fmt: skip
    with Bars(enabled=not is_stdout(json_out)) as bars:
        report = push_corpus(request, progress=bars)
    echo = Echo(json_out)
    echo.json(report.to_dict())
    echo_push(report, problems, echo)
    if report.problems:
        raise typer.Exit(1)


OutOption = Annotated[
    Path,
    typer.Option(
        "--out",
        help="Pull folder: annotators/<username>.jsonl, summary.json, snapshots/.",
        show_default=False,
    ),
]
PullCorpusOption = Annotated[
    Path | None,
    typer.Option(
        "--corpus",
        help="The pushed corpus (dataset folder or JSONL): documents get its fields, and "
        "every example's text must equal the corpus text.",
        show_default=False,
    ),
]
PullSplitOption = Annotated[
    str | None, typer.Option("--split", help="With --corpus: one split.", show_default=False)
]
PullLabelsOption = Annotated[
    Path | None,
    typer.Option(
        "--labels",
        help="Label schema TOML: labels outside it are reported.",
        show_default=False,
    ),
]
ExcludeOption = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude",
        help="Leave this user out (e.g. the admin who owns model suggestions); repeatable.",
        show_default=False,
    ),
]
ToolVersionOption = Annotated[
    str | None,
    typer.Option(
        "--tool-version",
        help="A remote server's doccano version, recorded with the pulled work (the managed "
        "server's is known; otherwise 'unknown (remote)').",
        show_default=False,
    ),
]
PullJsonOption = json_option("the summary")


PullProjectOption = Annotated[
    str | None,
    typer.Option("--project", help="Doccano project name.", show_default=False),
]
CampaignOption = Annotated[
    str | None,
    typer.Option(
        "--campaign",
        help="Pull a campaign (`goldwire annotate assign`): each annotator's work from their "
        "own project, into one folder (instead of --project).",
        show_default=False,
    ),
]


@app.command("pull")
def pull_cli(
    *,
    out: OutOption,
    project: PullProjectOption = None,
    campaign: CampaignOption = None,
    corpus: PullCorpusOption = None,
    split: PullSplitOption = None,
    labels: PullLabelsOption = None,
    exclude: ExcludeOption = None,
    tool_version: ToolVersionOption = None,
    url: UrlOption = None,
    username: UsernameOption = None,
    password_stdin: PasswordStdinOption = False,
    json_out: PullJsonOption = None,
) -> None:
    """Pull every annotator's work into one goldwire JSONL per annotator, offsets checked.

    Goes through Doccano's export (the API shows only one's own labels); converts UTF-16 (or
    grapheme) offsets to code points; reports every span that cannot be mapped in
    OUT/problems.jsonl. Each pull is also kept in OUT/snapshots/<UTC time>/; annotators
    removed from the project keep their last file in OUT/annotators/. Exit code 1 when
    there were problems.

    With --campaign NAME: every annotator's work from their own project of the campaign
    (any other member's work there is a problem), and OUT/campaign.json, the plan, so that
    agreement uses the documents assigned to more than one annotator.

    Example: goldwire annotate pull --project seed --out annotations/seed
    """
    from goldwire.annotate.pull import PullRequest, pull_to_folder
    from goldwire.progress import Bars

    password = _stdin_password(password_stdin)
    request = PullRequest(project, out, corpus=corpus, split=split, labels=labels,
                          exclude=tuple(exclude or ()), tool_version=tool_version, url=url,
                          username=username, password=password,
                          campaign=campaign)  # fmt: skip
    with Bars(enabled=not is_stdout(json_out)) as bars:
        report = pull_to_folder(request, progress=bars)
    echo = Echo(json_out)
    echo.json(report.to_dict())
    echo_pull(report, echo)
    if report.problems:
        raise typer.Exit(1)


ReviewerOption = Annotated[
    str,
    typer.Option(
        "--reviewer",
        help="The reviewer's Doccano account: the candidates are created as this user "
        "(password from GOLDWIRE_DOCCANO_REVIEWER_PASSWORD).",
        show_default=False,
    ),
]
ReviewJsonOption = json_option("the report")


@app.command("review")
def review_cli(
    folder: FolderArgument,
    *,
    project: ProjectOption,
    reviewer: ReviewerOption,
    strategy: StrategyOption = "majority",
    min_agree: MinAgreeOption = 1,
    include_unconfirmed: UnconfirmedOption = False,
    labels: PushLabelsOption = None,
    url: UrlOption = None,
    username: UsernameOption = None,
    password_stdin: PasswordStdinOption = False,
    json_out: ReviewJsonOption = None,
) -> None:
    """Push the disputed documents into a review project, every candidate pre-loaded.

    Adjudicates FOLDER as `adjudicate` does; the documents with items left for review go to
    PROJECT (overlapping spans allowed), each annotator's candidates created as the reviewer,
    who chose what in each example's metadata (goldwire_votes). Then: the reviewer decides
    and marks each example done; `goldwire annotate pull --project PROJECT --out REVIEW`;
    `goldwire annotate adjudicate FOLDER --review REVIEW --out gold.jsonl`.

    Example: goldwire annotate review pulls/seed --project seed-review --reviewer carol
    """
    from goldwire.annotate.review import ReviewRequest, review
    from goldwire.progress import Bars

    password = _stdin_password(password_stdin)
    request = ReviewRequest(folder, project, reviewer, strategy=strategy, min_agree=min_agree,
                            include_unconfirmed=include_unconfirmed, labels=labels, url=url,
                            username=username, password=password)  # fmt: skip
    with Bars(enabled=not is_stdout(json_out)) as bars:
        report = review(request, progress=bars)
    echo = Echo(json_out)
    echo.json(report.to_dict())
    echo(
        f"{len(report.disputed)} of {report.documents} documents have items left for review "
        f"({report.strategy}); candidates: "
        + ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in report.candidates.items())
    )
    if report.push is not None:
        echo_push(report.push, None, echo)
        if report.push.problems:
            raise typer.Exit(1)
    else:
        echo("nothing to review: nothing was pushed")


def _mount_commands() -> None:
    from goldwire.annotate.accounts_cli import members_app, users_app
    from goldwire.annotate.agreement_cli import adjudicate_cmd, agreement_cmd
    from goldwire.annotate.campaign_cli import assign_cli, status_cli

    app.command("agreement")(agreement_cmd)
    app.command("adjudicate")(adjudicate_cmd)
    app.add_typer(users_app, name="users")
    app.add_typer(members_app, name="members")
    app.command("assign")(assign_cli)
    app.command("status")(status_cli)


_mount_commands()
