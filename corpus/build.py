"""The corpus pipeline: files -> per-document steps -> global step -> DatasetDict.

1. **Per-file / per-document steps** (pure functions, run by an engine: in-process or in
   worker processes): read bytes, decode, normalise, pick a reader, parse, finalise each
   document (id from its text, hash, language, span check) and compute its MinHash signature.
   Each step returns documents or :class:`Rejection` records: nothing is dropped silently.
2. **Global step** (:func:`goldwire.corpus.manifest.decide`): exact and near-duplicate
   clusters and split assignment over ids, preset splits and signatures only, honouring the
   manifest of an earlier build.
3. **Writer**: documents are spooled to an Arrow file as they arrive (memory stays flat), then
   each split is selected and written with ``save_to_disk`` into a temporary folder that
   replaces the output folder only when everything succeeded.

Every count reconciles: ``documents.seen == kept + exact + near + rejected`` and
``files.found == files.read + files.rejected``.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from goldwire import SCHEMA_VERSION, __version__
from goldwire.corpus.dataset import GOLDWIRE_META, MANIFEST, REPORT
from goldwire.corpus.dedup import MinHashConfig, signature
from goldwire.corpus.layout import get_layout
from goldwire.corpus.manifest import EXACT, KEPT, NEAR, Manifest, decide
from goldwire.corpus.normalize import decode_bytes, normalize_text
from goldwire.corpus.readers import (
    AUTO_ORDER,
    READERS,
    Reader,
    ReadOptions,
    Rejection,
    detect,
    get_reader,
)
from goldwire.corpus.split import SPLITS, SplitRatios
from goldwire.errors import InputError, SchemaError, UsageError
from goldwire.schema import Document, LabelSchema, document_id, features

_HEAD = 8192


@dataclass(frozen=True)
class BuildConfig:
    inputs: tuple[Path, ...]
    out: Path
    name: str = ""
    format: str = "auto"
    read: ReadOptions = field(default_factory=ReadOptions)
    workers: int = 1
    strict: bool = False
    minhash: MinHashConfig | None = field(default_factory=MinHashConfig)
    ratios: SplitRatios = field(default_factory=SplitRatios)
    labels: LabelSchema = field(default_factory=LabelSchema.default)
    fresh: bool = False  # ignore the manifest of an earlier build in ``out``
    manifest: Path | None = None  # take the manifest from here instead of ``out``
    engine: str = "local"  # local | ray (see ENGINES)
    layout: str | None = None  # arrow | parquet; default: the engine's own
    ray_address: str | None = None  # a running Ray cluster; None starts a local instance
    progress: bool = False  # engines without per-file callbacks (Ray) show their own bars

    @property
    def dataset_name(self) -> str:
        return self.name or self.out.name

    @property
    def layout_name(self) -> str:
        return self.layout or ("parquet" if self.engine == "ray" else "arrow")


# --------------------------------------------------------------------------- per-file step


@dataclass
class FileResult:
    path: str
    reader: str | None
    encoding: str | None
    docs: list[tuple[dict[str, Any], np.ndarray | None]]
    rejections: list[Rejection]
    documents_seen: int = 0

    def summary(self) -> dict[str, Any]:
        """Everything but the rows (for engines that keep the rows elsewhere)."""
        return {
            "path": self.path,
            "reader": self.reader,
            "encoding": self.encoding,
            "documents_seen": self.documents_seen,
            "docs": len(self.docs),
            "rejections": [r.to_json() for r in self.rejections],
        }

    @classmethod
    def from_summary(cls, data: dict[str, Any]) -> FileResult:
        rejections = [Rejection.from_json(r) for r in data["rejections"]]
        return cls(data["path"], data["reader"], data["encoding"], [], rejections,
                   data["documents_seen"])  # fmt: skip


_WORKER_CONFIG: BuildConfig | None = None


def _init_worker(config: BuildConfig) -> None:
    global _WORKER_CONFIG
    _WORKER_CONFIG = config


def _process_in_worker(path: str) -> FileResult:
    assert _WORKER_CONFIG is not None
    return process_file(Path(path), _WORKER_CONFIG)


def process_file(path: Path, config: BuildConfig) -> FileResult:
    """Read, decode, parse and finalise every document of one file (pure)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        source = str(path)
        return FileResult(
            source,
            None,
            None,
            [],
            [Rejection(source, "unreadable", f"{source}: cannot read ({exc.strerror})")],
        )
    return process_bytes(path, data, config)


