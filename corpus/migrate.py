"""Corpora written by schema version 1: read them, and write a version 2 copy.

Schema version 1 had no ``annotation`` column and no provenance fields on entities, stances
and document stances. :func:`goldwire.corpus.dataset.load_corpus` loads such a corpus with
the version 1 features (:func:`v1_features`) and migrates it in memory
(:func:`migrate_splits`); nothing is written into the corpus folder. ``goldwire corpus
migrate`` (:func:`migrate_corpus`) writes the migrated copy as a new corpus folder, through
:mod:`goldwire.corpus.writing`, like ``attach-gold`` writes a new version.

Each document's :class:`~goldwire.provenance.Annotation` comes from what version 1 recorded
(:func:`v1_annotation`):

1. ``meta["adjudication"]`` (written by version 1 ``attach-gold``, with ``meta["annotators"]``
   as a comma list): every layer ``adjudicated``, with those annotators and that strategy;
2. else a reader whose public corpus brings gold on one layer (``conll``, ``basil``,
   ``fnc1``; ``meta["original_reader"]`` when a goldwire JSONL of such a corpus was read
   again, as version 1 ``import-basil`` and ``import-fnc1`` did, else ``meta["reader"]``):
   that layer ``reader:<name>``, the others ``none``;
3. else per layer: ``annotated`` if it holds items, ``none`` if it is empty.

Items get the provenance fields' defaults (no provenance, suggestion, votes or adjudicator).
The ``meta`` keys are kept as they are.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goldwire import SCHEMA_VERSION
from goldwire.errors import UsageError
from goldwire.features import features
from goldwire.provenance import (
    ADJUDICATED,
    ANNOTATED,
    ITEM_DEFAULTS,
    LAYERS,
    NONE,
    Annotation,
)
from goldwire.schema import LabelSchema

if TYPE_CHECKING:
    from goldwire.corpus.readers.base import Reader

#: the schema versions goldwire migrates on load
MIGRATES = (1,)


def v1_features(labels: LabelSchema):
    """The ``datasets.Features`` schema version 1 wrote: today's without the ``annotation``
    column and without the items' provenance fields."""
    from datasets import Features, List

    out = {}
    for name, feature in features(labels).items():
        if name == "annotation":
            continue
        if name in LAYERS:
            feature = List({k: v for k, v in feature.feature.items() if k not in ITEM_DEFAULTS})
        out[name] = feature
    return Features(out)


def gold_readers() -> dict[str, Reader]:
    """The readers whose public corpus brings gold on one layer, by name."""
    from goldwire.corpus.readers import READERS

    return {name: r for name, r in READERS.items() if r.gold_layer}


def v1_annotation(meta: dict[str, str], items: dict[str, int],
                  readers: dict[str, Reader] | None = None) -> Annotation:  # fmt: skip
    """A version 1 document's annotation from its ``meta`` and its item count per layer
    (``readers``: :func:`gold_readers`)."""
    if "adjudication" in meta:
        annotators = [a for a in meta.get("annotators", "").split(",") if a]
        return Annotation.all(ADJUDICATED, annotators=annotators,
                              adjudication=meta["adjudication"])  # fmt: skip
    readers = gold_readers() if readers is None else readers
    reader = meta.get("original_reader") or meta.get("reader", "")
    if reader in readers:
        return readers[reader].annotation()  # what that reader gives today
    return Annotation(*(ANNOTATED if items.get(layer) else NONE for layer in LAYERS))


def _migrate_batch(batch: dict[str, list], readers: dict[str, Reader]) -> dict[str, list]:
    annotations = []
    for i, pairs in enumerate(batch["meta"]):
        meta = {kv["key"]: kv["value"] for kv in pairs or []}
        counts = {layer: len(batch[layer][i] or []) for layer in LAYERS}
        annotations.append(v1_annotation(meta, counts, readers).to_json())
    for layer in LAYERS:
        batch[layer] = [[{**item, **ITEM_DEFAULTS} for item in items or []]
                        for items in batch[layer]]  # fmt: skip
    return {**batch, "annotation": annotations}


