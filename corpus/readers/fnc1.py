"""Reader for the Fake News Challenge stage 1 data (``fnc1``): headline-body stance pairs.

FNC-1 comes as two CSV files: ``*_stances.csv`` (``Headline``, ``Body ID``, ``Stance``) and
``*_bodies.csv`` (``Body ID``, ``articleBody``). The reader reads a stances file and its
bodies file beside it (``competition_test_stances.csv`` -> ``competition_test_bodies.csv``)
and yields **one document per body**: the text is the body (paragraphs at blank lines), and
each headline paired with it is a document stance whose target is the headline and whose
label is FNC-1's (``agree``, ``disagree``, ``discuss``, ``unrelated``). Use
:func:`fnc1_labels` as the corpus's label schema.

* Bodies with the same text (FNC-1 has a few under several Body IDs) become one document;
  its stances are the union, ``meta["body_ids"]`` lists the ids.
* The same headline given twice for one body keeps one stance (FNC-1 repeats some rows, always
  with the same label); a headline given twice with different labels is reported as a
  Rejection of the document. ``meta["pairs"]`` counts the CSV rows of the document.
* The split is fixed by the body, so no body is in two splits: a hash of the smallest Body
  ID (:data:`SPLIT`, 70/10/20 with salt ``fnc1``) goes to ``meta["split"]``.
* A stances row whose body is missing, or with a label outside FNC-1's, is a Rejection.
* Every document's document-stances layer has status ``reader:fnc1``; its entities and
  stances ``none``.

Scoring the predictions with ``goldwire evaluate score`` gives the FNC-1 relative score
(+0.25 for the related/unrelated decision, +0.75 more for the exact related label, as a share
of the maximum) over the unique (body, headline) pairs.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goldwire.corpus.normalize import normalize_text
from goldwire.corpus.readers.base import Reader, ReadOptions, Rejection
from goldwire.corpus.readers.jsonl import body_paragraphs
from goldwire.corpus.split import SplitRatios
from goldwire.errors import ParseError, UsageError
from goldwire.files import write_json
from goldwire.schema import DocStance, Document, LabelSchema, Paragraph

if TYPE_CHECKING:
    from goldwire.corpus.build_report import BuildReport

LABELS = ("agree", "disagree", "discuss", "unrelated")
SPLIT = SplitRatios(0.7, 0.1, 0.2, salt="fnc1")
STANCE_COLUMNS = ("Headline", "Body ID", "Stance")
BODY_COLUMNS = ("Body ID", "articleBody")


def fnc1_labels() -> LabelSchema:
    """The default label schema with FNC-1's labels as document-stance labels."""
    base = LabelSchema.default()
    return LabelSchema(
        base.entities, base.stances, LabelSchema.from_names(doc_stances=LABELS).doc_stances
    )


def bodies_path(stances: Path) -> Path:
    return stances.with_name(stances.name.replace("_stances", "_bodies"))


