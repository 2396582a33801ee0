"""Corpus-build benchmark: throughput and peak memory of ``build_corpus`` against a floor.

For each size N, on N synthetic TASS-style articles (``bench/synth.py``, cached under
``bench/out/``) this measures, each run in its own subprocess so that peak memory is per run:

* **floor**: read the same files and write them with ``datasets.Dataset.from_generator`` and
  ``save_to_disk``, no parsing: what any build of these files costs at least;
* **build**: goldwire ``build_corpus`` with near-duplicate detection on (MinHash, defaults),
  at each worker count; its time leaves out the data card the build writes last (the
  report's ``card`` phase, kept as ``card_seconds``), as before the build wrote it.

It prints docs/s, the ratio to the floor, peak RSS (the build process's ``ru_maxrss``, its
workers' largest ``ru_maxrss``, and the peak PSS of the whole process tree sampled by
:class:`TreeMemory`, a :class:`goldwire.memory.Sampler`), memory
growth per document between the smallest and the largest size, whether the goals hold, and
whether the build found the planted re-issues (recall) without false duplicates.

Goals: at least 5,000 articles/s on a 2-core machine with near-duplicate detection on (issue 15;
it was 1,000); peak memory under 1 GiB at 100,000 articles, growing by no more than about 2 KB
per document.

    python bench/corpus_build.py                       # 10,000 and 100,000; 1 and 2 workers
    python bench/corpus_build.py --quick               # 2,000 articles, under a minute
    python bench/corpus_build.py --sizes 10000 --workers 1 --profile   # cProfile hot spots
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import synth  # noqa: E402

from goldwire.memory import Sampler, proc_fields, process_tree, status_kib  # noqa: E402

GOAL_DOCS_PER_S = 5000.0
GOAL_PEAK_MIB = 1024.0
GOAL_GROWTH_KIB = 2.0
GOAL_AT = 100_000
QUICK_SIZE = 2000
_MIB = 1024.0  # ru_maxrss and smaps are in KiB on Linux


# --------------------------------------------------------------------------- child runs


TREE_KEYS = ("tree_pss", "tree_pss_anon", "rss_anon")


def tree_memory() -> dict[str, int]:
    """KiB now: ``tree_pss``, PSS of this process and its descendants (shared pages counted
    once); ``tree_pss_anon``, the anonymous part of it (heap, not file pages mapped in);
    ``rss_anon``, this process's anonymous RSS (``ru_maxrss`` also counts the pages of
    memory-mapped Arrow files it reads, which the kernel can reclaim)."""
    pss = pss_anon = 0
    for pid in process_tree(os.getpid()):
        fields = proc_fields(f"/proc/{pid}/smaps_rollup", ("Pss:", "Pss_Anon:"))
        pss += fields.get("Pss:", 0)
        pss_anon += fields.get("Pss_Anon:", 0)
    return {"tree_pss": pss, "tree_pss_anon": pss_anon, "rss_anon": status_kib("RssAnon") or 0}


class TreeMemory(Sampler):
    """The peaks of :func:`tree_memory`, sampled every ``interval`` seconds; ``stop`` gives
    them in MiB (``None`` where nothing was measured)."""

    def __init__(self, interval: float = 0.25) -> None:
        super().__init__(tree_memory, interval)

    def stop(self) -> dict[str, float | None]:
        peaks = super().stop()
        return {f"{k}_peak_mib": round(peaks[k] / _MIB, 1) if peaks.get(k) else None
                for k in TREE_KEYS}  # fmt: skip


class CpuShare:
    """CPU used during a run: by this process and its workers, and by everything else."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.busy = self._system_busy()
        self.own = self._own()

    @staticmethod
    def _system_busy() -> float | None:
        try:
            with open("/proc/stat") as fh:
                ticks = [int(x) for x in fh.readline().split()[1:]]
        except OSError:
            return None
        idle = ticks[3] + ticks[4]  # idle + iowait
        return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _own() -> float:
        me = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    def stop(self) -> dict[str, float | None]:
        wall = time.perf_counter() - self.wall
        own = self._own() - self.own
        busy = self._system_busy()
        other = None if busy is None or self.busy is None else busy - self.busy - own
        return {
            "cpu_seconds": round(own, 2),
            "cores_used": round(own / wall, 2),
            "cores_used_by_others": None if other is None else round(max(0.0, other) / wall, 2),
        }


