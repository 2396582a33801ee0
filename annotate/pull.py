"""Pull every annotator's work out of Doccano into goldwire JSONL, one file per annotator.

Doccano's API lists only the caller's own labels in a project without collaborative
annotation, so the pull goes through the **export** API: its zip holds one
``<username>.jsonl`` per current member, each with every example and that member's labels
(a second export, of confirmed examples only, tells who marked what done). Each example is
mapped back by its ``goldwire_id`` meta key; its text must hash to ``goldwire_sha256`` (and
equal the corpus text when a corpus is given). A document goes into an annotator's file when
that annotator labelled it or marked it done (an empty, confirmed document says "nothing to
mark here"); of the copies of one document the server may hold, the labelled one with the
lowest id is taken.

This module orchestrates; :mod:`~goldwire.annotate.records` converts the labels (offsets to
code points from the project's unit, UTF-16 code units or graphemes; entities ``s<span id>``
with the annotator, relations as stances holder -> target, the ``NAME-docstance`` project's
categories ``target:label`` as ``doc_stances``), and :mod:`~goldwire.annotate.pull_folder`
writes the folder (``annotators/``, ``summary.json``, ``problems.jsonl``, ``snapshots/``). A
span or relation that cannot be mapped is reported with its document, annotator and offsets,
never dropped silently. An annotator removed from the project vanishes from the export: their
last pulled file stays in ``DIR/annotators``. Every member is accounted for: their work, no
work, or (a username doccano cannot write as a file name) an ``export_missing`` problem naming
them. Pulls into one folder take turns (:func:`~goldwire.annotate.pull_folder.pull_lock`).

:func:`pull` pulls over an open session; :func:`pull_to_folder` is the whole
``goldwire annotate pull``: read the corpus, log in, pull.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from goldwire.annotate import client
from goldwire.annotate.client import Project
from goldwire.annotate.http import DoccanoSession, connect
from goldwire.annotate.pull_export import Export as _Export
from goldwire.annotate.pull_export import read_exports as _exports
from goldwire.annotate.pull_folder import (
    AnnotatorSummary,
    PullReport,
    check_folder,
    pull_lock,
    write_pull,
)
from goldwire.annotate.pull_ledger import record_sources
from goldwire.annotate.records import (
    Converter,
    Example,
    docstance_project,
    guideline_ref,
)
from goldwire.annotate.server_venv import DOCCANO_VERSION
from goldwire.annotate.settings import display_url, is_managed, resolve_connection
from goldwire.corpus.dataset import open_documents
from goldwire.errors import ServerError, UsageError
from goldwire.progress import Progress, no_progress
from goldwire.provenance import ANNOTATED, NONE, UNCONFIRMED, Annotation
from goldwire.schema import DocStance, Document, Entity, LabelSchema, Stance, text_sha256


@dataclass
class PullOptions:
    project: str
    out: Path
    corpus: dict[str, Document] | None = None  # join full documents; texts must match
    labels: LabelSchema | None = None  # report labels outside it
    exclude: frozenset[str] = frozenset()
    tool_version: str | None = None  # a remote server's doccano version, when known


def pull(
    session: DoccanoSession, options: PullOptions, progress: Progress = no_progress
) -> PullReport:
    """Export every annotator's work from ``options.project`` (and ``NAME-docstance``) into
    ``options.out``; returns the summary (also written as ``summary.json``)."""
    began = time.monotonic()
    project = _project(session, options.project)
    check_folder(options.out, display_url(session.url), project.id, project.name)
    ds_project = _docstance_project(session, docstance_project(options.project))
    report = PullReport(
        url=display_url(session.url),
        project=project.to_dict(),
        out=str(options.out),
        docstance_project=ds_project.to_dict() if ds_project else None,
    )
    source = ProjectSource(project, ds_project)
    docs = collect(session, source, options, report, progress)
    report.examples = source.examples
    with pull_lock(options.out):
        check_folder(options.out, display_url(session.url), project.id, project.name)  # in turn
        write_pull(options.out, docs, report)
    record_sources(session.url, [source])
    report.seconds = time.monotonic() - began
    return report


@dataclass
class ProjectSource:
    """One project (and its ``-docstance`` companion) to pull from; ``only``: take this
    annotator's work alone (a campaign project), any other member's work is a problem."""

    project: Project
    ds_project: Project | None = None
    only: str | None = None
    assigned: frozenset[str] | None = None  # with ``only``: the documents assigned to them
    suggested: int = 0  # with ``only``: the labels made as them at assignment (suggestions)
    examples: int = 0  # documents the project holds (set by :func:`collect`)
    # members' live counts before the export (None: doccano could not count them)
    counts: dict | None = field(default_factory=dict)
    tasks: list | None = None  # the export tasks :func:`begin` started


def collect(
    session: DoccanoSession,
    source: ProjectSource,
    options: PullOptions,
    report: PullReport,
    progress: Progress = no_progress,
) -> dict[str, list[Document]]:
    """Export one project's work and convert it: ``{annotator: documents}``; summaries and
    problems go into ``report``. The exports are those :func:`begin` started, else started
    now."""
    if source.tasks is None:
        begin(session, source)
    project, ds_project = source.project, source.ds_project
    main, ds = _exports(session, source.tasks or [], ds_project is not None, progress)
    exclude = options.exclude
    if source.only is not None:
        from goldwire.annotate.campaign_pull import others_work

        exclude = exclude | others_work(main, ds, source, report)
    roles = _members(session, project, ds_project, main, ds, exclude, report)
    users = sorted((set(main.by_user) | set(ds.by_user)) - exclude)
    if source.counts is not None:  # the ledger notes the work of the users taken, only
        source.counts = {u: c for u, c in source.counts.items() if u not in exclude}
    report.tool = tool_name(session.url, options.tool_version)
    report.guidelines = guideline_ref(project.guideline)
    pulled = _Pulled(project, ds_project, main, ds, options, report)
    docs: dict[str, list[Document]] = {}
    for i, user in enumerate(users, 1):
        summary = report.annotators.get(user) or AnnotatorSummary(role=roles.get(user))
        docs[user] = _Annotator(user, pulled, summary).documents()
        report.annotators[user] = summary
        progress(f"converting {project.name}", i, len(users))
    source.examples = len(main.gids)
    return docs


def _members(
    session: DoccanoSession,
    project: Project,
    ds_project: Project | None,
    main: _Export,
    ds: _Export,
    exclude: frozenset[str],
    report: PullReport,
) -> dict[str, str]:
    """Every member's role; a member (not excluded) whose export file is missing (doccano
    writes it as ``<username>.jsonl``, so a name like ``../evil`` lands outside the zip) is
    a problem naming them, and gets a summary entry with ``exported: false``."""
    roles: dict[str, str] = {}
    for where, export in ((project, main), (ds_project, ds)):
        if where is None:
            continue
        for member in client.list_members(session, where.id):
            roles.setdefault(member.username, member.role)
            if member.username in export.by_user or member.username in exclude:
                continue
            report.add(
                "export_missing",
                None,
                f"doccano's export of {where.name!r} has no file for member "
                f"{member.username!r} (doccano names it after the username, which it could "
                "not write); their work there is not pulled: rename the user in doccano's "
                "admin (/admin/) to letters, digits and . _ - and pull again",
                project=where.name,
                user=member.username,
            )
            report.annotators[member.username] = AnnotatorSummary(role=member.role, exported=False)
    return roles


def tool_name(url: str, version: str | None = None) -> str:
    """The annotation tool and its version: the managed server's, else the one given, else
    unknown."""
    if is_managed(url):
        return f"doccano {DOCCANO_VERSION}"
    return f"doccano {version}" if version else "doccano unknown (remote)"


def _project(session: DoccanoSession, name: str) -> Project:
    project = client.find_project(session, name)
    if project is None:
        raise UsageError(
            f"doccano at {display_url(session.url)} has no project {name!r} that user "
            f"{session.username!r} belongs to; push one with `goldwire annotate push`"
        )
    return checked_project(project)


def checked_project(project: Project) -> Project:
    """``project`` when a pull can read it: sequence labelling, annotations per user."""
    name = project.name
    if project.project_type != client.SEQUENCE_LABELING:
        raise UsageError(f"doccano project {name!r} is not a sequence-labelling project")
    if project.collaborative:
        raise UsageError(
            f"doccano project {name!r} shares annotations across users "
            "(collaborative_annotation): its export does not say who labelled what; turn that "
            "off in the project's settings before annotating"
        )
    return project


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


# --------------------------------------------------------------------------- exports


def begin(session: DoccanoSession, source: ProjectSource) -> None:
    """Read the members' counts (for the ledger), then start the exports of the project and
    its companion: everything, and confirmed examples only unless the counts say nobody
    confirmed any; the server's worker runs queued exports back to back, so a campaign begins
    every project before reading any."""
    from goldwire.annotate.pull_ledger import live_counts

    project, ds_project = source.project, source.ds_project
    try:
        source.counts = live_counts(session, project.id, ds_project.id if ds_project else None)
    except ServerError:  # doccano 1.8.4 fails them once a removed member has labels there
        source.counts = None
    confirmed = source.counts is None or any(c.confirmed for c in source.counts.values())
    source.tasks = [
        (
            p,
            client.start_export(session, p.id),
            client.start_export(session, p.id, confirmed_only=True) if confirmed else None,
        )
        for p in (project, ds_project)
        if p is not None
    ]


# --------------------------------------------------------------------------- documents


@dataclass
class _Pulled:
    """Both projects, their exports, and where the documents and problems go."""

    project: Project
    ds_project: Project | None
    main: _Export
    ds: _Export
    options: PullOptions
    report: PullReport


@dataclass
class _Side:
    """One project's export as one annotator sees it."""

    examples: dict[str, list[Example]]
    confirmed: set[int]
    convert: Converter | None

    def pick(self, gid: str, user: str) -> tuple[Example | None, bool]:
        """Of the copies of one document (server duplicates), the one with labels (lowest
        id), and whether any copy is confirmed; labels on several copies are reported."""
        copies = self.examples.get(gid, [])
        if not copies or self.convert is None:
            return None, False
        labelled = [e for e in copies if e.labelled]
        chosen = min(labelled or copies, key=lambda e: e.id)
        if len(labelled) > 1:
            self.convert.report(
                "duplicate_example",
                chosen,
                user,
                f"labels on more than one copy of this document; example {chosen.id} taken",
            )
        return chosen, any(c.id in self.confirmed for c in copies)


