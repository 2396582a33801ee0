"""``goldwire annotate pull --campaign NAME``: every annotator's work from their own project of
the campaign, into one pull folder.

Each annotator's project (``NAME--USER`` and its ``-docstance`` companion) is exported and
converted as ``annotate pull`` does (:func:`~goldwire.annotate.pull.collect`), taking that
annotator's work only: any other member's work there (the admin is a member of every
project) is a ``not_assigned_work`` problem, never merged, and the annotator's work on a
document the plan does not give them is a ``not_assigned`` problem. The folder has the
layout of any pull (:mod:`~goldwire.annotate.pull_folder`) plus ``campaign.json``, the plan as
it was, so ``agreement``, ``adjudicate`` and ``review`` work on it unchanged, and agreement
knows which documents were assigned to more than one annotator.
"""

from __future__ import annotations

import time

from goldwire.annotate import client
from goldwire.annotate.campaign_plan import Plan
from goldwire.annotate.client import Project
from goldwire.annotate.http import DoccanoSession
from goldwire.annotate.pull import (
    ProjectSource,
    PullOptions,
    _docstance_project,
    _Export,
    begin,
    checked_project,
    collect,
)
from goldwire.annotate.pull_folder import (
    CAMPAIGN_ID,
    PullReport,
    check_folder,
    pull_lock,
    write_pull,
)
from goldwire.annotate.pull_ledger import record_sources
from goldwire.annotate.records import Example, docstance_project
from goldwire.annotate.settings import display_url
from goldwire.errors import UsageError
from goldwire.progress import Progress, no_progress
from goldwire.schema import Document


def pull_campaign(
    session: DoccanoSession,
    plan: Plan,
    options: PullOptions,
    progress: Progress = no_progress,
    *,
    record: bool = True,
) -> PullReport:
    """Pull every annotator of ``plan`` from their own projects into ``options.out``;
    ``record``: note the members' counts as pulled (``members remove`` trusts that)."""
    began = time.monotonic()
    url = display_url(session.url)
    ident = CAMPAIGN_ID + plan.name
    check_folder(options.out, url, ident, plan.name)
    report = PullReport(
        url=url,
        project={"id": ident, "name": plan.name, "projects": dict(plan.projects)},
        out=str(options.out),
        campaign=plan.to_dict(),
    )
    sources = _sources(session, plan, url)
    for source in sources:  # every export queued before any is read
        begin(session, source)
    docs: dict[str, list[Document]] = {}
    for name, source in zip(plan.annotators, sources, strict=True):
        found = collect(session, source, options, report, progress)
        docs[name] = found.get(name, [])
        if name not in report.annotators:
            _not_a_member(report, source.project, name)
    report.examples = len(plan.assigned)
    with pull_lock(options.out):
        check_folder(options.out, url, ident, plan.name)  # again, in turn
        write_pull(options.out, docs, report)
    if record:
        record_sources(session.url, sources)
    report.seconds = time.monotonic() - began
    return report


def _sources(session: DoccanoSession, plan: Plan, url: str) -> list[ProjectSource]:
    """Every annotator's projects, all found before any export starts."""
    sources = []
    for name in plan.annotators:
        found = client.find_project(session, plan.projects[name])
        if found is None:
            raise UsageError(
                f"doccano at {url} has no project {plan.projects[name]!r}, {name}'s in campaign "
                f"{plan.name!r}; run the campaign's `goldwire annotate assign` again to make it"
            )
        project = checked_project(found)
        ds_project = _docstance_project(session, docstance_project(project.name))
        sources.append(
            ProjectSource(
                project,
                ds_project,
                only=name,
                assigned=frozenset(plan.documents_of(name)),
                suggested=plan.suggested(name),
            )  # fmt: skip
        )
    return sources


def _not_a_member(report: PullReport, project: Project, name: str) -> None:
    report.add(
        "not_a_member",
        None,
        f"{name} is not a member of {project.name!r}, their campaign project, so nothing of "
        "theirs was pulled; run `goldwire annotate assign` again (it adds them) or "
        "`goldwire annotate members add --project ...`",
        project=project.name,
        user=name,
    )


def others_work(
    main: _Export, ds: _Export, source: ProjectSource, report: PullReport
) -> frozenset[str]:
    """The members of an annotator's own project other than that annotator; the work any
    of them did there is a problem line (never merged into another annotator's file). The
    annotator's own work on a document the plan does not give them is one too."""
    others: set[str] = set()
    for export, where in ((main, source.project), (ds, source.ds_project)):
        for user, examples in export.by_user.items():
            if user == source.only:
                _drop_unassigned(examples, source, where, report)
                continue
            others.add(user)
            labelled = sum(1 for copies in examples.values() if any(e.labelled for e in copies))
            if labelled and where is not None:
                report.add(
                    "not_assigned_work",
                    None,
                    f"{user} labelled {labelled} document(s) in {where.name!r}, the campaign "
                    f"project of {source.only}: a campaign project holds its annotator's work "
                    "only, so this is not pulled (pull that project with `goldwire annotate "
                    "pull --project` to see it)",
                    project=where.name,
                    user=user,
                )
    return frozenset(others)


def _drop_unassigned(
    examples: dict[str, list[Example]],
    source: ProjectSource,
    where: Project | None,
    report: PullReport,
) -> None:
    if source.assigned is None or where is None:
        return
    for gid in sorted(set(examples) - source.assigned):
        del examples[gid]
        report.add(
            "not_assigned",
            gid,
            f"{source.only}'s work on this document in {where.name!r} is not pulled: the "
            "campaign plan does not assign it to them (added to the project outside goldwire?)",
            project=where.name,
            user=source.only,
        )


__all__ = ["others_work", "pull_campaign"]