def process_bytes(path: Path, data: bytes, config: BuildConfig) -> FileResult:
    """Decode, parse and finalise every document of one file's bytes (pure)."""
    source = str(path)
    result = FileResult(source, None, None, [], [])
    reader = _declared_encoding_reader(path, data, config)
    try:
        if reader is not None and reader.encoding:  # the reader's own encoding: no sniffing
            text, encoding = data.decode(reader.encoding), reader.encoding
        else:
            text, encoding = decode_bytes(data, source)
    except UnicodeDecodeError as exc:
        result.rejections.append(Rejection(source, "undecodable", f"{source}: {exc}"))
        return result
    except InputError as exc:
        reason = getattr(exc, "reason", "undecodable")
        result.rejections.append(Rejection(source, reason, str(exc)))
        return result
    result.encoding = encoding
    text = normalize_text(text)
    if reader is None and config.format == "auto":
        reader = detect(path, text[:_HEAD])
        if reader is None:
            result.rejections.append(
                Rejection(
                    source,
                    "unknown-format",
                    f"{source}: no reader recognises this file; pass --format "
                    f"({', '.join(READERS)})",
                )
            )
            return result
    elif reader is None:
        reader = get_reader(config.format)
    result.reader = reader.name
    try:
        items = list(reader.read(path, text, config.read))
    except InputError as exc:
        result.rejections.append(Rejection(source, "unparseable", str(exc)))
        return result
    for item in items:
        result.documents_seen += 1
        if isinstance(item, Rejection):
            result.rejections.append(item)
            continue
        try:
            row = finalize(item, encoding, config)
        except SchemaError as exc:
            result.rejections.append(Rejection(item.source or source, "schema", str(exc)))
            continue
        sig = signature(row["text"], config.minhash) if config.minhash else None
        result.docs.append((_features_for(config.labels).encode_example(row), sig))
    return result


def _declared_encoding_reader(path: Path, data: bytes, config: BuildConfig) -> Reader | None:
    """The reader for this file when it declares its own encoding (``Reader.encoding``)."""
    if config.format != "auto":
        reader = get_reader(config.format)
        return reader if reader.encoding else None
    for name in AUTO_ORDER:
        reader = READERS[name]
        if reader.encoding and reader.sniff(
            path, data[:_HEAD].decode(reader.encoding, errors="replace")
        ):
            return reader
    return None


def finalize(doc: Document, encoding: str, config: BuildConfig) -> dict[str, Any]:
    """Fill id, hash, language and encoding; check every span; return the dataset row."""
    if not unicodedata.is_normalized("NFC", doc.text):
        raise SchemaError(
            f"{doc.source}: the reader produced text that is not NFC; this is a goldwire bug, "
            "please report it with the file"
        )
    doc.id = document_id(doc.text)
    doc.text_sha256 = ""
    doc.__post_init__()
    if not doc.language:
        doc.language = detect_language(doc.text)
    doc.meta.setdefault("encoding", encoding)
    doc.validate(config.labels)
    return doc.to_row()


@functools.lru_cache(maxsize=4)
def _features_for(labels: LabelSchema):
    return features(labels)


_LANGID = None


def detect_language(text: str) -> str | None:
    """ISO 639-1 code from py3langid (its model ships inside the package), None if unsure."""
    global _LANGID
    if _LANGID is None:
        import py3langid

        _LANGID = py3langid
    sample = text[:1000]
    if sum(ch.isalpha() for ch in sample) < 20:
        return None
    lang, _ = _LANGID.classify(sample)
    return lang


# --------------------------------------------------------------------------- engine


def discover(inputs: Iterable[Path]) -> list[Path]:
    """Files under the inputs, sorted; hidden files and folders are skipped."""
    files: list[Path] = []
    for root in inputs:
        if root.is_file():
            files.append(root)
        elif root.is_dir():
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                files.extend(Path(dirpath) / f for f in sorted(filenames) if not f.startswith("."))
        else:
            raise UsageError(f"{root}: no such file or folder; check the input path")
    return files


