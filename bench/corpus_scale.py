"""Corpus-build scaling benchmark: engines and worker counts at 200,000 articles, per process.

On N synthetic TASS-style articles (``bench/synth.py``, cached under ``bench/out/``), each run
in its own subprocess, this measures:

* **floor**: read the files, ``Dataset.from_generator``, ``save_to_disk`` (the floor of
  ``bench/corpus_build.py``, imported from it);
* **local-1**, **local-2**: ``build_corpus`` with the local engine at 1 and 2 workers;
* **local-2-parquet**: the local engine at 2 workers writing the parquet layout;
* **ray-2**: the Ray engine on a local Ray instance with 2 CPUs.

For each: articles/s, wall time (``build_corpus`` without the data card it writes last), the
ratio to the floor, the time of the build's phases as its report gives them (stage, with the
engine's start; the global step with its tally; write; for Ray its start and stop) and peak
memory per process. This script's parent process samples the child's whole process tree
(``/proc``, every ``--interval`` s, with a :class:`goldwire.memory.Sampler`, so the measured
driver has no sampler thread) and groups the processes by kind: the **driver** (the build
process), **local workers** (its multiprocessing pool), **Ray workers** (``ray::...`` task
processes under the raylet) and **Ray system** processes (gcs_server, raylet, dashboard,
monitors, agents and Ray Data's internal ``ray::_...`` actors). Per process the peak RSS is the
kernel's ``VmHWM`` (exact for processes alive at a sample; the last fraction of a second of a
process that exits between samples is missed); per kind the table also shows the largest
concurrent PSS.

Shared memory (Ray's object store is a ``/dev/shm`` mapping inside the raylet that workers map
too) is in the RSS of *every* process that touches it, so per-process RSS counts it once per
process; the tree's PSS counts each shared page once (split among the processes mapping it),
and ``shm`` reports the tree's shared-memory PSS, i.e. the object store pages counted once.

Then the **global step** alone: the local engine's stage output (ids, the N x 128 uint32
MinHash matrix, preset splits, sources; computed once and cached) is loaded in a fresh
subprocess and ``goldwire.corpus.manifest.decide`` runs on it, timed, with the RSS high-water
mark reset just before it and again under ``tracemalloc``; bytes per document = its inputs plus
its peak, against the goal of about 2 KB per document. The outputs of all builds are compared
(kept / exact / near counts, split counts, and a digest of the sorted ids of each split) and the
figures are extrapolated to 10 million articles. Each build also runs at ``--baseline-size``
articles (2,000), for the driver's memory growth per document. Results: ``docs/scale.md``.

    python bench/corpus_scale.py                  # 200,000 articles (about 12 minutes on 2 cores)
    python bench/corpus_scale.py --quick          # 5,000 articles, about a minute
    python bench/corpus_scale.py --only ray-2,decide --json bench/out/scale.json
    python bench/corpus_scale.py --report bench/out/scale.json   # its tables again, no runs
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import corpus_build as cb  # noqa: E402
import synth  # noqa: E402

from goldwire.memory import (  # noqa: E402
    Sampler,
    proc_fields,
    process_tree,
    reset_peak,
    status_kib,
)

DEFAULT_SIZE = 200_000
QUICK_SIZE = 5_000
TARGET = 10_000_000
GOAL_GLOBAL_BYTES = 2048  # "within about 2 KB per document"
GLOBAL = "decide"
_KIB = 1024
_MIB = 1024.0  # /proc figures are KiB


@dataclass(frozen=True)
class Plan:
    name: str
    kind: str  # floor | build
    engine: str = "local"
    workers: int = 1
    layout: str | None = None


PLANS = {
    p.name: p
    for p in (
        Plan("floor", "floor"),
        Plan("local-1", "build", "local", 1),
        Plan("local-2", "build", "local", 2),
        Plan("local-2-parquet", "build", "local", 2, "parquet"),
        Plan("ray-2", "build", "ray", 2),
    )
}
KINDS = ("driver", "local-worker", "ray-worker", "ray-system")


# --------------------------------------------------------------------------- sampling (parent)


def _status(pid: int) -> dict[str, int]:
    names = ("PPid:", "VmHWM:", "VmRSS:", "RssAnon:", "RssShmem:")
    return proc_fields(f"/proc/{pid}/status", names)


def _title(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def _stat(pid: int) -> tuple[int, float] | None:
    """(start time in ticks, CPU seconds used) of a process, from /proc/PID/stat."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[19]), (int(fields[11]) + int(fields[12])) / tick


def classify(pid: int, root: int, titles: set[str]) -> str:
    """driver | local-worker | ray-worker | ray-system, from every title the process had."""
    if pid == root:
        return "driver"
    roles = {_title_role(t) for t in titles if t}
    system = ("ray::DashboardAgent", "ray::RuntimeEnvAgent", "ray::_", "raylet", "gcs_server")
    if any(r.startswith(system) for r in roles):
        return "ray-system"
    if any(r.startswith("ray::") or r in ("default_worker.py", "setup_worker.py") for r in roles):
        return "ray-worker"
    if any("/ray/" in t for t in titles):  # dashboard.py, monitor.py, log_monitor.py, agents
        return "ray-system"
    return "local-worker"


