"""The corpus pipeline: files -> per-document steps -> global step -> DatasetDict + card.

:func:`build_corpus` orchestrates; each part lives in its own module:

1. **Per-file / per-document steps** (:mod:`goldwire.corpus.steps`, pure functions run by an
   engine of :mod:`goldwire.corpus.engines`: in-process, in worker processes or on Ray, see
   :mod:`goldwire.corpus.ray_engine`): read bytes, decode, normalise, pick a reader, parse,
   finalise each document (id from its text, hash, language, span check) and compute its
   MinHash signature. Each step returns documents or :class:`Rejection` records: nothing is
   dropped silently; :mod:`goldwire.corpus.build_report` counts them.
2. **Global step** (:func:`goldwire.corpus.manifest.decide`): exact and near-duplicate
   clusters and split assignment over ids, preset splits and signatures only, honouring the
   manifest of an earlier build.
3. **Writer** (the engine, then :mod:`goldwire.corpus.writing`): the local engine spools
   documents to an Arrow file as they arrive (memory stays flat), then each split is selected
   and written in the chosen layout into a temporary folder, with the manifest,
   ``goldwire.json``, ``build_report.json`` and the data card; that folder replaces the output
   folder only when everything succeeded.

Every count reconciles: ``documents.seen == kept + exact + near + rejected`` and
``files.found == files.read + files.rejected + files.skipped`` (the walk of the inputs:
:mod:`goldwire.corpus.discover`). The report's ``phases`` time each step:
discover, start (the engine's), stage, decide, write, card (and the move into place), stop.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from goldwire.corpus.build_report import BuildReport, account_walk
from goldwire.corpus.config import BuildConfig
from goldwire.corpus.dataset import MANIFEST
from goldwire.corpus.discover import discover
from goldwire.corpus.engines import get_engine
from goldwire.corpus.manifest import EXACT, KEPT, NEAR, GlobalResult, Manifest, decide
from goldwire.corpus.sources import input_name
from goldwire.corpus.split import SPLITS
from goldwire.corpus.writing import (
    STAGED,
    check_corpus_out,
    publish,
    write_build_files,
    write_report,
)
from goldwire.errors import UsageError
from goldwire.outputs import staging
from goldwire.progress import Progress, no_progress

__all__ = ["BuildConfig", "build_corpus", "discover"]


class _Clock:
    """Consecutive phases: each :meth:`lap` ends one and starts the next."""

    def __init__(self) -> None:
        self.started = self.last = time.perf_counter()
        self.phases: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.phases[name] = self.phases.get(name, 0.0) + now - self.last
        self.last = now

    def total(self) -> float:
        return self.last - self.started


def build_corpus(config: BuildConfig, progress: Progress = no_progress) -> BuildReport:
    """Build the dataset described by ``config`` and its data card; returns the build report.

    ``progress`` hears ``("reading files", done, total)`` as files are staged. The card goes
    into the dataset folder and, if ``config.card`` is set, there too. Under ``config.strict``
    the first rejection raises an InputError and nothing is written. ``config.out`` must be
    nothing yet, an empty folder or a goldwire corpus, and overlap no input: else an
    OutputError before anything is read (:func:`goldwire.corpus.writing.check_corpus_out`).
    """
    check_corpus_out(config.out, [("input", p) for p in config.inputs])
    clock = _Clock()
    found = discover(config.inputs, follow_symlinks=config.follow_symlinks,
                     skip_docs=config.format == "auto")  # fmt: skip
    files = found.files
    if not files:
        raise UsageError(
            f"no input files under {', '.join(map(str, config.inputs))}; give files or folders"
        )
    report = BuildReport(config.dataset_name, input_name(config.out), files_found=found.found)
    account_walk(report, found, config)
    manifest_path = config.manifest or (config.out / MANIFEST)
    manifest = Manifest() if config.fresh else Manifest.load(manifest_path)
    report.incremental = bool(manifest.entries)
    engine = get_engine(config)
    try:
        with staging(config.out, "building") as work:
            clock.lap("discover")
            engine.start(config)
            clock.lap("start")
            staged = engine.stage(files, config, work, report, progress)
            clock.lap("stage")
            ids, sources = staged.ids, staged.sources
            result = decide(ids, staged.sigs, staged.preset, manifest, config.ratios,
                            config.minhash, config.dedup_official)  # fmt: skip
            del staged  # the signatures
            by_split = _tally(result, ids, sources, report)
            clock.lap("decide")
            engine.write(work, by_split, work / STAGED, config)
            write_build_files(work / STAGED, result.manifest, config, report)
            clock.lap("write")
            report.seconds = clock.total()
            write_report(work / STAGED, report)
            publish(work, config.out, config.card)
            clock.lap("card")
    finally:
        engine.close()
        clock.lap("stop")
        report.phases = clock.phases
    return report


def _tally(result: GlobalResult, ids: Sequence[str], sources: Sequence[str],
           report: BuildReport) -> dict[str, list[int]]:  # fmt: skip
    """The global step's decisions into the report; returns each split's kept rows."""
    report.warnings.extend(result.warnings)
    report.near_duplicate_clusters = result.clusters
    by_split: dict[str, list[int]] = {s: [] for s in SPLITS}
    for i, d in enumerate(result.decisions):
        if d.status == KEPT:
            by_split[d.split].append(i)
            if d.duplicate_of is not None:  # an official document, kept (see manifest.py)
                report.official_duplicates.append(
                    {
                        "id": ids[i],
                        "source": sources[i],
                        "kind": "near",
                        "duplicate_of": d.duplicate_of,
                        "similarity": d.similarity,
                        "split": d.split,
                    }  # fmt: skip
                )
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
    return by_split
