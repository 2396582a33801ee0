"""The root ``goldwire`` command: mounts the ``corpus``, ``annotate`` and ``evaluate`` apps.

This is the one place where goldwire errors become exit codes: a GoldwireError is printed as
one line on stderr (no traceback unless ``--debug``). Sub-app modules import only typer and
the standard library at module level, so ``goldwire --help`` starts fast.

Stopping: Ctrl-C (SIGINT) prints ``interrupted`` and exits 130; :func:`main` makes SIGTERM and
SIGHUP raise :class:`~goldwire.errors.Terminated` (a KeyboardInterrupt) in the main thread,
so the same cleanups run (a build's staging folder is removed, the old output stays), then
prints ``terminated`` and exits 128 + the signal number. A second such signal stops at once,
without cleanup. Worker processes forked by the command die on the signal as usual.
(:class:`_Stopper`).
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Annotated

import typer
from typer.core import TyperGroup

from goldwire import __version__
from goldwire.errors import GoldwireError, Terminated

STOP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))


class _GoldwireGroup(TyperGroup):
    """Turns GoldwireError into one clean line and its exit code."""

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except GoldwireError as exc:
            if (ctx.obj or {}).get("debug"):
                raise
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except Terminated as exc:
            typer.echo("terminated", err=True)
            raise typer.Exit(128 + exc.signum) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None


def _subapp(name: str, help_text: str) -> typer.Typer:
    return typer.Typer(name=name, help=help_text, no_args_is_help=True, rich_markup_mode="rich")


app = typer.Typer(
    cls=_GoldwireGroup,
    help=(
        "goldwire: wire-service news articles to an annotated corpus and extraction "
        "benchmarks.\n\nExample: goldwire corpus build seeds/articles --out data/seed"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"goldwire {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show full tracebacks instead of one-line errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """goldwire root command."""
    ctx.obj = {"debug": debug}


def _mount() -> None:
    from goldwire.annotate.cli import app as annotate_app
    from goldwire.corpus.cli import app as corpus_app
    from goldwire.evaluate.cli import app as evaluate_app

    app.add_typer(corpus_app, name="corpus")
    app.add_typer(annotate_app, name="annotate")
    app.add_typer(evaluate_app, name="evaluate")


_mount()


class _Stopper:
    """The handler of SIGTERM and SIGHUP. In the ``goldwire`` process: raise Terminated, once
    (the signals then stop the process at once). In a process forked from it (a build's
    workers): die as without a handler. Python drops an exception raised where it ignores
    exceptions (an at-fork hook, ``__del__``) and tells :meth:`unraisable`, which sends the
    signal again so the command still stops; once stopping, what Python ignores while the
    interrupted objects are torn down (a half-built process pool) is not printed either."""

    def __init__(self, main_pid: int) -> None:
        self.main_pid = main_pid
        self.next_hook = sys.unraisablehook
        self.stopping = False

    def install(self) -> None:
        for s in STOP_SIGNALS:
            signal.signal(s, self)
        sys.unraisablehook = self.unraisable

    def __call__(self, signum: int, _frame) -> None:
        if os.getpid() != self.main_pid:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        for s in STOP_SIGNALS:
            signal.signal(s, signal.SIG_DFL)
        self.stopping = True
        raise Terminated(signum)

    def unraisable(self, info) -> None:
        if os.getpid() != self.main_pid or not self.stopping:
            self.next_hook(info)
            return
        if not isinstance(info.exc_value, Terminated):
            return
        import threading

        self.install()  # once more: the dropped one set the default handlers
        later = threading.Timer(0.01, os.kill, (self.main_pid, info.exc_value.signum))
        later.daemon = True
        later.start()


def main() -> None:
    _Stopper(os.getpid()).install()
    app(prog_name="goldwire")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
