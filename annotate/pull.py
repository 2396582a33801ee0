"""Pull every annotator's work out of Doccano into goldwire JSONL, one file per annotator.

Doccano's API lists only the caller's own labels in a project without collaborative
annotation, so the pull goes through the **export** API: its zip holds one
``<username>.jsonl`` per current member, each with every example and that member's labels
(a second export, of confirmed examples only, tells who marked what done). Each example is
mapped back by its ``goldwire_id`` meta key; its text must hash to ``goldwire_sha256`` (and
equal the corpus text when a corpus is given). Offsets are converted to code points from the
project's unit (UTF-16 code units, or graphemes when ``grapheme_mode`` is on); every span
must land on character boundaries. A span or relation that cannot be mapped is reported with
its document, annotator and offsets, never dropped silently.

The folder ``DIR`` (``--out``)::

    DIR/annotators/<username>.jsonl   latest work of every annotator ever seen
    DIR/summary.json                  documents, confirmed, spans, relations per annotator
    DIR/problems.jsonl                what could not be mapped, one JSON object per line
    DIR/snapshots/<UTC time>/...      every pull as it was, the same three items

A document goes into an annotator's file when that annotator labelled it or marked it done
(an empty, confirmed document says "nothing to mark here"). Entities get the annotator in
``annotators`` and an id from Doccano's span id (``s<id>``), stable across pulls; relations
become stances holder -> target labelled with the relation type; the ``NAME-docstance``
project's categories ``target:label`` become ``doc_stances``. An annotator removed from the
project vanishes from the export: their last pulled file stays in ``DIR/annotators``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from goldwire.annotate import client
from goldwire.annotate.annotations import ANNOTATORS_DIR
from goldwire.annotate.client import Project
from goldwire.annotate.http import DoccanoSession
from goldwire.annotate.offsets import OffsetError, OffsetMap
from goldwire.annotate.push import DOCSTANCE_SUFFIX, META_ID, META_SHA, Problem, Progress
from goldwire.annotate.settings import display_url
from goldwire.errors import UsageError
from goldwire.schema import (
    DocStance,
    Document,
    Entity,
    LabelSchema,
    Mention,
    Stance,
    text_sha256,
    write_jsonl,
)

SNAPSHOTS_DIR = "snapshots"
SUMMARY = "summary.json"
PROBLEMS = "problems.jsonl"


def _no_progress(phase: str, done: int, total: int) -> None:
    return None


@dataclass
class AnnotatorSummary:
    documents: int = 0
    confirmed: int = 0
    spans: int = 0
    relations: int = 0
    doc_stances: int = 0
    docstance_confirmed: int = 0
    problems: int = 0
    role: str | None = None
    in_project: bool = True
    snapshot: str = ""  # the snapshot this annotator's file comes from

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class PullReport:
    url: str
    project: dict[str, Any]
    out: str
    docstance_project: dict[str, Any] | None = None
    snapshot: str = ""
    pulled_at: str = ""
    examples: int = 0
    annotators: dict[str, AnnotatorSummary] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, kind: str, document: str | None, detail: str, **where: Any) -> None:
        self.problems.append(Problem(kind, document, detail, **where))

    def to_dict(self) -> dict[str, Any]:
        from collections import Counter

        return {
            "url": self.url,
            "project": self.project,
            "docstance_project": self.docstance_project,
            "pulled_at": self.pulled_at,
            "snapshot": self.snapshot,
            "examples": self.examples,
            "annotators": {k: v.to_dict() for k, v in sorted(self.annotators.items())},
            "problems": len(self.problems),
            "problem_counts": dict(Counter(p.kind for p in self.problems)),
            "seconds": round(self.seconds, 3),
        }


# --------------------------------------------------------------------------- conversion


@dataclass
class _Example:
    """One example as exported for one annotator."""

    id: int
    gid: str
    text: str
    meta_sha: str | None
    entities: list[dict[str, Any]]
    relations: list[dict[str, Any]]
    categories: list[str]


@dataclass
class _Export:
    """One project's export: per user, the copies of each document they labelled or
    confirmed; which examples they confirmed; labelled examples without a goldwire id."""

    by_user: dict[str, dict[str, list[_Example]]] = field(default_factory=dict)
    confirmed: dict[str, set[int]] = field(default_factory=dict)
    foreign: dict[str, int] = field(default_factory=dict)
    gids: set[str] = field(default_factory=set)


class _Converter:
    """Doccano labels of one example -> goldwire entities and stances, reporting failures."""

    def __init__(self, project: Project, problems: list[Problem]) -> None:
        self.project = project
        self.problems = problems
        self._maps: dict[int, OffsetMap] = {}

    def _map(self, example: _Example) -> OffsetMap:
        found = self._maps.get(example.id)
        if found is None:
            found = self._maps[example.id] = OffsetMap(example.text, self.project.unit)
        return found

    def _report(self, kind: str, ex: _Example, user: str, detail: str, **where: Any) -> None:
        self.problems.append(
            Problem(kind, ex.gid, detail, project=self.project.name, user=user, **where)
        )

    def entities(self, ex: _Example, user: str) -> dict[int, Entity]:
        offsets = self._map(ex)
        out: dict[int, Entity] = {}
        for span in ex.entities:
            a, b, label = span["start_offset"], span["end_offset"], str(span["label"])
            try:
                start, end = offsets.span_to_codepoints(a, b)
                if start >= end:
                    raise OffsetError(f"span [{a}:{b}] is empty once mapped to code points")
            except OffsetError as exc:
                unit = self.project.unit.value
                self._report(
                    "unmappable_span",
                    ex,
                    user,
                    f"{label} span at {unit} offsets [{a}:{b}] of example {ex.id}: {exc}; left out",
                    start=a,
                    end=b,
                    label=label,
                )
                continue
            out[int(span["id"])] = Entity(
                id=f"s{span['id']}",
                start=start,
                end=end,
                label=label,
                text=ex.text[start:end],
                annotators=[user],
            )
        return out

    def stances(self, ex: _Example, user: str, entities: dict[int, Entity]) -> list[Stance]:
        out = []
        for rel in ex.relations:
            holder, target = entities.get(int(rel["from_id"])), entities.get(int(rel["to_id"]))
            if holder is None or target is None:
                self._report(
                    "unmappable_relation",
                    ex,
                    user,
                    f"{rel['type']} relation {rel['id']} joins a span that could not be "
                    "mapped; left out",
                    label=str(rel["type"]),
                )
                continue
            out.append(Stance(_mention(holder), _mention(target), str(rel["type"]), [user]))
        return out

    def doc_stances(self, ex: _Example, user: str) -> list[DocStance]:
        out = []
        for name in ex.categories:
            target, sep, label = name.rpartition(":")
            if not sep or not target or not label:
                self._report(
                    "unmappable_category",
                    ex,
                    user,
                    f"category {name!r} is not target:label; left out",
                    label=name,
                )
                continue
            out.append(DocStance(target, label, [user]))
        return out


def _mention(e: Entity) -> Mention:
    return Mention(e.text, e.start, e.end, e.id)


# --------------------------------------------------------------------------- the pull


@dataclass
class PullOptions:
    project: str
    out: Path
    corpus: dict[str, Document] | None = None  # join full documents; texts must match
    labels: LabelSchema | None = None  # report labels outside it
    exclude: frozenset[str] = frozenset()


def pull(
    session: DoccanoSession, options: PullOptions, progress: Progress = _no_progress
) -> PullReport:
    """Export every annotator's work from ``options.project`` (and ``NAME-docstance``) into
    ``options.out``; returns the summary (also written as ``summary.json``)."""
    began = time.monotonic()
    project = _project(session, options.project)
    _check_folder(options.out, display_url(session.url), project)
    ds_project = _docstance_project(session, options.project + DOCSTANCE_SUFFIX)
    report = PullReport(
        url=display_url(session.url),
        project=project.to_dict(),
        out=str(options.out),
        docstance_project=ds_project.to_dict() if ds_project else None,
    )
    tasks = [
        (
            p,
            client.start_export(session, p.id),
            client.start_export(session, p.id, confirmed_only=True),
        )
        for p in (project, ds_project)
        if p is not None
    ]
    exports = [_export(session, *task, progress) for task in tasks]
    main = exports[0]
    ds = exports[1] if ds_project else _Export()
    roles = {m.username: m.role for m in client.list_members(session, project.id)}
    users = sorted((set(main.by_user) | set(ds.by_user)) - options.exclude)
    docs: dict[str, list[Document]] = {}
    for i, user in enumerate(users, 1):
        summary = AnnotatorSummary(role=roles.get(user))
        docs[user] = _annotator_docs(user, project, ds_project, main, ds, options, report, summary)
        report.annotators[user] = summary
        progress("converting", i, len(users))
    report.examples = len(main.gids)
    _write(options.out, docs, report)
    report.seconds = time.monotonic() - began
    return report


def _project(session: DoccanoSession, name: str) -> Project:
    project = client.find_project(session, name)
    if project is None:
        raise UsageError(
            f"doccano at {display_url(session.url)} has no project {name!r} that user "
            f"{session.username!r} belongs to; push one with `goldwire annotate push`"
        )
    if project.project_type != client.SEQUENCE_LABELING:
        raise UsageError(f"doccano project {name!r} is not a sequence-labelling project")
    if project.collaborative:
        raise UsageError(
            f"doccano project {name!r} shares annotations across users "
            "(collaborative_annotation): its export does not say who labelled what; turn that "
            "off in the project's settings before annotating"
        )
    return project


def _check_folder(out: Path, url: str, project: Project) -> None:
    """A pull folder belongs to one project: its annotators' files must not mix."""
    try:
        earlier = json.loads((out / SUMMARY).read_text(encoding="utf-8"))
        where = (earlier["url"], earlier["project"]["id"])
    except (OSError, ValueError, KeyError, TypeError):
        return
    if where != (url, project.id):
        raise UsageError(
            f"{out} holds pulls of project {earlier['project'].get('name')!r} (id {where[1]}) "
            f"at {where[0]}, not of {project.name!r} (id {project.id}) at {url}; pull into "
            "another --out folder"
        )