class TreeSampler(Sampler):
    """Samples the process tree under ``root``: per-process peaks (``procs``) and the peaks of
    concurrent sums over the tree (KiB)."""

    def __init__(self, root: int, interval: float) -> None:
        super().__init__(self._tree, interval)
        self.root = root
        self.procs: dict[int, dict[str, Any]] = {}

    def _tree(self) -> Counter:
        """One look at every process of the tree: its record updated, the sums returned."""
        sums: Counter = Counter()
        for pid in process_tree(self.root):
            st, stat = _status(pid), _stat(pid)
            if "VmRSS:" not in st or stat is None:  # gone, or a zombie
                continue
            p = self.procs.get(pid)
            if p is None or p["start"] != stat[0]:  # new process (or a reused pid)
                p = self.procs[pid] = {"start": stat[0], "titles": set(), "kind": None}
                p.update(hwm=0, anon=0, shmem=0)
            title = _title(pid)
            if title and title not in p["titles"]:
                p["titles"].add(title)
                p["kind"] = classify(pid, self.root, p["titles"])
            p["cpu"] = stat[1]
            for key, field in (("hwm", "VmHWM:"), ("anon", "RssAnon:"), ("shmem", "RssShmem:")):
                p[key] = max(p[key], st.get(field, 0))
            sm = proc_fields(f"/proc/{pid}/smaps_rollup", ("Pss:", "Pss_Anon:", "Pss_Shmem:"))
            sums["tree_pss"] += sm.get("Pss:", 0)
            sums["tree_pss_anon"] += sm.get("Pss_Anon:", 0)
            sums["tree_pss_shmem"] += sm.get("Pss_Shmem:", 0)
            if p["kind"] is not None:  # a process between fork and exec has no title yet
                sums[f"pss:{p['kind']}"] += sm.get("Pss:", 0)
                sums[f"anon:{p['kind']}"] += st.get("RssAnon:", 0)
        return sums

    def stop(self) -> dict[str, Any]:
        super().stop()
        return self.summary()

    def summary(self) -> dict[str, Any]:
        kinds: dict[str, Any] = {}
        for kind in KINDS:
            procs = [p for p in self.procs.values() if p.get("kind") == kind]
            if not procs:
                continue
            top = max(procs, key=lambda p: p["hwm"])
            kinds[kind] = {
                "processes": len(procs),
                "max_peak_rss_mib": _mib(top["hwm"]),
                "max_peak_rss_role": _role(top["titles"]),
                "max_peak_anon_mib": _mib(max(p["anon"] for p in procs)),
                "max_rss_shmem_mib": _mib(max(p["shmem"] for p in procs)),
                "concurrent_pss_peak_mib": _mib(self.peaks.get(f"pss:{kind}", 0)),
                "concurrent_anon_peak_mib": _mib(self.peaks.get(f"anon:{kind}", 0)),
                "cpu_seconds": round(sum(p.get("cpu", 0.0) for p in procs), 1),
                "roles": _roles(procs),
            }
        return {
            "tree_pss_peak_mib": _mib(self.peaks.get("tree_pss", 0)),
            "tree_pss_anon_peak_mib": _mib(self.peaks.get("tree_pss_anon", 0)),
            "shm_pss_peak_mib": _mib(self.peaks.get("tree_pss_shmem", 0)),
            "sampled_cpu_seconds": round(sum(p.get("cpu", 0.0) for p in self.procs.values()), 1),
            "by_kind": kinds,
        }

    def survivors(self) -> list[int]:
        """Sampled processes still alive (same pid and start time) after the run ended."""
        alive = []
        for pid, p in self.procs.items():
            stat = _stat(pid)
            if stat is not None and stat[0] == p["start"]:
                alive.append(pid)
        return alive


class ChildCpu(cb.CpuShare):
    """CPU of the run (this process's reaped children), and of everything else meanwhile;
    this process's own CPU (the sampler) is reported apart as the measurement's overhead."""

    def __init__(self) -> None:
        import resource

        self._self = resource.getrusage(resource.RUSAGE_SELF)
        super().__init__()

    @staticmethod
    def _own() -> float:
        import resource

        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return kids.ru_utime + kids.ru_stime

    def stop(self) -> dict[str, float | None]:
        import resource

        out = super().stop()
        now = resource.getrusage(resource.RUSAGE_SELF)
        used = now.ru_utime + now.ru_stime - self._self.ru_utime - self._self.ru_stime
        out["sampler_cpu_seconds"] = round(used, 2)
        return out


def _role(titles: set[str]) -> str:
    """What a process did, from its titles: "ray::MapBatches(process_batch)->Write", "raylet",
    "dashboard.py" (a Python script's name); idle and start-up titles are left out, and a
    worker that ran several kinds of task has them joined by "+"."""
    roles = {_title_role(t) for t in titles if t} - {"ray::IDLE"}
    if any(r.startswith("ray::") for r in roles):
        roles = {r for r in roles if r.startswith("ray::")}
    return "+".join(sorted(roles)) or "ray::IDLE"


def _title_role(title: str) -> str:
    tokens = title.split()
    first = os.path.basename(tokens[0])
    if first.startswith("python"):
        return next((os.path.basename(t) for t in tokens[1:] if not t.startswith("-")), first)
    return first


