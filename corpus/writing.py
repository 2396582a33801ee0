"""Writing a corpus folder: the files beside the data, and the move into place.

A build writes its new version into a staging folder next to the output
(:func:`staging_dir`): the engine's splits, then :func:`write_build_files` (the manifest and
``goldwire.json``) and :func:`write_report` (``build_report.json``), then :func:`publish`
writes the data card into it and moves it into place, replacing the old version only once
everything succeeded (:func:`move_into_place`). ``attach-gold`` and ``migrate`` write a new
version of an existing corpus the same way with :func:`write_version` (their splits, the
source's manifest and build report, their ``goldwire.json``). Every file goes through
:mod:`goldwire.files`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from goldwire import SCHEMA_VERSION, __version__
from goldwire.corpus.build_report import BuildReport
from goldwire.corpus.config import BuildConfig
from goldwire.corpus.dataset import CARD, GOLDWIRE_META, MANIFEST, REPORT
from goldwire.corpus.manifest import Manifest
from goldwire.files import write_json, write_text

STAGED = "dataset"  # the new version's folder inside the staging folder


def staging_dir(out: Path, what: str) -> Path:
    """A temporary folder next to ``out`` (same file system, so the final move is a rename)."""
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.{what}-", dir=parent))


def build_meta(config: BuildConfig, splits: dict[str, int]) -> dict[str, Any]:
    """``goldwire.json`` of a build: schema, label schema, layout, split sizes, settings."""
    minhash = config.minhash
    return {
        "name": config.dataset_name,
        "schema_version": SCHEMA_VERSION,
        "goldwire_version": __version__,
        "label_schema": config.labels.to_dict(),
        "layout": config.layout_name,
        "split_rows": dict(splits),
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
                    "threshold": minhash.threshold,
                    "num_perm": minhash.num_perm,
                    "shingle": minhash.shingle,
                    "bands": list(minhash.bands),
                }
                if minhash
                else None
            ),
        },
    }


def write_build_files(out: Path, manifest: Manifest, config: BuildConfig,
                      report: BuildReport) -> None:  # fmt: skip
    """The manifest and ``goldwire.json``, next to the written splits."""
    manifest.save(out / MANIFEST)
    write_meta(out, build_meta(config, report.splits))


def write_meta(out: Path, meta: dict[str, Any]) -> None:
    write_json(out / GOLDWIRE_META, meta)


def write_report(out: Path, report: BuildReport) -> None:
    write_json(out / REPORT, report.to_json())


def write_version(work: Path, splits: dict[str, Any], source: Path, meta: dict[str, Any],
                  out: Path, card: Path | None = None) -> Path:  # fmt: skip
    """Stage a new version of the corpus at ``source`` in ``work`` (``splits`` in the layout
    ``meta`` names, the source's manifest and build report, ``meta`` as ``goldwire.json``),
    then :func:`publish` it to ``out``; returns where the card is. The caller removes
    ``work`` if this raises."""
    from goldwire.corpus.layout import get_layout

    staged = work / STAGED
    rows = sum(ds.num_rows for ds in splits.values())
    row_bytes = sum(ds.data.nbytes for ds in splits.values()) / max(1, rows)
    get_layout(meta.get("layout", "arrow")).write(splits, staged, row_bytes)
    for name in (MANIFEST, REPORT):
        if (source / name).is_file():
            shutil.copyfile(source / name, staged / name)
    write_meta(staged, meta)
    return publish(work, out, card)


def publish(work: Path, out: Path, card: Path | None = None) -> Path:
    """Write the data card into the staged version (``work/dataset``), move that to ``out``,
    then write the card's copy to ``card`` if given; returns where the card is."""
    from goldwire.corpus.card import card_text

    staged = work / STAGED
    text = card_text(staged)
    write_text(staged / CARD, text)
    move_into_place(work, out)
    if card is None:
        return out / CARD
    return write_text(card, text)


def move_into_place(work: Path, out: Path) -> None:
    """Move ``work/dataset`` to ``out``; an old ``out`` is removed only afterwards."""
    new = work / STAGED
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
