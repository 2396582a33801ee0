"""The campaign run of ``bench/annotate_sync.py``: ``assign`` and ``pull --campaign`` against the
one-project push and pull of the same documents, measured in the same run on the same server.

On the benchmark's managed Doccano (the admin's session), over the documents of the dataset:

* **one-project push**: reading the dataset plus ``push`` of every document, without
  suggestions, into one new project (``bench-plain``); reading is included because
  ``assign`` reads the dataset itself;
* **one-project pull**: ``pull_to_folder`` of that project (the best of two runs, as for the
  campaign pull);
* **accounts**: ``add_users`` of the annotators (each logs in once; their tokens are kept),
  timed but outside the ratios;
* **assign**: ``assign`` of campaign ``bench`` to the annotators (overlap 0.1, 2 annotators per
  overlap document): the plan, one project per annotator, the pushes, the memberships;
* **campaign pull**: ``pull_to_folder --campaign bench``: every annotator's project.

Nobody annotates, so the pulls export and check examples without labels: they measure the
export and reconciliation of N documents spread over one project or over the annotators'
projects. Peak memory is this (client) process's ``VmHWM``, reset before each step (Linux); the
server's memory is not included.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ANNOTATORS = 5
OVERLAP = 0.1
PER_DOCUMENT = 2
CAMPAIGN = "bench"
PULL_RUNS = 2
PLAIN_PROJECT = "bench-plain"


def measured(step: Callable[[], Any]) -> tuple[float, dict[str, float | None], Any]:
    """Seconds, memory (MiB: RSS before, peak during) and the result of ``step()``."""
    from goldwire.memory import PeakMemory, reset_peak, status_kib

    exact = reset_peak()
    before = status_kib("VmRSS")
    sampler = None if exact else PeakMemory(interval=0.05).start()
    began = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - began
    if sampler is not None:
        sampler.stop()
        memory = {"rss_before_mib": round(sampler.before, 1),
                  "peak_rss_mib": round(sampler.peaks["rss_mb"], 1)}  # fmt: skip
    else:
        peak = status_kib("VmHWM")
        memory = {
            "rss_before_mib": round(before / 1024, 1) if before else None,
            "peak_rss_mib": round(peak / 1024, 1) if peak else None,
        }
    return seconds, memory, result


def _plain_push(session, dataset: Path):
    from goldwire.annotate.push import PushOptions, label_schema_for, push
    from goldwire.corpus.dataset import open_documents

    found = open_documents(dataset)
    options = PushOptions(project=PLAIN_PROJECT, labels=label_schema_for(found.meta, None))
    return push(session, found.docs, options)


def _pull(out: Path, **which):
    from goldwire.annotate.pull import PullRequest, pull_to_folder

    return pull_to_folder(PullRequest(project=which.get("project"), out=out,
                                      campaign=which.get("campaign")))  # fmt: skip


def timed_pulls(out: Path, **which) -> dict[str, Any]:
    """The best of :data:`PULL_RUNS` pulls, each into a new folder (a pull changes nothing on
    the server, so it can be repeated; a push cannot)."""
    runs = []
    for _ in range(PULL_RUNS):
        folder = Path(tempfile.mkdtemp(prefix="pull-", dir=out))
        try:
            runs.append(measured(lambda folder=folder: _pull(folder, **which)))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    seconds, memory, report = min(runs, key=lambda run: run[0])
    figures = _pull_figures(seconds, memory, report)
    figures["runs_s"] = [round(run[0], 2) for run in runs]
    figures["peak_rss_mib"] = max(run[1]["peak_rss_mib"] or 0 for run in runs) or None
    return figures


def _pull_figures(seconds: float, memory: dict, report) -> dict[str, Any]:
    kinds: dict[str, int] = {}
    for problem in report.problems:
        kinds[problem.kind] = kinds.get(problem.kind, 0) + 1
    return {
        "seconds": round(seconds, 2),
        **memory,
        "examples": report.examples,
        "annotators": len(report.annotators),
        "documents": sum(s.documents for s in report.annotators.values()),
        "problems": len(report.problems),
        "problem_kinds": kinds,
    }


def run_campaign(session, dataset: Path, out: Path, annotators: int = ANNOTATORS) -> dict[str, Any]:
    """The campaign figures (see the module docstring); ``session`` is the admin's."""
    from goldwire.annotate.accounts import add_users
    from goldwire.annotate.campaign import AssignRequest, assign

    names = [f"annotator{i}" for i in range(1, annotators + 1)]
    results: dict[str, Any] = {"annotators": annotators, "overlap": OVERLAP,
                               "per_document": PER_DOCUMENT}  # fmt: skip
    seconds, memory, pushed = measured(lambda: _plain_push(session, dataset))
    target = pushed.targets[0]
    results["push"] = {"seconds": round(seconds, 2), **memory, "documents": pushed.documents,
                       "uploaded": target.uploaded, "examples": target.examples_after,
                       "problems": len(pushed.problems)}  # fmt: skip
    results["pull"] = timed_pulls(out, project=PLAIN_PROJECT)

    seconds, _, users = measured(lambda: add_users(session, names))
    results["accounts"] = {
        "seconds": round(seconds, 2),
        "created": sum(u.created for u in users.users),
        "tokens": sum(u.token_saved for u in users.users),
    }
    request = AssignRequest(corpus=dataset, campaign=CAMPAIGN, annotators=names, overlap=OVERLAP,
                            per_document=PER_DOCUMENT)  # fmt: skip
    seconds, memory, assigned = measured(lambda: assign(request))
    results["assign"] = {
        "seconds": round(seconds, 2),
        **memory,
        "documents": assigned.documents,
        "overlap_documents": assigned.overlap_documents,
        "examples": sum(t.examples_after for p in assigned.pushes.values() for t in p.targets),
        "uploaded": sum(a.uploaded for a in assigned.annotators.values()),
        "per_annotator": {n: a.assigned for n, a in assigned.annotators.items()},
        "problems": len(assigned.problems),
    }
    results["campaign_pull"] = timed_pulls(out, campaign=CAMPAIGN)
    results["assign_ratio"] = _ratio(results["assign"]["seconds"], results["push"]["seconds"])
    results["pull_ratio"] = _ratio(results["campaign_pull"]["seconds"], results["pull"]["seconds"])
    return results