def run_local(files: list[Path], config: BuildConfig) -> Iterator[FileResult]:
    """The local engine's map: in-process for one worker, else a process pool (order kept)."""
    if config.workers <= 1:
        for path in files:
            yield process_file(path, config)
        return
    import multiprocessing as mp

    ctx = mp.get_context("fork" if hasattr(os, "fork") else "spawn")
    chunk = max(1, min(64, len(files) // (config.workers * 8) or 1))
    with ctx.Pool(config.workers, initializer=_init_worker, initargs=(config,)) as pool:
        yield from pool.imap(_process_in_worker, [str(p) for p in files], chunksize=chunk)


@dataclass
class Staged:
    """What the global step sees, in input order (files as discovered, documents in file
    order): ids, MinHash signatures (one row each), the readers' own splits and sources."""

    ids: list[str]
    sigs: np.ndarray
    preset: list[str | None]
    sources: Sequence[str]  # a list, or list-like (only the duplicates' are read)


class Engine:
    """Runs the per-file steps and writes the kept rows; the global step stays in between.

    ``stage`` runs :func:`process_bytes` over every file, keeps the rows somewhere under
    ``work``, accounts every file with :func:`account_file` and returns the global step's
    input; ``write`` writes each split's rows (indices into the staged order) into ``out``.
    """

    def stage(self, files, config, work: Path, report: BuildReport, on_file) -> Staged:
        raise NotImplementedError

    def write(self, work: Path, by_split: dict[str, list[int]], out: Path, config) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Release what ``stage`` started (a Ray instance); called however the build ends."""


class LocalEngine(Engine):
    """This machine: worker processes (``--workers``), rows spooled to one Arrow file."""

    def stage(self, files, config, work, report, on_file):
        from datasets.arrow_writer import ArrowWriter

        n_perm = config.minhash.num_perm if config.minhash else 1
        ids: list[str] = []
        sigs = _Rows(n_perm, len(files))
        preset: list[str | None] = []
        sources: list[str] = []
        writer = ArrowWriter(features=features(config.labels), path=str(work / "spool.arrow"))
        try:
            for res in run_local(files, config):
                account_file(report, res, len(res.docs), config)
                for row, sig in res.docs:
                    writer.write(row)  # encoded by the worker
                    ids.append(row["id"])
                    sources.append(row["source"])
                    preset.append(preset_split(row["meta"]))
                    if sig is not None:
                        sigs.add(sig)
                if on_file is not None:
                    on_file(res)
        finally:
            writer.finalize()
            writer.close()
        sig_matrix = sigs.array() if config.minhash else np.zeros((len(ids), 1), np.uint32)
        return Staged(ids, sig_matrix, preset, sources)

    def write(self, work, by_split, out, config):
        from datasets import Dataset
        from datasets.utils.logging import disable_progress_bar

        disable_progress_bar()
        spool = Dataset.from_file(str(work / "spool.arrow"))
        splits = {s: spool.select(idx) for s, idx in by_split.items()}
        for ds in splits.values():
            ds.info.description = f"goldwire corpus {config.dataset_name}"
            ds.info.version = f"{SCHEMA_VERSION}.0.0"
        row_bytes = spool.data.nbytes / max(1, spool.num_rows)
        get_layout(config.layout_name).write(splits, out, row_bytes)
        del splits, spool
        (work / "spool.arrow").unlink()


def _ray_engine() -> Engine:
    from goldwire.corpus.ray_engine import RayEngine

    return RayEngine()


ENGINES: dict[str, Callable[[], Engine]] = {"local": LocalEngine, "ray": _ray_engine}


def get_engine(config: BuildConfig) -> Engine:
    if config.engine not in ENGINES:
        raise UsageError(f"unknown engine {config.engine!r}; choose one of {', '.join(ENGINES)}")
    if config.engine == "ray" and config.layout_name != "parquet":
        raise UsageError("the ray engine writes the parquet layout; drop --layout arrow")
    return ENGINES[config.engine]()


def account_file(report: BuildReport, res: FileResult, n_docs: int, config: BuildConfig) -> None:
    """Count one file's outcome into the report (``n_docs``: its documents that were kept).

    A file that yields no document at all is a rejected file; otherwise its bad items are
    rejected documents of a file that was read. Under ``--strict`` the first rejection raises.
    """
    report.file_formats[res.path] = res.reader or "none"
    file_level = not n_docs and bool(res.rejections)
    if file_level:
        report.files_rejected += 1
    else:
        report.files_read += 1
        report.documents_seen += res.documents_seen
        report.encodings[res.encoding or "unknown"] += 1
    for rej in res.rejections:
        if config.strict:
            raise InputError(f"{rej.message} (stopped by --strict)")
        report.rejections.append(rej.to_json())
        if not file_level:
            report.rejected += 1


def preset_split(meta: list[dict[str, str]] | None) -> str | None:
    """The reader's own split of an encoded row (CoNLL-2003 brings one), if it is ours."""
    split = meta and _meta_get(meta, "split")
    return split if split in SPLITS else None


# --------------------------------------------------------------------------- build


@dataclass
class BuildReport:
    name: str
    out: str
    files_found: int = 0
    files_read: int = 0
    files_rejected: int = 0
    file_formats: dict[str, str] = field(default_factory=dict)  # path -> reader (auto says which)
    encodings: Counter = field(default_factory=Counter)
    documents_seen: int = 0
    kept: int = 0
    exact_duplicates: int = 0
    near_duplicates: int = 0
    rejected: int = 0
    rejections: list[dict[str, str]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    splits: dict[str, int] = field(default_factory=dict)
    near_duplicate_clusters: int = 0
    seconds: float = 0.0
    incremental: bool = False

    @property
    def rejections_by_reason(self) -> Counter:
        return Counter(r["reason"] for r in self.rejections)

    def reconciles(self) -> bool:
        return (
            self.files_found == self.files_read + self.files_rejected
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
            "duplicates": self.duplicates,
            "warnings": self.warnings,
            "reconciles": self.reconciles(),
            "incremental": self.incremental,
            "seconds": round(self.seconds, 3),
            "docs_per_second": round(self.documents_seen / self.seconds, 1)
            if self.seconds
            else None,
        }


def build_corpus(
    config: BuildConfig, on_file: Callable[[FileResult], None] | None = None
) -> BuildReport:
    """Build the dataset described by ``config``; returns the build report.

    ``on_file`` is called after each file (for progress bars). Under ``config.strict`` the
    first rejection raises an InputError and nothing is written.
    """
    started = time.perf_counter()
    files = discover(config.inputs)
    if not files:
        raise UsageError(
            f"no input files under {', '.join(map(str, config.inputs))}; give files or folders"
        )
    report = BuildReport(config.dataset_name, str(config.out), files_found=len(files))
    manifest_path = config.manifest or (config.out / MANIFEST)
    manifest = Manifest() if config.fresh else Manifest.load(manifest_path)
    report.incremental = bool(manifest.entries)
    engine = get_engine(config)
    work = staging_dir(config.out, "building")
    try:
        staged = engine.stage(files, config, work, report, on_file)
        ids, sources = staged.ids, staged.sources
        result = decide(ids, staged.sigs, staged.preset, manifest, config.ratios, config.minhash)
        del staged
        report.warnings.extend(result.warnings)
        report.near_duplicate_clusters = result.clusters
        by_split: dict[str, list[int]] = {s: [] for s in SPLITS}
        for i, d in enumerate(result.decisions):
            if d.status == KEPT:
                by_split[d.split].append(i)
                continue
            report.duplicates.append(
                {
                    "id": ids[i],
                    "source": sources[i],
                    "kind": "exact" if d.status == EXACT else "near",
                    "duplicate_of": d.duplicate_of,
                    "similarity": d.similarity,
                    "split": d.split,
                }
            )
        report.exact_duplicates = sum(1 for d in result.decisions if d.status == EXACT)
        report.near_duplicates = sum(1 for d in result.decisions if d.status == NEAR)
        report.kept = sum(len(v) for v in by_split.values())
        report.splits = {s: len(v) for s, v in by_split.items()}
        out = work / "dataset"
        engine.write(work, by_split, out, config)
        _finish(out, result.manifest, config, report, started)
        move_into_place(work, config.out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        engine.close()
    return report


def staging_dir(out: Path, what: str) -> Path:
    """A temporary folder next to ``out`` (same file system, so the final move is a rename)."""
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.{what}-", dir=parent))


class _Rows:
    """A growable uint32 matrix (amortised doubling), for signatures without per-row objects."""

    def __init__(self, width: int, expected: int = 1024) -> None:
        self.data = np.zeros((max(16, expected), width), dtype=np.uint32)
        self.n = 0

    def add(self, row: np.ndarray) -> None:
        if self.n == len(self.data):
            self.data = np.concatenate([self.data, np.zeros_like(self.data)])
        self.data[self.n] = row
        self.n += 1

    def array(self) -> np.ndarray:
        return self.data[: self.n]


def _meta_get(meta: list[dict[str, str]], key: str) -> str | None:
    for kv in meta:
        if kv["key"] == key:
            return kv["value"]
    return None


def _finish(out: Path, manifest: Manifest, config: BuildConfig, report, started) -> None:
    """The manifest, ``goldwire.json`` and the build report, next to the written splits."""
    manifest.save(out / MANIFEST)
    meta = {
        "name": config.dataset_name,
        "schema_version": SCHEMA_VERSION,
        "goldwire_version": __version__,
        "label_schema": config.labels.to_dict(),
        "layout": config.layout_name,
        "split_rows": dict(report.splits),
        "offsets": "Python code points into `text` (NFC, \\n line endings), end exclusive",
        "build": {
            "inputs": [str(p) for p in config.inputs],
            "format": config.format,
            "engine": config.engine,
            "year": config.read.year,
            "language": config.read.language,
            "split_ratios": [config.ratios.train, config.ratios.validation, config.ratios.test],
            "near_duplicates": (
                {
                    "threshold": config.minhash.threshold,
                    "num_perm": config.minhash.num_perm,
                    "shingle": config.minhash.shingle,
                    "bands": list(config.minhash.bands),
                }
                if config.minhash
                else None
            ),
        },
    }
    (out / GOLDWIRE_META).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    report.seconds = time.perf_counter() - started
    (out / REPORT).write_text(
        json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def move_into_place(work: Path, out: Path) -> None:
    """Move ``work/dataset`` to ``out``; an old ``out`` is removed only afterwards."""
    new = work / "dataset"
    backup = None
    if out.exists():
        backup = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(backup)
    try:
        new.rename(out)
    except BaseException:
        if backup is not None:
            backup.rename(out)
        raise
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
