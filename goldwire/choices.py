"""Enums of named choices (matching schemes, modes) parsed from user input with one error."""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

from goldwire.errors import UsageError

E = TypeVar("E", bound=Enum)


def parse_choice(cls: type[E], value: str | E, what: str) -> E:
    """``cls(value)``, or a UsageError naming ``what`` and the valid choices."""
    try:
        return cls(value)
    except ValueError:
        choices = ", ".join(str(c.value) for c in cls)
        raise UsageError(f"unknown {what} {value!r}; use one of {choices}") from None