def _ratio(x: float, reference: float) -> float:
    return round(x / reference, 2) if reference else float("inf")


def checks(c: dict[str, Any]) -> dict[str, bool]:
    """What must hold whatever the times: every document in the plan and in the projects."""
    n = c["push"]["documents"]
    overlap = int(OVERLAP * n + 0.5)
    shares = n + overlap * (PER_DOCUMENT - 1)
    return {
        "campaign_plan_complete": c["assign"]["documents"] == n
        and c["assign"]["overlap_documents"] == overlap,
        "campaign_projects_complete": c["assign"]["examples"] == shares
        and sum(c["assign"]["per_annotator"].values()) == shares,
    }


def print_campaign(c: dict[str, Any]) -> None:
    p, pl, a, cp = c["push"], c["pull"], c["assign"], c["campaign_pull"]
    print(
        f"  campaign: {c['annotators']} annotators, overlap {c['overlap']:g} "
        f"({a['overlap_documents']} documents to {c['per_document']} annotators each); "
        f"accounts made in {c['accounts']['seconds']:.2f} s"
    )
    rows = (
        ("one-project push (+ read)", p, f"{p['uploaded']} uploaded, {p['examples']} examples"),
        ("assign", a, f"{a['examples']} examples in {len(a['per_annotator'])} projects, "
                      f"ratio {c['assign_ratio']:.2f} to the one-project push"),
        ("one-project pull", pl, f"{pl['examples']} examples, {pl['problems']} problems, "
                                 f"best of {pl['runs_s']} s"),
        ("campaign pull", cp, f"{cp['examples']} examples, {cp['problems']} problems, "
                              f"best of {cp['runs_s']} s, ratio {c['pull_ratio']:.2f} to the "
                              "one-project pull"),
    )  # fmt: skip
    for what, x, note in rows:
        peak, before = x.get("peak_rss_mib"), x.get("rss_before_mib")
        memory = f"{peak:5.0f} MiB (+{peak - before:.0f})" if peak and before else "?"
        print(f"  {what + ':':32}{x['seconds']:7.2f} s  peak RSS {memory}  ({note})")


__all__ = ["checks", "print_campaign", "run_campaign"]
