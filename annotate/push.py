"""Push a goldwire corpus into Doccano: create or reuse the project, sync labels, upload the
documents not there yet, optionally with suggestions (pre-annotations).

The project is a sequence-labelling project with relations, annotations kept per annotator
(``collaborative_annotation`` off) and ``grapheme_mode`` off, so Doccano stores offsets in
**UTF-16 code units** (what the browser counts); goldwire converts at the edge with
:class:`~goldwire.annotate.offsets.OffsetMap`. Entity labels become span types (colour,
shortcut key), stance labels relation types. With ``doc_stance_targets`` in the label schema a
document-classification project ``NAME-docstance`` (categories ``target:label``) gets the same
documents, joined by goldwire id.

Each example carries the meta keys ``goldwire_id`` and ``goldwire_sha256``. What a push does
against the server's quirks (see :mod:`goldwire.annotate.client`):

* Nothing is uploaded twice: the project is listed first (through the export API, or from a
  local record validated against the server, below), documents already there are skipped, a
  document whose id is there with another text is reported and left alone.
* Uploads go in batches (at most 1,000 documents, 4 MiB and 20,000 suggested spans, far
  below doccano's 1 GiB upload limit; a 413 answer halves the batch), two in flight so the
  task worker never idles. After each batch the examples that arrived are counted by upload
  id; duplicates made by the server's retries are deleted (the lowest example id per
  goldwire id stays) and reported, documents that did not arrive are reported. Uploaded
  suggestions are checked against the server's per-user label counts once the last batch is
  in (while a batch imports, the next one is already running); a difference is tracked down
  document by document through the export and every dropped span reported.
* Batches in flight are journaled; a push that was interrupted waits for them when rerun.
* Locally, ``GOLDWIRE_HOME/annotate/push/`` keeps which goldwire ids a project holds, valid
  only while the server's example count and newest example are what the last push saw; so a
  re-push of an unchanged corpus costs two requests instead of an export.

Suggestions uploaded with the documents belong to the pushing user, and doccano shows a user
only their own labels: suggestions for an annotator are created through the API as that user
(``as_user``), document by document, and only on documents where that user has nothing yet.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldwire.annotate import client
from goldwire.annotate.client import LabelKind, Project
from goldwire.annotate.http import DoccanoSession
from goldwire.annotate.offsets import OffsetError, OffsetMap, Unit
from goldwire.annotate.settings import display_url, goldwire_home
from goldwire.errors import InputError, ServerError, UsageError
from goldwire.schema import Document, LabelSchema, read_jsonl, text_sha256

META_ID = "goldwire_id"
META_SHA = "goldwire_sha256"
DOCSTANCE_SUFFIX = "-docstance"
GUIDELINES = Path(__file__).with_name("guidelines.md")
BATCH_DOCS = 1000  # also doccano's IMPORT_BATCH_SIZE: one batch is one chunk of the importer
BATCH_BYTES = 4 * 2**20
BATCH_SPANS = 20_000  # the importer puts all span uuids of a batch in one SQL IN (...)
IN_FLIGHT = 2

#: ``progress(phase, done, total)``; called often, must be cheap.
Progress = Callable[[str, int, int], None]


def _no_progress(phase: str, done: int, total: int) -> None:
    return None


# --------------------------------------------------------------------------- reports


@dataclass
class Problem:
    """Something not uploaded, not pulled or not as expected, with where it happened.

    ``start``/``end`` are code points into the goldwire text, except for a span that could not
    be mapped to code points: it keeps the Doccano project's unit (``detail`` says which)."""

    kind: str
    document: str | None
    detail: str
    project: str | None = None
    start: int | None = None
    end: int | None = None
    label: str | None = None
    user: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    def __str__(self) -> str:
        where = f"document {self.document}" if self.document else f"project {self.project}"
        span = f" [{self.start}:{self.end}]" if self.start is not None else ""
        return f"{where}{span}: {self.detail}"


@dataclass
class TargetReport:
    """What happened in one Doccano project."""

    project: dict[str, Any]
    created: bool = False
    guideline_updated: bool = False
    labels: list[dict[str, Any]] = field(default_factory=list)
    listing: str = ""  # how the project was listed: "new", "local record" or "export"
    examples_before: int = 0
    examples_after: int = 0
    uploaded: int = 0
    unchanged: int = 0
    mismatched: int = 0
    batches: int = 0
    resumed_batches: int = 0
    duplicates_removed: int = 0
    foreign_examples: int = 0  # examples without a goldwire id
    uploaded_labels: dict[str, int] = field(default_factory=dict)
    suggestions_created: dict[str, int] = field(default_factory=dict)  # through the API

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class PushReport:
    url: str
    user: str
    documents: int = 0
    targets: list[TargetReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: str, document: str | None, detail: str, **where: Any) -> None:
        self.problems.append(Problem(kind, document, detail, **where))

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "user": self.user,
            "documents": self.documents,
            "projects": [t.to_dict() for t in self.targets],
            "problems": [p.to_dict() for p in self.problems],
            "problem_counts": dict(Counter(p.kind for p in self.problems)),
            "notes": list(self.notes),
            "seconds": round(self.seconds, 3),
        }


