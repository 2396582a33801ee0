"""Attach adjudicated gold annotations to a corpus, as a new corpus version.

Gold documents (from ``goldwire annotate adjudicate``) are matched to corpus documents by
``id``. A match must have the same ``text_sha256`` (offsets only hold on the same text);
gold ids the corpus does not have and matches whose text differs are reported, not
attached. A matched document keeps everything the corpus has and takes the gold
``entities``, ``stances`` and ``doc_stances``, plus the gold ``meta`` keys ``annotators``
and ``adjudication``; other documents are copied unchanged.

The new version is written like ``goldwire corpus build`` writes: into a temporary folder
beside ``out``, moved into place only when complete, with the manifest and build report of
the source corpus, ``goldwire.json`` updated with a ``gold`` section (annotator counts,
agreement summary, what was not attached) and the data card refreshed (the card renders the
``gold`` section itself, see :mod:`goldwire.corpus.card`), through
:mod:`goldwire.corpus.writing`. The command ``goldwire corpus attach-gold`` is in
:mod:`goldwire.corpus.cli`.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldwire.errors import InputError, SchemaError, UsageError

GOLD_META_KEYS = ("annotators", "adjudication")


@dataclass
class AttachReport:
    corpus: str
    gold: str
    out: str
    gold_documents: int = 0
    attached: int = 0
    by_split: dict[str, int] = field(default_factory=dict)
    entities: int = 0
    stances: int = 0
    doc_stances: int = 0
    annotators: dict[str, dict[str, int]] = field(default_factory=dict)
    strategies: dict[str, int] = field(default_factory=dict)
    unknown_ids: list[str] = field(default_factory=list)
    text_mismatches: list[dict[str, str]] = field(default_factory=list)
    agreement: dict[str, Any] | None = None
    card: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "corpus": self.corpus,
            "source": self.gold,
            "out": self.out,
            "gold_documents": self.gold_documents,
            "documents": self.attached,
            "by_split": self.by_split,
            "entities": self.entities,
            "stances": self.stances,
            "doc_stances": self.doc_stances,
            "annotators": self.annotators,
            "adjudication": self.strategies,
            "unknown_ids": self.unknown_ids,
            "text_mismatches": self.text_mismatches,
            "agreement": self.agreement,
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
    """The summary of an ``goldwire annotate agreement --json`` file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: cannot read the agreement JSON ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("summary"), dict):
        raise InputError(f"{path}: not an agreement report (no 'summary'); write one with "
                         "`goldwire annotate agreement DIR --json PATH`")  # fmt: skip
    return data["summary"]


def _match(dd, gold: dict[str, Any], report: AttachReport) -> dict[str, set[str]]:
    """Gold ids per split whose text matches; fills unknown ids and text mismatches."""
    found: dict[str, set[str]] = {}
    seen: set[str] = set()
    for split, ds in dd.items():
        cols = ds.select_columns(["id", "text_sha256"])
        for ids, hashes in ((b["id"], b["text_sha256"]) for b in cols.iter(batch_size=1000)):
            for doc_id, sha in zip(ids, hashes, strict=True):
                doc = gold.get(doc_id)
                if doc is None:
                    continue
                seen.add(doc_id)
                if doc.text_sha256 == sha:
                    found.setdefault(split, set()).add(doc_id)
                else:
                    report.text_mismatches.append({"id": doc_id, "split": split,
                                                   "corpus_sha256": sha,
                                                   "gold_sha256": doc.text_sha256})  # fmt: skip
    report.unknown_ids = sorted(set(gold) - seen)
    return found


def _tally(gold: dict[str, Any], matched: set[str], report: AttachReport) -> None:
    """Entity, stance and per-annotator counts of the attached documents."""
    per: dict[str, Counter] = {}
    strategies: Counter = Counter()
    for doc_id in sorted(matched):
        doc = gold[doc_id]
        report.entities += len(doc.entities)
        report.stances += len(doc.stances)
        report.doc_stances += len(doc.doc_stances)
        strategies[doc.meta.get("adjudication", "not recorded")] += 1
        who = [a for a in doc.meta.get("annotators", "").split(",") if a]
        marks = [*doc.entities, *doc.stances, *doc.doc_stances]
        for name in who or sorted({a for m in marks for a in m.annotators}):
            per.setdefault(name, Counter())["documents"] += 1
        for kind, items in (("entities", doc.entities), ("stances", doc.stances)):
            for item in items:
                for name in item.annotators:
                    per.setdefault(name, Counter())[kind] += 1
    keys = ("documents", "entities", "stances")
    report.annotators = {name: {k: c[k] for k in keys} for name, c in sorted(per.items())}
    report.strategies = dict(sorted(strategies.items()))


