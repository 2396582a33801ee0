"""Attach gold annotations to a corpus, as a new corpus version.

Gold documents (from ``goldwire annotate adjudicate``, or one annotator's confirmed work) are
matched to corpus documents by ``id``. A match must have the same ``text_sha256`` (offsets
only hold on the same text); gold ids the corpus does not have, matches whose text differs
and gold documents with no layer carrying gold are reported, not attached.

A matched document keeps everything the corpus has, and layer by layer
(:func:`merge_gold`): a layer whose status in the gold document carries gold
(:func:`goldwire.provenance.has_gold`) takes the gold's items and status; any other layer
keeps the corpus document's items and status (CoNLL entities stay when the gold brings
stances only). Stance endpoints are bound to the entities of the new version by their
offsets. The document-level record (annotators, adjudication strategy, reviewers, review
time, tool, guidelines, rejected and orphaned suggestions) comes from the gold document;
gold written before goldwire recorded them gives its ``meta`` keys ``annotators`` (a comma
list) and ``adjudication`` instead. The corpus ``meta`` is kept as it is. Other documents
are copied unchanged.

The new version is written like ``goldwire corpus build`` writes: into a temporary folder
beside ``out``, moved into place only when complete, with the manifest and build report of
the source corpus, ``goldwire.json`` updated with a ``gold`` section (coverage per split and
layer, statuses, annotators, tools, guidelines, adjudication, review, suggestions accepted
unchanged (:mod:`goldwire.corpus.gold_tally`), the agreement figures with their
definitions, what was not attached) and the data card refreshed (the card renders the
``gold`` section itself, see :mod:`goldwire.corpus.card`), through
:func:`goldwire.corpus.writing.write_version`. The command ``goldwire corpus attach-gold``
is in :mod:`goldwire.corpus.cli`.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldwire.corpus.gold_tally import GoldTally
from goldwire.errors import InputError, SchemaError, UsageError
from goldwire.provenance import LAYERS, Annotation
from goldwire.schema import Document, Entity, Mention, Stance


@dataclass
class AttachReport:
    corpus: str
    gold: str
    out: str
    gold_documents: int = 0
    attached: int = 0
    by_split: dict[str, int] = field(default_factory=dict)
    tally: GoldTally = field(default_factory=GoldTally)
    coverage: dict[str, Any] = field(default_factory=dict)  # of the new version
    unknown_ids: list[str] = field(default_factory=list)
    text_mismatches: list[dict[str, str]] = field(default_factory=list)
    without_gold: list[str] = field(default_factory=list)
    agreement: dict[str, Any] | None = None  # the agreement JSON's summary
    agreement_definitions: dict[str, Any] | None = None
    suggestions_by_annotator: Any = None  # the agreement JSON's ``suggestions``, if any
    card: str | None = None

    @property
    def entities(self) -> int:
        return self.tally.items["entities"]

    @property
    def stances(self) -> int:
        return self.tally.items["stances"]

    @property
    def doc_stances(self) -> int:
        return self.tally.items["doc_stances"]

    def to_json(self) -> dict[str, Any]:
        return {
            "corpus": self.corpus,
            "source": self.gold,
            "out": self.out,
            "gold_documents": self.gold_documents,
            "documents": self.attached,
            "by_split": self.by_split,
            **self.tally.to_json(),
            "coverage": self.coverage,
            "unknown_ids": self.unknown_ids,
            "text_mismatches": self.text_mismatches,
            "without_gold": self.without_gold,
            "agreement": self.agreement,
            "agreement_definitions": self.agreement_definitions,
            "suggestions_by_annotator": self.suggestions_by_annotator,
        }


# --------------------------------------------------------------------------- inputs


def read_gold(path: Path, labels) -> dict[str, Any]:
    """Gold documents by id, every span and label checked against the corpus schema."""
    from goldwire.schema import read_jsonl

    gold: dict[str, Any] = {}
    for doc in read_jsonl(path):
        if doc.id in gold:
            raise InputError(f"{path}: document {doc.id} appears twice; keep one gold copy")
        try:
            doc.validate(labels)
        except SchemaError as exc:
            raise type(exc)(f"{path}: {exc}; relabel it or add the label to the corpus "
                            "label schema and rebuild") from None  # fmt: skip
        gold[doc.id] = doc
    if not gold:
        raise InputError(f"{path}: no gold documents; write some with `goldwire annotate "
                         "adjudicate`")  # fmt: skip
    return gold


def read_agreement(path: Path) -> dict[str, Any]:
    """``summary``, ``definitions`` and (when present) ``suggestions`` of a ``goldwire
    annotate agreement --json`` file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: cannot read the agreement JSON ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("summary"), dict):
        raise InputError(f"{path}: not an agreement report (no 'summary'); write one with "
                         "`goldwire annotate agreement DIR --json PATH`")  # fmt: skip
    definitions = data.get("definitions")
    return {
        "summary": data["summary"],
        "definitions": definitions if isinstance(definitions, dict) else None,
        "suggestions": data.get("suggestions"),
    }


