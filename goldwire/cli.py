"""The root ``goldwire`` command: mounts the ``corpus``, ``annotate`` and ``evaluate`` apps.

This is the one place where goldwire errors become exit codes: a GoldwireError is printed as
one line on stderr (no traceback unless ``--debug``).

Start-up (``bench/startup.py``): the stage apps are mounted lazily (:data:`STAGES`,
:class:`_RootGroup`): a stage's module is imported and its click group built only when one of
its commands runs or its help is shown; ``goldwire --help`` lists the stages from the table.
Sub-app modules import only typer and the standard library at module level. Typer's coercion
of a parameter (a pydantic TypeAdapter) is built only when the parameter gets a value
(:func:`_defer_typer_coercion`), so help does not import pydantic.

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
from collections.abc import Iterator, MutableMapping
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


#: The stages ``goldwire`` mounts, in the order its help lists them: name -> (the module of the
#: stage's Typer ``app``, that app's help, which ``goldwire --help`` shows without importing
#: the module; tests/test_cli.py checks that it is the app's own).
STAGES: dict[str, tuple[str, str]] = {
    "corpus": (
        "goldwire.corpus.cli",
        "Build a typed Hugging Face dataset from raw articles, inspect it, export it.\n\n"
        "Example: goldwire corpus build seeds/articles --out data/seed",
    ),
    "annotate": (
        "goldwire.annotate.cli",
        "Annotate in Doccano: run a server, push documents, pull annotations back.\n\n"
        "Example: goldwire annotate server start",
    ),
    "evaluate": (
        "goldwire.evaluate.cli",
        "Score entity and stance predictions against gold.\n\n"
        "Example: goldwire evaluate score --gold seeds/gold/seed.jsonl --pred preds.jsonl",
    ),
}


class _Stages(MutableMapping):
    """The root group's commands, in order: the click group of a stage in :data:`STAGES` is
    built (by ``build``) the first time it is looked up; commands added are kept as given."""

    def __init__(self, commands: dict, build) -> None:
        self._names = list(dict.fromkeys([*STAGES, *commands]))
        self._commands = dict(commands)
        self._build = build

    def __getitem__(self, name: str):
        if name not in self._commands:
            if name not in self._names:
                raise KeyError(name)
            self._commands[name] = self._build(name)
        return self._commands[name]

    def __setitem__(self, name: str, command) -> None:
        if name not in self._names:
            self._names.append(name)
        self._commands[name] = command

    def __delitem__(self, name: str) -> None:
        self._names.remove(name)
        self._commands.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._names))

    def __len__(self) -> int:
        return len(self._names)

    def is_built(self, name: str) -> bool:
        return name in self._commands


class _RootGroup(_GoldwireGroup):
    """``goldwire``: its stages are built on first use; its help lists them from
    :data:`STAGES` (a stand-in group with the stage's name and help) without building them."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.commands = _Stages(self.commands, _build_stage)
        self._listing = False

    def list_commands(self, ctx) -> list[str]:
        return list(self.commands)  # the names, without building the stages

    def get_command(self, ctx, cmd_name: str):
        if self._listing and cmd_name in STAGES and not self.commands.is_built(cmd_name):
            return TyperGroup(name=cmd_name, help=STAGES[cmd_name][1],
                              rich_markup_mode=self.rich_markup_mode)  # fmt: skip
        return super().get_command(ctx, cmd_name)

    def format_help(self, ctx, formatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


def _build_stage(name: str) -> TyperGroup:
    """The click group of a stage, as ``app.add_typer(stage_app, name=name)`` builds it."""
    from typer.main import get_group_from_info
    from typer.models import TyperInfo

    # __import__ rather than importlib.import_module: -X importtime then counts it too
    stage_app = __import__(STAGES[name][0], fromlist=["app"]).app
    return get_group_from_info(
        TyperInfo(stage_app, name=name),
        pretty_exceptions_short=app.pretty_exceptions_short,
        suggest_commands=app.suggest_commands,
        rich_markup_mode=app.rich_markup_mode,
    )


def _defer_typer_coercion() -> None:
    """Make typer build a parameter's coercion (a pydantic TypeAdapter, and the import of
    pydantic with the first) only when the parameter gets a value to coerce.

    Typer (0.2x with ``_TyperParameter.get_runtime_param``) builds it for every parameter it
    processes, also for an option that was not given, whose value (None) the coercion never
    sees: typer's ``RuntimeParam.coerce`` returns None (or ``()``) before using it. The stand-in
    inherits that ``coerce``, and on the first value replaces itself with typer's own
    coercion, so every value goes through typer's code as before. With another typer this
    does nothing (the help is then only slower)."""
    from typer import core

    param_cls = getattr(core, "_TyperParameter", None)
    try:
        from typer._coercion import RuntimeParam, build_runtime_param
    except ImportError:
        return
    if param_cls is None or not hasattr(param_cls, "get_runtime_param"):
        return

    class _Deferred(RuntimeParam):
        def _coerce_value(self, value, param, ctx):
            param._runtime_param = build_runtime_param(param.type_descriptor)
            return param._runtime_param._coerce_value(value, param=param, ctx=ctx)

    def get_runtime_param(self):
        if self._runtime_param is None:
            desc = self.type_descriptor
            self._runtime_param = _Deferred(desc.parameter_info, desc.annotation)
        return self._runtime_param

    param_cls.get_runtime_param = get_runtime_param


_defer_typer_coercion()

app = typer.Typer(
    cls=_RootGroup,
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
