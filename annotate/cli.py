"""``goldwire annotate``: Doccano server, push, pull, agreement, adjudication."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

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


def _echo_status(status, *, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(status.to_dict(), indent=2))
        return
    state = "running" if status.running else "not running"
    kind = "" if status.managed else " (not managed by goldwire)"
    typer.echo(f"doccano{kind}: {status.url} ({state})")
    typer.echo(f"health: {status.health}")
    if status.pids:
        typer.echo("pids: " + ", ".join(f"{name} {pid}" for name, pid in status.pids.items()))
    if status.username:
        typer.echo(f"admin: {status.username} (password in {status.credentials})")
    for name, log in status.logs.items():
        typer.echo(f"{name} log: {log}")


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
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
) -> None:
    """Install if needed, initialise and start Doccano on 127.0.0.1; harmless when running.

    Example: goldwire annotate server start --port 8000
    """
    from goldwire.annotate import server
    from goldwire.annotate.settings import check_port, server_paths

    port = check_port(port) if port is not None else None
    if not server.venv_ready(server_paths().venv) and not as_json:
        typer.echo("installing doccano into its own venv (takes a minute or two)...", err=True)
    status = server.start(port=port, username=username, timeout=timeout)
    if not as_json:
        typer.echo("already running" if status.already_running else "started")
    _echo_status(status, as_json=as_json)


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
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
) -> None:
    """Show URL, pids, admin user, log files and health; exit code 1 unless healthy.

    Example: goldwire annotate server status --json
    """
    from goldwire.annotate import server

    status = server.status(url=url)
    _echo_status(status, as_json=as_json)
    if not status.healthy:
        raise typer.Exit(1)
