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
agreement summary, what was not attached) and the data card refreshed.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from goldwire.errors import InputError, SchemaError, UsageError

GOLD_META_KEYS = ("annotators", "adjudication")
_SHOWN = 5


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
    out = work / "dataset"
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
    from goldwire.corpus.build import move_into_place, staging_dir
    from goldwire.corpus.dataset import GOLDWIRE_META, MANIFEST, REPORT, load_corpus
    from goldwire.schema import features

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
    work = staging_dir(out_dir, "attaching")
    try:
        layout = meta.get("layout", "arrow")
        new = _write_version(dd, gold, found, features(labels), work, layout)
        for name in (MANIFEST, REPORT):
            if (corpus_dir / name).is_file():
                shutil.copyfile(corpus_dir / name, new / name)
        meta = {**meta, "gold": report.to_json()}
        (new / GOLDWIRE_META).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n",
                                         encoding="utf-8")  # fmt: skip
        del dd
        move_into_place(work, out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    report.card = str(refresh_card(out_dir, Path(card_path) if card_path else None))
    return report


# --------------------------------------------------------------------------- data card


def _fmt(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def gold_card_text(gold: dict[str, Any]) -> tuple[str, str]:
    """Card text for the annotation process and the annotators, from ``meta['gold']``."""
    strategies = ", ".join(f"{k} ({v})" for k, v in gold["adjudication"].items()) or "n/a"
    process = (
        f"Gold annotations for {gold['documents']} documents were attached by `goldwire corpus "
        f"attach-gold` from `{gold['source']}` (adjudication: {strategies}): "
        f"{gold['entities']} entities, {gold['stances']} stances and {gold['doc_stances']} "
        "document stances; each annotation lists the annotators who marked it."
    )
    ag = gold.get("agreement")
    if ag:
        process += (
            f"\n\nInter-annotator agreement ({ag.get('annotators')} annotators, "
            f"{ag.get('documents_multiply_annotated')} documents annotated by two or more; "
            "`goldwire annotate agreement`, pooled over annotator pairs):\n\n"
            "| measure | value |\n|---|---:|\n"
            f"| span F1, exact | {_fmt(ag.get('span_f1_exact'))} |\n"
            f"| span F1, overlap | {_fmt(ag.get('span_f1_overlap'))} |\n"
            f"| token Cohen's kappa (mean over pairs) | {_fmt(ag.get('token_kappa'))} |\n"
            f"| token Krippendorff's alpha (nominal) | {_fmt(ag.get('token_alpha'))} |\n"
            f"| stance F1, mention | {_fmt(ag.get('stance_f1_mention'))} |\n"
            f"| stance F1, mention relaxed | {_fmt(ag.get('stance_f1_mention_relaxed'))} |\n"
            f"| stance F1, entity triples | {_fmt(ag.get('stance_f1_triple'))} |"
        )
    rows = ["| annotator | documents | entities | stances |", "|---|---:|---:|---:|"]
    rows += [f"| {name} | {c['documents']} | {c['entities']} | {c['stances']} |"
             for name, c in gold["annotators"].items()]  # fmt: skip
    return process, "\n".join(rows)


def refresh_card(dataset_dir: Path, card_path: Path | None = None) -> Path:
    """Write the data card with :func:`write_card`, then fill in the gold annotations."""
    from goldwire.corpus.card import write_card
    from goldwire.corpus.dataset import GOLDWIRE_META

    card_path = card_path or dataset_dir / "README.md"
    write_card(dataset_dir, card_path)
    meta = json.loads((dataset_dir / GOLDWIRE_META).read_text(encoding="utf-8"))
    if not meta.get("gold"):
        return card_path
    process, annotators = gold_card_text(meta["gold"])
    text = card_path.read_text(encoding="utf-8")
    marks = ("#### Annotation process\n\n", "#### Who are the annotators?\n\n")
    if all(m in text for m in marks):
        text = text.replace(marks[0], marks[0] + process + "\n\n", 1)
        text = text.replace(marks[1], marks[1] + annotators + "\n\n", 1)
    else:
        text = text.rstrip("\n") + f"\n\n## Gold annotations\n\n{process}\n\n{annotators}\n"
    for path in {card_path, dataset_dir / "README.md"}:
        path.write_text(text, encoding="utf-8")
    return card_path


# --------------------------------------------------------------------------- CLI


def attach_gold_cmd(
    corpus: Annotated[Path, typer.Argument(help="A dataset folder built by goldwire.",
                                           show_default=False)],
    gold: Annotated[Path, typer.Argument(help="Gold JSONL from `goldwire annotate adjudicate`.",
                                         show_default=False)],
    *,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder of the new corpus version.",
                                      show_default=False)],
    agreement: Annotated[
        Path | None,
        typer.Option("--agreement", help="Agreement JSON (`goldwire annotate agreement --json`) "
                     "whose figures go into goldwire.json and the data card.", show_default=False),
    ] = None,
    card_dir: Annotated[
        Path, typer.Option(help="Where data cards go: CARD_DIR/NAME/README.md.")
    ] = Path("data_cards"),
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the attach report here.",
                                  show_default=False)
    ] = None,
) -> None:  # fmt: skip
    """Attach gold annotations to a corpus as a new version; refresh its data card.

    Documents are matched by id; unknown ids and documents whose text differs are reported.

    Example: goldwire corpus attach-gold data/seed data/gold.jsonl --out data/seed-gold --agreement data/pull/agreement.json
    """  # noqa: E501
    from rich.console import Console

    report = attach_gold(corpus, gold, out, agreement, card_path=card_dir / out.name / "README.md")
    data = report.to_json()
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n",
                            encoding="utf-8")  # fmt: skip
    _print_report(Console(), report)


def _print_report(console, report: AttachReport) -> None:
    from rich.table import Table

    table = Table(title=f"gold attached: {report.out}")
    table.add_column("what")
    table.add_column("count", justify="right")
    rows = [("gold documents", report.gold_documents), ("attached", report.attached),
            *((f"  split {s}", n) for s, n in report.by_split.items()),
            ("entities", report.entities), ("stances", report.stances),
            ("document stances", report.doc_stances),
            ("unknown ids", len(report.unknown_ids)),
            ("text mismatches", len(report.text_mismatches))]  # fmt: skip
    for label, value in rows:
        table.add_row(label, str(value))
    console.print(table)
    if report.unknown_ids:
        unknown = report.unknown_ids
        more = f" and {len(unknown) - _SHOWN} more" if len(unknown) > _SHOWN else ""
        console.print(f"[yellow]warning:[/yellow] not in the corpus: "
                      f"{', '.join(unknown[:_SHOWN])}{more}", highlight=False)  # fmt: skip
    for m in report.text_mismatches[:_SHOWN]:
        console.print(f"[yellow]warning:[/yellow] {m['id']} ({m['split']}): the gold text differs "
                      "from the corpus text; not attached", highlight=False)  # fmt: skip
    console.print(f"dataset: {report.out}\ndata card: {report.card}", highlight=False)
