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

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from goldwire import SCHEMA_VERSION
from goldwire.corpus.build_report import BuildReport, account_file
from goldwire.corpus.config import BuildConfig
from goldwire.corpus.layout import get_layout
from goldwire.corpus.steps import (
    FileResult,
    init_worker,
    preset_split,
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
    import multiprocessing as mp

    ctx = mp.get_context("fork" if hasattr(os, "fork") else "spawn")
    chunk = max(1, min(64, len(files) // (config.workers * 8) or 1))
    # A stop signal while the pool forks its workers would raise between a fork and the pool
    # recording that worker: an orphan nobody stops, holding the command's output open. The
    # signals wait (blocked, inherited by the workers, which unblock them in init_worker)
    # until the pool is entered, whose exit then stops every worker it made.
    previous = block_stop_signals()
    try:
        pool = ctx.Pool(config.workers, initializer=init_worker, initargs=(config,))
    except BaseException:
        restore_signals(previous)
        raise
    with pool:
        restore_signals(previous)
        yield from pool.imap(process_in_worker, [str(p) for p in files], chunksize=chunk)


class LocalEngine(Engine):
    """This machine: worker processes (``--workers``), rows spooled to one Arrow file."""

    def stage(self, files, config, work, report, progress):
        from datasets.arrow_writer import ArrowWriter

        n_perm = config.minhash.num_perm if config.minhash else 1
        ids: list[str] = []
        sigs = _Rows(n_perm, len(files))
        preset: list[str | None] = []
        sources: list[str] = []
        writer = ArrowWriter(features=features(config.labels), path=str(work / "spool.arrow"))
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
