"""The root ``goldwire`` command: mounts the ``corpus``, ``annotate`` and ``evaluate`` apps.

This is the one place where goldwire errors become exit codes: a GoldwireError is printed as
one line on stderr (no traceback unless ``--debug``). Sub-app modules import only typer and
the standard library at module level, so ``goldwire --help`` starts fast.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from typer.core import TyperGroup

from goldwire import __version__
from goldwire.errors import GoldwireError


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


def main() -> None:
    app(prog_name="goldwire")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
