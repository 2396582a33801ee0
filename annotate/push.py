"""Push a goldwire corpus into Doccano: create or reuse the project, sync labels, upload the
documents not there yet, optionally with suggestions (pre-annotations).

The project is a sequence-labelling project with relations, annotations kept per annotator
(``collaborative_annotation`` off) and ``grapheme_mode`` off, so Doccano stores offsets in
**UTF-16 code units** (what the browser counts). Entity labels become span types (colour,
shortcut key), stance labels relation types. With ``doc_stance_targets`` in the label schema a
document-classification project ``NAME-docstance`` (categories ``target:label``) gets the same
documents, joined by goldwire id. Nothing is uploaded twice: documents already there are
skipped, a document whose id is there with another text is reported and left alone.

This module orchestrates; each step lives in its own module:

* :mod:`~goldwire.annotate.records`: documents and suggestions -> upload lines (meta keys,
  offsets in the project's unit, categories);
* :mod:`~goldwire.annotate.push_state`: the local record of the last push, the index of the
  server's examples and how the project is listed (:class:`Lister`);
* :mod:`~goldwire.annotate.upload`: the batches (send, settle, check, reconcile, resume);
* :mod:`~goldwire.annotate.suggest`: suggestions made from predictions, checked after the
  upload, created through the API as their owner;
* :mod:`~goldwire.annotate.push_report`: what the push reports.

:func:`push` pushes documents over an open session; :func:`push_corpus` is the whole
``goldwire annotate push``: read the corpus, log in, push, write the problems.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from goldwire.annotate import client
from goldwire.annotate.client import LabelKind
from goldwire.annotate.http import DoccanoSession, connect
from goldwire.annotate.problems import write_problems
from goldwire.annotate.push_report import PushReport, TargetReport
from goldwire.annotate.push_state import Lister, PushState, Target, project_name_lock
from goldwire.annotate.records import GUIDELINES, category_labels, docstance_project
from goldwire.annotate.settings import (
    ENV_AS_USER_PASSWORD,
    display_url,
    resolve_connection,
    server_url,
)
from goldwire.annotate.suggest import Suggester
from goldwire.annotate.upload import BATCH_BYTES, BATCH_DOCS, Uploader
from goldwire.corpus.dataset import open_documents
from goldwire.errors import InputError, UsageError
from goldwire.progress import Progress, no_progress
from goldwire.schema import Document, LabelSchema, read_jsonl

# --------------------------------------------------------------------------- input


def label_schema_for(meta: dict, labels_path: str | Path | None) -> LabelSchema:
    """``--labels`` when given, else the dataset's own label schema, else the default."""
    if labels_path:
        return LabelSchema.from_toml(labels_path)
    if meta.get("label_schema"):
        return LabelSchema.from_dict(meta["label_schema"], origin="the dataset's label schema")
    return LabelSchema.default()


def read_predictions(path: str | Path, notes: list[str] | None = None) -> dict[str, Document]:
    """Model output as goldwire JSONL, by document id (an id given twice is an error); entity
    ids may be left out, keys goldwire does not read make one line in ``notes``."""
    out: dict[str, Document] = {}
    for doc in read_jsonl(path, notes=notes):
        if doc.id in out:
            raise InputError(f"{path}: document {doc.id} appears twice; keep one prediction")
        out[doc.id] = doc
    return out


# --------------------------------------------------------------------------- the push


@dataclass
class PushOptions:
    project: str
    labels: LabelSchema = field(default_factory=LabelSchema.default)
    predictions: dict[str, Document] | None = None
    as_user: DoccanoSession | None = None  # a session logged in as the suggestions' owner
    source: str = ""  # the model or file the suggestions come from (kept in their record)
    guideline: str | None = None  # default: annotate/guidelines.md
    allow_overlapping: bool = False  # the project lets one user's spans overlap (review)
    description: str = ""  # of a project the push creates (default: says goldwire pushed it)
    batch_docs: int = BATCH_DOCS
    batch_bytes: int = BATCH_BYTES
    trust_local_record: bool = True
    state_dir: Path | None = None


