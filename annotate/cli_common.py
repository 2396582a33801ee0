"""What the ``goldwire annotate`` commands share: the ``--json PATH`` option (``-``: standard
output) and the echo that moves human output to standard error when the JSON goes to
standard output, so that standard output then holds JSON only."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from goldwire.files import is_stdout, write_json

_JSON_HELP = "here ('-': standard output, the summary then goes to standard error)."


def json_option(what: str) -> Any:
    """The ``--json PATH`` option of a command writing ``what`` (e.g. "the report")."""
    return Annotated[
        Path | None,
        typer.Option("--json", help=f"Also write {what} as JSON {_JSON_HELP}", show_default=False),
    ]


class Echo:
    """``typer.echo`` for a command's human output: on standard error when ``json_path`` is
    ``-``, or for a line asked to go there (``err=True``)."""

    def __init__(self, json_path: str | Path | None = None) -> None:
        self.json_path = json_path
        self.to_err = is_stdout(json_path)

    def __call__(self, text: str = "", *, err: bool = False) -> None:
        typer.echo(text, err=err or self.to_err)

    def json(self, data: Any) -> None:
        """Write ``data`` to ``--json`` (nothing without the option)."""
        if self.json_path is not None:
            write_json(self.json_path, data)


__all__ = ["Echo", "json_option"]
