"""The settings of one corpus build (:class:`BuildConfig`), shared by the build, its per-file
steps and its engines (local and Ray)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from goldwire.corpus.card_hub import CardLicense
from goldwire.corpus.dedup import MinHashConfig
from goldwire.corpus.readers import ReadOptions
from goldwire.corpus.split import SplitRatios
from goldwire.schema import LabelSchema


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
    engine: str = "local"  # local | ray (see goldwire.corpus.engines.ENGINES)
    layout: str | None = None  # arrow | parquet; default: the engine's own
    ray_address: str | None = None  # a running Ray cluster; None starts a local instance
    progress: bool = False  # engines without per-file progress (Ray) show their own bars
    card: Path | None = None  # a copy of the data card (the dataset folder always has one)
    # the encoding of every input file (--encoding), instead of sniffing; None: sniff
    encoding: str | None = None
    follow_symlinks: bool = False  # walk into symbolic links to folders (loops are guarded)
    # the licence the data card declares, recorded in goldwire.json (None: not set, `other`)
    license: CardLicense | None = None
    # drop near-duplicates among documents of a reader's own (official) splits too; by
    # default they are kept and reported (goldwire.corpus.manifest)
    dedup_official: bool = False

    @property
    def dataset_name(self) -> str:
        return self.name or self.out.name

    @property
    def layout_name(self) -> str:
        return self.layout or ("parquet" if self.engine == "ray" else "arrow")
