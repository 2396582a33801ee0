"""``goldwire annotate``: Doccano server, push, pull, agreement, adjudication."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Annotate in Doccano: run a server, push documents, pull annotations back.\n\n"
    "Example: goldwire annotate server start",
    no_args_is_help=True,
)
