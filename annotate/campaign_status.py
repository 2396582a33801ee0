"""``goldwire annotate status``: how far a campaign (or one project) has got.

Per annotator the counts come from Doccano's metrics endpoints (member progress and the
span, relation and category distributions; no export): documents assigned, confirmed
(marked done), spans, stances and document stances so far (suggestions made as them at
assignment included; ``suggested`` says how many those were), whether they have started
(anything confirmed, or label counts that differ from their suggestions), and their last
activity. Doccano's exports and metrics carry no timestamps, so "last activity" is the time of
the first ``status`` or ``pull`` that saw that annotator's counts change (kept in goldwire's
home, :func:`~goldwire.annotate.pull_ledger.observe`): an upper bound, as exact as status is
run often.

For a campaign, unless ``agreement=False``, the campaign is also pulled into a temporary
folder (not recorded as a pull): documents done by all their annotators (every annotator the
plan gives it confirmed it), and agreement so far on the documents assigned to more than one
annotator (confirmed layers only, as ``annotate agreement`` counts).
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldwire.annotate import client
from goldwire.annotate.campaign_plan import Plan, require_plan
from goldwire.annotate.http import DoccanoSession, connect
from goldwire.annotate.pull_ledger import WorkCounts, live_counts, observe
from goldwire.annotate.records import docstance_project
from goldwire.annotate.settings import display_url, resolve_connection
from goldwire.errors import UsageError
from goldwire.progress import Progress, no_progress


@dataclass
class AnnotatorStatus:
    user: str
    project: str
    assigned: int  # a campaign: the plan's documents; a project: every example
    confirmed: int = 0
    spans: int = 0
    stances: int = 0
    doc_stances: int = 0
    docstance_confirmed: int = 0
    suggested: int = 0  # labels made as them at assignment (suggestions)
    started: bool = False
    last_activity: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "user"}


@dataclass
class StatusReport:
    url: str
    campaign: str | None = None
    project: str | None = None
    documents: int = 0
    overlap_documents: int | None = None
    annotators: dict[str, AnnotatorStatus] = field(default_factory=dict)
    done_by_all: int | None = None  # documents every annotator the plan gives them confirmed
    overlap_done_by_all: int | None = None
    agreement: dict[str, Any] | None = None  # headline figures on the overlap, so far
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "annotators"}
        out["annotators"] = {k: v.to_dict() for k, v in self.annotators.items()}
        out["seconds"] = round(self.seconds, 3)
        return out


@dataclass
class StatusRequest:
    campaign: str | None = None
    project: str | None = None
    agreement: bool = True
    url: str | None = None
    username: str | None = None
    password: str | None = None


def status(request: StatusRequest, progress: Progress = no_progress) -> StatusReport:
    """The status of a campaign or of one project (exactly one of them)."""
    if (request.campaign is None) == (request.project is None):
        raise UsageError("give --campaign NAME or --project P (one of them)")
    began = time.monotonic()
    connection = resolve_connection(request.url, request.username, request.password)
    with connect(connection) as session:
        if request.campaign is not None:
            plan = require_plan(session.url, request.campaign)
            report = campaign_status(session, plan, agreement=request.agreement, progress=progress)
        else:
            assert request.project is not None
            report = project_status(session, request.project)
    report.seconds = time.monotonic() - began
    return report


def _work(session: DoccanoSession, name: str) -> tuple[client.Project, dict, dict]:
    """A project, its members' counts, its companion's members' counts."""
    project = client.find_project(session, name)
    if project is None:
        raise UsageError(
            f"doccano at {display_url(session.url)} has no project {name!r}; check the name "
            "(a campaign's projects are NAME--USER; `goldwire annotate assign` makes them)"
        )
    main = live_counts(session, project.id)
    ds = client.find_project(session, docstance_project(name))
    return project, main, live_counts(session, ds.id) if ds is not None else {}


