"""The pull folder: what a pull writes, and the summary it keeps.

``DIR`` (``--out``)::

    DIR/annotators/<username>.jsonl   latest work of every annotator ever seen
    DIR/summary.json                  documents, confirmed, spans, relations per annotator
    DIR/problems.jsonl                what could not be mapped, one JSON object per line
    DIR/snapshots/<UTC time>/...      every pull as it was, the same three items
    DIR/.pull.lock                    held while a pull writes (pulls into DIR take turns)

A username that is not a safe file name (``.mallory``, ``../evil``) gets a slug with a hash
(:mod:`~goldwire.annotate.annotator_names`); the summary maps every annotator to their file.
A snapshot is written in full under a hidden name, then renamed; only then are the latest
files brought up to date. An annotator missing from a later pull (removed from the project,
or a member the export has no file for) keeps their last file in ``DIR/annotators``, marked
``in_project: false`` (or ``exported: false``) in the summary. A document this pull could not
map for an annotator (its text edited in doccano, ...) is a problem; the annotator's copy from
the earlier pull stays in their latest file (``carried`` in the summary, its meta
``goldwire_carried_from`` naming the snapshot), so a pull never empties the latest files. A
folder holds the pulls of one project only and nothing else (:func:`check_folder`). The
summary is :class:`PullReport`, one :class:`AnnotatorSummary` per annotator;
:mod:`goldwire.annotate.annotations` reads the folder back.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from goldwire import files
from goldwire.annotate import file_lock
from goldwire.annotate.annotations import ANNOTATORS_DIR
from goldwire.annotate.annotator_names import SUFFIX, file_names
from goldwire.annotate.problems import Problem, ProblemList, write_problems
from goldwire.errors import UsageError
from goldwire.provenance import LAYERS, Provenance
from goldwire.schema import Document, read_jsonl, write_jsonl

SNAPSHOTS_DIR = "snapshots"
SUMMARY = "summary.json"
PROBLEMS = "problems.jsonl"
LOCK = ".pull.lock"
CAMPAIGN = "campaign.json"  # a campaign pull: the plan as it was when pulled
CAMPAIGN_ID = "campaign:"  # a campaign pull's project id: campaign:NAME
CAMPAIGN_SUMMARY = ("name", "annotators", "projects", "documents", "overlap_documents",
                    "per_document")  # fmt: skip
PULL_ENTRIES = frozenset({ANNOTATORS_DIR, SNAPSHOTS_DIR, SUMMARY, PROBLEMS, LOCK, CAMPAIGN})
LOCK_WAIT = 600.0  # seconds a pull waits for another pull into the same folder
CARRIED_FROM = "goldwire_carried_from"
# problems that leave one annotator's copy of one document out of this pull
LEFT_OUT = frozenset({"text_changed", "text_mismatch", "not_in_corpus", "corpus_text_mismatch"})


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
    exported: bool = True  # False: a member the export had no file for (their work not pulled)
    snapshot: str = ""  # the snapshot this annotator's file comes from
    file: str = ""  # their file in annotators/ (the username when that is a safe file name)
    carried: int = 0  # documents this pull could not map, kept from the earlier pull
    # per kind (entities, stances, doc_stances): how many items of each provenance class,
    # suggestion-rejected included; "orphaned": suggested relations gone with their span
    provenance: dict[str, dict[str, int]] = field(default_factory=dict)

    def count_provenance(self, doc: Document) -> None:
        """Add one pulled document's items (and its rejected suggestions) to the counts."""
        for kind in LAYERS:
            counts = self.provenance.setdefault(kind, dict.fromkeys(Provenance.PULLED, 0))
            for item in getattr(doc, kind):
                key = item.provenance or "not recorded"
                counts[key] = counts.get(key, 0) + 1
        counts = self.provenance.setdefault("all", dict.fromkeys(Provenance.PULLED, 0))
        counts[Provenance.REJECTED] += doc.annotation.rejected_suggestions
        counts["orphaned"] = counts.get("orphaned", 0) + doc.annotation.orphaned_suggestions

    def totals(self) -> dict[str, int]:
        """Each provenance class over all kinds (rejected and orphaned included)."""
        out: dict[str, int] = {}
        for counts in self.provenance.values():
            for key, n in counts.items():
                out[key] = out.get(key, 0) + n
        return out

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["provenance"] = {**self.provenance, "total": self.totals()} if self.provenance else {}
        return out


