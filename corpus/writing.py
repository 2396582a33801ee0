"""Writing a corpus folder: the files beside the data, and the move into place.

A build writes its new version into a staging folder next to the output
(:func:`staging_dir`): the engine's splits, then :func:`write_build_files` (the manifest and
``goldwire.json``) and :func:`write_report` (``build_report.json``), then :func:`publish`
writes the data card into it and moves it into place, replacing the old version only once
everything succeeded (:func:`move_into_place`). ``attach-gold`` and ``migrate`` write a new
version of an existing corpus the same way with :func:`write_version` (their splits, the
source's manifest and build report, their ``goldwire.json``). Every file goes through
:mod:`goldwire.files`.

What ``--out`` may be is :mod:`goldwire.outputs`' rule with the kind :data:`CORPUS` (a folder
whose ``goldwire.json`` parses): :func:`check_corpus_out` before any work, and again at the
move into place; the staging folders carry :mod:`goldwire.outputs`' marker, so a later run
removes those a killed process left.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from goldwire import SCHEMA_VERSION, __version__
from goldwire.corpus.build_report import BuildReport
from goldwire.corpus.card_hub import CardLicense, corpus_id
from goldwire.corpus.config import BuildConfig
from goldwire.corpus.dataset import CARD, GOLDWIRE_META, MANIFEST, REPORT
from goldwire.corpus.manifest import Manifest
from goldwire.corpus.sources import input_name
from goldwire.files import write_json, write_text
from goldwire.outputs import Input, OutputKind, check_output, no_space_named, replace_folder
from goldwire.outputs import staging_dir as staging_dir

STAGED = "dataset"  # the new version's folder inside the staging folder


def _meta_parses(folder: Path) -> bool:
    try:
        meta = json.loads((folder / GOLDWIRE_META).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(meta, dict) and "schema_version" in meta


CORPUS = OutputKind("goldwire corpus", GOLDWIRE_META, _meta_parses)


def check_corpus_out(out: Path, inputs: Iterable[Input] = ()) -> None:
    """Raise OutputError unless ``out`` may receive a corpus: nothing yet, an empty folder or
    a goldwire corpus, overlapping none of ``inputs`` (see :mod:`goldwire.outputs`)."""
    check_output(out, CORPUS, inputs)


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
        "corpus_id": corpus_id(config.out),  # the data card's marker (goldwire.corpus.card_hub)
        "license": (config.license or CardLicense()).to_json(),
        "build": {
            "inputs": [input_name(p) for p in config.inputs],  # goldwire.corpus.sources
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
    from goldwire.corpus.card_hub import check_card_copy, text_marker

    staged = work / STAGED
    text = card_text(staged)
    write_text(staged / CARD, text)
    move_into_place(work, out)
    if card is None:
        return out / CARD
    check_card_copy(card, *text_marker(text), out)  # never over another corpus's card
    with no_space_named(card, "choose another --card-dir"):
        return write_text(card, text)


def move_into_place(work: Path, out: Path) -> None:
    """Move ``work/dataset`` to ``out``; an old ``out`` (a goldwire corpus or an empty
    folder, else OutputError) is removed only afterwards."""
    replace_folder(work / STAGED, out, CORPUS)
    shutil.rmtree(work, ignore_errors=True)