def _roles(procs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for p in procs:
        r = out.setdefault(_role(p["titles"]), {"processes": 0, "cpu_seconds": 0.0, "peak": 0})
        r["processes"] += 1
        r["cpu_seconds"] = round(r["cpu_seconds"] + p.get("cpu", 0.0), 1)
        r["peak"] = max(r["peak"], p["hwm"])
    for r in out.values():
        r["max_peak_rss_mib"] = _mib(r.pop("peak"))
    return out


def _mib(kib: float) -> float:
    return round(kib / _MIB, 1)


# --------------------------------------------------------------------------- child runs


def build_phases(phases: dict[str, float], engine: str) -> dict[str, float]:
    """This benchmark's phases from the build report's: stage with the engine's start (Ray's
    connection or start-up), decide, write, the card; ray_start and ray_stop on Ray."""
    out = {
        "stage": phases["start"] + phases["stage"],
        "decide": phases["decide"],
        "write": phases["write"],
        "card": phases["card"],
    }
    if engine == "ray":
        out.update(ray_start=phases["start"], ray_stop=phases["stop"])
    return {k: round(v, 2) for k, v in out.items()}


def child_build(args) -> dict[str, Any]:
    """goldwire build_corpus with one engine; phase times from its report."""
    from goldwire.corpus.build import BuildConfig, build_corpus

    config = BuildConfig(
        inputs=(args.articles,),
        out=args.work / "dataset",
        name="scale",
        workers=args.workers,
        engine=args.engine,
        layout=args.layout,
        fresh=True,
    )
    profiler = None
    if args.profile is not None:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    report = build_corpus(config)
    seconds = time.perf_counter() - started
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(str(args.profile))
    data = report.to_json()
    return {
        "docs": data["documents"]["seen"],
        "seconds": seconds - report.phases["card"],  # without the data card, as before
        "phases": build_phases(report.phases, args.engine),
        "documents": data["documents"],
        "splits": data["splits"],
        "near_duplicate_clusters": data["near_duplicate_clusters"],
        "files": {k: data["files"][k] for k in ("found", "read", "rejected")},
        "reconciles": data["reconciles"],
        "_duplicates": data["duplicates"],
    }


def split_ids(out: Path) -> dict[str, list[str]]:
    """The ids of each split of a built dataset, in stored order (either layout)."""
    meta = json.loads((out / "goldwire.json").read_text())
    if meta["layout"] == "parquet":  # data/<split>/*.parquet; an empty split may have none
        import pyarrow.parquet as pq

        return {
            folder.name: [
                i
                for f in sorted(folder.glob("*.parquet"))
                for i in pq.read_table(f, columns=["id"]).column("id").to_pylist()
            ]
            for folder in sorted((out / "data").iterdir())
            if folder.is_dir()
        }
    from datasets import load_from_disk

    dd = load_from_disk(str(out))
    return {s: dd[s].data.column("id").to_pylist() for s in dd}


def _digest(lines) -> str:
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode())
        h.update(b"\n")
    return h.hexdigest()[:16]


def output_check(out: Path, duplicates: list[dict[str, Any]], articles: Path) -> dict[str, Any]:
    """Digests to compare engines: sorted ids per split, ids in stored order, duplicates."""
    ids = split_ids(out)
    dups = sorted(
        f"{d['id']}\t{d['kind']}\t{d['duplicate_of']}\t{d['split']}\t"
        f"{os.path.relpath(d['source'], articles)}"
        for d in duplicates
    )
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    return {
        "split_rows": {s: len(v) for s, v in ids.items()},
        "split_ids_digest": {s: _digest(sorted(v)) for s, v in ids.items()},
        "split_order_digest": {s: _digest(v) for s, v in ids.items()},
        "duplicates_digest": _digest(dups),
        "dataset_mib": round(size / 2**20, 1),
    }


def child_inputs(args) -> dict[str, Any]:
    """The global step's inputs as the local engine stages them, saved under ``--work``."""
    import numpy as np

    from goldwire.corpus.build import BuildConfig, discover
    from goldwire.corpus.build_report import BuildReport
    from goldwire.corpus.engines import LocalEngine
    from goldwire.progress import no_progress

    config = BuildConfig(
        inputs=(args.articles,), out=args.work / "unused", workers=args.workers, fresh=True
    )
    files = discover(config.inputs).files
    report = BuildReport("inputs", "", files_found=len(files))
    spool = args.work / "spool"
    spool.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    staged = LocalEngine().stage(files, config, spool, report, no_progress)
    seconds = time.perf_counter() - started
    shutil.rmtree(spool)  # the spool, or the workers' shards
    np.save(args.work / "sigs.npy", staged.sigs)
    (args.work / "ids.txt").write_text("\n".join(staged.ids))
    (args.work / "sources.txt").write_text("\n".join(staged.sources))
    (args.work / "preset.json").write_text(json.dumps(staged.preset))
    return {"docs": len(staged.ids), "seconds": seconds}


def _self_kib(field: str) -> int:
    return status_kib(field) or 0


def _list_bytes(items: list) -> int:
    """A list and the distinct objects it holds (None and shared objects counted once)."""
    seen: dict[int, int] = {}
    for x in items:
        if x is not None and id(x) not in seen:
            seen[id(x)] = sys.getsizeof(x)
    return sys.getsizeof(items) + sum(seen.values())


