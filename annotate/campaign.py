"""``goldwire annotate assign``: realise a campaign plan in Doccano, one project per annotator.

Doccano 1.8.4 cannot restrict an example to one member, so each annotator of campaign ``NAME``
gets a project ``NAME--USER`` (and ``NAME--USER-docstance`` when the label schema has
document-stance targets) holding exactly the documents the plan
(:mod:`~goldwire.annotate.campaign_plan`) gives them, with the same labels, relation types and
guidelines: every project is pushed by :func:`~goldwire.annotate.push.push`, so labels and
guidelines are created and kept in sync as a push does, and nothing is uploaded twice. The
annotator is made a member (role annotator) of their projects; the admin who creates them is
a member too (Doccano makes the creator one) and is expected not to annotate there.

Everything that can stop the campaign is checked before anything changes: the login is
staff (only staff may create projects), every annotator has an account, and with
``--pre-annotate`` every annotator has a saved API token (suggestions must be the
annotator's own: Doccano shows each user only their own labels). The plan is saved before the
first push, so a campaign stopped half-way is finished by running the same command again.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldwire.annotate import client
from goldwire.annotate.campaign_plan import (
    Plan,
    Round,
    check_name,
    check_overlap,
    check_settings,
    extend,
    load_plan,
    new_plan,
    plan_path,
    save_plan,
)
from goldwire.annotate.file_lock import held
from goldwire.annotate.http import DoccanoSession, connect
from goldwire.annotate.problems import Problem
from goldwire.annotate.push import PushOptions, label_schema_for, push, read_predictions
from goldwire.annotate.push_report import PushReport
from goldwire.annotate.settings import display_url, resolve_connection
from goldwire.corpus.card_hub import ID_KEY
from goldwire.corpus.dataset import open_documents
from goldwire.progress import Progress, no_progress
from goldwire.schema import Document

PLAN_LOCK_WAIT = 600.0


@dataclass
class AssignRequest:
    """What ``goldwire annotate assign`` is asked."""

    corpus: Path
    campaign: str
    annotators: list[str]
    overlap: float = 0.2
    per_document: int = 2
    split: str | None = None
    seed: str = "goldwire"
    labels: Path | None = None
    pre_annotate: Path | None = None
    suggestions_from: str | None = None
    batch_size: int = 1000
    url: str | None = None
    username: str | None = None
    password: str | None = None


@dataclass
class AnnotatorAssignment:
    project: str
    assigned: int = 0  # documents in the plan
    new: int = 0  # dealt by this round
    overlap: int = 0  # of the assigned, shared with others
    membership: str = ""  # "added" or "already a member"
    uploaded: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class AssignReport:
    campaign: str
    url: str
    plan: str  # where the plan is kept
    round: Round
    documents: int = 0  # in the plan after this round
    overlap_documents: int = 0
    per_document: int = 2
    annotators: dict[str, AnnotatorAssignment] = field(default_factory=dict)
    pushes: dict[str, PushReport] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def problems(self) -> list[Problem]:
        return [p for report in self.pushes.values() for p in report.problems]

    def to_dict(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "url": self.url,
            "plan": self.plan,
            "round": self.round.to_dict(),
            "documents": self.documents,
            "overlap_documents": self.overlap_documents,
            "per_document": self.per_document,
            "annotators": {k: v.to_dict() for k, v in self.annotators.items()},
            "pushes": {k: v.to_dict() for k, v in self.pushes.items()},
            "problems": len(self.problems),
            "notes": list(self.notes),
            "seconds": round(self.seconds, 3),
        }


def assign(request: AssignRequest, progress: Progress = no_progress) -> AssignReport:
    """Plan (or extend) the campaign and push every annotator's share into their project."""
    began = time.monotonic()
    check_name(request.campaign)
    check_overlap(request.overlap, request.per_document)
    found = open_documents(request.corpus, request.split)
    options = PushOptions(
        project="",
        labels=label_schema_for(found.meta, request.labels),
        predictions=read_predictions(request.pre_annotate) if request.pre_annotate else None,
        source=_source(request),
        batch_docs=request.batch_size,
    )
    connection = resolve_connection(request.url, request.username, request.password)
    with connect(connection) as session, contextlib.ExitStack() as stack:
        _check_rights(session, request.annotators)
        tokens = _token_sessions(session.url, request.annotators) if options.predictions else {}
        for other in tokens.values():
            stack.callback(other.close)
        lock = plan_path(session.url, request.campaign).with_suffix(".lock")
        busy = f"another goldwire assign of campaign {request.campaign!r} is running; wait"
        with held(lock, PLAN_LOCK_WAIT, busy + " for it and run this again"):
            plan, round_ = _plan(session.url, request, found.docs, found.meta)
            report = AssignReport(request.campaign, display_url(session.url),
                                  str(plan_path(plan.url, plan.name)), round_,
                                  per_document=plan.per_document)  # fmt: skip
            _realise(session, plan, found.docs, options, tokens, report, progress)
            save_plan(plan)
    report.documents = len(plan.assigned)
    report.overlap_documents = len(plan.overlap_ids())
    report.seconds = time.monotonic() - began
    return report


