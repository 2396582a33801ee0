"""Doccano sync benchmark: push N synthetic articles with suggestions, re-push, pull them back.

On its own managed Doccano server (own GOLDWIRE_HOME under ``bench/out/``, own port; the
server venv is shared through GOLDWIRE_DOCCANO_VENV), with N synthetic TASS-style articles
(``bench/synth.py``, re-issues and copies off, so every article is a document) built into a
goldwire dataset, and synthetic suggestions (capitalised names as entities, two stances per
article), this measures:

* **reference**: the same documents and suggestions uploaded the way doccano-client's
  ``upload()`` does it: one JSONL file, one import task, nothing checked;
* **push**: ``goldwire annotate push`` into a new project (listing, label sync, batches,
  per-batch verification, suggestion check);
* **re-push**: the unchanged corpus again (nothing to upload), and again with
  ``--full-check`` (listing through the export instead of the local record);
* **export**: the raw export the pull reads (one ``export_project`` over the API, the
  reference of the pull's ratio), and doccano's export function timed in the server's own
  Python, with goldwire's Django app off (doccano 1.8.4's own code) and on (its bulk label
  loading, :mod:`goldwire.annotate.doccano_patch`);
* **pull**: every annotator's work back into goldwire JSONL (export, offsets, snapshots),
  with every 50th example confirmed first; its status polls are counted;
* **campaign** (``bench/annotate_campaign.py``): ``annotate assign`` of the same documents to
  5 annotators with overlap 0.1 (one project each) and ``annotate pull --campaign``, each with
  its ratio to a one-project push and pull of the same documents measured in the same run,
  and the client's peak memory.

Goals: push within 1.2x of the reference, re-push under 5 s, pull under 5 s at N = 10,000
(with goldwire's app; ``--unpatched-export`` starts the server without it, for the figures
before it).
Times start from documents in memory (reading the dataset is reported separately).

    python bench/annotate_sync.py                  # N = 10,000
    python bench/annotate_sync.py --docs 500       # a quick run
    python bench/annotate_sync.py --campaign-only  # the campaign run (with its references)
    python bench/annotate_sync.py --no-campaign --unpatched-export  # doccano's own export
    python bench/annotate_sync.py --json bench/out/annotate_sync.json
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))

GOAL_PUSH_RATIO = 1.2
GOAL_REPUSH_S = 5.0
GOAL_PULL_S = 5.0
CONFIRM_EVERY = 50
NAME = re.compile(r"\b[A-Z][a-z]+(?: [A-Z][a-z]+)*")
ENTITY_LABELS = ("PER", "ORG", "GPE", "LOC", "NORP", "MISC")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --------------------------------------------------------------------------- data


def corpus(n: int) -> Path:
    """A goldwire dataset of at least ``n`` distinct synthetic articles (cached)."""
    import synth

    from goldwire.corpus.build import BuildConfig, build_corpus

    articles = OUT / f"annotate-synth-{n}"
    dataset = OUT / f"annotate-corpus-{n}"
    truth = synth.load_truth(articles)
    if truth is None or truth.n != n:
        shutil.rmtree(articles, ignore_errors=True)
        synth.generate(n, articles, near_rate=0.0, exact_rate=0.0)
        shutil.rmtree(dataset, ignore_errors=True)
    if not (dataset / "goldwire.json").is_file():
        build_corpus(BuildConfig(inputs=(articles / "articles",), out=dataset, minhash=None))
    return dataset


def predictions(docs) -> dict:
    """Suggestions: up to 10 capitalised names per article, stances between the first four."""
    from goldwire.schema import Document, Entity, Mention, Stance

    out = {}
    for doc in docs:
        ents = [
            Entity(f"T{i}", m.start(), m.end(), ENTITY_LABELS[i % len(ENTITY_LABELS)], m.group())
            for i, m in enumerate(NAME.finditer(doc.text))
            if i < 10
        ]
        stances = [
            Stance(
                Mention(ents[a].text, ents[a].start, ents[a].end, ents[a].id),
                Mention(ents[b].text, ents[b].start, ents[b].end, ents[b].id),
                label,
            )
            for a, b, label in ((0, 1, "SUPPORT"), (2, 3, "OPPOSE"))
            if b < len(ents)
        ]
        out[doc.id] = Document(id=doc.id, text=doc.text, entities=ents, stances=stances)
    return out


# --------------------------------------------------------------------------- runs


def reference_upload(session, docs, preds, labels) -> dict[str, Any]:
    """One file, one task, like doccano-client's ``upload()``."""
    from goldwire.annotate import client, records

    began = time.perf_counter()
    project = client.create_project(
        session, "reference", client.SEQUENCE_LABELING, use_relation=True
    )
    client.sync_label_types(session, project.id, client.LabelKind.span, labels.entities)
    client.sync_label_types(session, project.id, client.LabelKind.relation, labels.stances)
    problems: list = []
    lines = []
    for doc in docs:
        s = records.span_suggestions(doc, preds[doc.id], project.unit, labels, problems)
        lines.append(records.encode_line(records.upload_line(doc, project, s)))
    data = b"".join(lines)
    upload_id = client.upload_file(session, data, "reference.jsonl")
    status = client.wait_task(session, client.start_import(session, project, upload_id))
    seconds = time.perf_counter() - began
    count = client.example_count(session, project.id)
    return {
        "seconds": round(seconds, 2),
        "bytes": len(data),
        "examples": count,
        "errors": len((status.result or {}).get("error") or []),
    }