def _floor_rows(root: str):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            with open(path, "rb") as fh:
                yield {"source": path, "text": fh.read().decode("utf-8")}


def child_floor(articles: Path, work: Path) -> dict[str, Any]:
    """Files -> Dataset.from_generator -> save_to_disk, no parsing."""
    import datasets
    from datasets import Dataset, Features, Value

    datasets.disable_progress_bars()
    feats = Features({"source": Value("string"), "text": Value("string")})
    started = time.perf_counter()
    ds = Dataset.from_generator(
        _floor_rows,
        features=feats,
        gen_kwargs={"root": str(articles)},
        cache_dir=str(work / "cache"),
        fingerprint=f"floor-{os.getpid()}",
    )
    ds.save_to_disk(str(work / "dataset"))
    seconds = time.perf_counter() - started
    return {"docs": ds.num_rows, "seconds": seconds}


def child_build(
    articles: Path, work: Path, workers: int, fmt: str, profile: Path | None
) -> dict[str, Any]:
    """goldwire build_corpus with near-duplicate detection on."""
    from goldwire.corpus.build import BuildConfig, build_corpus
    from goldwire.corpus.dedup import MinHashConfig

    config = BuildConfig(
        inputs=(articles,),
        out=work / "dataset",
        name="bench",
        format=fmt,
        workers=workers,
        fresh=True,
        minhash=MinHashConfig(),
    )
    profiler = None
    if profile is not None:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    report = build_corpus(config)
    seconds = time.perf_counter() - started
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(str(profile))
    data = report.to_json()
    card = report.phases.get("card", 0.0)
    return {
        "docs": data["documents"]["seen"],
        "seconds": seconds - card,  # the build without its data card, as before the build wrote it
        "card_seconds": round(card, 3),
        "documents": data["documents"],
        "files": {k: v for k, v in data["files"].items() if k in ("found", "read", "rejected")},
        "rejections_by_reason": data["rejections_by_reason"],
        "near_duplicate_clusters": data["near_duplicate_clusters"],
        "reconciles": data["reconciles"],
        "_duplicates": data["duplicates"],
    }