def _match(dd, gold: dict[str, Document], report: AttachReport) -> dict[str, dict[str, int]]:
    """Per split, the gold ids whose text matches and their row numbers; fills unknown ids
    and text mismatches."""
    found: dict[str, dict[str, int]] = {}
    seen: set[str] = set()
    for split, ds in dd.items():
        cols = ds.select_columns(["id", "text_sha256"]).iter(batch_size=1000)
        pairs = (pair for b in cols for pair in zip(b["id"], b["text_sha256"], strict=True))
        for row, (doc_id, sha) in enumerate(pairs):
            doc = gold.get(doc_id)
            if doc is None:
                continue
            seen.add(doc_id)
            if doc.text_sha256 == sha:
                found.setdefault(split, {})[doc_id] = row
            else:
                report.text_mismatches.append({"id": doc_id, "split": split,
                                               "corpus_sha256": sha,
                                               "gold_sha256": doc.text_sha256})  # fmt: skip
    report.unknown_ids = sorted(set(gold) - seen)
    return found


# --------------------------------------------------------------------------- merging


def gold_record(gold: Document) -> Annotation:
    """The gold document's annotation record; gold written before goldwire recorded who
    annotated gives its ``meta`` keys ``annotators`` and ``adjudication`` instead."""
    record = dataclasses.replace(gold.annotation)
    if not record.annotators:
        record.annotators = [a for a in gold.meta.get("annotators", "").split(",") if a]
    record.adjudication = record.adjudication or gold.meta.get("adjudication", "")
    return record


def merge_gold(doc: Document, gold: Document) -> tuple[Document, tuple[str, ...]]:
    """``doc`` with the layers of ``gold`` that carry gold, and the gold's document-level
    record; returns the new document and the layers taken from the gold."""
    record = gold_record(gold)
    taken = gold.annotation.gold_layers()
    annotation = dataclasses.replace(record, **{
        layer: (gold if layer in taken else doc).annotation.status(layer) for layer in LAYERS
    })  # fmt: skip
    layers = {layer: getattr(gold if layer in taken else doc, layer) for layer in LAYERS}
    entities = layers["entities"]
    stances_from = gold if "stances" in taken else doc
    stances = [_rebind(s, stances_from, entities) for s in layers["stances"]]
    merged = dataclasses.replace(doc, entities=list(entities), stances=stances,
                                 doc_stances=list(layers["doc_stances"]),
                                 annotation=annotation)  # fmt: skip
    return merged, taken


def _rebind(stance: Stance, source: Document, entities: list[Entity]) -> Stance:
    """A stance whose endpoints name entities of ``source``, bound to ``entities`` (those of
    the new version): the entity with the same offsets, or none (offsets and text kept)."""
    by_span = {(e.start, e.end): e.id for e in entities}
    ends = []
    for m in (stance.holder, stance.target):
        if m.entity is not None:
            m = source.resolve(m)
            m = Mention(m.text, m.start, m.end, by_span.get((m.start, m.end)))
        ends.append(m)
    return dataclasses.replace(stance, holder=ends[0], target=ends[1])


def _merge_all(dd, gold: dict[str, Document], found: dict[str, dict[str, int]], labels,
               source: Path, report: AttachReport) -> dict[str, Document]:  # fmt: skip
    """The new version of every attached document, checked, counted into the report."""
    merged: dict[str, Document] = {}
    for split, rows in found.items():
        for doc_id, row in sorted(rows.items(), key=lambda kv: kv[1]):
            doc = Document.from_row(dd[split][row], labels)
            new, taken = merge_gold(doc, gold[doc_id])
            try:
                new.validate(labels)
            except SchemaError as exc:
                raise type(exc)(f"{source}: {exc}; the gold and the corpus disagree on this "
                                "document, fix the gold document") from None  # fmt: skip
            report.tally.add(new, taken)
            merged[doc_id] = new
    return merged


def _drop_without_gold(gold: dict[str, Document], found: dict[str, dict[str, int]],
                       report: AttachReport) -> None:  # fmt: skip
    """Matched gold documents with no layer carrying gold are reported, not attached."""
    for rows in found.values():
        for doc_id in [i for i in rows if not gold[i].annotation.has_any_gold]:
            report.without_gold.append(doc_id)
            del rows[doc_id]
    report.without_gold.sort()


# --------------------------------------------------------------------------- writing