def timed_push(session, docs, options) -> tuple[float, Any]:
    from goldwire.annotate import push

    began = time.perf_counter()
    report = push.push(session, docs, options)
    return time.perf_counter() - began, report


def run(n: int, sync: bool = True, campaign: bool = True) -> dict[str, Any]:
    import annotate_campaign

    from goldwire.annotate import push, server
    from goldwire.annotate.http import connect
    from goldwire.annotate.settings import resolve_connection
    from goldwire.corpus.dataset import iter_documents

    dataset = corpus(n)
    began = time.perf_counter()
    docs = list(iter_documents(dataset))[:n]
    read_s = time.perf_counter() - began
    if len(docs) < n:
        raise SystemExit(f"the synthetic dataset has only {len(docs)} documents, not {n}")
    labels = push.label_schema_for({}, None)
    preds = predictions(docs)
    status = server.start(port=free_port())
    results: dict[str, Any] = {"n": n, "url": status.url, "read_dataset_s": round(read_s, 2)}
    try:
        with connect(resolve_connection()) as session:
            if sync:
                results.update(run_sync(session, docs, preds, labels))
            if campaign:
                results["campaign"] = annotate_campaign.run_campaign(session, dataset, OUT)
    finally:
        server.stop()
    return results


def run_sync(session, docs, preds, labels) -> dict[str, Any]:
    """Reference upload, push, re-pushes and pull of one project with suggestions."""
    from goldwire.annotate import push

    results: dict[str, Any] = {}
    results["reference"] = reference_upload(session, docs, preds, labels)
    opts = push.PushOptions(project="bench", labels=labels, predictions=preds)
    seconds, report = timed_push(session, docs, opts)
    results["push"] = _push_figures(seconds, report)
    seconds, report = timed_push(session, docs, opts)
    results["repush"] = _push_figures(seconds, report)
    opts.trust_local_record = False
    seconds, report = timed_push(session, docs, opts)
    results["repush_full_check"] = _push_figures(seconds, report)
    pid = report.targets[0].project["id"]
    results["export"] = export_figures(session, pid)
    confirm_some(session, pid)
    results["pull"] = timed_pull(session)
    return results


def export_figures(session, pid: int) -> dict[str, Any]:
    """The raw export over the API, and doccano's export function in the server's Python
    with goldwire's app off and on."""
    from goldwire.annotate import client

    began = time.perf_counter()
    files = client.export_project(session, pid)
    seconds = time.perf_counter() - began
    inside = doccano_export_seconds(pid)
    return {
        "seconds": round(seconds, 2),
        "bytes": sum(len(d) for d in files.values()),
        "doccano_own_s": inside["unpatched"],
        "goldwire_app_s": inside["patched"],
    }


DOCCANO_EXPORT = r"""
import json, os, sys, time
import django
django.setup()
from data_export.celery_tasks import export_dataset
project_id = int(sys.argv[1])
began = time.perf_counter()
os.remove(export_dataset(project_id, "JSONL", False))
print(json.dumps(time.perf_counter() - began))
"""


