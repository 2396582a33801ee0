"""``goldwire evaluate``: score extraction models against gold."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Score entity and stance predictions against gold.\n\n"
    "Example: goldwire evaluate score --gold seeds/gold/seed.jsonl --pred preds.jsonl",
    no_args_is_help=True,
)