def _docstance_project(session: DoccanoSession, name: str) -> Project | None:
    project = client.find_project(session, name)
    if project is None:
        return None
    if project.project_type != client.DOCUMENT_CLASSIFICATION or project.collaborative:
        raise UsageError(
            f"doccano project {name!r} should be the document-stance companion (document "
            "classification, annotations per user) but is not; rename it in doccano"
        )
    return project


def _export(
    session: DoccanoSession, project: Project, everything: str, confirmed: str, progress: Progress
) -> _Export:
    """Read the two export tasks ``everything`` and ``confirmed`` of ``project``."""
    phase = f"exporting {project.name}"
    progress(phase, 0, 2)
    files = client.fetch_export(session, project.id, everything)
    progress(phase, 1, 2)
    confirmed_files = client.fetch_export(session, project.id, confirmed)
    progress(phase, 2, 2)
    out = _Export()
    out.confirmed = {
        user: {int(r["id"]) for r in client.export_lines(data)}
        for user, data in confirmed_files.items()
    }
    categories = project.project_type == client.DOCUMENT_CLASSIFICATION
    for user, data in files.items():
        examples = out.by_user.setdefault(user, {})
        done = out.confirmed.get(user, set())
        for record in client.export_lines(data):
            gid = record.get(META_ID)
            labelled = any(record.get(k) for k in ("entities", "relations", "label"))
            if gid is None:
                out.foreign[user] = out.foreign.get(user, 0) + int(labelled)
                continue
            out.gids.add(str(gid))
            if labelled or int(record["id"]) in done:
                examples.setdefault(str(gid), []).append(_example(record, categories))
    return out


