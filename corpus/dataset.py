"""Reading documents: a goldwire corpus folder (either layout) or a goldwire JSONL file.

The one place every stage reads documents from; nothing outside the corpus build imports
the build pipeline to read a dataset.

* :func:`load_corpus`: a corpus folder as ``(DatasetDict, LabelSchema, meta)``, after
  checking ``goldwire.json`` and its schema version; a corpus of schema version 1 is
  migrated in memory (:mod:`goldwire.corpus.migrate`; its folder is not written to) and its
  ``meta`` says ``migrated_from``;
* :func:`iter_documents`: a corpus folder's documents (one split or all), as
  :class:`~goldwire.schema.Document` objects;
* :func:`open_source`: a corpus folder or a JSONL file, opened and checked but not read,
  as a :class:`Source` that knows its kind, splits, label schema and metadata;
* :func:`open_documents`: ``open_source(path).read(split)`` in one call.

A corpus folder holds the files named by the constants below next to its data.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldwire import SCHEMA_VERSION
from goldwire.errors import DatasetError, InputError, SchemaError, UsageError
from goldwire.features import features
from goldwire.schema import Document, LabelSchema, read_jsonl

GOLDWIRE_META = "goldwire.json"  # schema version, label schema, build settings, gold
MANIFEST = "manifest.jsonl"  # each id's split and kept / duplicate decision
REPORT = "build_report.json"  # what the build read, kept and rejected
CARD = "README.md"  # the data card

SOURCE_HINT = "a goldwire dataset folder (`goldwire corpus build`) or a goldwire JSONL file"


def read_meta(path: str | Path) -> dict[str, Any]:
    """``goldwire.json`` of a corpus folder, checked for a schema version this goldwire reads
    (its own, or one it migrates on load)."""
    from goldwire.corpus.migrate import MIGRATES

    path = Path(path)
    meta_path = path / GOLDWIRE_META
    if not meta_path.is_file():
        raise DatasetError(
            f"{path}: not a goldwire dataset (no {GOLDWIRE_META}); build one with "
            "`goldwire corpus build`"
        )
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetError(f"{meta_path}: cannot read it ({exc}); rebuild the dataset") from exc
    version = meta.get("schema_version") if isinstance(meta, dict) else None
    if version != SCHEMA_VERSION and version not in MIGRATES:
        raise DatasetError(
            f"{path}: schema version {version} but this goldwire reads {SCHEMA_VERSION} (and "
            f"migrates {', '.join(map(str, MIGRATES))}); rebuild the dataset with this goldwire"
        )
    return meta


def load_corpus(path: str | Path):
    """Load a goldwire dataset: returns ``(DatasetDict, LabelSchema, meta)``."""
    from goldwire.corpus.layout import get_layout

    path = Path(path)
    meta = read_meta(path)
    labels = LabelSchema.from_dict(meta["label_schema"])
    if meta["schema_version"] != SCHEMA_VERSION:
        from goldwire.corpus.migrate import load_migrated, migrated_meta

        return load_migrated(path, meta, labels), labels, migrated_meta(meta)
    layout = get_layout(meta.get("layout", "arrow"))
    return layout.load(path, meta, features(labels)), labels, meta


def _rows_to_documents(path: Path, split: str, rows, labels: LabelSchema) -> Iterator[Document]:
    for row in rows:
        try:
            yield Document.from_row(row, labels)
        except SchemaError as exc:
            raise type(exc)(f"{path} [{split}]: {exc}") from exc


def iter_documents(path: str | Path, split: str | None = None) -> Iterator[Document]:
    """Documents of a goldwire dataset (one split or all), as Document objects."""
    dd, labels, _ = load_corpus(path)
    for s in [split] if split else list(dd):
        if s not in dd:
            raise UsageError(f"{path}: no split {s!r}; the dataset has {', '.join(dd)}")
        yield from _rows_to_documents(Path(path), s, dd[s], labels)


@dataclass
class Documents:
    """Documents read from one source, with what the source says about them."""

    docs: list[Document]
    source: str
    split: str | None = None  # the split read (a corpus folder), None for all or for JSONL
    labels: LabelSchema | None = None  # a corpus folder's label schema; None for JSONL
    meta: dict[str, Any] = field(default_factory=dict)  # goldwire.json; {} for JSONL

    def __iter__(self) -> Iterator[Document]:
        return iter(self.docs)

    def __len__(self) -> int:
        return len(self.docs)


@dataclass
class Source:
    """A corpus folder or a goldwire JSONL file, opened and checked but not read yet."""

    path: Path
    dataset: Any = None  # the DatasetDict of a corpus folder
    labels: LabelSchema | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def is_corpus(self) -> bool:
        return self.dataset is not None

    @property
    def splits(self) -> list[str]:
        return list(self.dataset) if self.dataset is not None else []

    def iter(self, split: str | None = None) -> Iterator[Document]:
        """The documents of ``split`` (a corpus folder; ``None``: every split in order) or
        of the JSONL file (which has no splits: ``split`` must be ``None``)."""
        if not self.is_corpus:
            if split:
                raise UsageError(
                    f"--split {split} needs a dataset folder, not the JSONL file {self.path}"
                )
            yield from read_jsonl(self.path)
            return
        for s in [split] if split else self.splits:
            if s not in self.dataset:
                raise UsageError(f"{self.path}: no split {s!r}; the dataset has "
                                 f"{', '.join(self.splits)}")  # fmt: skip
            assert self.labels is not None
            yield from _rows_to_documents(self.path, s, self.dataset[s], self.labels)

    def read(self, split: str | None = None) -> Documents:
        """All documents of ``split`` (see :meth:`iter`) in memory."""
        docs = list(self.iter(split))
        return Documents(docs, str(self.path), split if self.is_corpus else None, self.labels,
                         dict(self.meta))  # fmt: skip


def open_source(path: str | Path, *, hint: str | None = None) -> Source:
    """Open a corpus folder (checking ``goldwire.json``) or a JSONL file. A path that does
    not exist raises InputError ``"PATH: no such file or folder; give HINT"``."""
    path = Path(path)
    if path.is_dir():
        dataset, labels, meta = load_corpus(path)
        return Source(path, dataset, labels, meta)
    if not path.is_file():
        raise InputError(f"{path}: no such file or folder; give {hint or SOURCE_HINT}")
    return Source(path)


def open_documents(
    path: str | Path, split: str | None = None, *, hint: str | None = None
) -> Documents:
    """The documents of a corpus folder (``split``, or all splits) or of a goldwire JSONL
    file (no ``split``), with the folder's label schema and metadata."""
    return open_source(path, hint=hint).read(split)


__all__ = [
    "CARD",
    "GOLDWIRE_META",
    "MANIFEST",
    "REPORT",
    "Documents",
    "Source",
    "iter_documents",
    "load_corpus",
    "open_documents",
    "open_source",
    "read_meta",
]