class _Annotator:
    """One annotator's documents, counted into their summary."""

    def __init__(self, user: str, pulled: _Pulled, summary: AnnotatorSummary) -> None:
        self.user = user
        self.pulled = pulled
        self.summary = summary
        problems = pulled.report.problems
        self.main = self._side(pulled.main, pulled.project, problems)
        self.ds = self._side(pulled.ds, pulled.ds_project, problems)

    def _side(self, export: _Export, project: Project | None, problems: list) -> _Side:
        convert = Converter(project, problems) if project is not None else None
        return _Side(
            export.by_user.get(self.user, {}), export.confirmed.get(self.user, set()), convert
        )

    def documents(self) -> list[Document]:
        report = self.pulled.report
        problems_before = len(report.problems)
        self._report_foreign()
        gids = set(self.main.examples) | set(self.ds.examples)
        found = (self.document(gid) for gid in sorted(gids, key=self._sort_key()))
        out = [doc for doc in found if doc is not None]
        self.summary.documents = len(out)
        self.summary.problems = len(report.problems) - problems_before
        return out

    def _report_foreign(self) -> None:
        p = self.pulled
        for export, where in ((p.main, p.project), (p.ds, p.ds_project)):
            n = export.foreign.get(self.user)
            if n and where is not None:
                p.report.add(
                    "no_goldwire_id",
                    None,
                    f"{n} labelled example(s) without a goldwire_id (added outside goldwire); "
                    "left out",
                    project=where.name,
                    user=self.user,
                )

    def _sort_key(self):
        """Corpus order with a corpus, else the order of the lowest example ids."""
        corpus = self.pulled.options.corpus
        if corpus is not None:
            position = {gid: i for i, gid in enumerate(corpus)}
            return lambda gid: (position.get(gid, len(position)), gid)

        def by_example(gid: str) -> tuple[int, str]:
            copies = self.main.examples.get(gid) or self.ds.examples.get(gid) or []
            return (min((e.id for e in copies), default=0), gid)

        return by_example

    def document(self, gid: str) -> Document | None:
        """The annotator's version of document ``gid``, or None when they have nothing on
        it or its text does not check out."""
        ex, is_confirmed = self.main.pick(gid, self.user)
        ds_ex, ds_is_confirmed = self.ds.pick(gid, self.user)
        if ex is None and ds_ex is None:
            return None
        base = _base_document(gid, self.user, [e for e in (ex, ds_ex) if e], self.pulled)
        if base is None:
            return None
        annotation = Annotation(
            annotators=[self.user],
            tool=self.pulled.report.tool,
            guidelines=self.pulled.report.guidelines,
        )
        entities: dict[int, Entity] = {}
        stances: list[Stance] = []
        doc_stances: list[DocStance] = []
        if ex is not None and self.main.convert is not None:
            for layer in ("entities", "stances"):
                annotation.set_status(layer, ANNOTATED if is_confirmed else UNCONFIRMED)
            verdicts = self.main.convert.verdicts(ex, self.user, is_confirmed)
            entities = self.main.convert.entities(ex, self.user, verdicts)
            stances = self.main.convert.stances(ex, self.user, entities, verdicts)
            annotation.rejected_suggestions += verdicts.rejected
            annotation.orphaned_suggestions += verdicts.orphaned
        if self.ds.convert is not None:
            annotation.doc_stances = ANNOTATED if ds_is_confirmed else UNCONFIRMED
            if ds_ex is not None:
                verdicts = self.ds.convert.verdicts(ds_ex, self.user, ds_is_confirmed)
                doc_stances = self.ds.convert.doc_stances(ds_ex, self.user, verdicts)
                annotation.rejected_suggestions += verdicts.rejected
        else:
            annotation.doc_stances = NONE
        meta = dict(base.meta)
        if ex is not None:
            meta["doccano_example"] = str(ex.id)
        meta["doccano_confirmed"] = "true" if is_confirmed else "false"
        ordered = sorted(entities.values(), key=lambda e: (e.start, e.end, e.id))
        doc = replace(base, meta=meta, entities=ordered, stances=stances, doc_stances=doc_stances,
                      annotation=annotation)  # fmt: skip
        doc.validate()
        _check_labels(doc, self.user, self.pulled.options.labels, self.pulled.report)
        self._count(doc, is_confirmed, ds_is_confirmed)
        return doc

    def _count(self, doc: Document, confirmed: bool, ds_confirmed: bool) -> None:
        self.summary.spans += len(doc.entities)
        self.summary.relations += len(doc.stances)
        self.summary.doc_stances += len(doc.doc_stances)
        self.summary.confirmed += int(confirmed)
        self.summary.docstance_confirmed += int(ds_confirmed)
        self.summary.count_provenance(doc)