def _source(request: AssignRequest) -> str:
    if request.suggestions_from:
        return request.suggestions_from
    return request.pre_annotate.name if request.pre_annotate else ""


def _check_rights(session: DoccanoSession, annotators: list[str]) -> None:
    """Staff login and every annotator's account, before anything changes."""
    from goldwire.annotate.accounts import require_staff
    from goldwire.annotate.membership import require_users

    require_staff(session, "creating the campaign's projects")
    require_users(session, list(dict.fromkeys(annotators)))


def _token_sessions(url: str, annotators: list[str]) -> dict[str, DoccanoSession]:
    """A session per annotator from their saved API token (suggestions are made as them)."""
    from goldwire.annotate.accounts import token_session

    sessions: dict[str, DoccanoSession] = {}
    try:
        for name in dict.fromkeys(annotators):
            sessions[name] = token_session(url, name)
    except BaseException:
        for other in sessions.values():
            other.close()
        raise
    return sessions


def _plan(url: str, request: AssignRequest, docs: list[Document], meta: dict) -> tuple[Plan, Round]:
    plan = load_plan(url, request.campaign)
    if plan is None:
        plan = new_plan(request.campaign, url, overlap=request.overlap,
                        per_document=request.per_document, seed=request.seed)  # fmt: skip
        plan.corpus = str(meta.get(ID_KEY) or Path(request.corpus).name)
    else:
        check_settings(plan, request.overlap, request.per_document, request.seed)
    round_ = extend(plan, (doc.id for doc in docs), request.annotators, split=request.split)
    save_plan(plan)  # before the first push: running the command again finishes the campaign
    return plan, round_


def _realise(
    session: DoccanoSession,
    plan: Plan,
    docs: list[Document],
    options: PushOptions,
    tokens: dict[str, DoccanoSession],
    report: AssignReport,
    progress: Progress,
) -> None:
    """Push each annotator's documents of this corpus into their project; make them a member;
    count the suggestions made as them (status tells work from suggestions with it)."""
    dealt = list(plan.assigned)
    new_ids = set(dealt[len(dealt) - report.round.documents :])  # this round's, in order
    for i, name in enumerate(plan.annotators, 1):
        ids = plan.documents_of(name)
        wanted = set(ids)
        mine = [doc for doc in docs if doc.id in wanted]  # corpus order, as annotators expect
        entry = AnnotatorAssignment(
            plan.projects[name],
            assigned=len(ids),
            new=sum(1 for gid in ids if gid in new_ids),
            overlap=sum(1 for gid in ids if len(plan.assigned[gid]) > 1),
        )
        options.project = plan.projects[name]
        options.as_user = tokens.get(name)
        options.description = f"{name}'s share of goldwire campaign {plan.name}"
        pushed = push(session, mine, options, progress)
        report.pushes[name] = pushed
        entry.uploaded = sum(t.uploaded for t in pushed.targets)
        entry.membership = _make_member(session, pushed, name)
        _count_suggestions(plan, name, pushed)
        report.annotators[name] = entry
        progress("assigning", i, len(plan.annotators))


def _make_member(session: DoccanoSession, pushed: PushReport, name: str) -> str:
    """``name`` as an annotator of every project of their push."""
    added = False
    for target in pushed.targets:
        project_id = int(target.project["id"])
        members = {m.username: m for m in client.list_members(session, project_id)}
        if name not in members:
            client.add_member(session, project_id, name, client.ROLE_ANNOTATOR)
            added = True
    return "added" if added else "already a member"


def _count_suggestions(plan: Plan, name: str, pushed: PushReport) -> None:
    counts = plan.baseline.setdefault(name, {})
    for target in pushed.targets:
        for made in (target.uploaded_labels, target.suggestions_created):
            for kind, n in made.items():
                counts[kind] = counts.get(kind, 0) + int(n)


__all__ = ["AssignReport", "AssignRequest", "assign"]