@dataclass
class PullReport(ProblemList):
    url: str
    project: dict[str, Any]
    out: str
    docstance_project: dict[str, Any] | None = None
    tool: str = ""  # e.g. "doccano 1.8.4"
    guidelines: str = ""  # which guidelines the project showed, with their hash
    snapshot: str = ""
    pulled_at: str = ""
    examples: int = 0
    annotators: dict[str, AnnotatorSummary] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    # a campaign pull: the plan as it was (written as campaign.json, summed up in the summary)
    campaign: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        campaign = None
        if self.campaign is not None:
            campaign = {k: self.campaign[k] for k in CAMPAIGN_SUMMARY if k in self.campaign}
        return {
            "url": self.url,
            "project": self.project,
            "campaign": campaign,
            "docstance_project": self.docstance_project,
            "tool": self.tool,
            "guidelines": self.guidelines,
            "pulled_at": self.pulled_at,
            "snapshot": self.snapshot,
            "examples": self.examples,
            "annotators": {k: v.to_dict() for k, v in sorted(self.annotators.items())},
            **self.problems_dict(listed=False),
            "seconds": round(self.seconds, 3),
        }


def check_folder(out: Path, url: str, project_id: int | str, name: str) -> None:
    """``out`` may take this pull: absent, empty, or a pull folder of this project (one
    project, or one campaign, per folder, so annotators' files never mix); anything else is
    refused. A campaign's id is ``campaign:NAME``."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file, not a folder; give --out a new or empty folder")
    if not out.exists():
        return
    others = sorted(p.name for p in out.iterdir() if not _pull_entry(p.name))
    if others:
        shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
        raise UsageError(
            f"{out} is not a pull folder (it holds {shown}); pull into a new or empty --out "
            "folder, or the folder of an earlier pull of this project"
        )
    try:
        earlier = json.loads((out / SUMMARY).read_text(encoding="utf-8"))
        where = (earlier["url"], earlier["project"]["id"])
    except (OSError, ValueError, KeyError, TypeError):
        return
    if where != (url, project_id):
        raise UsageError(
            f"{out} holds pulls of {_what(earlier['project'].get('name'), where[1])} at "
            f"{where[0]}, not of {_what(name, project_id)} at {url}; pull into another --out "
            "folder"
        )


def _what(name: Any, project_id: Any) -> str:
    if str(project_id).startswith(CAMPAIGN_ID):
        return f"campaign {name!r}"
    return f"project {name!r} (id {project_id})"


def _pull_entry(name: str) -> bool:
    """Whether ``name`` is something a pull writes at the top of its folder: its entries, or
    the temporary file of one being written (``.summary.json.XXXX.tmp``)."""
    if name in PULL_ENTRIES:
        return True
    return any(name.startswith(f".{entry}.") and name.endswith(".tmp") for entry in PULL_ENTRIES)


@contextlib.contextmanager
def pull_lock(out: Path, timeout: float = LOCK_WAIT):
    """Hold ``out``'s pull lock (``out/.pull.lock``): pulls into one folder take turns;
    yields the seconds waited."""
    out.mkdir(parents=True, exist_ok=True)
    busy = (
        f"another goldwire pull into {out} has been writing for {timeout:.0f} s; wait for it "
        "to finish (or stop it) and pull again"
    )
    with file_lock.held(out / LOCK, timeout, busy) as waited:
        yield waited


def _timestamp(out: Path) -> str:
    now = datetime.now(timezone.utc)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    n = 1
    name = stamp
    while (out / SNAPSHOTS_DIR / name).exists():
        n += 1
        name = f"{stamp}-{n}"
    return name


def _previous(out: Path) -> dict[str, dict[str, Any]]:
    """The annotators of the folder's summary (empty when there is none)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        found = json.loads((out / SUMMARY).read_text(encoding="utf-8")).get("annotators", {})
        return {str(k): v for k, v in found.items() if isinstance(v, dict)}
    return {}


def _earlier_file(name: str, earlier: dict[str, Any]) -> str:
    """The file an earlier pull wrote for ``name`` (``<name>.jsonl`` before file names were
    recorded)."""
    file = earlier.get("file") or name + SUFFIX
    return file if "/" not in file and file not in (".", "..") else ""


def write_pull(out: Path, docs: dict[str, list[Document]], report: PullReport) -> None:
    """Write the snapshot, then bring ``annotators/``, ``summary.json``, ``problems.jsonl``
    up to date. Annotators missing from this pull keep their earlier file; documents this
    pull left out for an annotator keep their earlier copy. Call it holding
    :func:`pull_lock`."""
    out.mkdir(parents=True, exist_ok=True)
    previous = _previous(out)
    names = file_names({*docs, *report.annotators, *previous})
    report.pulled_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    name = _timestamp(out)
    report.snapshot = f"{SNAPSHOTS_DIR}/{name}"
    carried = _carried(out, docs, report, previous)
    for user in docs:
        summary = report.annotators[user]
        summary.snapshot, summary.file = report.snapshot, names[user]
        summary.carried = len(carried.get(user, ()))
    _write_snapshot(out / SNAPSHOTS_DIR, name, docs, report, names)
    _update_latest(out, out / SNAPSHOTS_DIR / name, docs, carried, report, previous, names)