def child_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="corpus_build.py --child")
    parser.add_argument("kind", choices=("floor", "build"))
    parser.add_argument("--articles", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--truth", type=Path)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--format", default="auto")
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args(argv)
    import datasets  # noqa: F401  imported before the clock starts, as in a warm CLI

    if args.kind == "build":
        import goldwire.corpus.build  # noqa: F401
    sampler = TreeMemory()
    sampler.start()
    cpu = CpuShare()
    if args.kind == "floor":
        out = child_floor(args.articles, args.work)
    else:
        out = child_build(args.articles, args.work, args.workers, args.format, args.profile)
    out.update(cpu.stop())
    out.update(sampler.stop())
    out["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / _MIB, 1)
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out["workers_peak_rss_mib"] = round(children / _MIB, 1) if children else None
    # after the peak is taken: compare the duplicates found with the planted ones
    duplicates = out.pop("_duplicates", None)
    if duplicates is not None and args.truth is not None:
        truth = synth.GroundTruth.from_json(json.loads(args.truth.read_text()))
        out["dedup"] = check_duplicates(duplicates, args.work / "dataset", args.articles, truth)
    print(json.dumps(out))
    return 0


# --------------------------------------------------------------------------- dedup check


class _Groups:
    """Union-find over file names."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def check_duplicates(
    duplicates: list[dict[str, Any]], dataset: Path, articles: Path, truth: synth.GroundTruth
) -> dict[str, Any]:
    """Recall of the planted re-issues and exact copies; reported duplicates not planted."""
    from datasets import load_from_disk

    dd = load_from_disk(str(dataset))
    source_of, row_of = _index(dd, duplicates, articles)
    planted, found = _Groups(), _Groups()
    for p in truth.planted:
        planted.union(p.file, p.of)
    edges = []  # (duplicate file, file it duplicates, report row)
    for d in duplicates:
        of = source_of.get(d["duplicate_of"])
        edges.append((_below(d["source"], articles), of and _below(of, articles), d))
    for a, b, _ in edges:
        if b is not None:
            found.union(a, b)
    out: dict[str, Any] = {"reported_near": 0, "reported_exact": 0}
    for _a, _b, d in edges:
        out[f"reported_{d['kind']}"] += 1
    for kind in ("near", "exact"):
        items = [p for p in truth.planted if p.kind == kind]
        hit = [p for p in items if found.find(p.file) == found.find(p.of)]
        out[f"planted_{kind}"] = len(items)
        out[f"found_{kind}"] = len(hit)
        out[f"recall_{kind}"] = round(len(hit) / len(items), 4) if items else None
    kinds = {a: d["kind"] for a, _b, d in edges}
    out["exact_reported_as_near"] = sum(
        kinds.get(p.file) == "near" for p in truth.planted if p.kind == "exact"
    )
    near = [p for p in truth.planted if p.kind == "near"]
    out["recall_near_by_jaccard"] = _recall_by_bucket(near, found)
    out.update(_misses([p for p in near if found.find(p.file) != found.find(p.of)], dd, row_of))
    false = [(a, b, d) for a, b, d in edges if b is None or planted.find(a) != planted.find(b)]
    out["false_duplicates"] = len(false)
    out["false_examples"] = [
        {
            "file": a,
            "of": b,
            "kind": d["kind"],
            "estimated": d["similarity"],
            "jaccard": _true_jaccard(articles, a, b),
        }
        for a, b, d in false[:20]
    ]
    return out


def _below(source: str, articles: Path) -> str:
    """A row's ``source`` (the input root's name, then the path below it) as the path below
    ``articles``, the name the ground truth uses."""
    root, _, below = source.partition("/")
    if root != articles.name or not below:
        raise ValueError(f"source {source!r} is not under the input root {articles.name!r}")
    return below


def _index(dd, duplicates: list[dict[str, Any]], articles: Path):
    """Document id -> source path, and kept file (relative) -> (split, row)."""
    source_of: dict[str, str] = {}
    row_of: dict[str, tuple[str, int]] = {}
    for name, split in dd.items():
        cols = split.select_columns(["id", "source"]).to_dict()
        source_of.update(zip(cols["id"], cols["source"], strict=True))
        for i, src in enumerate(cols["source"]):
            row_of[_below(src, articles)] = (name, i)
    for d in duplicates:
        source_of.setdefault(d["id"], d["source"])
    return source_of, row_of


def _misses(missed: list, dd, row_of) -> dict[str, Any]:
    """Missed re-issues with the MinHash estimate of each pair.

    A miss whose estimate reaches the threshold was never a candidate pair (the LSH banding
    did not put the two documents in one bucket); below it, the verification rejected it.
    """
    from goldwire.corpus.dedup import MinHashConfig

    threshold = MinHashConfig().threshold
    rows = [
        {
            "file": p.file,
            "of": p.of,
            "edit": p.edit,
            "jaccard": p.jaccard,
            "estimated": _estimate(dd, row_of, p.file, p.of),
        }
        for p in missed
    ]
    banding = sum(r["estimated"] is not None and r["estimated"] >= threshold for r in rows)
    return {"missed_near": rows, "missed_near_estimate_at_or_above_threshold": banding}


def _recall_by_bucket(near: list, found: _Groups) -> dict[str, Any]:
    edges = (0.85, 0.9, 0.95, 1.0001)
    out: dict[str, Any] = {}
    for lo, hi in zip((0.0, *edges[:-1]), edges, strict=True):
        items = [p for p in near if lo <= p.jaccard < hi]
        if items:
            hit = sum(found.find(p.file) == found.find(p.of) for p in items)
            out[f"[{lo:.2f},{min(hi, 1.0):.2f})"] = {
                "planted": len(items),
                "found": hit,
                "recall": round(hit / len(items), 4),
            }
    return out


def _estimate(dd, row_of: dict[str, tuple[str, int]], a: str, b: str) -> float | None:
    """The MinHash estimate goldwire's verification step sees for two kept documents."""
    if a not in row_of or b not in row_of:
        return None
    from goldwire.corpus.dedup import MinHashConfig, signature

    config = MinHashConfig()
    sa, sb = (signature(dd[row_of[x][0]][row_of[x][1]]["text"], config) for x in (a, b))
    return round(float((sa == sb).mean()), 4)


def _true_jaccard(articles: Path, a: str, b: str | None) -> float | None:
    if b is None:
        return None
    text_a, text_b = ((articles / x).read_text(encoding="utf-8") for x in (a, b))
    return round(synth.jaccard(text_a, text_b), 4)


# --------------------------------------------------------------------------- parent