# --------------------------------------------------------------------------- input


def read_documents(path: str | Path, split: str | None = None) -> tuple[list[Document], dict]:
    """Documents of a goldwire dataset folder (one split or all) or a goldwire JSONL file,
    and the dataset's metadata (``{}`` for JSONL)."""
    from goldwire.corpus.dataset import open_documents

    found = open_documents(path, split)
    return found.docs, found.meta


def label_schema_for(meta: dict, labels_path: str | Path | None) -> LabelSchema:
    """``--labels`` when given, else the dataset's own label schema, else the default."""
    if labels_path:
        return LabelSchema.from_toml(labels_path)
    if meta.get("label_schema"):
        return LabelSchema.from_dict(meta["label_schema"], origin="the dataset's label schema")
    return LabelSchema.default()


def read_predictions(path: str | Path) -> dict[str, Document]:
    """Model output as goldwire JSONL, by document id (an id given twice is an error)."""
    out: dict[str, Document] = {}
    for doc in read_jsonl(path):
        if doc.id in out:
            raise InputError(f"{path}: document {doc.id} appears twice; keep one prediction")
        out[doc.id] = doc
    return out


# --------------------------------------------------------------------------- conversion


@dataclass
class Suggestions:
    """One document's suggestions, in the project's offset unit.

    ``spans``: (start, end, label, code-point start, code-point end); ``relations``: (index of
    the holder span, index of the target span, label); ``categories``: names."""

    spans: list[tuple[int, int, str, int, int]] = field(default_factory=list)
    relations: list[tuple[int, int, str]] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.spans or self.relations or self.categories)

    def counts(self) -> Counter:
        c: Counter = Counter(f"span:{s[2]}" for s in self.spans)
        c.update(f"relation:{r[2]}" for r in self.relations)
        c.update(f"category:{name}" for name in self.categories)
        return c


def category_name(target: str, label: str) -> str:
    return f"{target}:{label}"


def span_suggestions(
    doc: Document, pred: Document, unit: Unit, labels: LabelSchema, problems: list[Problem]
) -> Suggestions:
    """Entities and stances of ``pred`` as spans and relations of ``doc`` (same text).

    Reported and left out: unknown labels, overlapping spans (doccano would drop them
    silently), stances whose holder or target is not one of the uploaded spans."""
    out = Suggestions()

    def report(kind: str, detail: str, start=None, end=None, label=None) -> None:
        problems.append(Problem(kind, doc.id, detail, start=start, end=end, label=label))

    offsets = OffsetMap(doc.text, unit)
    index: dict[str, int] = {}
    by_span: dict[tuple[int, int], int] = {}
    last_end = -1
    known = set(labels.entity_labels)
    for ent in sorted(pred.entities, key=lambda e: (e.start, -e.end)):
        if ent.label not in known:
            report(
                "unknown_label",
                f"entity label {ent.label!r} is not in the label schema; suggestion left out",
                ent.start,
                ent.end,
                ent.label,
            )
            continue
        if ent.start < last_end:
            report(
                "overlapping_suggestion",
                "overlaps an earlier suggested entity; doccano "
                "keeps no overlapping spans, left out",
                ent.start,
                ent.end,
                ent.label,
            )
            continue
        try:
            start, end = offsets.span_to_units(ent.start, ent.end)
        except OffsetError as exc:
            report("unmappable_suggestion", str(exc), ent.start, ent.end, ent.label)
            continue
        index[ent.id] = len(out.spans)
        by_span[(ent.start, ent.end)] = len(out.spans)
        out.spans.append((start, end, ent.label, ent.start, ent.end))
        last_end = ent.end
    stance_labels = set(labels.stance_labels)
    for i, stance in enumerate(pred.stances):
        ends = []
        for mention in (stance.holder, stance.target):
            found = index.get(mention.entity) if mention.entity else None
            if found is None and mention.has_span:
                found = by_span.get((mention.start, mention.end))
            ends.append(found)
        if stance.label not in stance_labels:
            report(
                "unknown_label",
                f"stance {i} label {stance.label!r} is not in the label schema; left out",
                label=stance.label,
            )
        elif None in ends:
            report(
                "unlinked_stance",
                f"stance {i} ({stance.label}): holder or target is not "
                "an uploaded entity span; doccano relations join spans, left out",
                label=stance.label,
            )
        else:
            out.relations.append((ends[0], ends[1], stance.label))  # type: ignore[arg-type]
    return out