def migrate_splits(dd, labels: LabelSchema, work: Path | None = None) -> dict[str, Any]:
    """The version 2 splits of a version 1 DatasetDict: in memory, or (``work``) in cache
    files there; never in the folder the corpus was loaded from."""
    from datasets import Dataset, DatasetDict
    from datasets.utils.logging import disable_progress_bar

    disable_progress_bar()
    feats, readers = features(labels), gold_readers()
    out = {}
    for split, ds in dd.items():
        if not ds.num_rows:  # `map` leaves an empty split's columns as they were
            out[split] = Dataset.from_dict({name: [] for name in feats}, features=feats)
            continue
        cache = {"keep_in_memory": True} if work is None else {
            "cache_file_name": str(work / f"{split}.arrow")}  # fmt: skip
        out[split] = ds.map(_migrate_batch, batched=True, fn_kwargs={"readers": readers},
                            features=feats, load_from_cache_file=False,
                            new_fingerprint=uuid.uuid4().hex, **cache)  # fmt: skip
    return DatasetDict(out)


def migrated_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """``goldwire.json`` of the migrated corpus: this schema version, and the one it had."""
    return {**meta, "schema_version": SCHEMA_VERSION, "migrated_from": meta["schema_version"]}


def load_migrated(path: Path, meta: dict[str, Any], labels: LabelSchema,
                  work: Path | None = None):  # fmt: skip
    """A version 1 corpus folder loaded with its own features and migrated."""
    from goldwire.corpus.layout import get_layout

    layout = get_layout(meta.get("layout", "arrow"))
    return migrate_splits(layout.load(path, meta, v1_features(labels)), labels, work)


# --------------------------------------------------------------------------- the command


@dataclass
class MigrateReport:
    source: str
    out: str
    from_version: int
    coverage: dict[str, Any] = field(default_factory=dict)
    card: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "out": self.out,
            "from_schema_version": self.from_version,
            "schema_version": SCHEMA_VERSION,
            "coverage": self.coverage,
        }


def migrate_corpus(src: str | Path, out: str | Path, *,
                   card_path: str | Path | None = None) -> MigrateReport:  # fmt: skip
    """Write a schema version 2 copy of the version 1 corpus ``src`` at ``out`` (data in the
    same layout, its manifest and build report, ``goldwire.json`` with ``migrated_from``, a
    new data card; ``card_path``, if given, receives a copy of the card, never over another
    corpus's card). ``out`` must be new, empty or a goldwire corpus, and neither ``src``,
    inside it nor holding it (OutputError, before anything is read)."""
    from goldwire.corpus.card_hub import check_card_copy, corpus_id
    from goldwire.corpus.coverage import corpus_coverage
    from goldwire.corpus.dataset import read_meta
    from goldwire.corpus.writing import check_corpus_out, write_version
    from goldwire.outputs import staging

    src, out = Path(src), Path(out)
    if out.resolve() == src.resolve():
        raise UsageError(f"{out}: --out must differ from the corpus; migrate writes a new "
                         "corpus folder and leaves the old one as it is")  # fmt: skip
    check_corpus_out(out, [("corpus", src)])
    meta = read_meta(src)
    if meta["schema_version"] == SCHEMA_VERSION:
        raise UsageError(f"{src}: already schema version {SCHEMA_VERSION}; there is nothing "
                         "to migrate")  # fmt: skip
    labels = LabelSchema.from_dict(meta["label_schema"])
    new_meta = {**migrated_meta(meta), "corpus_id": corpus_id(out)}  # the copy's card marker
    if card_path:
        check_card_copy(Path(card_path), new_meta["corpus_id"], meta.get("name", out.name), out)
    report = MigrateReport(str(src), str(out), meta["schema_version"])
    with staging(out, "migrating") as work:
        splits = load_migrated(src, meta, labels, work)
        report.coverage = corpus_coverage(splits)
        card = write_version(work, splits, src, new_meta, out,
                             Path(card_path) if card_path else None)  # fmt: skip
    report.card = str(card)
    return report


__all__ = [
    "ITEM_DEFAULTS",
    "MIGRATES",
    "MigrateReport",
    "load_migrated",
    "migrate_corpus",
    "migrate_splits",
    "migrated_meta",
    "gold_readers",
    "v1_annotation",
    "v1_features",
]