def _write_version(dd, merged: dict[str, Document], found: dict[str, dict[str, int]], feats,
                   work: Path) -> dict[str, Any]:  # fmt: skip
    """The splits of the new version: attached rows replaced, in cache files in ``work``."""
    from datasets.utils.logging import disable_progress_bar

    disable_progress_bar()
    encoded = {doc_id: feats.encode_example(doc.to_row()) for doc_id, doc in merged.items()}

    def attach(row: dict[str, Any]) -> dict[str, Any]:
        return encoded.get(row["id"], row)

    splits = {}
    for split, ds in dd.items():
        if found.get(split):
            ds = ds.map(attach, features=feats, cache_file_name=str(work / f"{split}.arrow"),
                        load_from_cache_file=False,
                        new_fingerprint=uuid.uuid4().hex)  # fmt: skip
        splits[split] = ds
    return splits


def attach_gold(
    corpus_dir: str | Path,
    gold_jsonl: str | Path,
    out_dir: str | Path,
    agreement_json: str | Path | None = None,
    *,
    card_path: str | Path | None = None,
) -> AttachReport:
    """Write a new version of ``corpus_dir`` at ``out_dir`` whose documents carry the gold.

    The refreshed data card is written into the dataset folder and, if ``card_path`` is given,
    there too (OutputError, before reading the gold, when that holds another corpus's card).
    Raises InputError when no gold document matches, OutputError (before reading anything)
    when ``out_dir`` is neither new, empty nor a goldwire corpus, or overlaps the corpus, the
    gold or the agreement file.
    """
    from goldwire.corpus.card_hub import check_card_copy, corpus_id
    from goldwire.corpus.dataset import load_corpus
    from goldwire.corpus.writing import check_corpus_out

    corpus_dir, gold_jsonl, out_dir = Path(corpus_dir), Path(gold_jsonl), Path(out_dir)
    if out_dir.resolve() == corpus_dir.resolve():
        raise UsageError(f"{out_dir}: --out must differ from the corpus; attach-gold writes a "
                         "new corpus version and leaves the old one as it is")  # fmt: skip
    inputs = [("corpus", corpus_dir), ("gold file", gold_jsonl)]
    if agreement_json:
        inputs.append(("agreement file", Path(agreement_json)))
    check_corpus_out(out_dir, inputs)
    dd, labels, meta = load_corpus(corpus_dir)
    meta = {**meta, "corpus_id": corpus_id(out_dir)}  # the new version's card marker
    if card_path:
        check_card_copy(Path(card_path), meta["corpus_id"], meta.get("name", out_dir.name),
                        out_dir)  # fmt: skip
    report = AttachReport(str(corpus_dir), str(gold_jsonl), str(out_dir))
    agreement = read_agreement(Path(agreement_json)) if agreement_json else None
    gold = read_gold(gold_jsonl, labels)
    report.gold_documents = len(gold)
    found = _match(dd, gold, report)
    _drop_without_gold(gold, found, report)
    report.by_split = {s: len(found.get(s, ())) for s in dd}
    report.attached = sum(report.by_split.values())
    if not report.attached:
        raise InputError(
            f"{gold_jsonl}: none of its {len(gold)} documents is in {corpus_dir} "
            f"({len(report.unknown_ids)} unknown ids, {len(report.text_mismatches)} with "
            f"another text, {len(report.without_gold)} without gold on any layer); attach "
            "gold to the corpus its documents were pushed from"
        )
    if agreement:
        report.agreement = agreement["summary"]
        report.agreement_definitions = agreement["definitions"]
        report.suggestions_by_annotator = agreement["suggestions"]
    merged = _merge_all(dd, gold, found, labels, gold_jsonl, report)
    card = _write_new_version(dd, labels, meta, merged, found, corpus_dir, out_dir, report,
                              Path(card_path) if card_path else None)  # fmt: skip
    report.card = str(card)
    return report


def _write_new_version(dd, labels, meta, merged: dict[str, Document], found, corpus_dir: Path,
                       out_dir: Path, report: AttachReport, card: Path | None) -> Path:  # fmt: skip
    """Stage the new version (data, manifest and build report of the source, ``goldwire.json``
    with the gold, the card) and move it into place; returns where the card is."""
    from goldwire.corpus.coverage import corpus_coverage
    from goldwire.corpus.writing import write_version
    from goldwire.features import features
    from goldwire.outputs import staging

    with staging(out_dir, "attaching") as work:
        splits = _write_version(dd, merged, found, features(labels), work)
        report.coverage = corpus_coverage(splits)
        return write_version(work, splits, corpus_dir, {**meta, "gold": report.to_json()},
                             out_dir, card)  # fmt: skip