def category_suggestions(
    doc: Document, pred: Document, categories: set[str], problems: list[Problem]
) -> Suggestions:
    out = Suggestions()
    for ds in pred.doc_stances:
        name = category_name(ds.target, ds.label)
        if name not in categories:
            problems.append(
                Problem(
                    "unknown_label",
                    doc.id,
                    f"document stance {name!r} is not a category of the "
                    "label schema (doc_stance_targets x doc_stances); left out",
                    label=name,
                )
            )
        elif name not in out.categories:
            out.categories.append(name)
    return out


def upload_line(doc: Document, project: Project, suggestions: Suggestions | None) -> dict:
    """One JSONL record for doccano's importer; every record has the same keys (#2229)."""
    line: dict[str, Any] = {"text": doc.text, META_ID: doc.id, META_SHA: doc.text_sha256}
    s = suggestions or Suggestions()
    if project.project_type == client.DOCUMENT_CLASSIFICATION:
        line["label"] = list(s.categories)
    elif project.use_relation:
        line["entities"] = [
            {"id": i, "start_offset": a, "end_offset": b, "label": lab}
            for i, (a, b, lab, _, _) in enumerate(s.spans)
        ]
        line["relations"] = [
            {"id": i, "from_id": h, "to_id": t, "type": lab}
            for i, (h, t, lab) in enumerate(s.relations)
        ]
    else:
        line["label"] = [[a, b, lab] for a, b, lab, _, _ in s.spans]
    return line