# --------------------------------------------------------------------------- writing


def _gold_row(row: dict[str, Any], doc, feats) -> dict[str, Any]:
    data = doc.to_row()
    meta = {kv["key"]: kv["value"] for kv in row["meta"]}
    meta.update({k: doc.meta[k] for k in GOLD_META_KEYS if k in doc.meta})
    new = dict(row)
    new["meta"] = [{"key": k, "value": v} for k, v in meta.items()]
    encoded = feats.encode_example({**data, "meta": new["meta"]})
    for key in ("entities", "stances", "doc_stances", "meta"):
        new[key] = encoded[key]
    return new


def _write_version(dd, gold, found, feats, work: Path, layout: str) -> Path:
    from datasets.utils.logging import disable_progress_bar

    from goldwire.corpus.layout import get_layout
    from goldwire.corpus.writing import STAGED

    disable_progress_bar()

    def attach(row: dict[str, Any]) -> dict[str, Any]:
        doc = gold.get(row["id"])
        if doc is None or doc.text_sha256 != row["text_sha256"]:
            return row
        return _gold_row(row, doc, feats)

    splits = {}
    for split, ds in dd.items():
        if found.get(split):
            ds = ds.map(attach, features=feats, cache_file_name=str(work / f"{split}.arrow"),
                        load_from_cache_file=False,
                        new_fingerprint=uuid.uuid4().hex)  # fmt: skip
        splits[split] = ds
    out = work / STAGED
    rows = sum(ds.num_rows for ds in splits.values())
    row_bytes = sum(ds.data.nbytes for ds in splits.values()) / max(1, rows)
    get_layout(layout).write(splits, out, row_bytes)  # the layout of the corpus it extends
    return out


def attach_gold(
    corpus_dir: str | Path,
    gold_jsonl: str | Path,
    out_dir: str | Path,
    agreement_json: str | Path | None = None,
    *,
    card_path: str | Path | None = None,
) -> AttachReport:
    """Write a new version of ``corpus_dir`` at ``out_dir`` whose documents carry the gold.

    ``card_path`` (default ``out_dir/README.md``) receives the refreshed data card, which is
    also written into the dataset folder. Raises InputError when no gold document matches.
    """
    from goldwire.corpus.dataset import load_corpus

    corpus_dir, gold_jsonl, out_dir = Path(corpus_dir), Path(gold_jsonl), Path(out_dir)
    if out_dir.resolve() == corpus_dir.resolve():
        raise UsageError(f"{out_dir}: --out must differ from the corpus; attach-gold writes a "
                         "new corpus version and leaves the old one as it is")  # fmt: skip
    dd, labels, meta = load_corpus(corpus_dir)
    report = AttachReport(str(corpus_dir), str(gold_jsonl), str(out_dir))
    summary = read_agreement(Path(agreement_json)) if agreement_json else None
    gold = read_gold(gold_jsonl, labels)
    report.gold_documents = len(gold)
    found = _match(dd, gold, report)
    report.by_split = {s: len(found.get(s, ())) for s in dd}
    report.attached = sum(report.by_split.values())
    if not report.attached:
        raise InputError(
            f"{gold_jsonl}: none of its {len(gold)} documents is in {corpus_dir} "
            f"({len(report.unknown_ids)} unknown ids, {len(report.text_mismatches)} with "
            "another text); attach gold to the corpus its documents were pushed from"
        )
    _tally(gold, set().union(*found.values()), report)
    report.agreement = summary
    card = _write_new_version(dd, labels, meta, gold, found, corpus_dir, out_dir, report,
                              Path(card_path) if card_path else None)  # fmt: skip
    report.card = str(card)
    return report


def _write_new_version(dd, labels, meta, gold, found, corpus_dir: Path, out_dir: Path,
                       report: AttachReport, card: Path | None) -> Path:  # fmt: skip
    """Stage the new version (data, manifest and build report of the source, ``goldwire.json``
    with the gold, the card) and move it into place; returns where the card is."""
    from goldwire.corpus.dataset import MANIFEST, REPORT
    from goldwire.corpus.writing import publish, staging_dir, write_meta
    from goldwire.schema import features

    work = staging_dir(out_dir, "attaching")
    try:
        layout = meta.get("layout", "arrow")
        new = _write_version(dd, gold, found, features(labels), work, layout)
        for name in (MANIFEST, REPORT):
            if (corpus_dir / name).is_file():
                shutil.copyfile(corpus_dir / name, new / name)
        write_meta(new, {**meta, "gold": report.to_json()})
        return publish(work, out_dir, card)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