def _base_document(
    gid: str, user: str, examples: list[Example], pulled: _Pulled
) -> Document | None:
    """The corpus document (or one built from the example), once its text checks out."""
    report = pulled.report
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
    return _corpus_document(gid, user, text, pulled)


def _corpus_document(gid: str, user: str, text: str, pulled: _Pulled) -> Document | None:
    corpus = pulled.options.corpus
    if corpus is None:
        return Document(id=gid, text=text)
    doc = corpus.get(gid)
    if doc is None:
        pulled.report.add(
            "not_in_corpus",
            gid,
            f"no document with this id in the corpus; {user}'s labels on it left out",
            user=user,
        )
        return None
    if doc.text != text:
        pulled.report.add(
            "corpus_text_mismatch",
            gid,
            f"the example's text differs from the corpus text; {user}'s labels on it left out",
            user=user,
        )
        return None
    return replace(doc, entities=[], stances=[], doc_stances=[])


def _check_labels(doc: Document, user: str, labels: LabelSchema | None, report: PullReport) -> None:
    """Report (and keep) entity and stance labels outside ``labels``."""
    if labels is None:
        return
    unknown = [
        ("entity", e.label, e.start, e.end)
        for e in doc.entities
        if e.label not in labels.entity_labels
    ]
    unknown += [
        ("stance", s.label, None, None) for s in doc.stances if s.label not in labels.stance_labels
    ]
    for what, label, start, end in unknown:
        report.add(
            "unknown_label",
            doc.id,
            f"{what} label {label!r} is not in the label schema (kept)",
            start=start,
            end=end,
            label=label,
            user=user,
        )


