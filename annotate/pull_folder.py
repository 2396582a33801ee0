"""The pull folder: what a pull writes, and the summary it keeps.

``DIR`` (``--out``)::

    DIR/annotators/<username>.jsonl   latest work of every annotator ever seen
    DIR/summary.json                  documents, confirmed, spans, relations per annotator
    DIR/problems.jsonl                what could not be mapped, one JSON object per line
    DIR/snapshots/<UTC time>/...      every pull as it was, the same three items

A snapshot is written in full under a hidden name, then renamed; only then are the latest
files brought up to date. An annotator missing from a later pull (removed from the project)
keeps their last file in ``DIR/annotators``, marked ``in_project: false`` in the summary. A
folder holds the pulls of one project only (:func:`check_folder`). The summary is
:class:`PullReport`, one :class:`AnnotatorSummary` per annotator;
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
from goldwire.annotate.annotations import ANNOTATORS_DIR
from goldwire.annotate.client import Project
from goldwire.annotate.problems import Problem, ProblemList, write_problems
from goldwire.errors import UsageError
from goldwire.provenance import LAYERS, Provenance
from goldwire.schema import Document, write_jsonl

SNAPSHOTS_DIR = "snapshots"
SUMMARY = "summary.json"
PROBLEMS = "problems.jsonl"


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

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "project": self.project,
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


def check_folder(out: Path, url: str, project: Project) -> None:
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


def _timestamp(out: Path) -> str:
    now = datetime.now(timezone.utc)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    n = 1
    name = stamp
    while (out / SNAPSHOTS_DIR / name).exists():
        n += 1
        name = f"{stamp}-{n}"
    return name


def write_pull(out: Path, docs: dict[str, list[Document]], report: PullReport) -> None:
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
    write_problems(partial / PROBLEMS, report.problems)
    files.write_json(partial / SUMMARY, report.to_dict())
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
        earlier = previous.get(user, {})
        kept = AnnotatorSummary(
            **{
                k: v
                for k, v in earlier.items()
                if k in AnnotatorSummary.__dataclass_fields__ and k != "provenance"
            }
        )
        kept.provenance = {
            k: v for k, v in (earlier.get("provenance") or {}).items() if k != "total"
        }
        kept.in_project = False
        report.annotators[user] = kept
    write_problems(out / PROBLEMS, report.problems)
    files.write_json(out / SUMMARY, report.to_dict())