def doccano_export_seconds(pid: int) -> dict[str, float]:
    """doccano's export task function timed in-process, unpatched and patched."""
    import subprocess

    from goldwire.annotate import doccano_patch, server
    from goldwire.annotate.server_venv import backend_dir, venv_python
    from goldwire.annotate.settings import server_paths

    paths = server_paths()
    backend = backend_dir(paths.venv)
    out = {}
    with tempfile.TemporaryDirectory(dir=OUT) as folder:
        for name, on in (("unpatched", False), ("patched", True)):
            wrapper = Path(folder) / f"bench_{name}_settings.py"
            wrapper.write_text(
                f"from {paths.settings_module.stem} import *  # noqa\n"
                f"_APP = {doccano_patch.APP_CONFIG!r}\n"
                "INSTALLED_APPS = [*(a for a in INSTALLED_APPS if a != _APP), _APP]  # noqa\n"
                f"{doccano_patch.SETTING} = {on}\n"
            )
            env = server._server_env(paths, backend)
            env["PYTHONPATH"] = f"{folder}{os.pathsep}{env['PYTHONPATH']}"
            env["DJANGO_SETTINGS_MODULE"] = wrapper.stem
            result = subprocess.run(
                [str(venv_python(paths.venv)), "-c", DOCCANO_EXPORT, str(pid)],
                capture_output=True, text=True, env=env, cwd=str(backend), check=True,
            )  # fmt: skip
            out[name] = round(float(result.stdout.strip().splitlines()[-1]), 2)
    return out


def confirm_some(session, pid: int) -> int:
    """Mark every CONFIRM_EVERY-th example done (as the admin, who owns the suggestions)."""
    from goldwire.annotate import client

    files = client.export_project(session, pid)
    ids = sorted({int(r["id"]) for data in files.values() for r in client.export_lines(data)})
    for example_id in ids[::CONFIRM_EVERY]:
        client.confirm_example(session, pid, example_id)
    return len(ids[::CONFIRM_EVERY])


def timed_pull(session) -> dict[str, Any]:
    """``pull`` of the bench project, with its task status requests counted."""
    from goldwire.annotate import pull, tasks

    polls = 0
    status = tasks.task_status

    def counted(*args, **kwargs):
        nonlocal polls
        polls += 1
        return status(*args, **kwargs)

    out = Path(tempfile.mkdtemp(prefix="pull-", dir=OUT))
    tasks.task_status = counted
    try:
        began = time.perf_counter()
        pulled = pull.pull(session, pull.PullOptions(project="bench", out=out))
        seconds = time.perf_counter() - began
    finally:
        tasks.task_status = status
        shutil.rmtree(out, ignore_errors=True)
    return {
        "seconds": round(seconds, 2),
        "documents": sum(s.documents for s in pulled.annotators.values()),
        "confirmed": sum(s.confirmed for s in pulled.annotators.values()),
        "spans": sum(s.spans for s in pulled.annotators.values()),
        "relations": sum(s.relations for s in pulled.annotators.values()),
        "problems": len(pulled.problems),
        "status_polls": polls,
    }


def _push_figures(seconds: float, report) -> dict[str, Any]:
    target = report.targets[0]
    return {
        "seconds": round(seconds, 2),
        "uploaded": target.uploaded,
        "unchanged": target.unchanged,
        "batches": target.batches,
        "listing": target.listing,
        "examples": target.examples_after,
        "suggestions": target.uploaded_labels,
        "duplicates_removed": target.duplicates_removed,
        "problems": len(report.problems),
    }


def verdict(results: dict[str, Any]) -> dict[str, Any]:
    goals: dict[str, Any] = {}
    if "reference" in results:
        goals.update(sync_verdict(results))
    if "campaign" in results:
        import annotate_campaign

        goals.update(annotate_campaign.checks(results["campaign"]))
    return goals


