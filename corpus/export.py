"""Export a goldwire dataset: goldwire JSONL, CoNLL (IOB2) or sharded Parquet.

Only gold is exported unless asked otherwise: a document is written when a layer the format
holds carries gold (:func:`goldwire.provenance.has_gold` of its status):

* JSONL and Parquet hold every layer: documents with gold on at least one layer (each
  document's ``annotation`` travels with it, so a reader knows which layers are gold);
* CoNLL holds entities only: documents whose ``entities`` layer carries gold.

With ``include_all`` the other documents are written too, marked: in JSONL and Parquet by
their status (``annotation``), in CoNLL by token lines without a tag column
(:mod:`goldwire.corpus.conll_export`), so they can never be read as all-``O`` training data.
Each split's :class:`SplitExport` counts the documents written, and those left out (or, with
``include_all``, written without gold) by reason.

Documents are read through :mod:`goldwire.corpus.dataset`; JSONL and CoNLL files are written
through :mod:`goldwire.files` (each appears whole or not at all), the Parquet shards by
``datasets`` (a split with no document to write has no shard). :data:`EXPORTERS` is the
dispatch table behind ``--format``.

``--out`` follows :mod:`goldwire.outputs`' rule: nothing yet, an empty folder or a folder an
earlier export wrote (:data:`EXPORT`), never the dataset folder being read, a folder inside it
or one holding it; the export writes its files into that folder.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldwire import __version__
from goldwire.corpus.coverage import annotations
from goldwire.errors import SettingError, UsageError
from goldwire.files import atomic_open, write_json, write_jsonl
from goldwire.outputs import OutputKind, check_output, no_space_named
from goldwire.provenance import LAYERS, has_gold

DEFAULT_SHARD_ROWS = 50_000
NO_GOLD = "no layer carries gold"
#: what ``--out`` of an export may already be (besides nothing or an empty folder): a folder
#: an earlier export wrote, recognised by the hidden marker each export writes into it
EXPORT = OutputKind("goldwire export", ".goldwire-export.json")


@dataclass(frozen=True)
class Selection:
    """Which documents a format exports: those with gold on one of ``layers``; with
    ``include_all``, every document (those without gold marked)."""

    layers: tuple[str, ...]
    include_all: bool = False

    def __post_init__(self) -> None:
        unknown = [layer for layer in self.layers if layer not in LAYERS]
        if not self.layers or unknown:
            raise SettingError(f"layers must be some of {', '.join(LAYERS)}, got {self.layers}")

    def reason(self, annotation: Mapping[str, Any]) -> str | None:
        """Why a document has no gold for this format (``None``: it has)."""
        statuses = {layer: annotation.get(layer) or "" for layer in self.layers}
        if any(has_gold(status) for status in statuses.values()):
            return None
        if len(self.layers) == 1:
            (layer, status), = statuses.items()  # fmt: skip
            return f"{layer} status {status or '(empty)'}"
        return NO_GOLD


@dataclass
class SplitExport:
    """One split's counts: documents written, and by reason those without gold that were
    left out or (``include_all``) written marked."""

    written: int = 0
    without_gold: Counter = field(default_factory=Counter)
    left_out: Counter = field(default_factory=Counter)

    def take(self, reason: str | None, include_all: bool) -> bool:
        """Count a document; whether to write it."""
        if reason is not None and not include_all:
            self.left_out[reason] += 1
            return False
        self.written += 1
        if reason is not None:
            self.without_gold[reason] += 1
        return True

    def to_json(self) -> dict[str, Any]:
        return {
            "written": self.written,
            "without_gold": dict(sorted(self.without_gold.items())),
            "left_out": dict(sorted(self.left_out.items())),
        }


@dataclass
class ExportReport:
    format: str
    out: str
    include_all: bool
    splits: dict[str, SplitExport] = field(default_factory=dict)

    @property
    def written(self) -> int:
        return sum(s.written for s in self.splits.values())

    @property
    def left_out(self) -> int:
        return sum(sum(s.left_out.values()) for s in self.splits.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "out": self.out,
            "all": self.include_all,
            "splits": {s: c.to_json() for s, c in self.splits.items()},
        }


def _selected(source, split: str, selection: Selection, counts: SplitExport) -> Iterator:
    """``(document, reason)`` of the documents of ``split`` to write, counting every one."""
    for doc in source.iter(split):
        reason = selection.reason(doc.annotation.to_json())
        if counts.take(reason, selection.include_all):
            yield doc, reason


def export_jsonl(source, out: Path, split: str, selection: Selection) -> SplitExport:
    counts = SplitExport()
    docs = (doc.to_json() for doc, _ in _selected(source, split, selection, counts))
    write_jsonl(out / f"{split}.jsonl", docs)
    return counts


def export_conll(source, out: Path, split: str, selection: Selection) -> SplitExport:
    from goldwire.corpus.conll_export import document_to_conll

    counts = SplitExport()
    with atomic_open(out / f"{split}.conll") as fh:
        for doc, reason in _selected(source, split, selection, counts):
            for line in document_to_conll(doc, tagged=reason is None):
                fh.write(line + "\n")
    return counts


def export_parquet(source, out: Path, split: str, selection: Selection,
                   shard_rows: int = DEFAULT_SHARD_ROWS) -> SplitExport:  # fmt: skip
    """Sharded Parquet, ``<split>/part-00000.parquet``, readable by any Parquet reader and by
    ``datasets.load_dataset("parquet", data_dir=out)``."""
    counts = SplitExport()
    ds = source.dataset[split]
    rows = [
        i
        for i, annotation in enumerate(annotations(ds))
        if counts.take(selection.reason(annotation), selection.include_all)
    ]
    if len(rows) < ds.num_rows:
        ds = ds.select(rows, keep_in_memory=True)  # nothing written beside the corpus
    if not ds.num_rows:  # no file: `datasets` cannot read a Parquet file without rows
        return counts
    (out / split).mkdir(parents=True, exist_ok=True)
    shards = -(-ds.num_rows // shard_rows)
    for i in range(shards):
        shard = ds.shard(num_shards=shards, index=i, contiguous=True)
        shard.to_parquet(str(out / split / f"part-{i:05d}.parquet"))
    return counts


@dataclass(frozen=True)
class Exporter:
    write: Callable[..., SplitExport]
    layers: tuple[str, ...]  # the layers the format holds


EXPORTERS: dict[str, Exporter] = {
    "jsonl": Exporter(export_jsonl, LAYERS),
    "conll": Exporter(export_conll, ("entities",)),
    "parquet": Exporter(export_parquet, LAYERS),
}


def export(dataset_dir: Path, out: Path, fmt: str, splits: list[str] | None = None, *,
           include_all: bool = False) -> ExportReport:  # fmt: skip
    """Write the gold documents of ``splits`` (default: all) of a dataset in ``fmt``; with
    ``include_all`` every document, those without gold marked.

    ``out`` must be new, empty or an earlier export (it holds :data:`EXPORT`'s marker, which
    every export writes), and neither the dataset folder, inside it nor holding it:
    OutputError before anything is read. A full disk is one DiskFullError naming ``out``."""
    from goldwire.corpus.dataset import open_source

    if fmt not in EXPORTERS:
        raise UsageError(f"unknown export format {fmt!r}; choose one of {', '.join(EXPORTERS)}")
    out = Path(out)
    check_output(out, EXPORT, [("dataset", Path(dataset_dir))])
    source = open_source(dataset_dir, hint="a goldwire dataset folder (`goldwire corpus build`)")
    if not source.is_corpus:
        raise UsageError(f"{dataset_dir}: not a dataset folder; export reads a goldwire "
                         "dataset folder (`goldwire corpus build`)")  # fmt: skip
    chosen = splits or source.splits
    for s in chosen:
        if s not in source.dataset:
            raise UsageError(f"{dataset_dir}: no split {s!r}; the dataset has "
                             f"{', '.join(source.splits)}")  # fmt: skip
    exporter = EXPORTERS[fmt]
    selection = Selection(exporter.layers, include_all)
    report = ExportReport(fmt, str(out), include_all)
    with no_space_named(out):
        write_json(out / EXPORT.marker, {"written_by": "goldwire corpus export",
                                         "goldwire_version": __version__})  # fmt: skip
        for split in chosen:
            report.splits[split] = exporter.write(source, out, split, selection)
    return report


__all__ = [
    "EXPORT",
    "EXPORTERS",
    "NO_GOLD",
    "ExportReport",
    "Exporter",
    "Selection",
    "SplitExport",
    "export",
    "export_conll",
    "export_jsonl",
    "export_parquet",
]