def _example(record: dict[str, Any], categories: bool) -> _Example:
    return _Example(
        id=int(record["id"]),
        gid=str(record[META_ID]),
        text=record.get("text") or "",
        meta_sha=record.get(META_SHA),
        entities=list(record.get("entities") or []),
        relations=list(record.get("relations") or []),
        categories=[str(c) for c in record.get("label") or []] if categories else [],
    )


def _pick(
    examples: list[_Example], confirmed: set[int], convert: _Converter, user: str
) -> tuple[_Example, bool]:
    """Of the copies of one document (server duplicates), the one with labels (lowest id),
    and whether any copy is confirmed; labels on several copies are reported."""
    labelled = [e for e in examples if e.entities or e.relations or e.categories]
    chosen = min(labelled or examples, key=lambda e: e.id)
    if len(labelled) > 1:
        convert._report(
            "duplicate_example",
            chosen,
            user,
            f"labels on more than one copy of this document; example {chosen.id} taken",
        )
    return chosen, any(c.id in confirmed for c in examples)


def _annotator_docs(
    user: str,
    project: Project,
    ds_project: Project | None,
    main: _Export,
    ds: _Export,
    options: PullOptions,
    report: PullReport,
    summary: AnnotatorSummary,
) -> list[Document]:
    main_examples, main_confirmed = main.by_user.get(user, {}), main.confirmed.get(user, set())
    ds_examples, ds_confirmed = ds.by_user.get(user, {}), ds.confirmed.get(user, set())
    problems_before = len(report.problems)
    for n, where in ((main.foreign.get(user), project), (ds.foreign.get(user), ds_project)):
        if n and where is not None:
            report.add(
                "no_goldwire_id",
                None,
                f"{n} labelled example(s) without a goldwire_id (added outside goldwire); left out",
                project=where.name,
                user=user,
            )
    convert = _Converter(project, report.problems)
    convert_ds = _Converter(ds_project, report.problems) if ds_project else None
    order = list(options.corpus) if options.corpus is not None else None
    gids = set(main_examples) | set(ds_examples)
    out: list[Document] = []
    for gid in sorted(gids, key=_sort_key(order, main_examples, ds_examples)):
        doc = _document(
            gid,
            user,
            main_examples.get(gid, []),
            ds_examples.get(gid, []),
            main_confirmed,
            ds_confirmed,
            convert,
            convert_ds,
            options,
            report,
            summary,
        )
        if doc is not None:
            out.append(doc)
    summary.documents = len(out)
    summary.problems = len(report.problems) - problems_before
    return out