def sync_verdict(results: dict[str, Any]) -> dict[str, Any]:
    ref, push_s = results["reference"]["seconds"], results["push"]["seconds"]
    ratio = push_s / ref if ref else float("inf")
    scale = results["n"] / 10_000
    goals = {
        "push_ratio": round(ratio, 2),
        "push_within_1.2x": ratio <= GOAL_PUSH_RATIO,
        "repush_under_5s": results["repush"]["seconds"] < GOAL_REPUSH_S * max(scale, 1),
        "pull_to_export_ratio": round(results["pull"]["seconds"] / results["export"]["seconds"], 2),
        "pull_under_5s": results["pull"]["seconds"] < GOAL_PULL_S * max(scale, 1),
        "no_duplicates": results["push"]["examples"] == results["n"]
        and results["repush_full_check"]["examples"] == results["n"],
    }
    return goals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", "--docs", dest="n", type=int, default=10_000,
                        help="documents (default 10,000)")  # fmt: skip
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--campaign-only", action="store_true", help="only the campaign run")
    only.add_argument("--no-campaign", action="store_true", help="leave the campaign run out")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--unpatched-export", action="store_true",
                        help="start the server without goldwire's app (before)")  # fmt: skip
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="annotate-sync-home-", dir=OUT))
    os.environ["GOLDWIRE_HOME"] = str(home)
    for name in ("GOLDWIRE_DOCCANO_URL", "GOLDWIRE_DOCCANO_USERNAME", "GOLDWIRE_DOCCANO_PASSWORD"):
        os.environ.pop(name, None)
    if not os.environ.get("GOLDWIRE_DOCCANO_VENV"):
        from goldwire.annotate.settings import server_paths

        os.environ.pop("GOLDWIRE_HOME")
        venv = server_paths().venv  # the default home's venv, built once
        os.environ["GOLDWIRE_HOME"] = str(home)
        os.environ["GOLDWIRE_DOCCANO_VENV"] = str(venv)
    if args.unpatched_export:
        from goldwire.annotate import doccano_patch

        text = doccano_patch.SETTINGS_TEXT.replace(" = True", " = False")
        doccano_patch.settings_text = lambda: text
    try:
        results = run(args.n, sync=not args.campaign_only, campaign=not args.no_campaign)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    results["goals"] = verdict(results)
    results["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "load": os.getloadavg()}  # fmt: skip
    results["goldwire_app"] = not args.unpatched_export
    _print(results)
    if args.json:
        from goldwire import files

        files.write_json(args.json, results)
    ratios = ("push_ratio", "pull_to_export_ratio")
    return 0 if all(v for k, v in results["goals"].items() if k not in ratios) else 1


def _print(r: dict[str, Any]) -> None:
    print(
        f"doccano sync, {r['n']} documents ({r['machine']['cpus'] if 'machine' in r else '?'} "
        f"CPUs); reading the dataset took {r['read_dataset_s']} s"
    )
    if "reference" in r:
        _print_sync(r)
    if "campaign" in r:
        import annotate_campaign

        annotate_campaign.print_campaign(r["campaign"])
    print("  goals: " + ", ".join(f"{k}={v}" for k, v in r["goals"].items()))


def _print_sync(r: dict[str, Any]) -> None:
    ref, p = r["reference"], r["push"]
    print(
        f"  reference (one file, one task): {ref['seconds']:7.2f} s  "
        f"({ref['bytes'] / 2**20:.1f} MiB, {ref['examples']} examples)"
    )
    print(
        f"  push:                           {p['seconds']:7.2f} s  "
        f"({p['batches']} batches, {p['uploaded']} uploaded, suggestions {p['suggestions']})"
        f"  ratio {r['goals']['push_ratio']:.2f} (goal <= {GOAL_PUSH_RATIO})"
    )
    for key, what in (
        ("repush", "re-push (local record)"),
        ("repush_full_check", "re-push --full-check"),
    ):
        x = r[key]
        print(
            f"  {what + ':':32}{x['seconds']:7.2f} s  ({x['unchanged']} unchanged, listed by "
            f"{x['listing']}, {x['examples']} examples)"
        )
    ex, pl = r["export"], r["pull"]
    print(
        f"  export (API, the reference):    {ex['seconds']:7.2f} s  ({ex['bytes'] / 2**20:.1f} MiB;"
        f" in the server's Python: doccano's own {ex['doccano_own_s']} s, with goldwire's app "
        f"{ex['goldwire_app_s']} s)"
    )
    print(
        f"  pull:                           {pl['seconds']:7.2f} s  ({pl['documents']} documents, "
        f"{pl['confirmed']} confirmed, {pl['spans']} spans, {pl['relations']} relations, "
        f"{pl['problems']} problems, {pl['status_polls']} status polls)  ratio to the export "
        f"{r['goals']['pull_to_export_ratio']:.2f}"
    )


if __name__ == "__main__":
    sys.exit(main())