# --------------------------------------------------------------------------- the command


@dataclass
class PullRequest:
    """What ``goldwire annotate pull`` is asked: the project, the folder, the corpus to
    join, the label schema to check against, the server and the login."""

    project: str | None
    out: Path
    corpus: Path | None = None  # a dataset folder or JSONL; texts must equal its texts
    split: str | None = None  # with corpus: one split
    labels: Path | None = None  # label schema TOML: labels outside it are reported
    exclude: tuple[str, ...] = ()  # users left out
    tool_version: str | None = None  # a remote server's doccano version, when known
    url: str | None = None
    username: str | None = None
    password: str | None = None
    campaign: str | None = None  # pull a campaign's projects instead of one project

    def options(self) -> PullOptions:
        if (self.project is None) == (self.campaign is None):
            raise UsageError("give --project P or --campaign NAME (one of them)")
        if self.campaign is not None and self.exclude:
            raise UsageError(
                "--exclude does not go with --campaign: a campaign pull takes each project's "
                "own annotator only"
            )
        corpus = None
        if self.corpus is not None:
            corpus = {doc.id: doc for doc in open_documents(self.corpus, self.split).docs}
        return PullOptions(
            project=self.project or "",
            out=self.out,
            corpus=corpus,
            labels=LabelSchema.from_toml(self.labels) if self.labels else None,
            exclude=frozenset(self.exclude),
            tool_version=self.tool_version,
        )


def pull_to_folder(request: PullRequest, progress: Progress = no_progress) -> PullReport:
    """Read the corpus and label schema, log in, pull into ``request.out``; returns the
    summary."""
    options = request.options()
    with connect(resolve_connection(request.url, request.username, request.password)) as session:
        if request.campaign is not None:
            from goldwire.annotate.campaign_plan import require_plan
            from goldwire.annotate.campaign_pull import pull_campaign

            plan = require_plan(session.url, request.campaign)
            return pull_campaign(session, plan, options, progress)
        return pull(session, options, progress)