def _sort_key(order: list[str] | None, main_examples: dict, ds_examples: dict):
    if order is not None:
        position = {gid: i for i, gid in enumerate(order)}
        return lambda gid: (position.get(gid, len(position)), gid)

    def by_example(gid: str) -> tuple[int, str]:
        copies = main_examples.get(gid) or ds_examples.get(gid) or []
        return (min((e.id for e in copies), default=0), gid)

    return by_example


def _document(
    gid: str,
    user: str,
    copies: list[_Example],
    ds_copies: list[_Example],
    confirmed: set[int],
    ds_confirmed: set[int],
    convert: _Converter,
    convert_ds: _Converter | None,
    options: PullOptions,
    report: PullReport,
    summary: AnnotatorSummary,
) -> Document | None:
    ex = ds_ex = None
    is_confirmed = ds_is_confirmed = False
    if copies:
        ex, is_confirmed = _pick(copies, confirmed, convert, user)
    if ds_copies and convert_ds is not None:
        ds_ex, ds_is_confirmed = _pick(ds_copies, ds_confirmed, convert_ds, user)
    has_main = ex is not None and (ex.entities or ex.relations or is_confirmed)
    has_ds = ds_ex is not None and (ds_ex.categories or ds_is_confirmed)
    if not has_main and not has_ds:
        return None
    base = _base_document(gid, user, [e for e in (ex, ds_ex) if e], options, report)
    if base is None:
        return None
    entities: dict[int, Entity] = {}
    stances: list[Stance] = []
    doc_stances: list[DocStance] = []
    if has_main and ex is not None:
        entities = convert.entities(ex, user)
        stances = convert.stances(ex, user, entities)
    if has_ds and ds_ex is not None and convert_ds is not None:
        doc_stances = convert_ds.doc_stances(ds_ex, user)
    meta = dict(base.meta)
    if ex is not None:
        meta["doccano_example"] = str(ex.id)
    meta["doccano_confirmed"] = "true" if is_confirmed else "false"
    doc = replace(
        base,
        meta=meta,
        entities=sorted(entities.values(), key=lambda e: (e.start, e.end, e.id)),
        stances=stances,
        doc_stances=doc_stances,
    )
    doc.validate()
    _check_labels(doc, user, options.labels, report)
    summary.spans += len(doc.entities)
    summary.relations += len(doc.stances)
    summary.doc_stances += len(doc.doc_stances)
    summary.confirmed += int(is_confirmed)
    summary.docstance_confirmed += int(ds_is_confirmed)
    return doc