def _write_snapshot(snapshots: Path, name: str, docs: dict[str, list[Document]],
                    report: PullReport, names: dict[str, str]) -> None:  # fmt: skip
    """The snapshot ``name``, written in full under a hidden name, then renamed; removed if
    that fails or is stopped. Hidden ones a stopped or killed pull left are removed first
    (the caller holds the folder's lock: no other pull is writing one)."""
    for stale in snapshots.glob(".*.partial"):
        shutil.rmtree(stale, ignore_errors=True)
    partial = snapshots / f".{name}.partial"
    try:
        (partial / ANNOTATORS_DIR).mkdir(parents=True, exist_ok=True)
        for user, user_docs in docs.items():
            if user_docs:
                write_jsonl(user_docs, partial / ANNOTATORS_DIR / names[user])
        write_problems(partial / PROBLEMS, report.problems)
        if report.campaign is not None:
            files.write_json(partial / CAMPAIGN, report.campaign)
        files.write_json(partial / SUMMARY, report.to_dict())
        os.replace(partial, snapshots / name)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def _carried(
    out: Path, docs: dict[str, list[Document]], report: PullReport, previous: dict[str, dict]
) -> dict[str, list[Document]]:
    """Per annotator, their earlier copies of the documents this pull left out for them
    (each such problem says so)."""
    left_out: dict[str, dict[str, Problem]] = {}
    for problem in report.problems:
        if problem.kind in LEFT_OUT and problem.user in docs and problem.document:
            left_out.setdefault(problem.user, {})[problem.document] = problem
    out_docs: dict[str, list[Document]] = {}
    for user, problems in left_out.items():
        earlier = previous.get(user, {})
        path = out / ANNOTATORS_DIR / _earlier_file(user, earlier)
        if not earlier or not path.is_file():
            continue
        have = {doc.id for doc in docs[user]}
        for doc in read_jsonl(path):
            if doc.id in problems and doc.id not in have:
                doc.meta.setdefault(CARRIED_FROM, earlier.get("snapshot", ""))
                out_docs.setdefault(user, []).append(doc)
                problems[doc.id].detail += (
                    f"; their copy from {doc.meta[CARRIED_FROM] or 'an earlier pull'} stays in "
                    f"{ANNOTATORS_DIR}/"
                )
    return out_docs


def _update_latest(
    out: Path,
    snapshot: Path,
    docs: dict[str, list[Document]],
    carried: dict[str, list[Document]],
    report: PullReport,
    previous: dict[str, dict[str, Any]],
    names: dict[str, str],
) -> None:
    latest = out / ANNOTATORS_DIR
    latest.mkdir(parents=True, exist_ok=True)
    for user, user_docs in docs.items():
        target = latest / names[user]
        if carried.get(user):
            write_jsonl([*user_docs, *carried[user]], target)
        elif user_docs:
            shutil.copyfile(snapshot / ANNOTATORS_DIR / names[user], target.with_suffix(".tmp"))
            os.replace(target.with_suffix(".tmp"), target)
        else:
            target.unlink(missing_ok=True)
    for user in sorted(set(previous) | set(report.annotators)):
        if user not in docs:
            report.annotators[user] = _kept(user, previous.get(user, {}), report, names)
            _move(latest, _earlier_file(user, previous.get(user, {})), names[user])
    for user, earlier in previous.items():  # a file renamed since (a name now colliding)
        if user in docs and _earlier_file(user, earlier) not in ("", names[user]):
            (latest / _earlier_file(user, earlier)).unlink(missing_ok=True)
    write_problems(out / PROBLEMS, report.problems)
    if report.campaign is not None:
        files.write_json(out / CAMPAIGN, report.campaign)
    files.write_json(out / SUMMARY, report.to_dict())


def _kept(user: str, earlier: dict[str, Any], report: PullReport, names: dict[str, str]):
    """The summary of an annotator this pull has no documents for: their earlier counts;
    ``in_project: false`` unless they are a member the export missed (``exported: false``)."""
    fields = AnnotatorSummary.__dataclass_fields__
    kept = AnnotatorSummary(
        **{k: v for k, v in earlier.items() if k in fields and k != "provenance"}
    )
    kept.provenance = {k: v for k, v in (earlier.get("provenance") or {}).items() if k != "total"}
    now = report.annotators.get(user)
    kept.in_project = now is not None
    kept.exported = now.exported if now is not None else kept.exported
    kept.role = now.role if now is not None and now.role else kept.role
    kept.file = names[user]
    return kept


def _move(latest: Path, old: str, new: str) -> None:
    """Rename an annotator's file when their file name changed (e.g. a new name collides)."""
    if old and old != new and (latest / old).is_file():
        os.replace(latest / old, latest / new)
