"""Engines: where a build's per-file steps run and how the kept rows are written.

An :class:`Engine` runs :mod:`goldwire.corpus.steps` over every file (``stage``) and writes
each split's kept rows (``write``); the global step (:func:`goldwire.corpus.manifest.decide`)
runs in between, in the build's own process, on what ``stage`` returns (:class:`Staged`).
``start`` and ``close`` bracket an engine's work (the Ray engine connects to or starts Ray
and shuts it down); the build times every one of these calls as a phase.

* :class:`LocalEngine`: this machine, in-process or a process pool (:func:`run_local`), rows
  spooled to one Arrow file;
* ``RayEngine`` (:mod:`goldwire.corpus.ray_engine`, imported only when chosen): Ray Data tasks.

:data:`ENGINES` is the dispatch table behind ``--engine``; :func:`get_engine` checks the
engine against the layout.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from goldwire import SCHEMA_VERSION
from goldwire.corpus.build_report import BuildReport, account_file
from goldwire.corpus.config import BuildConfig
from goldwire.corpus.layout import get_layout
from goldwire.corpus.steps import (
    ChunkResult,
    FileResult,
    init_worker,
    preset_split,
    process_chunk_in_worker,
    process_file,
    process_in_worker,
)
from goldwire.errors import UsageError
from goldwire.features import features
from goldwire.outputs import block_stop_signals, restore_signals
from goldwire.progress import Progress

READING = "reading files"  # the progress phase of ``stage``: done and total files


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

    ``stage`` runs :func:`~goldwire.corpus.steps.process_bytes` over every file, keeps the
    rows somewhere under ``work``, accounts every file with
    :func:`~goldwire.corpus.build_report.account_file` (reporting ``progress(READING, done,
    total)``) and returns the global step's input; ``write`` writes each split's rows
    (indices into the staged order) into ``out``.
    """

    def start(self, config: BuildConfig) -> None:
        """Get ready to stage (connect to a cluster); called before ``stage``."""

    def stage(self, files: list[Path], config: BuildConfig, work: Path, report: BuildReport,
              progress: Progress) -> Staged:  # fmt: skip
        raise NotImplementedError

    def write(self, work: Path, by_split: dict[str, list[int]], out: Path,
              config: BuildConfig) -> None:  # fmt: skip
        raise NotImplementedError

    def close(self) -> None:
        """Release what ``start`` started (a Ray instance); called however the build ends."""


