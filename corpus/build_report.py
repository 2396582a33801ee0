"""The build report: what a corpus build read, kept and rejected, and how long it took.

:func:`account_walk` counts what the walk of the inputs found but did not read (skipped
entries, unreadable folders: :mod:`goldwire.corpus.discover`); :func:`account_file` counts one
file's outcome; the build fills the duplicates and splits. Every count reconciles
(:meth:`BuildReport.reconciles`): ``documents.seen == kept + exact + near + rejected`` and
``files.found == files.read + files.rejected + files.skipped``. :meth:`BuildReport.to_json` is
what ``build_report.json`` and ``goldwire corpus build --json`` hold.

Files are named as in the rows' ``source``: relative to the input root given on the command
line (:mod:`goldwire.corpus.sources`), in the lists and in the messages.

File names in the report are valid UTF-8 (:func:`goldwire.console.stored_name`: a byte that
is not UTF-8 is written as the four characters ``\\xNN``); the messages show names with
:func:`goldwire.console.shown_name` (escaped when they hold control characters).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldwire.console import shown_name, stored_name
from goldwire.corpus.config import BuildConfig
from goldwire.corpus.discover import Discovery
from goldwire.corpus.readers import Rejection
from goldwire.corpus.sources import renamed, source_name
from goldwire.corpus.steps import FileResult
from goldwire.errors import InputError


@dataclass
class BuildReport:
    name: str
    out: str
    files_found: int = 0
    files_read: int = 0
    files_rejected: int = 0
    # entries found but not read by design (hidden, symlinked folders, FIFOs): source, reason
    skipped: list[dict[str, str]] = field(default_factory=list)
    file_formats: dict[str, str] = field(default_factory=dict)  # path -> reader (auto says which)
    encodings: Counter = field(default_factory=Counter)
    documents_seen: int = 0
    kept: int = 0
    exact_duplicates: int = 0
    near_duplicates: int = 0
    rejected: int = 0
    rejections: list[dict[str, str]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    # near-duplicates inside a reader's own splits, kept (not dropped): id, what it duplicates
    official_duplicates: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    splits: dict[str, int] = field(default_factory=dict)
    near_duplicate_clusters: int = 0
    seconds: float = 0.0  # from the start to the dataset written (the phases up to "write")
    incremental: bool = False
    # seconds per phase, in order: discover, start, stage, decide, write, card, stop (see
    # goldwire.corpus.build); not in to_json: the same data built twice or by another engine
    # gives the same report
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def files_skipped(self) -> int:
        return len(self.skipped)

    @property
    def rejections_by_reason(self) -> Counter:
        return Counter(r["reason"] for r in self.rejections)

    def reconciles(self) -> bool:
        return (
            self.files_found == self.files_read + self.files_rejected + self.files_skipped
            and self.documents_seen
            == self.kept + self.exact_duplicates + self.near_duplicates + self.rejected
            and sum(self.splits.values()) == self.kept
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "out": self.out,
            "files": {
                "found": self.files_found,
                "read": self.files_read,
                "rejected": self.files_rejected,
                "skipped": self.files_skipped,
                "skipped_by_reason": dict(Counter(s["reason"] for s in self.skipped)),
                "formats": dict(Counter(self.file_formats.values())),
                "reader_by_file": self.file_formats,
                "encodings": dict(self.encodings),
            },
            "documents": {
                "seen": self.documents_seen,
                "kept": self.kept,
                "exact_duplicates": self.exact_duplicates,
                "near_duplicates": self.near_duplicates,
                "rejected": self.rejected,
            },
            "splits": self.splits,
            "near_duplicate_clusters": self.near_duplicate_clusters,
            "rejections_by_reason": dict(self.rejections_by_reason),
            "rejections": self.rejections,
            "skipped": self.skipped,
            "duplicates": self.duplicates,
            "official_duplicates": self.official_duplicates,
            "warnings": self.warnings,
            "reconciles": self.reconciles(),
            "incremental": self.incremental,
            "seconds": round(self.seconds, 3),
            "docs_per_second": round(self.documents_seen / self.seconds, 1)
            if self.seconds
            else None,
        }


def account_file(report: BuildReport, res: FileResult, n_docs: int, config: BuildConfig) -> None:
    """Count one file's outcome into the report (``n_docs``: its documents that were kept).

    A file that yields no document at all is a rejected file; otherwise its bad items are
    rejected documents of a file that was read. Under ``--strict`` the first rejection raises.
    """
    report.file_formats[stored_name(res.path)] = res.reader or "none"
    file_level = not n_docs and bool(res.rejections)
    if file_level:
        report.files_rejected += 1
    else:
        report.files_read += 1
        report.documents_seen += res.documents_seen
        report.encodings[res.encoding or "unknown"] += 1
    for rej in res.rejections:
        _reject(report, rej, config)
        if not file_level:
            report.rejected += 1


def account_walk(report: BuildReport, found: Discovery, config: BuildConfig) -> None:
    """Count what the walk found but will not read: unreadable folders are rejections (under
    ``--strict`` the first one raises), skipped entries are listed with their reason."""
    for rej in found.unreadable:
        name = source_name(Path(rej.source), config.inputs)
        message = renamed(rej.message, shown_name(rej.source), shown_name(name))
        _reject(report, Rejection(name, rej.reason, message, rej.item), config)
        report.files_rejected += 1
    for s in found.skipped:
        name = source_name(Path(s.source), config.inputs)
        message = renamed(s.message, shown_name(s.source), shown_name(name))
        report.skipped.append(
            {"source": stored_name(name), "reason": s.reason, "message": stored_name(message)}
        )


def _reject(report: BuildReport, rej: Rejection, config: BuildConfig) -> None:
    if config.strict:
        raise InputError(f"{rej.message} (stopped by --strict)")
    data = rej.to_json()
    report.rejections.append({k: stored_name(v) for k, v in data.items()})