def run_child(kind: str, corpus: Path, work: Path, args, workers: int = 1, profile=None):
    """One measured run in a fresh interpreter; returns its figures (or the error)."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        kind,
        "--articles",
        str(corpus / "articles"),
        "--work",
        str(work),
        "--truth",
        str(corpus / "truth.json"),
        "--workers",
        str(workers),
        "--format",
        args.format,
    ]
    if profile is not None:
        cmd += ["--profile", str(profile)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return {"kind": kind, "workers": workers, "error": f"timed out after {args.timeout} s"}
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-15:]
        return {"kind": kind, "workers": workers, "error": "\n".join(tail)}
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res.update(kind=kind, workers=workers)
    res["docs_per_s"] = round(res["docs"] / res["seconds"], 1)
    if res.get("cpu_seconds"):
        res["docs_per_cpu_s"] = round(res["docs"] / res["cpu_seconds"], 1)
    return res


def _warm(articles: Path) -> None:
    """Read every file once so that every run starts with the files in the page cache."""
    for dirpath, _dirs, files in os.walk(articles):
        for name in files:
            with open(os.path.join(dirpath, name), "rb") as fh:
                fh.read()


def measure(args) -> list[dict[str, Any]]:
    runs = []
    for n in args.sizes:
        corpus = args.data_dir / f"synth-{n}"
        started = time.perf_counter()
        truth = synth.ensure(n, corpus, seed=args.seed)
        _log(
            f"N={n}: corpus {corpus} ready in {time.perf_counter() - started:.1f} s "
            f"({sum(p.kind == 'near' for p in truth.planted)} re-issues, "
            f"{sum(p.kind == 'exact' for p in truth.planted)} exact copies)"
        )
        _warm(corpus / "articles")
        plan = [("floor", 1)] + [("build", w) for w in args.workers]
        for kind, w in plan:
            profile = None
            if args.profile and kind == "build":
                profile = args.data_dir / f"profile-{n}-w{w}.pstats"
            work = args.data_dir / "runs" / f"{kind}-{n}-w{w}"
            res = run_child(kind, corpus, work, args, w, profile)
            res["n"] = n
            runs.append(res)
            _log(_one_line(res))
            if profile is not None and "error" not in res:
                res["profile"] = str(profile)
                print_profile(profile, args.profile_top)
    return runs


def _one_line(res: dict[str, Any]) -> str:
    what = f"N={res['n']} {res['kind']} w={res['workers']}"
    if "error" in res:
        return f"{what}: FAILED\n{res['error']}"
    return (
        f"{what}: {res['docs_per_s']:.0f} docs/s ({res['seconds']:.1f} s), "
        f"peak RSS {res['peak_rss_mib']:.0f} MiB"
    )


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- summary


def summarize(runs: list[dict[str, Any]], sizes: list[int]) -> dict[str, Any]:
    """Ratios to the floor, growth per document and goal verdicts."""
    ok = [r for r in runs if "error" not in r]
    floor = {r["n"]: r["docs_per_s"] for r in ok if r["kind"] == "floor"}
    for r in ok:
        r["x_floor"] = round(r["docs_per_s"] / floor[r["n"]], 3) if r["n"] in floor else None
    lo, hi = min(sizes), max(sizes)
    growth: dict[str, float | None] = {}
    anon_growth: dict[str, float | None] = {}
    for r in ok:
        if r["n"] != hi or hi == lo:
            continue
        key = (r["kind"], r["workers"])
        small = [s for s in ok if s["n"] == lo and (s["kind"], s["workers"]) == key]
        if not small:
            continue
        kib = (r["peak_rss_mib"] - small[0]["peak_rss_mib"]) * _MIB / (hi - lo)
        r["growth_kib_per_doc"] = round(kib, 3)
        growth[f"{r['kind']} w={r['workers']}"] = r["growth_kib_per_doc"]
        if r.get("rss_anon_peak_mib") and small[0].get("rss_anon_peak_mib"):
            kib = (r["rss_anon_peak_mib"] - small[0]["rss_anon_peak_mib"]) * _MIB / (hi - lo)
            r["anon_growth_kib_per_doc"] = round(kib, 3)
            anon_growth[f"{r['kind']} w={r['workers']}"] = r["anon_growth_kib_per_doc"]
    builds = [r for r in ok if r["kind"] == "build"]
    at_hi = [r for r in builds if r["n"] == hi]
    goals = {
        "throughput": _verdict(
            f">= {GOAL_DOCS_PER_S:.0f} docs/s with near-duplicate detection (best worker count)",
            {n: max((r["docs_per_s"] for r in builds if r["n"] == n), default=None) for n in sizes},
            lambda v: v >= GOAL_DOCS_PER_S,
        ),
        "peak_memory": _verdict(
            f"peak RSS < {GOAL_PEAK_MIB:.0f} MiB at N={GOAL_AT}"
            + ("" if hi == GOAL_AT else f" (measured at N={hi})"),
            {f"w={r['workers']}": r["peak_rss_mib"] for r in at_hi},
            lambda v: v < GOAL_PEAK_MIB,
        ),
        "peak_memory_tree": _verdict(
            f"sampled PSS of the build and its workers < {GOAL_PEAK_MIB:.0f} MiB at N={hi}",
            {f"w={r['workers']}": r.get("tree_pss_peak_mib") for r in at_hi},
            lambda v: v < GOAL_PEAK_MIB,
        ),
        "growth": _verdict(
            f"peak RSS grows <= {GOAL_GROWTH_KIB} KiB per document between N={lo} and N={hi}",
            {k: v for k, v in growth.items() if k.startswith("build")},
            lambda v: v <= GOAL_GROWTH_KIB,
        ),
        "growth_anon": _verdict(
            f"(diagnostic) anonymous RSS grows <= {GOAL_GROWTH_KIB} KiB per document, "
            "file pages of memory-mapped Arrow files left out",
            {k: v for k, v in anon_growth.items() if k.startswith("build")},
            lambda v: v <= GOAL_GROWTH_KIB,
        ),
    }
    return {
        "floor_docs_per_s": floor,
        "growth_kib_per_doc": growth,
        "anon_growth_kib_per_doc": anon_growth,
        "goals": goals,
    }


def _verdict(goal: str, values: dict, test) -> dict[str, Any]:
    values = {str(k): v for k, v in values.items() if v is not None}
    holds = all(test(v) for v in values.values()) if values else None
    return {"goal": goal, "values": values, "holds": holds}


def print_table(runs: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    head = (
        f"{'N':>7}  {'run':<9}  {'docs/s':>7}  {'x floor':>7}  {'seconds':>7}  "
        f"{'RSS MiB':>7}  {'KiB/doc':>7}  {'anon':>5}  {'KiB/doc':>7}  {'wkr MiB':>7}  "
        f"{'PSS MiB':>7}  {'cores':>5}  {'others':>6}  {'docs/CPU-s':>10}"
    )
    print(
        "\ncorpus build: throughput and peak memory. RSS: the build process's ru_maxrss "
        "(counts mapped Arrow file pages); anon: its sampled peak anonymous RSS;\n"
        "KiB/doc: growth of the column to its left between the smallest and largest N; "
        "wkr: largest worker's ru_maxrss; PSS: sampled peak of the whole process tree;\n"
        "cores: CPU the run used per second; others: CPU other processes used meanwhile "
        "(figures are unreliable when it is high);\n"
        "docs/CPU-s: documents per CPU-second of the run and its workers (robust to other load)"
    )
    print(head)
    print("-" * len(head))
    for r in runs:
        name = "floor" if r["kind"] == "floor" else f"build w={r['workers']}"
        if "error" in r:
            print(f"{r['n']:>7}  {name:<9}  FAILED: {r['error'].splitlines()[-1]}")
            continue
        print(
            f"{r['n']:>7}  {name:<9}  {r['docs_per_s']:>7.0f}  {_fmt(r.get('x_floor'), 2):>7}  "
            f"{r['seconds']:>7.1f}  {r['peak_rss_mib']:>7.0f}  "
            f"{_fmt(r.get('growth_kib_per_doc'), 2):>7}  "
            f"{_fmt(r.get('rss_anon_peak_mib'), 0):>5}  "
            f"{_fmt(r.get('anon_growth_kib_per_doc'), 2):>7}  "
            f"{_fmt(r.get('workers_peak_rss_mib'), 0):>7}  "
            f"{_fmt(r.get('tree_pss_peak_mib'), 0):>7}  {_fmt(r.get('cores_used'), 2):>5}  "
            f"{_fmt(r.get('cores_used_by_others'), 2):>6}  {_fmt(r.get('docs_per_cpu_s'), 0):>10}"
        )
    print("\ngoals:")
    for g in summary["goals"].values():
        mark = {True: "HOLDS", False: "FAILS", None: "n/a"}[g["holds"]]
        vals = ", ".join(f"{k}: {v:g}" for k, v in g["values"].items()) or "not measured"
        print(f"  [{mark:>5}] {g['goal']}: {vals}")
    print_dedup(runs)


def print_dedup(runs: list[dict[str, Any]]) -> None:
    rows = [r for r in runs if r.get("dedup")]
    if not rows:
        return
    print("\nplanted duplicates found by the build (recall) and duplicates not planted (false):")
    print(
        f"{'N':>7}  {'run':<9}  {'re-issues':>13}  {'recall':>6}  {'exact':>9}  "
        f"{'false':>5}  {'reported near/exact':>19}"
    )
    for r in rows:
        d = r["dedup"]
        print(
            f"{r['n']:>7}  {'build w=' + str(r['workers']):<9}  "
            f"{d['found_near']:>6}/{d['planted_near']:<6}  {_fmt(d['recall_near'], 4):>6}  "
            f"{d['found_exact']:>4}/{d['planted_exact']:<4}  {d['false_duplicates']:>5}  "
            f"{d['reported_near']:>10}/{d['reported_exact']:<8}"
        )
        buckets = ", ".join(
            f"J{k} {v['found']}/{v['planted']}" for k, v in d["recall_near_by_jaccard"].items()
        )
        print(
            f"           re-issues by Jaccard: {buckets}; misses whose MinHash estimate "
            f"reaches the threshold (never banded together): "
            f"{d['missed_near_estimate_at_or_above_threshold']}/{len(d['missed_near'])}"
        )
        for m in d["missed_near"][:5]:
            print(
                f"           missed: {m['file']} ({m['edit']} of {m['of']}, "
                f"Jaccard {m['jaccard']}, MinHash estimate {m['estimated']})"
            )
        for f in d["false_examples"][:5]:
            print(
                f"           false: {f['file']} as {f['kind']} of {f['of']} "
                f"(estimated {f['estimated']}, Jaccard {f['jaccard']})"
            )


def _fmt(v, digits: int) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def print_profile(path: Path, top: int) -> None:
    import pstats

    for key in ("tottime", "cumulative"):
        print(f"\ncProfile {path.name}, top {top} by {key}:")
        pstats.Stats(str(path), stream=sys.stdout).sort_stats(key).print_stats(top)


def environment() -> dict[str, Any]:
    def git(*cmd: str) -> str:
        try:
            return subprocess.run(["git", *cmd], cwd=ROOT, capture_output=True, text=True).stdout
        except OSError:
            return ""

    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "commit": git("rev-parse", "HEAD").strip(),
        "corpus_changes": git("status", "--porcelain", "--", "corpus").splitlines(),
        "synth": {"seed": synth.SEED, "generator_version": synth.GENERATOR_VERSION},
    }


def parse_args(argv: list[str] | None):
    parser = argparse.ArgumentParser(
        description="Corpus-build benchmark: docs/s and peak memory of build_corpus vs a floor."
    )
    ints = lambda s: [int(x) for x in s.split(",") if x]  # noqa: E731
    parser.add_argument("--sizes", type=ints, default=[10_000, 100_000], help="e.g. 10000,100000")
    parser.add_argument("--workers", type=ints, default=[1, 2], help="e.g. 1,2")
    parser.add_argument("--quick", action="store_true", help=f"N={QUICK_SIZE} only (< 1 min)")
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=HERE / "out",
        help="where synthetic corpora are cached (default: bench/out)",
    )
    parser.add_argument("--seed", type=int, default=synth.SEED)
    parser.add_argument("--format", default="auto", help="the build's --format (default auto)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run each build under cProfile and print the hot spots",
    )
    parser.add_argument("--profile-top", type=int, default=30)
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    parser.add_argument("--keep", action="store_true", help="keep the datasets written")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = [QUICK_SIZE]
    args.sizes = sorted(set(args.sizes))
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child_main(argv[1:])
    args = parse_args(argv)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    runs = measure(args)
    summary = summarize(runs, args.sizes)
    print_table(runs, summary)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "environment": environment(),
            "args": _jsonable(vars(args)),
            "runs": runs,
            **summary,
        }
        args.json.write_text(json.dumps(data, indent=2) + "\n")
        print(f"\nfigures: {args.json}")
    return 1 if any("error" in r for r in runs) else 0


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Path) else v for k, v in d.items()}


if __name__ == "__main__":
    sys.exit(main())