def child_decide(args) -> dict[str, Any]:
    """``decide`` alone on cached inputs: time, RSS high-water mark and tracemalloc peak."""
    import gc
    import tracemalloc

    import numpy as np

    from goldwire.corpus import manifest as gm
    from goldwire.corpus.dedup import MinHashConfig
    from goldwire.corpus.split import SplitRatios

    ids = (args.work / "ids.txt").read_text().split("\n")
    sources = (args.work / "sources.txt").read_text().split("\n")
    preset = json.loads((args.work / "preset.json").read_text())
    sigs = np.load(args.work / "sigs.npy")
    n = len(ids)
    inputs = {"ids": _list_bytes(ids), "sigs": int(sigs.nbytes), "preset": _list_bytes(preset)}
    call = (ids, sigs, preset, gm.Manifest(), SplitRatios(), MinHashConfig())
    gc.collect()
    rss0, anon0 = _self_kib("VmRSS"), _self_kib("RssAnon")
    reset = reset_peak()
    started = time.perf_counter()
    result = gm.decide(*call)
    seconds = time.perf_counter() - started
    hwm, rss1 = _self_kib("VmHWM"), _self_kib("VmRSS")
    counts = Counter(d.status for d in result.decisions)
    splits = Counter(d.split for d in result.decisions if d.status == gm.KEPT)
    pairs_seconds = result.pairs_seconds
    del result
    gc.collect()
    tracemalloc.start()
    result = gm.decide(*call)
    traced_current, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    pairs_seconds += result.pairs_seconds
    del result
    return {
        "docs": n,
        "seconds": seconds,
        "near_duplicate_pairs_seconds": round(pairs_seconds / 2, 3),  # the mean of both runs
        "input_bytes": inputs,
        "sources_bytes": _list_bytes(sources),
        "rss_before_mib": _mib(rss0),
        "anon_before_mib": _mib(anon0),
        "hwm_reset": reset,
        "rss_peak_delta_bytes": (hwm - rss0) * _KIB if reset else None,
        "rss_retained_delta_bytes": (rss1 - rss0) * _KIB,
        "traced_peak_bytes": traced_peak,
        "traced_retained_bytes": traced_current,
        "documents": {
            "kept": counts[gm.KEPT],
            "exact_duplicates": counts[gm.EXACT],
            "near_duplicates": counts[gm.NEAR],
        },
        "splits": dict(splits),
    }


