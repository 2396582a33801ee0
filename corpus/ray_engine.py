"""The Ray engine (``goldwire corpus build --engine ray``): the per-file steps on a Ray cluster.

The same pure per-file step as the local engine (:func:`~goldwire.corpus.steps.process_bytes`)
runs in Ray Data tasks; only the global step runs in the driver, as it does locally. An
:class:`~goldwire.corpus.engines.Engine` like the local one: the build calls its hooks and
times each (``start``: connect to the cluster or start a local instance; ``close``: shut
that down), and it imports nothing of :mod:`goldwire.corpus.build`.

1. **stage**: ``ray.data.read_binary_files`` reads the files in blocks of at most 2,000,
   fused with ``map_batches`` that parses each file's bytes into an Arrow table of encoded rows
   plus internal columns (the row's key, its file and position in the file, its MinHash
   signature as fixed-size bytes, the reader's split) and one summary row per file (reader,
   encoding, rejections); the workers write it as Parquet, a file per block, under the build's
   staging folder.
2. **global step** in the driver: it reads back only the small columns (ids, sources, splits,
   signatures), orders the rows as the local engine would (files in discovery order, documents
   in file order), accounts every file, and runs the same
   :func:`~goldwire.corpus.manifest.decide`.
3. **write**: in one pass the workers read the staged rows again (without the signatures),
   look each up in a broadcast of the kept keys, their splits and input positions, and write
   ``data/<split>/part-<position of the first row>.parquet``: the files sort in input order.

On a cluster, the input and output paths must be on a file system every node sees (NFS, a
mounted bucket), and goldwire must be installed on every node. ``--ray-address`` (or
``RAY_ADDRESS``) names the cluster; without it a local Ray instance with ``--workers`` CPUs is
started for the build and shut down afterwards.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from goldwire.corpus.build_report import account_file
from goldwire.corpus.config import BuildConfig
from goldwire.corpus.engines import READING, Engine, Staged
from goldwire.corpus.layout import DATA_DIR
from goldwire.corpus.sources import source_name
from goldwire.corpus.split import SPLITS
from goldwire.corpus.steps import FileResult, preset_split, process_bytes
from goldwire.errors import GoldwireError, UsageError
from goldwire.features import features

STAGE = "stage"
KEY, PATH, DOC, SIG, SPLIT, INFO = (
    "_gw_key",
    "_gw_path",
    "_gw_doc",
    "_gw_sig",
    "_gw_split",
    "_gw_file",
)
INTERNAL = (KEY, PATH, DOC, SIG, SPLIT, INFO)
_SUMMARY_DOC = -1  # the DOC of a file's summary row
_FILES_PER_BLOCK = 2_000


def row_key(path: str, doc: int) -> int:
    """A 63-bit key for a file's ``doc``-th document (collisions are checked, not assumed)."""
    digest = hashlib.blake2b(f"{path}\0{doc}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


def _stage_schema(config: BuildConfig):
    import pyarrow as pa

    width = 4 * (config.minhash.num_perm if config.minhash else 1)
    schema = features(config.labels).arrow_schema
    for name, typ in (
        (KEY, pa.int64()),
        (PATH, pa.string()),
        (DOC, pa.int32()),
        (SIG, pa.binary(width)),
        (SPLIT, pa.string()),
        (INFO, pa.string()),
    ):
        schema = schema.append(pa.field(name, typ))
    return schema


class _Roots:
    """Maps the absolute paths Ray reports back to the paths the local engine would use."""

    def __init__(self, inputs: tuple[Path, ...]) -> None:
        self.roots = [(os.path.abspath(p), p) for p in inputs]

    def original(self, absolute: str) -> Path:
        absolute = os.path.abspath(absolute if absolute.startswith("/") else "/" + absolute)
        for root_abs, given in self.roots:
            if absolute == root_abs:
                return given
            if absolute.startswith(root_abs.rstrip("/") + "/"):
                return given / os.path.relpath(absolute, root_abs)
        return Path(absolute)


def process_batch(batch, config: BuildConfig):
    """Ray Data ``map_batches`` function: a batch of files -> staged rows (Arrow table)."""
    import pyarrow as pa

    roots = _Roots(config.inputs)
    schema = _stage_schema(config)
    rows: list[dict[str, Any]] = []
    for absolute, data in zip(
        batch.column("path").to_pylist(), batch.column("bytes").to_pylist(), strict=True
    ):
        path = roots.original(absolute)
        res = process_bytes(path, data, config)
        source = str(path)
        for i, (row, sig) in enumerate(res.docs):
            row[KEY] = row_key(source, i)
            row[PATH] = source
            row[DOC] = i
            row[SIG] = sig.tobytes() if sig is not None else b"\0\0\0\0"
            row[SPLIT] = preset_split(row["meta"])
            rows.append(row)
        rows.append({PATH: source, DOC: _SUMMARY_DOC, INFO: json.dumps(res.summary())})
    return pa.Table.from_pylist(rows, schema=schema)


class RayEngine(Engine):
    def __init__(self) -> None:
        try:
            import ray  # noqa: F401
            import ray.data  # noqa: F401
        except ImportError:
            raise UsageError(
                "the ray engine needs Ray Data; install it with `pip install 'goldwire[ray]'`"
            ) from None
        self._started = False

    # ------------------------------------------------------------------ cluster

    def start(self, config: BuildConfig) -> None:
        """Join the caller's Ray session, the cluster at ``--ray-address``/``RAY_ADDRESS``, or
        start a local instance with ``--workers`` CPUs."""
        import ray

        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = config.progress
        if ray.is_initialized():  # the caller's own session
            return
        address = config.ray_address or os.environ.get("RAY_ADDRESS")
        quiet = {"log_to_driver": False, "logging_level": logging.WARNING}
        for name in ("ray", "ray.data"):
            logging.getLogger(name).setLevel(logging.WARNING)
        try:
            if address:
                ray.init(address=address, **quiet)
            else:
                ray.init(num_cpus=max(1, config.workers), include_dashboard=False, **quiet)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise UsageError(
                f"cannot reach the Ray cluster at {address}: {exc}; start it with "
                "`ray start --head` or drop --ray-address to run a local instance"
            ) from None
        self._started = True

    def close(self) -> None:
        import ray

        if self._started:
            ray.shutdown()
            self._started = False

    # ------------------------------------------------------------------ stage

    def stage(self, files, config, work, report, progress):
        files = _arrow_paths(files, report, config)
        if not files:  # every name was refused: nothing for Ray to read
            self._keys = np.zeros(0, np.int64)
            width = config.minhash.num_perm if config.minhash else 1
            return Staged([], np.zeros((0, width), np.uint32), [], [])
        stage = work / STAGE
        self._run_tasks(files, config, stage)
        _account(stage, files, report, config, progress)
        return self._read_back(stage, files, config)

    def _run_tasks(self, files: list[Path], config: BuildConfig, stage: Path) -> None:
        """The per-file step in Ray Data tasks; the workers write the staged rows."""
        import ray.data

        n_cpus = max(1, int(ray.cluster_resources().get("CPU", config.workers)))
        # blocks of at most _FILES_PER_BLOCK files, and enough of them to keep every CPU busy;
        # batch_size=None fuses reading and parsing into one task per block
        blocks = max(4 * n_cpus, -(-len(files) // _FILES_PER_BLOCK))
        try:
            ds = ray.data.read_binary_files(
                [os.path.abspath(p) for p in files],
                include_paths=True,
                override_num_blocks=min(len(files), blocks),
            )
            ds = ds.map_batches(
                process_batch, fn_kwargs={"config": config}, batch_size=None,
                batch_format="pyarrow", zero_copy_batch=True,
            )  # fmt: skip
            ds.write_parquet(str(stage))  # a file per block (no bundling: tasks stay small)
        except GoldwireError:
            raise
        except Exception as exc:  # a Ray task failure carries the worker's exception
            cause = getattr(exc, "cause", None)
            if isinstance(cause, GoldwireError):
                raise cause from None
            raise

    def _read_back(self, stage: Path, files: list[Path], config: BuildConfig) -> Staged:
        """Only the global step's columns, in the local engine's order."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        # one at a time, paths and splits as dictionaries
        rows = pq.read_table(
            str(stage), columns=[KEY, PATH, DOC, "id", "source", SIG, SPLIT],
            filters=[(DOC, "!=", _SUMMARY_DOC)], read_dictionary=[PATH, SPLIT],
        )  # fmt: skip
        # the local engine's order: files as discovered, documents in file order
        order = np.lexsort((rows[DOC].to_numpy(), _file_index(rows[PATH], files)))
        keys = rows[KEY].to_numpy()[order]
        if len(np.unique(keys)) != len(keys):
            raise GoldwireError("two staged rows share a key; this is a goldwire bug")
        self._keys = keys
        sigs = _signatures(rows[SIG], config)[order]
        ids = rows["id"].take(order).to_pylist()
        splits = rows[SPLIT].take(order).to_pylist()
        sources = _Strings(rows["source"].take(order).combine_chunks())
        del rows
        pa.default_memory_pool().release_unused()  # Arrow keeps freed buffers otherwise
        return Staged(ids, sigs, splits, sources)

    # ------------------------------------------------------------------ write

    def write(self, work, by_split, out, config):
        import ray
        import ray.data

        keys = self._keys
        if not len(keys):  # nothing was staged
            return
        codes = np.full(len(keys), -1, dtype=np.int8)
        for code, split in enumerate(SPLITS):
            codes[by_split.get(split, [])] = code
        order = np.argsort(keys)
        refs = [ray.put(a) for a in (keys[order], codes[order], order.astype(np.int64))]
        for split in SPLITS:
            if by_split.get(split):  # no folder for an empty split (see ParquetLayout)
                (out / DATA_DIR / split).mkdir(parents=True)
        schema = features(config.labels).arrow_schema
        ds = ray.data.read_parquet(str(work / STAGE), columns=[*schema.names, KEY, DOC])
        ds = ds.map_batches(
            write_shards, fn_args=(*refs, str(out / DATA_DIR), schema), batch_size=None,
            batch_format="pyarrow", zero_copy_batch=True,
        )  # fmt: skip
        written = ds.sum("rows") or 0
        kept = sum(len(v) for v in by_split.values())
        if written != kept:
            raise GoldwireError(
                f"the Ray engine wrote {written} rows for {kept} kept documents; this is a bug"
            )


def _arrow_paths(files: list[Path], report, config: BuildConfig) -> list[Path]:
    """The files whose names Arrow can open (UTF-8); each other one is a rejected file."""
    from goldwire.console import shown_name
    from goldwire.corpus.readers import Rejection

    kept = []
    for path in files:
        source = source_name(path, config.inputs)
        try:
            str(path).encode("utf-8")
        except UnicodeEncodeError:
            message = (
                f"{shown_name(source)}: the file name is not UTF-8, which the Ray engine "
                "(Arrow) cannot open; rename the file or build with --engine local"
            )
            rej = Rejection(source, "unreadable", message)
            account_file(report, FileResult(source, None, None, [], [rej]), 0, config)
            continue
        kept.append(path)
    return kept


def _account(stage: Path, files: list[Path], report, config: BuildConfig, progress) -> None:
    """Every file's summary row into the report, in file order like the local engine."""
    import pyarrow.parquet as pq

    summaries = pq.read_table(str(stage), columns=[INFO], filters=[(DOC, "=", _SUMMARY_DOC)])[
        INFO
    ].to_pylist()
    by_path = {}
    for text in summaries:
        info = json.loads(text)
        by_path[info["path"]] = info
    del summaries
    for done, path in enumerate(files, 1):
        info = by_path.get(source_name(path, config.inputs))  # as process_bytes named it
        if info is None:
            raise GoldwireError(f"{path}: the Ray engine lost this file; this is a bug")
        account_file(report, FileResult.from_summary(info), info["docs"], config)
        progress(READING, done, len(files))


def write_shards(batch, keys, codes, ranks, data_dir: str, schema):
    """Ray Data ``map_batches`` function: write this block's kept rows as one Parquet file per
    split, ``part-<rank>.parquet`` after the input position of its first row (the files sort in
    input order and are named the same in every run); returns the row counts written."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    import ray

    if isinstance(keys, ray.ObjectRef):  # broadcast once, read zero-copy from the object store
        keys, codes, ranks = ray.get([keys, codes, ranks])
    batch_keys = pc.fill_null(batch.column(KEY), -1).to_numpy(zero_copy_only=False)
    docs = batch.column(DOC).to_numpy(zero_copy_only=False)  # never null
    if len(keys):
        pos = np.searchsorted(keys, batch_keys).clip(0, len(keys) - 1)
        found = (docs >= 0) & (keys[pos] == batch_keys)
        row_codes, row_ranks = np.where(found, codes[pos], -1), ranks[pos]
    else:
        row_codes, row_ranks = np.full(len(docs), -1), np.zeros(len(docs), np.int64)
    splits, rows = [], []
    for code, split in enumerate(SPLITS):
        idx = np.flatnonzero(row_codes == code)
        if not len(idx):
            continue
        idx = idx[np.argsort(row_ranks[idx], kind="stable")]  # input order within the file
        part = batch.take(pa.array(idx)).select(schema.names).cast(schema)
        pq.write_table(part, f"{data_dir}/{split}/part-{int(row_ranks[idx[0]]):012d}.parquet")
        splits.append(split)
        rows.append(part.num_rows)
    return pa.table({"split": pa.array(splits, pa.string()), "rows": pa.array(rows, pa.int64())})


def _path_strings(files: list[Path]):
    import pyarrow as pa

    return pa.array([str(p) for p in files], type=pa.string())


def _file_index(column, files: list[Path]) -> np.ndarray:
    """Each row's file position in ``files`` (a dictionary column: looked up per value)."""
    import pyarrow.compute as pc

    value_set = _path_strings(files)
    parts = [np.zeros(0, np.int64)]
    for chunk in column.chunks:
        lookup = pc.fill_null(pc.index_in(chunk.dictionary, value_set=value_set), -1)
        parts.append(lookup.to_numpy()[chunk.indices.to_numpy()])
    return np.concatenate(parts)


class _Strings:
    """An Arrow string array read like a list (the sources: only duplicates' are looked up)."""

    def __init__(self, array) -> None:
        self.array = array

    def __len__(self) -> int:
        return len(self.array)

    def __getitem__(self, i: int) -> str:
        return self.array[i].as_py()


def _signatures(column, config: BuildConfig) -> np.ndarray:
    width = config.minhash.num_perm if config.minhash else 1
    if len(column) == 0:
        return np.zeros((0, width), np.uint32)
    arr = column.combine_chunks()
    buf = np.frombuffer(arr.buffers()[1], dtype=np.uint32)
    start = arr.offset * width
    return buf[start : start + len(arr) * width].reshape(len(arr), width)  # a view
