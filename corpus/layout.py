"""How a built dataset lies on disk: strategy classes for the two layouts.

* ``arrow`` (:class:`ArrowLayout`): ``DatasetDict.save_to_disk``, one folder per split of
  memory-mappable Arrow shards; what ``datasets.load_from_disk`` reads. The default of the
  local engine.
* ``parquet`` (:class:`ParquetLayout`): ``data/<split>/part-NNNNN.parquet`` shards (the
  ``datasets`` features are stored in each file's schema metadata; an empty split has no
  file, since ``datasets`` cannot read a Parquet file without rows) plus the dataset card's
  ``configs`` block, so ``datasets.load_dataset("parquet", data_dir=...)``,
  ``load_dataset(<folder>)``, Spark, Dask, DuckDB or pyarrow read it without goldwire. The
  layout for big corpora, and the only one the Ray engine writes (its workers write the shards).

Both carry ``goldwire.json`` (with ``layout``), ``manifest.jsonl`` and ``build_report.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from goldwire.errors import DatasetError, UsageError

DATA_DIR = "data"
SHARD_BYTES = 256 * 2**20


class Layout:
    name: ClassVar[str]

    def write(self, splits: dict[str, Any], out: Path, row_bytes: float) -> None:
        """Write ``{split: datasets.Dataset}`` into the empty folder ``out`` (shards of at most
        about ``SHARD_BYTES``, given the average row size)."""
        raise NotImplementedError

    def load(self, path: Path, meta: dict[str, Any], feats):
        """The ``DatasetDict`` of a dataset folder in this layout."""
        raise NotImplementedError

    def data_files(self, split: str) -> str:
        """The glob of a split's files relative to the dataset folder (for the card)."""
        raise NotImplementedError


def _shards(ds, row_bytes: float) -> int:
    return 1 + int(ds.num_rows * row_bytes / SHARD_BYTES)


class ArrowLayout(Layout):
    name = "arrow"

    def write(self, splits, out, row_bytes):
        from datasets import DatasetDict

        # explicit shard counts: datasets writes an empty split as zero shards it cannot load
        DatasetDict(splits).save_to_disk(
            str(out), num_shards={s: _shards(ds, row_bytes) for s, ds in splits.items()}
        )

    def load(self, path, meta, feats):
        from datasets import load_from_disk

        return load_from_disk(str(path))

    def data_files(self, split):
        return f"{split}/*.arrow"


class ParquetLayout(Layout):
    name = "parquet"

    def write(self, splits, out, row_bytes):
        for split, ds in splits.items():
            if not ds.num_rows:  # no file: an empty Parquet file is one `datasets` cannot read
                continue
            folder = out / DATA_DIR / split
            folder.mkdir(parents=True)
            n = _shards(ds, row_bytes)
            for i in range(n):
                shard = ds.shard(num_shards=n, index=i, contiguous=True)
                shard.to_parquet(str(folder / f"part-{i:05d}-of-{n:05d}.parquet"))

    def load(self, path, meta, feats):
        from datasets import DatasetDict, load_dataset
        from datasets.utils.logging import disable_progress_bar

        disable_progress_bar()
        rows = meta.get("split_rows", {})
        files = {s: self.files(path, s) for s in rows}
        for split, found in files.items():
            if rows[split] and not found:
                raise DatasetError(
                    f"{path}: split {split!r} should have {rows[split]} rows but there are no "
                    f"Parquet files under {DATA_DIR}/{split}/; the dataset is incomplete, "
                    "rebuild it"
                )
        present = {s: f for s, f in files.items() if f}
        loaded = load_dataset("parquet", data_files=present, features=feats) if present else {}
        # an empty split has no file (see ``write``)
        return DatasetDict({s: loaded[s] if s in loaded else _empty(feats) for s in rows})

    @staticmethod
    def files(path: Path, split: str) -> list[str]:
        return sorted(str(p) for p in (path / DATA_DIR / split).glob("*.parquet"))

    def data_files(self, split):
        return f"{DATA_DIR}/{split}/*.parquet"


def _empty(feats):
    from datasets import Dataset

    return Dataset.from_dict({name: [] for name in feats}, features=feats)


LAYOUTS: dict[str, Layout] = {cls.name: cls() for cls in (ArrowLayout, ParquetLayout)}


def get_layout(name: str) -> Layout:
    try:
        return LAYOUTS[name]
    except KeyError:
        raise UsageError(f"unknown layout {name!r}; choose one of {', '.join(LAYOUTS)}") from None