def child_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="corpus_scale.py --child")
    parser.add_argument("kind", choices=("floor", "build", "inputs", GLOBAL))
    parser.add_argument("--articles", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--engine", default="local")
    parser.add_argument("--layout")
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args(argv)
    import datasets  # noqa: F401  imported before the clock starts, as in a warm CLI

    if args.kind != "floor":
        import goldwire.corpus.build  # noqa: F401
    if args.engine == "ray":
        import goldwire.corpus.ray_engine  # noqa: F401
    if args.kind == "floor":
        out = cb.child_floor(args.articles, args.work)
    elif args.kind == "build":
        out = child_build(args)
    elif args.kind == "inputs":
        out = child_inputs(args)
    else:
        out = child_decide(args)
    import resource

    out["driver_ru_maxrss_mib"] = _mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    duplicates = out.pop("_duplicates", None)
    if duplicates is not None:  # after the run: nothing here counts in its figures
        out["output"] = output_check(args.work / "dataset", duplicates, args.articles)
    print(json.dumps(out))
    return 0


# --------------------------------------------------------------------------- parent


def run_child(kind: str, plan: Plan | None, corpus: Path, work: Path, args, clean=True):
    """One run in a fresh interpreter, its process tree sampled from here."""
    import shutil

    if clean:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind]
    cmd += ["--articles", str(corpus / "articles"), "--work", str(work)]
    cmd += ["--workers", str(plan.workers if plan else args.stage_workers)]
    if plan is not None:
        cmd += ["--engine", plan.engine] + (["--layout", plan.layout] if plan.layout else [])
    profile = None
    if args.profile and kind == "build":
        profile = args.data_dir / f"profile-scale-{plan.name}-{args.size}.pstats"
        cmd += ["--profile", str(profile)]
    log = work.parent / f"{work.name}.log"
    cpu = ChildCpu()
    with open(log, "w") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
        sampler = TreeSampler(proc.pid, args.interval)
        sampler.start()
        try:
            stdout, _ = proc.communicate(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, _ = proc.communicate()
        memory = sampler.stop()
    res = cpu.stop()
    _end_survivors(sampler)
    if clean and not args.keep and kind in ("floor", "build"):
        shutil.rmtree(work, ignore_errors=True)
    lines = [line for line in (stdout or "").splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = log.read_text(errors="replace").strip().splitlines()[-15:]
        return {"error": f"exit {proc.returncode}; see {log}\n" + "\n".join(tail)}
    res.update(json.loads(lines[-1]))
    res.update(memory)
    own = max(res.get("cpu_seconds") or 0.0, memory["sampled_cpu_seconds"])
    if profile is not None:
        res["profile"] = str(profile)
    return _rates(res, own)


def _rates(res: dict[str, Any], own: float) -> dict[str, Any]:
    """docs/s; CPU taken as the larger of rusage and the per-process samples (Ray daemons
    that the driver never reaps are missing from rusage)."""
    wall = res["cpu_seconds"] / res["cores_used"] if res.get("cores_used") else None
    if wall and own > res["cpu_seconds"] and res.get("cores_used_by_others") is not None:
        others = res["cores_used_by_others"] - (own - res["cpu_seconds"]) / wall
        res["cores_used_by_others"] = round(max(0.0, others), 2)
    if wall:
        res["cores_used"] = round(own / wall, 2)
    res["cpu_seconds"] = round(own, 1)
    res["docs_per_s"] = round(res["docs"] / res["seconds"], 1)
    res["docs_per_cpu_s"] = round(res["docs"] / own, 1) if own else None
    return res


def _end_survivors(sampler: TreeSampler) -> None:
    """Stop processes of the run that outlived it (a Ray instance whose driver died)."""
    alive = sampler.survivors()
    for pid in alive:
        _log(f"  ending leftover process {pid} ({_title(pid)[:60]})")
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    if alive:
        time.sleep(3)
        for pid in sampler.survivors():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def code_hash() -> str:
    """Of goldwire's corpus code as it is on disk now (others may edit it during a run)."""
    code = hashlib.sha256()
    for path in sorted([*(ROOT / "corpus").rglob("*.py"), ROOT / "goldwire" / "schema.py"]):
        code.update(path.read_bytes())
    return code.hexdigest()[:16]


def global_inputs(corpus: Path, args) -> Path:
    """The cached stage output for ``decide`` (recomputed when goldwire's corpus code or the
    corpus changed)."""
    truth = json.loads((corpus / "truth.json").read_text())
    key = {"n": truth["n"], "seed": truth["seed"], "generator": synth.GENERATOR_VERSION}
    key["code"] = code_hash()
    cache = corpus / "global-inputs"
    key_file = cache / "key.json"
    if key_file.is_file() and json.loads(key_file.read_text()) == key:
        return cache
    _log(f"staging the global step's inputs into {cache} (once per corpus and code version)")
    key_file.unlink(missing_ok=True)
    res = run_child("inputs", None, corpus, cache, args)
    if "error" in res:
        raise RuntimeError(f"staging the global step's inputs failed: {res['error']}")
    _log(f"  staged {res['docs']} documents in {res['seconds']:.1f} s")
    key_file.write_text(json.dumps(key))
    return cache


def measure(args) -> tuple[list[dict[str, Any]], dict[str, Any] | None, dict[str, Any]]:
    corpus = args.data_dir / f"synth-{args.size}"
    started = time.perf_counter()
    truth = synth.ensure(args.size, corpus, seed=args.seed)
    planted = {k: sum(p.kind == k for p in truth.planted) for k in ("near", "exact")}
    _log(
        f"N={args.size}: corpus {corpus} ready in {time.perf_counter() - started:.1f} s "
        f"({planted['near']} re-issues, {planted['exact']} exact copies planted)"
    )
    cb._warm(corpus / "articles")
    small = None
    if args.baseline_size and args.baseline_size < args.size:
        small = args.data_dir / f"synth-{args.baseline_size}"
        synth.ensure(args.baseline_size, small, seed=args.seed)
        cb._warm(small / "articles")
    runs = []
    for name in args.only:
        if name == GLOBAL:
            continue
        plan = PLANS[name]
        res = measure_plan(plan, corpus, args)
        if small is not None and plan.kind == "build" and "error" not in res:
            base = run_child(plan.kind, plan, small, _work(args, name), args)
            if "error" not in base:
                res["baseline"] = _baseline(base)
                _log(f"  baseline at N={args.baseline_size}: {_one_line({'name': name, **base})}")
        runs.append(res)
    decided = None
    if GLOBAL in args.only:
        cache = global_inputs(corpus, args)
        _log("decide: running ...")
        decided = run_child(GLOBAL, None, corpus, cache, args, clean=False)
        decided["code"] = code_hash()
        _log(_one_line({"name": GLOBAL, **decided}))
    return runs, decided, planted


def _work(args, name: str) -> Path:
    """A run's scratch folder (this process's own: two benchmarks may run at once)."""
    return args.data_dir / "runs" / f"scale-{name}-{os.getpid()}"


def measure_plan(plan: Plan, corpus: Path, args) -> dict[str, Any]:
    _log(f"{plan.name}: running ...")
    code = code_hash()
    res = run_child(plan.kind, plan, corpus, _work(args, plan.name), args)
    res.update(name=plan.name, engine=plan.engine, workers=plan.workers, layout=plan.layout)
    res.update(kind=plan.kind, n=args.size, code=code)
    if code_hash() != code:
        res["code_changed_during_run"] = True
    _log(_one_line(res))
    return res


def _baseline(res: dict[str, Any]) -> dict[str, Any]:
    """The figures of a run at the small size that memory growth per document is taken from."""
    driver = res["by_kind"]["driver"]
    return {
        "n": res["docs"],
        "seconds": round(res["seconds"], 2),
        "driver_peak_rss_mib": driver["max_peak_rss_mib"],
        "driver_peak_anon_mib": driver["max_peak_anon_mib"],
        "tree_pss_peak_mib": res["tree_pss_peak_mib"],
    }


def _one_line(res: dict[str, Any]) -> str:
    if "error" in res:
        return f"{res['name']}: FAILED\n{res['error']}"
    return (
        f"{res['name']}: {res['docs_per_s']:.0f} docs/s ({res['seconds']:.1f} s), driver peak "
        f"RSS {res['driver_ru_maxrss_mib']:.0f} MiB, tree PSS {res['tree_pss_peak_mib']:.0f} MiB"
    )


_log = cb._log  # progress lines on stderr


# --------------------------------------------------------------------------- summary


def agreement(runs: list[dict[str, Any]], decided: dict[str, Any] | None) -> dict[str, Any]:
    """Do all builds (and decide on the cached inputs) find the same documents and splits?"""
    builds = [r for r in runs if r.get("kind") == "build" and "error" not in r]
    if not builds:
        return {"compared": [], "agree": None}
    ref = builds[0]

    def view(r: dict[str, Any], with_ids: bool) -> dict[str, Any]:
        d = r["documents"]
        out = {k: d[k] for k in ("kept", "exact_duplicates", "near_duplicates")}
        out["splits"] = {k: v for k, v in r["splits"].items() if v}
        if with_ids:
            out["split_ids"] = r["output"]["split_ids_digest"]
            out["duplicates"] = r["output"]["duplicates_digest"]
            out["split_rows"] = {k: v for k, v in r["output"]["split_rows"].items() if v}
        return out

    diffs = {}
    for r in builds[1:]:
        a, b = view(ref, True), view(r, True)
        bad = sorted(k for k in a if a[k] != b[k])
        if bad:
            diffs[r["name"]] = {k: {ref["name"]: a[k], r["name"]: b[k]} for k in bad}
    same_order = {
        r["name"]: r["output"]["split_order_digest"] == ref["output"]["split_order_digest"]
        for r in builds
    }
    decide_agrees = None
    if decided and "error" not in decided:
        decide_agrees = view(decided, False) == view(ref, False)
    return {
        "compared": [r["name"] for r in builds],
        "reference": view(ref, False),
        "agree": not diffs,
        "differences": diffs,
        "same_row_order_as_reference": same_order,
        "decide_on_cached_inputs_agrees": decide_agrees,
    }


def global_memory(decided: dict[str, Any]) -> dict[str, Any]:
    """Bytes per document of the global step: its inputs plus its peak above them."""
    n = decided["docs"]
    inputs = sum(decided["input_bytes"].values())
    traced = inputs + decided["traced_peak_bytes"]
    rss = None
    if decided.get("rss_peak_delta_bytes") is not None:
        rss = inputs + max(decided["rss_peak_delta_bytes"], 0)
    per_doc = {
        "inputs": round(inputs / n, 1),
        **{f"input:{k}": round(v / n, 1) for k, v in decided["input_bytes"].items()},
        "decide_peak_traced": round(decided["traced_peak_bytes"] / n, 1),
        "decide_retained_traced": round(decided["traced_retained_bytes"] / n, 1),
        "total_traced": round(traced / n, 1),
        "total_rss": round(rss / n, 1) if rss is not None else None,
        "sources_held_beside": round(decided["sources_bytes"] / n, 1),
    }
    worst = max(v for v in (per_doc["total_traced"], per_doc["total_rss"]) if v is not None)
    return {
        "docs": n,
        "seconds": decided["seconds"],
        "bytes_per_doc": per_doc,
        "goal": f"global step (decide's inputs + its peak) within about {GOAL_GLOBAL_BYTES} "
        "bytes per document",
        "measured_bytes_per_doc": worst,
        "holds": worst <= GOAL_GLOBAL_BYTES * 1.1,
    }


def extrapolate(runs, decided, gm: dict[str, Any] | None, cores: list[int]) -> dict[str, Any]:
    """10M articles from the measured figures (see ASSUMPTIONS)."""
    builds = [r for r in runs if r.get("kind") == "build" and "error" not in r]
    if not builds:
        return {}
    n = builds[0]["docs"]
    scale = TARGET / n
    out: dict[str, Any] = {"target": TARGET, "scale": scale, "assumptions": ASSUMPTIONS}
    decide_s = decided["seconds"] if decided and "error" not in decided else None
    if decide_s is not None:
        out["global_seconds"] = round(decide_s * scale, 1)
        out["global_seconds_nlogn"] = round(decide_s * scale * math.log(TARGET) / math.log(n), 1)
    if gm:
        per_doc = gm["measured_bytes_per_doc"]
        out["driver_global_gib"] = round(per_doc * TARGET / 2**30, 2)
        with_sources = per_doc + gm["bytes_per_doc"]["sources_held_beside"]
        out["driver_global_with_sources_gib"] = round(with_sources * TARGET / 2**30, 2)
    rows = {}
    for r in builds:
        if r["workers"] != 2:  # the 2-core figures and their scaling
            continue
        rows[r["name"]] = _scaled(r, decide_s, scale, cores)
    out["runs"] = rows
    return out


def _scaled(r: dict[str, Any], decide_s: float | None, scale: float, cores: list[int]):
    """One run at 10M on 2..N cores: fixed + serial x scale + max(parallel x scale x workers /
    cores, the driver's own per-document CPU x scale)."""
    phases = r.get("phases", {})
    fixed = phases.get("ray_start", 0.0) + phases.get("ray_stop", 0.0)
    in_build = phases.get("decide", 0.0)
    # the local engine writes the splits in the driver: serial, like the global step
    driver_write = phases.get("write", 0.0) if r["engine"] == "local" else 0.0
    parallel = max(0.0, r["seconds"] - fixed - in_build - driver_write)
    serial_10m = (driver_write + (decide_s if decide_s is not None else in_build)) * scale
    # what else the driver does per document (receive and spool rows; plan tasks per file, read
    # the staged columns back) does not spread over more cores: a floor under the parallel part
    driver_cpu = r["by_kind"]["driver"]["cpu_seconds"] - in_build - driver_write
    floor_10m = max(0.0, driver_cpu) * scale
    row = {
        "at_measured_rate_s": round(TARGET / r["docs_per_s"]),
        "driver_floor_s": round(floor_10m),
    }
    for c in cores:
        spread = max(parallel * scale * r["workers"] / c, floor_10m)
        row[f"{c}_cores_s"] = round(fixed + serial_10m + spread)
    row.update(driver_growth(r))
    return row


def driver_growth(r: dict[str, Any]) -> dict[str, Any]:
    """The driver's anonymous peak RSS: growth per document between the baseline size and N,
    and at 10M (the baseline's fixed part plus the growth); the tree's PSS likewise."""
    base = r.get("baseline")
    if not base or r["docs"] < 10 * base["n"]:  # too close: the difference is noise
        return {}
    span = r["docs"] - base["n"]
    anon = r["by_kind"]["driver"]["max_peak_anon_mib"]
    per_doc = (anon - base["driver_peak_anon_mib"]) * 2**20 / span
    tree = (r["tree_pss_peak_mib"] - base["tree_pss_peak_mib"]) * 2**20 / span
    return {
        "driver_anon_growth_bytes_per_doc": round(per_doc),
        "driver_anon_10m_gib": round(
            (base["driver_peak_anon_mib"] * 2**20 + per_doc * TARGET) / 2**30, 1
        ),
        "tree_pss_growth_bytes_per_doc": round(tree),
    }


ASSUMPTIONS = [
    "throughput at 2 cores: 10M / the run's measured articles/s (same documents, same disk)",
    "per N cores: the per-file work (stage, and for Ray the distributed write) scales "
    "linearly with documents and inversely with cores (workers x time per document); Ray "
    "start and stop stay fixed",
    "the global step (decide) stays in one driver process: its time scales linearly with "
    "documents from the standalone decide() measurement (the n log n figure bounds its sorts)",
    "the local engine also writes the splits in the driver, so its write is serial too; so is "
    "the rest of the driver's CPU (local: receiving and spooling every row; Ray: planning a "
    "task input per file and reading the staged columns back): it bounds the per-file step "
    "from below however many cores there are",
    "driver memory for the global step = measured bytes per document x 10M (decide's inputs "
    "and peak; the local and Ray drivers also keep the sources list for the report); the whole "
    "driver: its anonymous peak RSS at the baseline size plus its growth per document x 10M",
    "no near-duplicate candidate blow-up: unrelated synthetic articles share almost no "
    "5-grams; real corpora with boilerplate produce more candidate pairs",
]


# --------------------------------------------------------------------------- printing


def print_table(runs, floor_rate, agree, gm, extra) -> None:
    print(
        f"\ncorpus build at N={runs[0]['n'] if runs else '?'}: wall = build_corpus (without "
        "interpreter start and imports); phases in seconds: stage (for Ray with its start: ray "
        "s), decide, write, other (discovery, report, Ray stop); cores: CPU of the run per "
        "second; others: CPU of other processes meanwhile"
    )
    head = (
        f"{'run':<16} {'docs/s':>7} {'x floor':>7} {'wall s':>7} {'stage':>6} {'ray':>5} "
        f"{'decide':>6} {'write':>6} {'other':>5} {'cores':>5} {'others':>6} {'docs/CPU-s':>10}"
    )
    print(head + "\n" + "-" * len(head))
    for r in runs:
        if "error" in r:
            print(f"{r['name']:<16} FAILED: {r['error'].splitlines()[0]}")
            continue
        ph = r.get("phases", {})
        x = r["docs_per_s"] / floor_rate if floor_rate else None
        other = r["seconds"] - sum(ph.get(k, 0.0) for k in ("stage", "decide", "write"))
        print(
            f"{r['name']:<16} {r['docs_per_s']:>7.0f} {cb._fmt(x, 3):>7} {r['seconds']:>7.1f} "
            f"{cb._fmt(ph.get('stage'), 1):>6} {cb._fmt(ph.get('ray_start'), 1):>5} "
            f"{cb._fmt(ph.get('decide'), 1):>6} {cb._fmt(ph.get('write'), 1):>6} "
            f"{cb._fmt(other if ph else None, 1):>5} {cb._fmt(r.get('cores_used'), 2):>5} "
            f"{cb._fmt(r.get('cores_used_by_others'), 2):>6} "
            f"{cb._fmt(r.get('docs_per_cpu_s'), 0):>10}"
        )
    codes = {r["code"] for r in runs if r.get("code")}
    changed = [r["name"] for r in runs if r.get("code_changed_during_run")]
    if len(codes) > 1 or changed:
        print(
            f"WARNING: goldwire's corpus code changed between or during runs ({len(codes)} "
            f"versions; changed during: {', '.join(changed) or 'none'}): figures may not compare"
        )
    print_memory(runs)
    print_agreement(agree)
    print_global(gm)
    print_extrapolation(extra)


def print_memory(runs) -> None:
    print(
        "\npeak memory per process kind (MiB). peak RSS: largest VmHWM of one process of the "
        "kind (counts shared pages it touched); anon: largest anonymous RSS of one;\nPSS: "
        "largest concurrent PSS of all of the kind; tree PSS: the whole tree, shared pages "
        "once; shm: the tree's shared-memory PSS (Ray's object store, counted once)"
    )
    head = (
        f"{'run':<16} {'kind':<13} {'procs':>5} {'peak RSS':>8} {'anon':>6} {'PSS':>6}   "
        f"{'tree PSS':>8} {'shm':>6}"
    )
    print(head + "\n" + "-" * len(head))
    for r in runs:
        if "error" in r:
            continue
        first = True
        for kind, k in r["by_kind"].items():
            tail = (
                f"   {r['tree_pss_peak_mib']:>8.0f} {r['shm_pss_peak_mib']:>6.0f}" if first else ""
            )
            print(
                f"{r['name'] if first else '':<16} {kind:<13} {k['processes']:>5} "
                f"{k['max_peak_rss_mib']:>8.0f} {k['max_peak_anon_mib']:>6.0f} "
                f"{k['concurrent_pss_peak_mib']:>6.0f}{tail}"
            )
            first = False


def print_agreement(agree) -> None:
    if not agree.get("compared"):
        return
    mark = {True: "AGREE", False: "DIFFER", None: "n/a"}[agree["agree"]]
    print(
        f"\noutputs [{mark}]: {', '.join(agree['compared'])}: kept/exact/near, split counts, "
        f"sorted ids per split and the duplicates reported; reference {agree['reference']}"
    )
    for name, diff in agree.get("differences", {}).items():
        print(f"  {name} differs: {json.dumps(diff)[:600]}")
    order = agree["same_row_order_as_reference"]
    print(f"  same row order as {agree['compared'][0]}: {order}")
    if agree.get("decide_on_cached_inputs_agrees") is not None:
        print(f"  decide() on the cached inputs gives the same counts: "
              f"{agree['decide_on_cached_inputs_agrees']}")  # fmt: skip


def print_global(gm) -> None:
    if not gm:
        return
    b = gm["bytes_per_doc"]
    mark = "HOLDS" if gm["holds"] else "FAILS"
    print(
        f"\nglobal step alone: decide() on {gm['docs']} documents in {gm['seconds']:.2f} s; "
        f"bytes per document: inputs {b['inputs']:.0f} (ids {b['input:ids']:.0f}, signatures "
        f"{b['input:sigs']:.0f}, preset {b['input:preset']:.0f}) + decide's peak "
        f"{b['decide_peak_traced']:.0f} (tracemalloc; {b['decide_retained_traced']:.0f} of it "
        f"retained as decisions and manifest) = {b['total_traced']:.0f}; by RSS high-water "
        f"mark: {cb._fmt(b['total_rss'], 0)}; the drivers also hold the sources list: "
        f"{b['sources_held_beside']:.0f}\n"
        f"  [{mark}] {gm['goal']}: {gm['measured_bytes_per_doc']:.0f}"
    )


def print_extrapolation(extra) -> None:
    if not extra:
        return
    print(f"\nextrapolation to {TARGET:,} articles (x{extra['scale']:g}):")
    if "driver_global_gib" in extra:
        print(
            f"  driver memory for the global step: {extra['driver_global_gib']:.1f} GiB "
            f"({extra['driver_global_with_sources_gib']:.1f} GiB with the sources list)"
        )
    if "global_seconds" in extra:
        print(
            f"  global step time on one driver: {_hms(extra['global_seconds'])} "
            f"({_hms(extra['global_seconds_nlogn'])} if it grows as n log n)"
        )
    rows = extra["runs"]
    if not rows:
        return
    cols = [k for k in next(iter(rows.values())) if k.endswith("_cores_s")]
    head = f"  {'run':<16} {'at measured rate':>16} " + " ".join(
        f"{c.split('_')[0] + ' cores':>10}" for c in cols
    )
    print(head + f" {'driver B/doc':>12} {'driver at 10M':>13}")
    for name, row in rows.items():
        print(
            f"  {name:<16} {_hms(row['at_measured_rate_s']):>16} "
            + " ".join(f"{_hms(row[c]):>10}" for c in cols)
            + f" {cb._fmt(row.get('driver_anon_growth_bytes_per_doc'), 0):>12}"
            + f" {cb._fmt(row.get('driver_anon_10m_gib'), 1):>9} GiB"
        )
    print("  assumptions:")
    for a in extra["assumptions"]:
        print(f"  - {a}")


def _hms(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None):
    parser = argparse.ArgumentParser(
        description="Corpus-build scaling: engines, workers, per-process memory, global step."
    )
    ints = lambda s: [int(x) for x in s.split(",") if x]  # noqa: E731
    names = [*PLANS, GLOBAL]
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE, help="articles (200000)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SIZE} articles")
    parser.add_argument(
        "--only", default=",".join(names), help=f"comma-separated runs of: {', '.join(names)}"
    )
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument(
        "--report", type=Path, help="print the tables of an earlier --json file, measure nothing"
    )
    parser.add_argument("--data-dir", type=Path, default=HERE / "out", help="(bench/out)")
    parser.add_argument("--seed", type=int, default=synth.SEED)
    parser.add_argument(
        "--baseline-size",
        type=int,
        default=2000,
        help="also run each build at this size, for memory growth per document (0: no)",
    )
    parser.add_argument(
        "--stage-workers", type=int, default=2, help="workers staging decide's inputs"
    )
    parser.add_argument("--cores", type=ints, default=[2, 8, 32, 128], help="extrapolate to")
    parser.add_argument("--interval", type=float, default=0.25, help="sampling period, s")
    parser.add_argument("--profile", action="store_true", help="cProfile each build's driver")
    parser.add_argument("--profile-top", type=int, default=25)
    parser.add_argument("--timeout", type=float, default=7200.0, help="seconds per run")
    parser.add_argument("--keep", action="store_true", help="keep the datasets written")
    args = parser.parse_args(argv)
    if args.quick:
        args.size = QUICK_SIZE
    args.only = [x for x in args.only.split(",") if x]
    unknown = sorted(set(args.only) - set(names))
    if unknown:
        parser.error(f"unknown runs {unknown}; choose from {', '.join(names)}")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child_main(argv[1:])
    args = parse_args(argv)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    saved = json.loads(args.report.read_text()) if args.report else {}
    if args.report:  # summarise the figures of an earlier run again, measure nothing
        runs, decided, planted = saved["runs"], saved["global_step"]["measured"], saved["planted"]
    else:
        runs, decided, planted = measure(args)
    floor = next((r for r in runs if r["name"] == "floor" and "error" not in r), None)
    floor_rate = floor["docs_per_s"] if floor else None
    for r in runs:
        if floor_rate and "error" not in r:
            r["x_floor"] = round(r["docs_per_s"] / floor_rate, 3)
    agree = agreement(runs, decided)
    gm = global_memory(decided) if decided and "error" not in decided else None
    extra = extrapolate(runs, decided, gm, args.cores)
    print_table(runs, floor_rate, agree, gm, extra)
    if args.profile:
        for r in runs:
            if r.get("profile"):
                cb.print_profile(Path(r["profile"]), args.profile_top)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "environment": saved["environment"] if args.report else cb.environment(),
            "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "planted": planted,
            "runs": runs,
            "global_step": {"measured": decided, "summary": gm},
            "agreement": agree,
            "extrapolation": extra,
        }
        args.json.write_text(json.dumps(data, indent=2, default=_jsonable) + "\n")
        print(f"\nfigures: {args.json}")
    failed = any("error" in r for r in runs) or (decided is not None and "error" in decided)
    return 1 if failed or agree.get("agree") is False else 0


def _jsonable(x):
    return sorted(x) if isinstance(x, set) else str(x)


if __name__ == "__main__":
    sys.exit(main())