def run_local(files: list[Path], config: BuildConfig) -> Iterator[FileResult]:
    """The local engine's map: in-process for one worker, else a process pool (order kept)."""
    if config.workers <= 1:
        for path in files:
            yield process_file(path, config)
        return
    chunk = max(1, min(64, len(files) // (config.workers * 8) or 1))
    with _worker_pool(config) as pool:
        yield from pool.imap(process_in_worker, [str(p) for p in files], chunksize=chunk)


def run_chunks(files: list[Path], config: BuildConfig, shards: Path) -> Iterator[ChunkResult]:
    """The local engine's map over worker processes that write their rows to their own Arrow
    shards in ``shards`` (:func:`~goldwire.corpus.steps.process_chunk_in_worker`): chunks of
    consecutive files, results in input order."""
    size = max(1, min(256, len(files) // (config.workers * 8) or 1))
    tasks = [(k, [str(p) for p in files[i : i + size]])
             for k, i in enumerate(range(0, len(files), size))]  # fmt: skip
    with _worker_pool(config, shards) as pool:
        yield from pool.imap(process_chunk_in_worker, tasks)


@contextlib.contextmanager
def _worker_pool(config: BuildConfig, shards: Path | None = None) -> Iterator[Any]:
    """A pool of ``config.workers`` processes (:func:`~goldwire.corpus.steps.init_worker`)."""
    import multiprocessing as mp

    ctx = mp.get_context("fork" if hasattr(os, "fork") else "spawn")
    # A stop signal while the pool forks its workers would raise between a fork and the pool
    # recording that worker: an orphan nobody stops, holding the command's output open. The
    # signals wait (blocked, inherited by the workers, which unblock them in init_worker)
    # until the pool is entered, whose exit then stops every worker it made.
    previous = block_stop_signals()
    try:
        pool = ctx.Pool(config.workers, initializer=init_worker, initargs=(config, shards))
    except BaseException:
        restore_signals(previous)
        raise
    with pool:
        restore_signals(previous)
        yield pool


class LocalEngine(Engine):
    """This machine: worker processes (``--workers``), rows spooled to one Arrow file."""

    def stage(self, files, config, work, report, progress):
        if config.workers > 1:
            return self._stage_shards(files, config, work, report, progress)
        from datasets.arrow_writer import ArrowWriter

        n_perm = config.minhash.num_perm if config.minhash else 1
        ids: list[str] = []
        sigs = _Rows(n_perm, len(files))
        preset: list[str | None] = []
        sources: list[str] = []
        writer = ArrowWriter(features=features(config.labels), path=str(work / SPOOL))
        progress(READING, 0, len(files))
        try:
            for done, res in enumerate(run_local(files, config), 1):
                account_file(report, res, len(res.docs), config)
                for row, sig in res.docs:
                    writer.write(row)  # encoded by the worker
                    ids.append(row["id"])
                    sources.append(row["source"])
                    preset.append(preset_split(row["meta"]))
                    if sig is not None:
                        sigs.add(sig)
                progress(READING, done, len(files))
        finally:
            writer.finalize()
            writer.close()
        sig_matrix = sigs.array() if config.minhash else np.zeros((len(ids), 1), np.uint32)
        return Staged(ids, sig_matrix, preset, sources)

    def _stage_shards(self, files, config, work, report, progress):
        """Worker processes write the rows to their own shards (``work/shards``) and send back
        only ids, sources, preset splits and signatures (:class:`ChunkResult`)."""
        n_perm = config.minhash.num_perm if config.minhash else 1
        ids: list[str] = []
        sigs = _Rows(n_perm, len(files))
        preset: list[str | None] = []
        sources: list[str] = []
        shards = work / SHARDS
        shards.mkdir(exist_ok=True)
        _empty_spool(work / SPOOL, config)  # this process writes no row: the shards hold them
        done = 0
        progress(READING, 0, len(files))
        for chunk in run_chunks(files, config, shards):
            ids += chunk.ids
            sources += chunk.sources
            preset += chunk.preset
            for sig in () if chunk.sigs is None else chunk.sigs:
                sigs.add(sig)
            for res, kept in chunk.files:
                account_file(report, res, kept, config)
                done += 1
                progress(READING, done, len(files))
        sig_matrix = sigs.array() if config.minhash else np.zeros((len(ids), 1), np.uint32)
        return Staged(ids, sig_matrix, preset, sources)

    def write(self, work, by_split, out, config):
        from datasets.utils.logging import disable_progress_bar

        disable_progress_bar()
        spool = _spool(work)
        splits = {s: spool.select(idx) for s, idx in by_split.items()}
        for ds in splits.values():
            ds.info.description = f"goldwire corpus {config.dataset_name}"
            ds.info.version = f"{SCHEMA_VERSION}.0.0"
        row_bytes = spool.data.nbytes / max(1, spool.num_rows)
        get_layout(config.layout_name).write(splits, out, row_bytes)
        del splits, spool
        (work / SPOOL).unlink(missing_ok=True)
        shutil.rmtree(work / SHARDS, ignore_errors=True)


SPOOL = "spool.arrow"  # the rows this process wrote (none when workers write shards)
SHARDS = "shards"  # the workers' shards, one per chunk of files (names sort in input order)


def _spool(work: Path):
    """The staged rows, in input order: the spool this process wrote, into which the
    workers' shards, if any, are first merged end to end (:func:`_merge_shards`)."""
    from datasets import Dataset

    _merge_shards(work)
    return Dataset.from_file(str(work / SPOOL))


_MERGED_BATCH = 1000  # rows per record batch of the merged spool (a shard's are fewer)


def _merge_shards(work: Path) -> None:
    """The workers' shards, end to end, as the one spool (replacing the empty one this process
    wrote) in batches of about :data:`_MERGED_BATCH` rows: an Arrow copy, one batch in memory
    at a time, where selecting rows across many small memory-mapped files costs more."""
    import pyarrow as pa

    parts = sorted((work / SHARDS).glob("shard-*.arrow"))
    if not parts:
        return
    merged = work / "merged.arrow"
    writer = None
    pending: list = []
    with pa.OSFile(str(merged), "wb") as sink:
        for part in parts:
            with pa.OSFile(str(part)) as source:
                reader = pa.ipc.open_stream(source)
                writer = writer or pa.ipc.new_stream(sink, reader.schema)
                for batch in reader:
                    pending.append(batch)
                    if sum(b.num_rows for b in pending) >= _MERGED_BATCH:
                        writer.write_table(pa.Table.from_batches(pending).combine_chunks())
                        pending = []
        if pending:
            writer.write_table(pa.Table.from_batches(pending).combine_chunks())
        if writer is not None:
            writer.close()
    merged.replace(work / SPOOL)
    shutil.rmtree(work / SHARDS)


def _empty_spool(path: Path, config: BuildConfig) -> None:
    from datasets.arrow_writer import ArrowWriter

    writer = ArrowWriter(features=features(config.labels), path=str(path))
    writer.finalize()
    writer.close()


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
