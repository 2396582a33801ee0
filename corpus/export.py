"""Export a goldwire dataset: goldwire JSONL, CoNLL (IOB2) or sharded Parquet.

Documents are read through :mod:`goldwire.corpus.dataset`; JSONL and CoNLL files are
written through :mod:`goldwire.files` (each appears whole or not at all), the Parquet shards
by ``datasets``. :data:`EXPORTERS` is the dispatch table behind ``--format``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from goldwire.errors import UsageError
from goldwire.files import atomic_open, write_jsonl

DEFAULT_SHARD_ROWS = 50_000


def export_jsonl(dataset_dir: Path, out: Path, splits: list[str]) -> dict[str, int]:
    from goldwire.corpus.dataset import iter_documents

    return {
        split: write_jsonl(out / f"{split}.jsonl",
                           (doc.to_json() for doc in iter_documents(dataset_dir, split)))
        for split in splits
    }  # fmt: skip


def export_conll(dataset_dir: Path, out: Path, splits: list[str]) -> dict[str, int]:
    from goldwire.corpus.conll_export import documents_to_conll
    from goldwire.corpus.dataset import iter_documents

    counts = {}
    for split in splits:
        n = 0

        def counted(split=split):
            nonlocal n
            for doc in iter_documents(dataset_dir, split):
                n += 1
                yield doc

        with atomic_open(out / f"{split}.conll") as fh:
            for line in documents_to_conll(counted()):
                fh.write(line + "\n")
        counts[split] = n
    return counts


def export_parquet(
    dataset_dir: Path, out: Path, splits: list[str], shard_rows: int = DEFAULT_SHARD_ROWS
) -> dict[str, int]:
    """Sharded Parquet, ``<split>/part-00000.parquet``, readable by any Parquet reader and by
    ``datasets.load_dataset("parquet", data_dir=out)``."""
    from goldwire.corpus.dataset import load_corpus

    dd, _, _ = load_corpus(dataset_dir)
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for split in splits:
        ds = dd[split]
        (out / split).mkdir(exist_ok=True)
        shards = max(1, -(-ds.num_rows // shard_rows))
        for i in range(shards):
            shard = ds.shard(num_shards=shards, index=i, contiguous=True)
            shard.to_parquet(str(out / split / f"part-{i:05d}.parquet"))
        counts[split] = ds.num_rows
    return counts


EXPORTERS: dict[str, Callable[[Path, Path, list[str]], dict[str, int]]] = {
    "jsonl": export_jsonl,
    "conll": export_conll,
    "parquet": export_parquet,
}


def export(
    dataset_dir: Path, out: Path, fmt: str, splits: list[str] | None = None
) -> dict[str, int]:
    from goldwire.corpus.dataset import load_corpus

    if fmt not in EXPORTERS:
        raise UsageError(f"unknown export format {fmt!r}; choose one of {', '.join(EXPORTERS)}")
    dd, _, _ = load_corpus(dataset_dir)
    chosen = splits or list(dd)
    for s in chosen:
        if s not in dd:
            raise UsageError(f"{dataset_dir}: no split {s!r}; the dataset has {', '.join(dd)}")
    return EXPORTERS[fmt](dataset_dir, out, chosen)