def _fill(entry: AnnotatorStatus, url: str, project_id: int, main: WorkCounts,
          ds: WorkCounts) -> None:  # fmt: skip
    """Counts, started and last activity of one member (``main``: the project's counts,
    ``ds``: its companion's)."""
    entry.confirmed, entry.spans, entry.stances = main.confirmed, main.spans, main.relations
    entry.doc_stances, entry.docstance_confirmed = ds.categories, ds.confirmed
    both = WorkCounts(main.spans, main.relations, ds.categories, main.confirmed + ds.confirmed)
    entry.started = both.started(entry.suggested)
    entry.last_activity = observe(url, project_id, entry.user, both, entry.started)


def campaign_status(
    session: DoccanoSession, plan: Plan, *, agreement: bool = True, progress: Progress = no_progress
) -> StatusReport:
    report = StatusReport(display_url(session.url), campaign=plan.name,
                          documents=len(plan.assigned),
                          overlap_documents=len(plan.overlap_ids()))  # fmt: skip
    for i, name in enumerate(plan.annotators, 1):
        project, main, ds = _work(session, plan.projects[name])
        entry = AnnotatorStatus(name, project.name, len(plan.documents_of(name)))
        entry.suggested = plan.suggested(name)
        _fill(entry, session.url, project.id, main.get(name, WorkCounts()),
              ds.get(name, WorkCounts()))  # fmt: skip
        report.annotators[name] = entry
        progress("counting", i, len(plan.annotators))
    if agreement:
        _so_far(session, plan, report, progress)
    return report


def project_status(session: DoccanoSession, name: str) -> StatusReport:
    project, main, ds = _work(session, name)
    total = client.example_count(session, project.id)
    report = StatusReport(display_url(session.url), project=project.name, documents=total)
    for member in client.list_members(session, project.id):
        entry = AnnotatorStatus(member.username, project.name, total)
        who = member.username
        _fill(entry, session.url, project.id, main.get(who, WorkCounts()),
              ds.get(who, WorkCounts()))  # fmt: skip
        report.annotators[member.username] = entry
    return report


# --------------------------------------------------------------------------- so far


def _so_far(session: DoccanoSession, plan: Plan, report: StatusReport, progress: Progress) -> None:
    """Done by all and agreement so far, from a pull into a temporary folder."""
    from goldwire.annotate.agreement import agreement
    from goldwire.annotate.campaign_pull import pull_campaign
    from goldwire.annotate.pull import PullOptions

    with tempfile.TemporaryDirectory(prefix="goldwire-status-") as tmp:
        out = Path(tmp) / "pull"
        pulled = pull_campaign(session, plan, PullOptions(project="", out=out), progress,
                               record=False)  # fmt: skip
        if pulled.problems:
            report.notes.append(
                f"{len(pulled.problems)} problem(s) while reading the work; `goldwire annotate "
                "pull --campaign` lists them"
            )
        done = _confirmed_by(out)
        every = [gid for gid, who in plan.assigned.items() if all(gid in done[w] for w in who)]
        report.done_by_all = len(every)
        report.overlap_done_by_all = sum(1 for gid in every if len(plan.assigned[gid]) > 1)
        if len(plan.annotators) > 1 and plan.overlap_ids():
            # a pull writes a file only for an annotator with work: early on, a note
            working = len(list((out / "annotators").glob("*.jsonl")))
            if working > 1:
                report.agreement = agreement(out).summary()
            else:
                report.notes.append(
                    f"no agreement so far: {working} of {len(plan.annotators)} annotators "
                    "have work yet, it needs two"
                )


def _confirmed_by(out: Path) -> dict[str, set[str]]:
    """Per annotator of a pull folder, the documents they marked done."""
    from goldwire.annotate.annotations import annotator_files
    from goldwire.schema import read_jsonl

    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    done: dict[str, set[str]] = {name: set() for name in summary.get("annotators", {})}
    if not any((out / "annotators").glob("*.jsonl")):  # nobody has work yet
        return done
    for name, path in annotator_files(out).items():
        done[name] = {d.id for d in read_jsonl(path) if d.meta.get("doccano_confirmed") == "true"}
    return done


__all__ = ["StatusReport", "StatusRequest", "campaign_status", "project_status",
           "status"]  # fmt: skip
