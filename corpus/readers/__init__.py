"""Input readers, one module per format, and ``--format auto`` detection.

``READERS`` maps a format name to its reader. ``detect`` picks a reader for a file from its
suffix and first kilobytes, in the order of ``AUTO_ORDER``, and the build report says which.
"""

from __future__ import annotations

from pathlib import Path

from goldwire.corpus.readers.base import Reader, ReadOptions, Rejection
from goldwire.corpus.readers.basil import BasilReader
from goldwire.corpus.readers.conll import ConllReader
from goldwire.corpus.readers.fnc1 import Fnc1Reader
from goldwire.corpus.readers.html import HtmlReader
from goldwire.corpus.readers.jsonl import JsonlReader
from goldwire.corpus.readers.reuters import ReutersReader
from goldwire.corpus.readers.wiretext import TassReader, TextReader
from goldwire.errors import UsageError

READERS: dict[str, Reader] = {
    r.name: r
    for r in (
        TassReader(),
        TextReader(),
        JsonlReader(),
        HtmlReader(),
        ConllReader(),
        BasilReader(),
        Fnc1Reader(),
        ReutersReader(),
    )
}
# specific checks first
AUTO_ORDER = ("reuters", "basil", "fnc1", "jsonl", "html", "tass", "conll", "text")


def get_reader(name: str) -> Reader:
    try:
        return READERS[name]
    except KeyError:
        raise UsageError(
            f"unknown format {name!r}; choose one of auto, {', '.join(READERS)}"
        ) from None


def detect(path: Path, head: str) -> Reader | None:
    """The first reader in AUTO_ORDER that recognises the file, or None."""
    for name in AUTO_ORDER:
        reader = READERS[name]
        if reader.sniff(path, head):
            return reader
    return None


__all__ = ["READERS", "AUTO_ORDER", "Reader", "ReadOptions", "Rejection", "detect", "get_reader"]