def _base_document(
    gid: str, user: str, examples: list[_Example], options: PullOptions, report: PullReport
) -> Document | None:
    """The corpus document (or one built from the example), once its text checks out."""
    for ex in examples:
        sha = text_sha256(ex.text)
        if ex.meta_sha and sha != ex.meta_sha:
            report.add(
                "text_changed",
                gid,
                f"example {ex.id}'s text no longer hashes to its "
                f"goldwire_sha256 (edited in doccano?); {user}'s labels on it left out",
                user=user,
            )
            return None
    text = examples[0].text
    if any(ex.text != text for ex in examples):
        report.add(
            "text_mismatch",
            gid,
            "the sequence-labelling and docstance examples have "
            f"different texts; {user}'s labels on this document left out",
            user=user,
        )
        return None
    if options.corpus is None:
        return Document(id=gid, text=text)
    doc = options.corpus.get(gid)
    if doc is None:
        report.add(
            "not_in_corpus",
            gid,
            f"no document with this id in the corpus; {user}'s labels on it left out",
            user=user,
        )
        return None
    if doc.text != text:
        report.add(
            "corpus_text_mismatch",
            gid,
            f"the example's text differs from the corpus text; {user}'s labels on it left out",
            user=user,
        )
        return None
    return replace(doc, entities=[], stances=[], doc_stances=[])


def _check_labels(doc: Document, user: str, labels: LabelSchema | None, report: PullReport) -> None:
    if labels is None:
        return
    for e in doc.entities:
        if e.label not in labels.entity_labels:
            report.add(
                "unknown_label",
                doc.id,
                f"entity label {e.label!r} is not in the label schema (kept)",
                start=e.start,
                end=e.end,
                label=e.label,
                user=user,
            )
    for s in doc.stances:
        if s.label not in labels.stance_labels:
            report.add(
                "unknown_label",
                doc.id,
                f"stance label {s.label!r} is not in the label schema (kept)",
                label=s.label,
                user=user,
            )


# --------------------------------------------------------------------------- writing


def _timestamp(out: Path) -> str:
    now = datetime.now(timezone.utc)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    n = 1
    name = stamp
    while (out / SNAPSHOTS_DIR / name).exists():
        n += 1
        name = f"{stamp}-{n}"
    return name


def _write(out: Path, docs: dict[str, list[Document]], report: PullReport) -> None:
    """Write the snapshot, then bring ``annotators/``, ``summary.json``, ``problems.jsonl``
    up to date. Annotators missing from this pull keep their earlier file."""
    out.mkdir(parents=True, exist_ok=True)
    report.pulled_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    name = _timestamp(out)
    report.snapshot = f"{SNAPSHOTS_DIR}/{name}"
    partial = out / SNAPSHOTS_DIR / f".{name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    for user, user_docs in docs.items():
        report.annotators[user].snapshot = report.snapshot
        if user_docs:
            write_jsonl(user_docs, partial / ANNOTATORS_DIR / f"{user}.jsonl")
    (partial / ANNOTATORS_DIR).mkdir(parents=True, exist_ok=True)
    _write_problems(report.problems, partial / PROBLEMS)
    _write_json(partial / SUMMARY, report.to_dict())
    os.replace(partial, out / SNAPSHOTS_DIR / name)
    _update_latest(out, out / SNAPSHOTS_DIR / name, docs, report)


def _update_latest(
    out: Path, snapshot: Path, docs: dict[str, list[Document]], report: PullReport
) -> None:
    latest = out / ANNOTATORS_DIR
    latest.mkdir(parents=True, exist_ok=True)
    previous = {}
    with contextlib.suppress(OSError, ValueError):
        previous = json.loads((out / SUMMARY).read_text(encoding="utf-8")).get("annotators", {})
    for user, user_docs in docs.items():
        target = latest / f"{user}.jsonl"
        if user_docs:
            shutil.copyfile(snapshot / ANNOTATORS_DIR / f"{user}.jsonl", target.with_suffix(".tmp"))
            os.replace(target.with_suffix(".tmp"), target)
        else:
            target.unlink(missing_ok=True)
    for path in sorted(latest.glob("*.jsonl")):
        user = path.stem
        if user in docs or user.startswith("."):
            continue
        kept = AnnotatorSummary(
            **{
                k: v
                for k, v in previous.get(user, {}).items()
                if k in AnnotatorSummary.__dataclass_fields__
            }
        )
        kept.in_project = False
        report.annotators[user] = kept
    _write_problems(report.problems, out / PROBLEMS)
    _write_json(out / SUMMARY, report.to_dict())


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _write_problems(problems: list[Problem], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for problem in problems:
            handle.write(json.dumps(problem.to_dict(), ensure_ascii=False) + "\n")
    os.replace(tmp, path)
