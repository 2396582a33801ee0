"""What a goldwire JSON reader does with keys and files it does not know.

Two things every reader of goldwire JSONL (gold, predictions, pre-annotations, the corpus
stage's JSONL reader) shares:

* :func:`foreign_format` recognises a line (or file) written in another tool's format
  (Doccano, Label Studio, Prodigy, spaCy) and :func:`refuse_foreign` turns that into one
  :class:`~goldwire.errors.InputError` naming the format, so such a file is refused instead
  of being read as documents without annotations (and scored as all missed).
* :class:`UnknownKeys` counts the keys of documents and items that goldwire does not read;
  :meth:`UnknownKeys.note` is the one warning line a reader adds to its notes
  ("pred.jsonl: unknown keys ignored: foo (12 documents), entities[].confidence (340
  items)"): unknown keys are neither an error nor silently ignored.
"""

from __future__ import annotations

import json
import os
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

from goldwire.errors import InputError

DOCUMENT_KEYS = frozenset(
    "id text source agency dateline published published_raw title lead paragraphs language "
    "text_sha256 meta entities stances doc_stances annotation".split()
)
_MADE_BY = {"annotators", "score", "provenance", "suggested", "votes", "adjudicated_by"}
ITEM_KEYS = {
    "entities": frozenset({"id", "start", "end", "label", "text", *_MADE_BY}),
    "stances": frozenset({"holder", "target", "label", *_MADE_BY}),
    "doc_stances": frozenset({"target", "label", *_MADE_BY}),
}

CONVERT_HINT = (
    "converters come in a later release: convert it to goldwire JSONL (documents with "
    "`entities: [{start, end, label}]`)"
)


# --------------------------------------------------------------------------- foreign formats


def _labels(value: Any) -> bool:
    """A Doccano sequence-labelling ``label``: a list of ``[start, end, label]`` (maybe
    empty, for a document nobody labelled)."""
    return isinstance(value, list) and all(isinstance(v, list) and len(v) == 3 for v in value)


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else None


def foreign_format(data: Any) -> str | None:
    """The name of the foreign format ``data`` (one parsed JSON line or file) is written
    in, with the shape that gave it away; None when it is not one goldwire recognises."""
    if isinstance(data, list):
        head = _first(data)
        if isinstance(head, str) and len(data) == 2 and isinstance(data[1], dict):
            return "a spaCy training example (`[text, {entities: [[start, end, label]]}]`)"
        return foreign_format(head) if isinstance(head, dict) else None
    if not isinstance(data, dict):
        return None
    if _labels(data.get("label")) and "entities" not in data:
        return "a Doccano JSONL export (`label: [[start, end, label]]`)"
    entity = _first(data.get("entities"))
    if isinstance(entity, dict) and "start_offset" in entity:
        return "a Doccano JSONL export (`entities: [{start_offset, end_offset, label}]`)"
    if isinstance(data.get("data"), dict) and ("annotations" in data or "predictions" in data):
        return "a Label Studio task (`data` with `annotations`/`predictions` of `result`s)"
    span = _first(data.get("spans"))
    if (isinstance(span, dict) and "token_start" in span) or (
        "answer" in data and "entities" not in data
    ):
        return "a Prodigy JSONL record (`spans` with `token_start`, or `answer`)"
    para = _first(data.get("paragraphs"))
    if isinstance(para, dict) and "sentences" in para:
        return "spaCy's JSON training format (`paragraphs` of `sentences`)"
    return None


def refuse_foreign(data: Any, where: str) -> None:
    """Raise InputError when ``data`` (read at ``where``, e.g. ``PATH line 1``) is in a
    foreign format (:func:`foreign_format`)."""
    name = foreign_format(data)
    if name is not None:
        raise InputError(f"{where}: {name}, not goldwire JSONL; {CONVERT_HINT}")


_ZLIB = (b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda")


def refuse_foreign_file(path: str | os.PathLike[str]) -> None:
    """Raise InputError when the file at ``path`` is, as a whole, in a foreign format: a
    spaCy DocBin (``.spacy``: zlib-compressed binary), or one JSON array (a Label Studio
    export, spaCy's JSON training format) rather than one document a line. A file that
    cannot be opened is left to the reader, which says why."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return
    if path.suffix == ".spacy" or head[:2] in _ZLIB:
        raise InputError(
            f"{path}: a spaCy DocBin (`.spacy`, binary), not goldwire JSONL; {CONVERT_HINT}"
        )
    if not head.lstrip().startswith(b"["):
        return
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except (ValueError, OSError):
        return
    refuse_foreign(data, f"{path} line 1")


# --------------------------------------------------------------------------- unknown keys


class UnknownKeysWarning(UserWarning):
    """The warning :meth:`UnknownKeys.tell` issues when its reader keeps no notes."""


class UnknownKeys:
    """Counts, over one file, the keys goldwire does not read: per key, how many documents
    (top level) or items (``entities[].key``) have it."""

    def __init__(self) -> None:
        self.documents: Counter[str] = Counter()
        self.items: Counter[str] = Counter()

    def see(self, data: dict[str, Any]) -> None:
        """Count the unknown keys of one JSON document and of its items."""
        if not DOCUMENT_KEYS.issuperset(data):  # no set built per document or item
            self.documents.update(k for k in data if k not in DOCUMENT_KEYS)
        for layer, known in ITEM_KEYS.items():
            items = data.get(layer)
            if not isinstance(items, list):
                continue
            for item in items:
                if isinstance(item, dict) and not known.issuperset(item):
                    self.items.update(f"{layer}[].{k}" for k in item if k not in known)

    def note(self, where: str | os.PathLike[str]) -> str | None:
        """The one warning line for the file ``where``; None when every key was known."""
        parts = [f"{k} ({n} document{'' if n == 1 else 's'})" for k, n in
                 sorted(self.documents.items())]  # fmt: skip
        parts += [f"{k} ({n} item{'' if n == 1 else 's'})" for k, n in sorted(self.items.items())]
        if not parts:
            return None
        return f"{os.fspath(where)}: unknown keys ignored: {', '.join(parts)}"

    def tell(self, where: str | os.PathLike[str], notes: list[str] | None) -> None:
        """Append :meth:`note` to ``notes``; without ``notes``, issue it as a Python warning
        (a reader whose caller keeps no notes still says it)."""
        note = self.note(where)
        if note is None:
            return
        if notes is None:
            warnings.warn(note, UnknownKeysWarning, stacklevel=3)
        else:
            notes.append(note)


__all__ = [
    "CONVERT_HINT",
    "DOCUMENT_KEYS",
    "ITEM_KEYS",
    "UnknownKeys",
    "UnknownKeysWarning",
    "foreign_format",
    "refuse_foreign",
    "refuse_foreign_file",
]