def read_csv(text: str, columns: tuple[str, ...], where: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        raise ParseError(
            f"{where}: no column {', '.join(missing)} (has "
            f"{', '.join(reader.fieldnames or [])}); is this an FNC-1 file?"
        )
    return list(reader)


class Fnc1Reader(Reader):
    """FNC-1 stances CSV (with its bodies CSV beside it): one document per body."""

    def __init__(self) -> None:
        super().__init__(
            "fnc1",
            (),
            "FNC-1 headline/body stances: *_stances.csv + *_bodies.csv",
            gold_layer="doc_stances",
        )

    def sniff(self, path: Path, head: str) -> bool:
        first = head.split("\n", 1)[0].strip()
        return path.suffix.lower() == ".csv" and first == "Headline,Body ID,Stance"

    def read(self, path: Path, text: str, options: ReadOptions) -> Iterator[Document | Rejection]:
        rows = read_csv(text, STANCE_COLUMNS, str(path))
        bpath = bodies_path(path)
        if bpath == path or not bpath.is_file():
            raise ParseError(
                f"{path}: its bodies file {bpath.name} is not beside it; FNC-1 "
                "stances need their *_bodies.csv"
            )
        btext = normalize_text(bpath.read_text(encoding="utf-8-sig"))
        bodies = {r["Body ID"]: r["articleBody"] for r in read_csv(btext, BODY_COLUMNS, str(bpath))}
        by_text: dict[str, list[str]] = defaultdict(list)  # normalised body text -> body ids
        for body_id in sorted(bodies, key=_id_order):
            by_text[_body_text(bodies[body_id])].append(body_id)
        pairs: dict[str, list[tuple[int, str, str]]] = defaultdict(list)  # body id -> rows
        for lineno, row in enumerate(rows, 2):
            body_id, label = row["Body ID"], row["Stance"]
            if body_id not in bodies:
                yield Rejection(
                    str(path),
                    "schema",
                    f"{path}:{lineno}: Body ID {body_id} is "
                    f"not in {bpath.name}; the pair is skipped",
                    f"line {lineno}",
                )
            elif label not in LABELS:
                yield Rejection(
                    str(path),
                    "schema",
                    f"{path}:{lineno}: stance {label!r} is not "
                    f"one of {', '.join(LABELS)}; the pair is skipped",
                    f"line {lineno}",
                )
            else:
                pairs[body_id].append((lineno, " ".join(row["Headline"].split()), label))
        for body, ids in by_text.items():
            rows_of = [r for i in ids for r in pairs.get(i, [])]
            if rows_of:
                yield self._document(path, body, ids, rows_of)

    def _document(
        self, path: Path, body: str, ids: list[str], rows: list[tuple[int, str, str]]
    ) -> Document | Rejection:
        labels: dict[str, tuple[int, str]] = {}
        for lineno, headline, label in rows:
            if headline in labels and labels[headline][1] != label:
                first = labels[headline][0]
                return Rejection(
                    str(path),
                    "schema",
                    f"{path}:{lineno}: headline "
                    f"{headline[:60]!r} has label {label} here and "
                    f"{labels[headline][1]} on line {first} for the same body "
                    f"({', '.join(ids)}); the body is skipped",
                    f"line {lineno}",
                )
            labels.setdefault(headline, (lineno, label))
        paragraphs, pos = [], 0
        for part in body.split("\n\n"):
            paragraphs.append(Paragraph("body", pos, pos + len(part)))
            pos += len(part) + 2
        return Document(
            id="",
            text=body,
            source=f"{path}#body-{ids[0]}",
            language="en",
            paragraphs=paragraphs,
            meta={
                "reader": self.name,
                "body_id": ids[0],
                "body_ids": json.dumps(ids),
                "pairs": str(len(rows)),
                "split": SPLIT.assign(ids[0]),
            },
            doc_stances=[DocStance(h, lab) for h, (_, lab) in labels.items()],
            annotation=self.annotation(),
        )


def _id_order(body_id: str) -> tuple[int, str]:
    return (int(body_id), body_id) if body_id.isdigit() else (1 << 62, body_id)


def _body_text(raw: str) -> str:
    return "\n\n".join(body_paragraphs(normalize_text(raw)))


@dataclass
class ImportReport:
    """What an import did: the build report, and what the reader rejected or noted."""

    build: BuildReport
    rejections: list[dict[str, str]] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"build": self.build.to_json(), "reader_rejections": self.rejections, **self.notes}


IMPORT_REPORT = "import_report.json"


def import_documents(
    reader: Reader,
    files: list[Path],
    out: Path,
    labels: LabelSchema,
    *,
    workers: int = 1,
    notes: dict[str, Any] | None = None,
) -> ImportReport:
    """Read ``files`` with ``reader``, write the documents as goldwire JSONL into a temporary
    folder and build the corpus ``out`` from it with the ``jsonl`` reader (which keeps
    goldwire documents and their annotations as they are) and ``minhash=None`` (no document is
    dropped as a near-duplicate). The reader's rejections and ``notes`` are written to
    ``out/import_report.json``."""
    import shutil
    import tempfile

    from goldwire.corpus.build import BuildConfig, build_corpus
    from goldwire.schema import write_jsonl

    out = Path(out)
    out.resolve().parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.import-", dir=out.resolve().parent))
    try:
        docs: list[Document] = []
        rejections: list[Rejection] = []
        for path in files:
            text = normalize_text(path.read_text(encoding="utf-8-sig"))
            for item in reader.read(path, text, ReadOptions()):
                (rejections if isinstance(item, Rejection) else docs).append(item)
        if not docs:
            raise UsageError(
                f"{', '.join(map(str, files))}: the {reader.name} reader found no "
                "documents; check the data folder"
            )
        jsonl = tmp / f"{reader.name}.jsonl"
        write_jsonl(docs, jsonl)
        build = build_corpus(
            BuildConfig(
                inputs=(jsonl,),
                out=out,
                name=out.name,
                format="jsonl",
                minhash=None,
                labels=labels,
                workers=workers,
                fresh=True,
            )
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report = ImportReport(build, [r.to_json() for r in rejections], dict(notes or {}))
    write_json(out / IMPORT_REPORT, report.to_json())
    return report


def import_fnc1(
    data_dir: str | Path,
    out: str | Path,
    *,
    stances: str = "competition_test_stances.csv",
    workers: int = 1,
) -> ImportReport:
    """Build a goldwire corpus of FNC-1 (``data_dir/stances`` and its bodies file) in
    ``out`` (see :func:`import_documents`)."""
    path = Path(data_dir) / stances
    if not path.is_file():
        raise UsageError(f"{path}: no such file; give the FNC-1 folder (with {stances})")
    return import_documents(
        Fnc1Reader(),
        [path],
        Path(out),
        fnc1_labels(),
        workers=workers,
        notes={"source": "FNC-1", "split": "hash of the smallest Body ID, 70/10/20 (salt fnc1)"},
    )