def encode_line(line: dict) -> bytes:
    """ASCII-only JSON (the importer guesses encodings; ASCII reads the same in all)."""
    return (json.dumps(line, ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii")


# --------------------------------------------------------------------------- local record


def _state_dir() -> Path:
    return goldwire_home() / "annotate" / "push"


class PushState:
    """What the last push saw in one project (ids, hashes, who has labels on each) and the
    batches still in flight. Trusted only while the server's count and newest example match.
    """

    def __init__(self, url: str, project: Project, folder: Path | None = None) -> None:
        folder = folder or _state_dir()
        key = hashlib.sha1(display_url(url).encode()).hexdigest()[:12]
        self.path = folder / f"{key}-{project.id}.json"
        self.journal = folder / f"{key}-{project.id}.pending.json"
        self.lock_path = folder / f"{key}-{project.id}.lock"
        self.identity = {
            "url": display_url(url),
            "project": project.id,
            "created_at": project.created_at,
        }
        self.docs: dict[str, dict[str, Any]] = {}  # gid -> {"sha": ..., "users": [...]}
        self.foreign = 0  # examples without a goldwire id
        self.marker: dict[str, Any] | None = None
        self.pending: list[dict[str, Any]] = []
        self._lock: Any = None

    def load(self) -> PushState:
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data["identity"] == self.identity:
                self.docs, self.marker = data["docs"], data["marker"]
                self.foreign = int(data.get("foreign", 0))
        with contextlib.suppress(OSError, ValueError, TypeError):
            pending = json.loads(self.journal.read_text(encoding="utf-8"))
            if isinstance(pending, list):
                self.pending = pending
        return self

    def lock(self) -> None:
        import fcntl

        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.lock_path, "a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise UsageError(
                f"another goldwire push to project {self.identity['project']} at "
                f"{self.identity['url']} is running; wait for it to finish"
            ) from None
        self._lock = handle

    def unlock(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def valid(self, count: int, newest: dict[str, Any] | None) -> bool:
        return self.marker is not None and self.marker == _marker(count, newest)

    def save(self, count: int, newest: dict[str, Any] | None) -> None:
        self.marker = _marker(count, newest)
        data = {
            "identity": self.identity,
            "marker": self.marker,
            "foreign": self.foreign,
            "docs": self.docs,
        }
        _write_atomic(self.path, json.dumps(data, separators=(",", ":")))

    def forget(self) -> None:
        self.marker = None
        self.path.unlink(missing_ok=True)

    def save_journal(self) -> None:
        if self.pending:
            _write_atomic(self.journal, json.dumps(self.pending))
        else:
            self.journal.unlink(missing_ok=True)


def _marker(count: int, newest: dict[str, Any] | None) -> dict[str, Any]:
    if newest is None:
        return {"count": count}
    meta = newest.get("meta") or {}
    return {
        "count": count,
        "id": newest["id"],
        "gid": meta.get(META_ID),
        "file": newest.get("filename"),
    }


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# --------------------------------------------------------------------------- server index


@dataclass
class ServerExample:
    id: int | None  # None when known from the local record only
    sha: str
    users: set[str] = field(default_factory=set)  # members with labels on it
    own: dict[str, Any] = field(default_factory=dict)  # the suggesting user's labels


@dataclass
class ServerIndex:
    by_gid: dict[str, list[ServerExample]] = field(default_factory=dict)
    foreign: int = 0
    complete_ids: bool = False  # example ids known (listed through the export)

    def add(self, gid: str, example: ServerExample) -> None:
        self.by_gid.setdefault(gid, []).append(example)

    def first(self, gid: str) -> ServerExample | None:
        found = self.by_gid.get(gid)
        return found[0] if found else None


def index_from_export(files: dict[str, bytes], user: str | None) -> ServerIndex:
    """Every example of an export, by goldwire id (ids ascending), with who has labels."""
    index = ServerIndex(complete_ids=True)
    seen: dict[int, ServerExample] = {}
    order: list[tuple[int, str | None]] = []
    for username, data in sorted(files.items()):
        for record in client.export_lines(data):
            eid = int(record["id"])
            example = seen.get(eid)
            if example is None:
                example = ServerExample(eid, text_sha256(record.get("text") or ""))
                seen[eid] = example
                order.append((eid, record.get(META_ID)))
            labels = {k: record.get(k) or [] for k in ("entities", "relations", "label")}
            if any(labels.values()):
                example.users.add(username)
            if username == user:
                example.own = labels
    for eid, gid in sorted(order, key=lambda pair: pair[0]):
        if gid is None:
            index.foreign += 1
        else:
            index.add(str(gid), seen[eid])
    return index


def index_from_state(state: PushState) -> ServerIndex:
    index = ServerIndex(foreign=state.foreign)
    for gid, info in state.docs.items():
        index.add(gid, ServerExample(None, info["sha"], set(info.get("users") or ())))
    return index


# --------------------------------------------------------------------------- targets


@dataclass
class Target:
    """One project to push to, with its label ids and the suggestions per document."""

    project: Project
    report: TargetReport
    label_ids: dict[str, dict[str, int]]  # kind name -> label -> id
    suggestions: dict[str, Suggestions] = field(default_factory=dict)
    state: PushState | None = None
    index: ServerIndex = field(default_factory=ServerIndex)

    @property
    def name(self) -> str:
        return self.project.name


@dataclass
class _Batch:
    docs: list[Document] = field(default_factory=list)
    lines: list[bytes] = field(default_factory=list)
    counts: list[Counter] = field(default_factory=list)  # suggestions per line, by label

    def split(self) -> list[_Batch]:
        at = len(self.docs) // 2
        return [
            _Batch(self.docs[part], self.lines[part], self.counts[part])
            for part in (slice(0, at), slice(at, None))
        ]


def make_batches(
    docs: list[Document],
    lines: list[bytes],
    labels: list[Counter],
    *,
    max_docs: int = BATCH_DOCS,
    max_bytes: int = BATCH_BYTES,
) -> Iterator[_Batch]:
    """Group upload lines into batches of at most ``max_docs`` lines, ``max_bytes`` bytes
    and ``BATCH_SPANS`` spans (a longer line goes alone)."""
    batch = _Batch()
    nbytes = nlabels = 0
    for doc, line, counts in zip(docs, lines, labels, strict=True):
        n = sum(v for k, v in counts.items() if k.startswith("span:"))
        full = len(batch.docs) >= max_docs or nbytes + len(line) > max_bytes
        if batch.docs and (full or nlabels + n > BATCH_SPANS):
            yield batch
            batch, nbytes, nlabels = _Batch(), 0, 0
        batch.docs.append(doc)
        batch.lines.append(line)
        batch.counts.append(counts)
        nbytes += len(line)
        nlabels += n
    if batch.docs:
        yield batch


# --------------------------------------------------------------------------- the push


@dataclass
class PushOptions:
    project: str
    labels: LabelSchema = field(default_factory=LabelSchema.default)
    predictions: dict[str, Document] | None = None
    as_user: DoccanoSession | None = None  # a session logged in as the suggestions' owner
    guideline: str | None = None  # default: annotate/guidelines.md
    batch_docs: int = BATCH_DOCS
    batch_bytes: int = BATCH_BYTES
    trust_local_record: bool = True
    state_dir: Path | None = None


def push(
    session: DoccanoSession,
    documents: Iterable[Document],
    options: PushOptions,
    progress: Progress = _no_progress,
) -> PushReport:
    """Push ``documents`` into the project ``options.project`` (and its ``-docstance``
    companion when the label schema has ``doc_stance_targets``); returns what was done."""
    began = time.monotonic()
    report = PushReport(url=display_url(session.url), user=session.username or "")
    docs = _unique_documents(documents, report)
    report.documents = len(docs)
    pusher = _Pusher(session, options, report, progress)
    for target in pusher.targets():
        pusher.run(target, docs)
    report.seconds = time.monotonic() - began
    return report


def _unique_documents(documents: Iterable[Document], report: PushReport) -> list[Document]:
    seen: dict[str, Document] = {}
    for doc in documents:
        first = seen.get(doc.id)
        if first is None:
            if not doc.text:
                report.add("empty_text", doc.id, "the document has no text; doccano refuses it")
                continue
            seen[doc.id] = doc
        elif first.text_sha256 != doc.text_sha256:
            report.add(
                "duplicate_input_id",
                doc.id,
                "the input holds two different texts with this id; the first is pushed",
            )
    return list(seen.values())


class _Pusher:
    def __init__(
        self,
        session: DoccanoSession,
        options: PushOptions,
        report: PushReport,
        progress: Progress,
    ) -> None:
        self.session = session
        self.options = options
        self.report = report
        self.progress = progress
        self.owner = options.as_user.username if options.as_user else session.username

    # -- projects and labels ---------------------------------------------------------------

    def targets(self) -> Iterator[Target]:
        labels = self.options.labels
        guideline = self.options.guideline
        if guideline is None:
            guideline = GUIDELINES.read_text(encoding="utf-8")
        guideline = guideline.strip()  # the server strips it (DRF trims text fields)
        main = self._project(self.options.project, client.SEQUENCE_LABELING, guideline)
        main.label_ids["span"] = self._sync(main, LabelKind.span, labels.entities)
        if labels.stances:
            if main.project.use_relation:
                main.label_ids["relation"] = self._sync(main, LabelKind.relation, labels.stances)
            else:
                self.report.notes.append(
                    f"project {main.name!r} has relations turned off: stance labels not synced"
                )
        yield main
        if labels.doc_stance_targets and labels.doc_stances:
            name = self.options.project + DOCSTANCE_SUFFIX
            ds = self._project(name, client.DOCUMENT_CLASSIFICATION, guideline)
            from goldwire.schema import LabelInfo

            wanted = [
                LabelInfo(category_name(t, info.name), info.description, info.color, "")
                for t in labels.doc_stance_targets
                for info in labels.doc_stances
            ]
            ds.label_ids["category"] = self._sync(ds, LabelKind.category, wanted)
            yield ds

    def _project(self, name: str, kind: str, guideline: str) -> Target:
        project = client.find_project(self.session, name)
        created = project is None
        if project is None:
            project = client.create_project(
                self.session,
                name,
                kind,
                guideline=guideline,
                description=f"goldwire corpus pushed by goldwire ({kind})",
                use_relation=kind == client.SEQUENCE_LABELING,
            )
        elif project.project_type != kind:
            raise UsageError(
                f"doccano project {name!r} (id {project.id}) is a {project.project_type} "
                f"project, not {kind}; pick another --project name"
            )
        if project.collaborative:
            raise UsageError(
                f"doccano project {name!r} shares annotations across users "
                "(collaborative_annotation); goldwire needs each annotator's own labels: turn "
                "that off in the project's settings or pick another --project name"
            )
        report = TargetReport(project=project.to_dict(), created=created)
        if not created and project.guideline != guideline:
            project = client.update_project(self.session, project, guideline=guideline)
            report.guideline_updated = True
        self.report.targets.append(report)
        return Target(project, report, {})

    def _sync(self, target: Target, kind: LabelKind, wanted) -> dict[str, int]:
        sync = client.sync_label_types(self.session, target.project.id, kind, wanted)
        target.report.labels.append(sync.to_dict())
        for conflict in sync.key_conflicts:
            self.report.notes.append(f"{target.name}: shortcut key not set for {conflict}")
        return sync.ids

    # -- one project -----------------------------------------------------------------------

    def run(self, target: Target, docs: list[Document]) -> None:
        state = PushState(self.session.url, target.project, self.options.state_dir).load()
        state.lock()
        target.state = state
        try:
            self._resume(target)
            self._list(target)
            new = self._classify(target, docs)
            self._suggest(target, docs)
            uploaded = self._upload(target, new)
            self._suggest_through_api(target, docs, uploaded)
            self._finish(target)
        finally:
            state.unlock()

    def _resume(self, target: Target) -> None:
        """Wait for batches an interrupted push left in flight, and check what they did."""
        state = target.state
        assert state is not None
        for entry in list(state.pending):
            self.progress(f"{target.name}: waiting for an earlier push's batch", 0, 1)
            self._check_batch(target, entry, resumed=True)
            target.report.resumed_batches += 1
            state.pending.remove(entry)
            state.save_journal()
            state.forget()

    def _list(self, target: Target) -> None:
        count, newest = client.newest_example(self.session, target.project.id)
        target.report.examples_before = count
        state = target.state
        assert state is not None
        if count == 0:
            target.index, target.report.listing = ServerIndex(complete_ids=True), "new"
        elif self.options.trust_local_record and state.valid(count, newest):
            target.index, target.report.listing = index_from_state(state), "local record"
        else:
            self._list_by_export(target)

    def _list_by_export(self, target: Target) -> None:
        self.progress(f"{target.name}: listing the project (export)", 0, 1)
        files = client.export_project(self.session, target.project.id)
        target.index = index_from_export(files, self.owner)
        target.report.listing = "export"
        target.report.foreign_examples = target.index.foreign
        self._remove_duplicates(target)
        self.progress(f"{target.name}: listing the project (export)", 1, 1)

    def _remove_duplicates(self, target: Target) -> None:
        """Keep the lowest example id per goldwire id; delete extras that hold no labels and
        the same text, report the others."""
        extras: list[int] = []
        for gid, examples in target.index.by_gid.items():
            if len(examples) < 2:
                continue
            keep = examples[0]
            for extra in examples[1:]:
                if extra.sha == keep.sha and not extra.users:
                    extras.append(extra.id)  # type: ignore[arg-type]
                else:
                    who = ", ".join(sorted(extra.users)) or "nobody"
                    self.report.add(
                        "duplicate_example",
                        gid,
                        f"examples {keep.id} and {extra.id} share "
                        f"this goldwire id (labels on {extra.id} by {who}); not deleted, "
                        "resolve in doccano",
                        project=target.name,
                    )
            target.index.by_gid[gid] = [keep] + [e for e in examples[1:] if e.id not in extras]
        if extras:
            for i in range(0, len(extras), 500):
                client.delete_examples(self.session, target.project.id, extras[i : i + 500])
            target.report.duplicates_removed += len(extras)
            self.report.notes.append(
                f"{target.name}: deleted {len(extras)} duplicate example(s) the server had "
                "created (kept the lowest example id per goldwire id)"
            )

    def _classify(self, target: Target, docs: list[Document]) -> list[Document]:
        new = []
        for doc in docs:
            there = target.index.first(doc.id)
            if there is None:
                new.append(doc)
            elif there.sha != doc.text_sha256:
                target.report.mismatched += 1
                self.report.add(
                    "text_mismatch",
                    doc.id,
                    f"doccano holds this id with another text "
                    f"(sha256 {there.sha[:12]}…, the corpus has {doc.text_sha256[:12]}…); "
                    "not overwritten",
                    project=target.name,
                )
            else:
                target.report.unchanged += 1
        return new

    def _suggest(self, target: Target, docs: list[Document]) -> None:
        predictions = self.options.predictions
        if not predictions:
            return
        spans = target.project.project_type == client.SEQUENCE_LABELING
        categories = set(target.label_ids.get("category", {}))
        for doc in docs:
            pred = predictions.get(doc.id)
            if pred is None:
                continue
            if pred.text_sha256 != doc.text_sha256:
                if spans:  # once, not again for the -docstance project
                    self.report.add(
                        "prediction_text_mismatch",
                        doc.id,
                        "the prediction's text differs "
                        "from the corpus text; its suggestions are left out",
                    )
                continue
            if spans:
                s = span_suggestions(
                    doc, pred, target.project.unit, self.options.labels, self.report.problems
                )
                if not target.project.use_relation:
                    s.relations = []
            else:
                s = category_suggestions(doc, pred, categories, self.report.problems)
            if s:
                target.suggestions[doc.id] = s

    # -- uploads ---------------------------------------------------------------------------

    def _upload(self, target: Target, new: list[Document]) -> list[Document]:
        if not new:
            return []
        with_lines = self.options.as_user is None
        lines, counts = [], []
        for doc in new:
            s = target.suggestions.get(doc.id) if with_lines else None
            lines.append(encode_line(upload_line(doc, target.project, s)))
            counts.append(s.counts() if s else Counter())
        before = self._distribution(target) if with_lines and any(counts) else None
        batches = deque(
            make_batches(
                new,
                lines,
                counts,
                max_docs=self.options.batch_docs,
                max_bytes=self.options.batch_bytes,
            )
        )
        total, done = len(new), 0
        phase = f"{target.name}: uploading"
        self.progress(phase, 0, total)
        in_flight: deque[tuple[_Batch, dict[str, Any]]] = deque()
        arrived: list[Document] = []
        while batches or in_flight:
            if batches and len(in_flight) < IN_FLIGHT:
                batch = batches.popleft()
                entry = self._send(target, batch, batches)
                if entry is not None:
                    in_flight.append((batch, entry))
                continue
            batch, entry = in_flight.popleft()
            arrived += self._settle(target, batch, entry)
            done += len(batch.docs)
            self.progress(phase, done, total)
        target.report.uploaded += len(arrived)
        if before is not None:
            self._check_counts(target, before, arrived)
        return arrived

    def _send(self, target: Target, batch: _Batch, rest: deque) -> dict[str, Any] | None:
        """Upload one batch and start its import; a 413 answer splits it in two."""
        name = f"goldwire-{target.project.id}-{batch.docs[0].id}-{len(batch.docs)}.jsonl"
        try:
            upload_id = client.upload_file(self.session, b"".join(batch.lines), name)
        except client.UploadTooLarge:
            if len(batch.docs) == 1:
                raise
            for part in reversed(batch.split()):
                rest.appendleft(part)
            return None
        state = target.state
        assert state is not None
        entry = {
            "upload_id": upload_id,
            "task_id": None,
            "docs": [[d.id, d.text_sha256] for d in batch.docs],
        }
        state.pending.append(entry)
        state.save_journal()
        entry["task_id"] = client.start_import(self.session, target.project, upload_id)
        state.save_journal()
        target.report.batches += 1
        return entry

    def _settle(self, target: Target, batch: _Batch, entry: dict[str, Any]) -> list[Document]:
        ok = self._check_batch(target, entry)
        state = target.state
        assert state is not None
        state.pending.remove(entry)
        state.save_journal()
        return [d for d in batch.docs if d.id in ok]

    def _check_batch(
        self, target: Target, entry: dict[str, Any], *, resumed: bool = False
    ) -> set[str]:
        """After a batch's import: report its errors, count what arrived (by upload id),
        delete duplicates the server made, report documents that did not arrive. Returns the
        goldwire ids that are there now."""
        expected = {gid: sha for gid, sha in entry["docs"]}
        order = [gid for gid, _ in entry["docs"]]
        if entry.get("task_id"):
            status = client.wait_task(self.session, entry["task_id"])
            if status.error:
                self.report.add(
                    "import_failed",
                    None,
                    f"doccano's import of a batch of {len(order)} "
                    f"documents failed ({status.error}); what arrived is kept",
                    project=target.name,
                )
            result = status.result if isinstance(status.result, dict) else {}
            for err in result.get("error") or []:
                line = int(err.get("line", 0))
                gid = order[line - 1] if 0 < line <= len(order) else None
                self.report.add(
                    "import_error",
                    gid,
                    f"doccano's importer: {err.get('message')}",
                    project=target.name,
                )
        upload_id = entry["upload_id"]
        count = client.example_count(self.session, target.project.id, search=upload_id)
        if count == len(order):
            there = set(order)
        else:
            there = self._reconcile(target, upload_id, expected, report_missing=not resumed)
        for gid in there:
            target.index.by_gid[gid] = [ServerExample(None, expected[gid])]
        return there

    def _reconcile(
        self, target: Target, upload_id: str, expected: dict[str, str], *, report_missing: bool
    ) -> set[str]:
        examples = list(client.list_examples(self.session, target.project.id, search=upload_id))
        by_gid: dict[str, list[int]] = {}
        for ex in examples:
            gid = (ex.get("meta") or {}).get(META_ID)
            if gid in expected and upload_id in str(ex.get("filename", "")):
                by_gid.setdefault(gid, []).append(int(ex["id"]))
        extras = [i for ids in by_gid.values() for i in sorted(ids)[1:]]
        if extras:
            client.delete_examples(self.session, target.project.id, extras)
            target.report.duplicates_removed += len(extras)
            self.report.notes.append(
                f"{target.name}: the server imported a batch more than once (its import task "
                f"is retried without a transaction); deleted {len(extras)} duplicate "
                "example(s), kept the lowest example id per goldwire id"
            )
        for gid in expected if report_missing else ():
            if gid not in by_gid:
                self.report.add(
                    "not_imported",
                    gid,
                    "uploaded but not in doccano after the import; push again to retry",
                    project=target.name,
                )
        return set(by_gid)

    # -- suggestions -----------------------------------------------------------------------

    def _distribution(self, target: Target) -> Counter:
        kinds = (
            (LabelKind.category,)
            if target.project.project_type == client.DOCUMENT_CLASSIFICATION
            else (LabelKind.span, LabelKind.relation)
            if target.project.use_relation
            else (LabelKind.span,)
        )
        out: Counter = Counter()
        for kind in kinds:
            per_user = client.label_distribution(self.session, target.project.id, kind)
            for label, n in (per_user.get(self.owner or "") or {}).items():
                out[f"{kind.name}:{label}"] += n
        return out

    def _check_counts(self, target: Target, before: Counter, arrived: list[Document]) -> None:
        expected = Counter()
        for doc in arrived:
            s = target.suggestions.get(doc.id)
            if s:
                expected.update(s.counts())
        after = self._distribution(target)
        delta = Counter(after)
        delta.subtract(before)
        target.report.uploaded_labels = _by_kind(expected)
        if +delta != +expected:
            target.report.listing += " (labels checked by export)"
            self._list_by_export(target)
            self._compare_uploaded(target, arrived)
        else:
            for doc in arrived:
                if doc.id in target.suggestions:
                    self._mark(target, doc.id)

    def _compare_uploaded(self, target: Target, arrived: list[Document]) -> None:
        """Report every uploaded suggestion that the server dropped."""
        for doc in arrived:
            s = target.suggestions.get(doc.id)
            there = target.index.first(doc.id)
            if not s or there is None:
                continue
            got = {
                (e["start_offset"], e["end_offset"], e["label"])
                for e in there.own.get("entities", [])
            }
            got |= {tuple(x) for x in there.own.get("label", []) if isinstance(x, list)}
            for start, end, label, cs, ce in s.spans:
                if (start, end, label) not in got:
                    self.report.add(
                        "span_dropped",
                        doc.id,
                        f"the server dropped the suggested {label} span",
                        project=target.name,
                        start=cs,
                        end=ce,
                        label=label,
                    )
            cats = {x for x in there.own.get("label", []) if isinstance(x, str)}
            for name in s.categories:
                if name not in cats:
                    self.report.add(
                        "category_dropped",
                        doc.id,
                        f"the server dropped category {name}",
                        project=target.name,
                        label=name,
                    )
            n_rel = len(there.own.get("relations", []))
            if n_rel < len(s.relations):
                self.report.add(
                    "relation_dropped",
                    doc.id,
                    f"{len(s.relations) - n_rel} suggested relation(s) missing after the import",
                    project=target.name,
                )

    def _mark(self, target: Target, gid: str) -> None:
        for example in target.index.by_gid.get(gid, []):
            example.users.add(self.owner or "")

    def _suggest_through_api(
        self, target: Target, docs: list[Document], uploaded: list[Document]
    ) -> None:
        """Create suggestions through the API where the owner has nothing yet: documents
        already in doccano, or all of them when suggesting as another user."""
        fresh = {d.id for d in uploaded} if self.options.as_user is None else set()
        todo = [
            d
            for d in docs
            if d.id in target.suggestions
            and d.id not in fresh
            and (ex := target.index.first(d.id)) is not None
            and ex.sha == d.text_sha256
            and self.owner not in ex.users
        ]
        if not todo:
            return
        if not target.index.complete_ids or any(_example_id(target, d) is None for d in todo):
            self._list_by_export(target)
            todo = [
                d
                for d in todo
                if (ex := target.index.first(d.id)) is not None and self.owner not in ex.users
            ]
        owner_session = self.options.as_user or self.session
        if self.options.as_user is not None:
            self._ensure_member(target)
        created: Counter = Counter()
        phase = f"{target.name}: suggestions as {self.owner}"
        for i, doc in enumerate(todo, 1):
            example = target.index.first(doc.id)
            assert example is not None and example.id is not None
            created.update(self._create_suggestions(owner_session, target, doc, example.id))
            self._mark(target, doc.id)
            self.progress(phase, i, len(todo))
        target.report.suggestions_created = _by_kind(created)

    def _ensure_member(self, target: Target) -> None:
        members = {m.username for m in client.list_members(self.session, target.project.id)}
        if self.owner not in members:
            client.add_member(self.session, target.project.id, self.owner or "")
            self.report.notes.append(
                f"{target.name}: added {self.owner} as annotator (to own the suggestions)"
            )

    def _create_suggestions(
        self, session: DoccanoSession, target: Target, doc: Document, example_id: int
    ) -> Counter:
        """One document's suggestions, created as ``session``'s user; failures reported."""
        s = target.suggestions[doc.id]
        pid = target.project.id
        ids = target.label_ids
        created: Counter = Counter()

        def attempt(key: str, make: Callable[[], int], **where: Any) -> int | None:
            try:
                made = make()
            except ServerError as exc:
                kind = key.split(":", 1)[0]
                self.report.add(
                    f"{kind}_dropped",
                    doc.id,
                    f"creating the suggested {kind} failed: {exc}",
                    project=target.name,
                    label=key.split(":", 1)[1],
                    **where,
                )
                return None
            created[key] += 1
            return made

        span_ids = [
            attempt(
                f"span:{label}",
                lambda a=a, b=b, label=label: client.create_span(
                    session, pid, example_id, a, b, ids["span"][label]
                ),
                start=cs,
                end=ce,
            )
            for a, b, label, cs, ce in s.spans
        ]
        for h, t, label in s.relations:
            if span_ids[h] is not None and span_ids[t] is not None:
                attempt(
                    f"relation:{label}",
                    lambda h=span_ids[h], t=span_ids[t], label=label: client.create_relation(
                        session, pid, example_id, h, t, ids["relation"][label]
                    ),
                )
        for name in s.categories:
            attempt(
                f"category:{name}",
                lambda name=name: client.create_category(
                    session, pid, example_id, ids["category"][name]
                ),
            )
        return created

    # -- the end ---------------------------------------------------------------------------

    def _finish(self, target: Target) -> None:
        count, newest = client.newest_example(self.session, target.project.id)
        target.report.examples_after = count
        state = target.state
        assert state is not None
        state.docs = {
            gid: {"sha": examples[0].sha, "users": sorted(examples[0].users)}
            for gid, examples in target.index.by_gid.items()
            if examples
        }
        state.foreign = target.index.foreign
        known = sum(len(v) for v in target.index.by_gid.values()) + target.index.foreign
        if known == count and not state.pending:
            state.save(count, newest)
        else:
            state.forget()  # something else changed the project meanwhile: list it next time


def _example_id(target: Target, doc: Document) -> int | None:
    example = target.index.first(doc.id)
    return example.id if example is not None else None


def _by_kind(counts: Counter) -> dict[str, int]:
    out: Counter = Counter()
    for key, n in counts.items():
        out[key.split(":", 1)[0] + "s"] += n
    return dict(sorted(out.items()))