def push(
    session: DoccanoSession,
    documents: Iterable[Document],
    options: PushOptions,
    progress: Progress = no_progress,
) -> PushReport:
    """Push ``documents`` into the project ``options.project`` (and its ``-docstance``
    companion when the label schema has ``doc_stance_targets``); returns what was done.
    Pushes to one project name take turns (:func:`~.push_state.project_name_lock`), from
    before the project is looked up, so two pushes never create it twice."""
    began = time.monotonic()
    report = PushReport(url=display_url(session.url), user=session.username or "")
    docs = _unique_documents(documents, report)
    report.documents = len(docs)
    pusher = _Pusher(session, options, report, progress)
    names = [options.project, docstance_project(options.project)]
    with project_name_lock(session.url, names, options.state_dir) as waited:
        if waited >= 1:
            report.notes.append(f"waited {waited:.0f} s for another push to {options.project!r}")
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
    """Runs the steps of one push, project by project."""

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
        owner = options.as_user.username if options.as_user else session.username
        self.lister = Lister(
            session, report, owner, progress, trust_local_record=options.trust_local_record
        )
        self.uploader = Uploader(
            session,
            report,
            progress,
            batch_docs=options.batch_docs,
            batch_bytes=options.batch_bytes,
        )
        self.suggester = Suggester(
            session,
            report,
            self.lister,
            progress,
            predictions=options.predictions,
            labels=options.labels,
            as_user=options.as_user,
            source=options.source,
        )

    # -- projects and labels ---------------------------------------------------------------

    def targets(self) -> Iterator[Target]:
        labels = self.options.labels
        guideline = self.options.guideline
        if guideline is None:
            guideline = GUIDELINES.read_text(encoding="utf-8")
        guideline = guideline.strip()  # the server strips it (DRF trims text fields)
        main = self._project(self.options.project, client.SEQUENCE_LABELING, guideline)
        if self.options.allow_overlapping and not main.project.allow_overlapping:
            main.project = client.update_project(self.session, main.project,
                                                 allow_overlapping=True)  # fmt: skip
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
            name = docstance_project(self.options.project)
            ds = self._project(name, client.DOCUMENT_CLASSIFICATION, guideline)
            categories = category_labels(labels)
            ds.label_ids["category"] = self._sync(ds, LabelKind.category, categories)
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
                description=self.options.description
                or f"goldwire corpus pushed by goldwire ({kind})",
                use_relation=kind == client.SEQUENCE_LABELING,
                allow_overlapping=self.options.allow_overlapping,
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
            self.uploader.resume(target)
            self.lister.list_project(target)
            new = self._classify(target, docs)
            self.suggester.make(target, docs)
            with_suggestions = self.options.as_user is None
            before = self.suggester.counts_before(target, new) if with_suggestions else None
            uploaded = self.uploader.upload(target, new, with_suggestions=with_suggestions)
            if before is not None:
                self.suggester.check_uploaded(target, before, uploaded)
            self.suggester.create_missing(target, docs, uploaded)
            self._finish(target)
        finally:
            state.unlock()

    def _classify(self, target: Target, docs: list[Document]) -> list[Document]:
        """The documents the project does not hold yet; those it holds with another text
        are reported."""
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

    def _finish(self, target: Target) -> None:
        """Save what the project holds now, unless something else changed it meanwhile."""
        count, newest = client.newest_example(self.session, target.project.id)
        target.report.examples_after = count
        state = target.record
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


# --------------------------------------------------------------------------- the command


@dataclass
class PushRequest:
    """What ``goldwire annotate push`` is asked: the corpus, the project, the options, the
    server and the login (None: from the environment or the managed server)."""

    corpus: Path
    project: str
    split: str | None = None
    labels: Path | None = None  # label schema TOML; default: the dataset's own
    pre_annotate: Path | None = None  # predictions JSONL, uploaded as suggestions
    as_user: str | None = None  # the suggestions' owner
    suggestions_from: str | None = None  # default: the predictions file's name
    batch_size: int = BATCH_DOCS
    full_check: bool = False
    problems: Path | None = None  # write every problem here as JSONL
    url: str | None = None
    username: str | None = None
    password: str | None = None


def push_corpus(request: PushRequest, progress: Progress = no_progress) -> PushReport:
    """Read the corpus (a dataset folder or JSONL), its label schema and the predictions;
    log in (and as ``as_user``, whose password comes from the environment); push; write the
    problems to ``request.problems``. Returns the push's report."""
    as_user = None
    if request.as_user:  # checked first: a password or a saved token, before any work
        from goldwire.annotate.accounts import login_for

        as_user = login_for(server_url(request.url), request.as_user, ENV_AS_USER_PASSWORD,
                            "--as-user")  # fmt: skip
    found = open_documents(request.corpus, request.split)
    said: list[str] = []  # what reading the predictions noted (keys not read)
    options = PushOptions(
        project=request.project,
        labels=label_schema_for(found.meta, request.labels),
        predictions=read_predictions(request.pre_annotate, said) if request.pre_annotate else None,
        source=request.suggestions_from
        or (request.pre_annotate.name if request.pre_annotate else ""),
        batch_docs=request.batch_size,
        trust_local_record=not request.full_check,
    )
    connection = resolve_connection(request.url, request.username, request.password)
    other = as_user() if as_user is not None else contextlib.nullcontext()
    with connect(connection) as session, other:
        options.as_user = other if as_user is not None else None
        report = push(session, found.docs, options, progress)
    report.notes[:0] = said
    if request.problems:
        write_problems(request.problems, report.problems)
    return report
