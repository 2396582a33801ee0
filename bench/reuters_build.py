"""Reuters-21578 in full: one ``goldwire corpus build`` command, and the duplicates it finds.

The whole collection (the folder: 22 ``reut2-*.sgm`` files, plus ``README.txt`` and
``lewis.dtd``, which the build rejects as files) is built with the real command, in its own
process, at each worker count::

    python -m goldwire corpus build DATA --format reuters --out DIR --workers N --fresh

run under a small wrapper process (this script with ``--child``) that samples memory and reports
the peak. Per run: wall time of the command (interpreter start and imports included) and the
build's own time from ``build_report.json``, stories/s for both, peak RSS (``ru_maxrss`` of the
largest process of the command: the CLI or one of its workers), the sampled peak of the CLI
process and of its largest worker (``VmHWM``), the sampled peak PSS of the whole process tree,
and whether the progress bar was drawn to the end (rich is told the stderr is a terminal).

Then, from the dataset written and its ``build_report.json`` (the first run's; the other runs
must have made the same decisions), the stories are re-read with goldwire's Reuters reader to
name every duplicate by its NEWID, and it reports:

* documents seen / kept / exact / near / rejected (by reason, file-level rejections apart);
* **exact-duplicate clusters** (one text, several stories), **near-duplicate clusters**
  (several texts joined by near-duplicate decisions) and all clusters (a kept document and all
  its duplicates), with size distributions and examples (NEWIDs, titles, the reported MinHash
  similarity, the true word-5-gram Jaccard, the first differing line);
* **the straddle check**: every duplicate's split must equal the split of the document it
  duplicates, and every cluster must lie in one goldwire split; the script exits 1 if not;
* for information, clusters that straddle the collection's own ``LEWISSPLIT`` (TRAIN / TEST /
  NOT-USED), and those with members on both sides of the ModApte split (``LEWISSPLIT`` TRAIN
  or TEST with ``TOPICS="YES"``): test stories whose text, or nearly, is also in training.

Exit status: 0 when every run succeeded, the counts reconcile, the runs agree and no cluster
straddles goldwire's splits; 1 otherwise; 2 when the data are missing.

    python bench/reuters_build.py        # ../shared/data/reuters21578; 1 and 2 workers, 3 runs each
    python bench/reuters_build.py --workers 2 --repeat 1 --json bench/out/reuters_build.json
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "reuters21578"
sys.path.insert(0, str(HERE))

from corpus_build import CpuShare, TreeMemory, _Groups, _warm, environment  # noqa: E402

from goldwire.memory import process_tree, status_kib  # noqa: E402

_MIB = 1024.0  # /proc and ru_maxrss figures are KiB on Linux
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_WORD = re.compile(r"\w+")


# --------------------------------------------------------------------------- child: one run


class ProcessPeaks(TreeMemory):
    """TreeMemory (tree PSS peaks) plus each descendant process's ``VmHWM`` (peak RSS), KiB."""

    def __init__(self, interval: float = 0.1) -> None:
        super().__init__(interval)
        self.hwm: dict[int, int] = {}

    def sample(self) -> None:
        super().sample()
        for pid in process_tree(os.getpid())[1:]:
            kib = status_kib("VmHWM", pid)
            if kib:
                self.hwm[pid] = max(self.hwm.get(pid, 0), kib)


def child_main(argv: list[str]) -> int:
    """``--child WORK -- CMD...``: run CMD, print its figures as one JSON line."""
    work, cmd = Path(argv[0]), argv[argv.index("--") + 1 :]
    env = dict(os.environ, TTY_COMPATIBLE="1", TTY_INTERACTIVE="1", COLUMNS="100")
    sampler = ProcessPeaks()
    sampler.start()
    cpu = CpuShare()
    started = time.perf_counter()
    with open(work / "cli.stdout", "wb") as out, open(work / "cli.stderr", "wb") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=work, env=env)
        returncode = proc.wait()
    seconds = time.perf_counter() - started
    res: dict[str, Any] = {"returncode": returncode, "wall_seconds": round(seconds, 3)}
    res.update(cpu.stop())
    res.update(sampler.stop())
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    res["peak_rss_mib"] = round(kids / _MIB, 1)
    cli = sampler.hwm.get(proc.pid)
    workers = [v for pid, v in sampler.hwm.items() if pid != proc.pid]
    res["cli_hwm_mib"] = round(cli / _MIB, 1) if cli else None
    res["workers_hwm_mib"] = round(max(workers) / _MIB, 1) if workers else None
    res["worker_processes"] = len(workers)
    print(json.dumps(res))
    return 0


# --------------------------------------------------------------------------- parent: runs


def build_command(data: Path, out: Path, work: Path, workers: int, args) -> list[str]:
    cmd = [sys.executable, "-m", "goldwire", "corpus", "build", str(data)]
    cmd += ["--format", "reuters", "--out", str(out), "--name", "reuters21578"]
    cmd += ["--card-dir", str(work / "cards"), "--workers", str(workers), "--fresh"]
    if args.near_dup_threshold is not None:
        cmd += ["--near-dup-threshold", str(args.near_dup_threshold)]
    return cmd


def run_once(data: Path, work: Path, workers: int, args) -> dict[str, Any]:
    """One measured build in a fresh wrapper process; figures, or the error."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    out = work / "dataset"
    cmd = build_command(data, out, work, workers, args)
    wrapper = [sys.executable, str(Path(__file__).resolve()), "--child", str(work), "--", *cmd]
    res: dict[str, Any] = {"workers": workers, "command": " ".join(cmd[1:]), "dataset": str(out)}
    try:
        proc = subprocess.run(wrapper, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return {**res, "error": f"timed out after {args.timeout} s"}
    if proc.returncode != 0:
        return {**res, "error": proc.stderr.strip()[-2000:]}
    res.update(json.loads(proc.stdout.strip().splitlines()[-1]))
    stderr = (work / "cli.stderr").read_text(encoding="utf-8", errors="replace")
    if res["returncode"] != 0:
        return {**res, "error": stderr.strip()[-2000:]}
    report = json.loads((out / "build_report.json").read_text(encoding="utf-8"))
    seen = report["documents"]["seen"]
    res.update(
        stories_seen=seen,
        build_seconds=report["seconds"],
        stories_per_s=round(seen / res["wall_seconds"], 1),
        build_stories_per_s=report["docs_per_second"],
        stories_per_cpu_s=round(seen / res["cpu_seconds"], 1) if res["cpu_seconds"] else None,
        progress=progress_bar(stderr),
        decisions=decisions_digest(out, report),
        reconciles=report["reconciles"],
    )
    return res


def progress_bar(stderr: str) -> dict[str, Any]:
    """The frames of the progress bar in the command's stderr: how many, and the last count."""
    frames = [f for f in _ANSI.sub("", stderr).replace("\r", "\n").split("\n") if "reading" in f]
    counts = [m.groups() for f in frames if (m := re.search(r"(\d+)/(\d+)", f))]
    last = counts[-1] if counts else None
    return {
        "frames": len(frames),
        "last": "/".join(last) if last else None,
        "completed": bool(last) and last[0] == last[1],
    }


def decisions_digest(out: Path, report: dict[str, Any]) -> str:
    """A hash of every decision: the manifest and the duplicates (same for every worker count)."""
    h = hashlib.sha256((out / "manifest.jsonl").read_bytes())
    for d in report["duplicates"]:
        h.update(json.dumps([d["id"], d["kind"], d["duplicate_of"], d["split"]]).encode())
    return h.hexdigest()[:16]


def measure(args) -> list[dict[str, Any]]:
    _warm(args.data)
    runs = []
    for rep in range(args.repeat):
        for w in args.workers:
            res = run_once(args.data, args.out_dir / f"w{w}-{rep + 1}", w, args)
            res["repeat"] = rep + 1
            runs.append(res)
            _log(_one_line(res))
    return runs


def _one_line(r: dict[str, Any]) -> str:
    what = f"workers={r['workers']} run {r['repeat']}"
    if "error" in r:
        return f"{what}: FAILED\n{r['error']}"
    return (
        f"{what}: {r['stories_seen']:,} stories in {r['wall_seconds']:.1f} s "
        f"({r['stories_per_s']:.0f}/s), peak RSS {r['peak_rss_mib']:.0f} MiB"
    )


def summarize_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per worker count: median times, highest peaks (over the repeats)."""
    out: dict[str, Any] = {}
    for w in sorted({r["workers"] for r in runs}):
        ok = [r for r in runs if r["workers"] == w and "error" not in r]
        if not ok:
            out[str(w)] = None
            continue

        def med(key: str, rows=ok) -> float:
            return round(statistics.median(r[key] for r in rows), 3)

        def top(key: str, rows=ok) -> float | None:
            vals = [r[key] for r in rows if r.get(key) is not None]
            return max(vals) if vals else None

        out[str(w)] = {
            "runs": len(ok),
            "stories": ok[0]["stories_seen"],
            "wall_seconds": med("wall_seconds"),
            "stories_per_s": round(ok[0]["stories_seen"] / med("wall_seconds"), 1),
            "best_wall_seconds": min(r["wall_seconds"] for r in ok),
            "best_stories_per_s": max(r["stories_per_s"] for r in ok),
            "stories_per_cpu_s": med("stories_per_cpu_s"),
            "build_seconds": med("build_seconds"),
            "build_stories_per_s": round(ok[0]["stories_seen"] / med("build_seconds"), 1),
            "peak_rss_mib": top("peak_rss_mib"),
            "cli_hwm_mib": top("cli_hwm_mib"),
            "workers_hwm_mib": top("workers_hwm_mib"),
            "tree_pss_peak_mib": top("tree_pss_peak_mib"),
            "cores_used": med("cores_used"),
            "cores_used_by_others": top("cores_used_by_others"),
        }
    return out


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- stories


@dataclass
class Story:
    """One story with a body as goldwire's reader lays it out, named by its SGML attributes."""

    file: str
    newid: str
    lewissplit: str
    topics_attr: str  # TOPICS="YES|NO|BYPASS" (ModApte uses YES)
    date: str
    topics: str
    title: str
    text: str
    id: str

    @property
    def modapte(self) -> str | None:
        if self.topics_attr != "YES":
            return None
        return {"TRAIN": "train", "TEST": "test"}.get(self.lewissplit)


def read_stories(files: list[Path]) -> list[Story]:
    """Every document the build saw, in input order, re-read with goldwire's Reuters reader."""
    from goldwire.corpus.normalize import normalize_text
    from goldwire.corpus.readers.base import ReadOptions
    from goldwire.corpus.readers.reuters import ReutersReader, stories
    from goldwire.schema import Document, document_id

    reader = ReutersReader()
    out: list[Story] = []
    for path in files:
        text = normalize_text(path.read_bytes().decode(reader.encoding or "utf-8"))
        attrs = {a.get("newid", ""): a for a, _ in stories(text)}
        for doc in reader.read(path, text, ReadOptions()):
            if not isinstance(doc, Document):
                continue
            m = doc.meta
            out.append(
                Story(
                    file=path.name,
                    newid=m["newid"],
                    lewissplit=m["lewissplit"],
                    topics_attr=attrs.get(m["newid"], {}).get("topics", ""),
                    date=doc.published_raw or "",
                    topics=m["topics"],
                    title=doc.title,
                    text=doc.text,
                    id=document_id(doc.text),
                )
            )
    return out


def kept_documents(dataset: Path) -> dict[str, dict[str, str]]:
    """id -> {split, text} of every document written."""
    from goldwire.corpus.dataset import load_corpus

    dd, _labels, _meta = load_corpus(dataset)
    kept: dict[str, dict[str, str]] = {}
    for split, ds in dd.items():
        cols = ds.select_columns(["id", "text"]).to_dict()
        for doc_id, text in zip(cols["id"], cols["text"], strict=True):
            kept[doc_id] = {"split": split, "text": text}
    return kept


# --------------------------------------------------------------------------- clusters


@dataclass
class Cluster:
    """A kept document and all its duplicates (exact copies and near duplicates)."""

    ids: list[str]  # distinct texts, kept first
    kept: list[str]
    stories: list[Story]
    splits: list[str]  # goldwire split of every story (kept ones from the dataset)

    @property
    def near(self) -> bool:
        return len(self.ids) > 1


def clusters(report, kept, stories: list[Story]) -> list[Cluster]:
    by_id: dict[str, list[Story]] = defaultdict(list)
    for s in stories:
        by_id[s.id].append(s)
    uf = _Groups()  # union-find over ids
    for d in report["duplicates"]:
        uf.union(d["id"], d["duplicate_of"])
    groups: dict[str, list[str]] = defaultdict(list)
    for doc_id in list(uf.parent):
        groups[uf.find(doc_id)].append(doc_id)
    dup_split: dict[str, list[str]] = defaultdict(list)
    for d in report["duplicates"]:
        dup_split[d["id"]].append(d["split"])
    order = {s.id: k for k, s in reversed(list(enumerate(stories)))}
    out = []
    for ids in groups.values():
        ids.sort(key=lambda i: (i not in kept, order.get(i, len(order))))
        splits = [kept[i]["split"] for i in ids if i in kept]
        splits += [s for i in ids for s in dup_split[i]]
        members = sorted((s for i in ids for s in by_id[i]), key=lambda s: int(s.newid))
        out.append(Cluster(ids, [i for i in ids if i in kept], members, splits))
    return sorted(out, key=lambda c: (-len(c.stories), int(c.stories[0].newid)))


def split_checks(report, kept, cls: list[Cluster]) -> dict[str, Any]:
    """Every duplicate's split against the split of the document it duplicates."""
    near_of = {d["id"]: d for d in report["duplicates"] if d["kind"] == "near"}

    def split_of(doc_id: str) -> str | None:
        if doc_id in kept:
            return kept[doc_id]["split"]
        d = near_of.get(doc_id)  # an exact copy of a near duplicate
        return None if d is None else d["split"]

    wrong = [
        {**d, "split_of_duplicated": split_of(d["duplicate_of"])}
        for d in report["duplicates"]
        if d["split"] != split_of(d["duplicate_of"])
    ]
    straddling = [c for c in cls if len(set(c.splits)) > 1]
    bad_kept = [c for c in cls if len(c.kept) != 1]
    written_dups = [d for d in report["duplicates"] if d["kind"] == "near" and d["id"] in kept]
    return {
        "duplicates_checked": len(report["duplicates"]),
        "duplicates_in_another_split": len(wrong),
        "duplicates_in_another_split_examples": wrong[:10],
        "clusters_straddling_splits": len(straddling),
        "clusters_straddling_examples": [_cluster_json(c) for c in straddling[:10]],
        "clusters_without_exactly_one_kept": len(bad_kept),
        "near_duplicates_written_to_dataset": len(written_dups),
        "ok": not (wrong or straddling or bad_kept or written_dups),
    }


def lewis_checks(cls: list[Cluster]) -> dict[str, Any]:
    """Clusters across the collection's own LEWISSPLIT, and across ModApte train/test."""
    across = [c for c in cls if len({s.lewissplit for s in c.stories}) > 1]
    combos = Counter("+".join(sorted({s.lewissplit for s in c.stories})) for c in across)
    modapte = [c for c in cls if {"train", "test"} <= {s.modapte for s in c.stories}]
    leaked = [s for c in modapte for s in c.stories if s.modapte == "test"]
    return {
        "clusters_straddling_lewissplit": len(across),
        "by_lewissplit_values": dict(combos.most_common()),
        "stories_in_straddling_clusters": sum(len(c.stories) for c in across),
        "modapte_train_test_clusters": len(modapte),
        "modapte_exact_only_clusters": sum(not c.near for c in modapte),
        "modapte_test_stories_with_a_train_copy": len(leaked),
        "modapte_test_stories": None,  # filled by the caller
        "modapte_examples": [_cluster_json(c) for c in modapte[:20]],
        "straddling_examples": [_cluster_json(c) for c in across[:20]],
    }


def cluster_counts(report, cls: list[Cluster]) -> dict[str, Any]:
    exact_groups = Counter()
    for c in cls:
        for n in Counter(s.id for s in c.stories).values():
            if n > 1:
                exact_groups[n] += 1
    near = [c for c in cls if c.near]
    return {
        "clusters": len(cls),
        "clusters_by_size": _sizes(Counter(len(c.stories) for c in cls)),
        "exact_clusters": sum(exact_groups.values()),
        "exact_clusters_by_size": _sizes(exact_groups),
        "near_clusters": len(near),
        "near_clusters_by_texts": _sizes(Counter(len(c.ids) for c in near)),
        "near_clusters_by_stories": _sizes(Counter(len(c.stories) for c in near)),
        "near_clusters_with_exact_copies": sum(len(c.stories) > len(c.ids) for c in near),
        "near_clusters_in_report": report["near_duplicate_clusters"],
        "clusters_with_differing_topics": sum(
            len({frozenset(s.topics.split(",")) for s in c.stories}) > 1 for c in cls
        ),
        "exact_clusters_with_differing_topics": sum(
            len({frozenset(s.topics.split(",")) for s in g}) > 1
            for c in cls
            for g in _by_text(c.stories)
            if len(g) > 1
        ),
        "stories_in_clusters": sum(len(c.stories) for c in cls),
    }


def _by_text(stories: list[Story]) -> list[list[Story]]:
    groups: dict[str, list[Story]] = defaultdict(list)
    for s in stories:
        groups[s.id].append(s)
    return list(groups.values())


def _sizes(counter: Counter) -> dict[str, int]:
    return {str(k): counter[k] for k in sorted(counter)}


def _cluster_json(c: Cluster) -> dict[str, Any]:
    return {
        "ids": c.ids,
        "splits": sorted(set(c.splits)),
        "stories": [
            {
                "newid": s.newid,
                "lewissplit": s.lewissplit,
                "topics_attr": s.topics_attr,
                "modapte": s.modapte,
                "id": s.id,
            }
            for s in c.stories
        ],
        "title": c.stories[0].title,
    }


# --------------------------------------------------------------------------- examples


def jaccard(a: str, b: str, n: int = 5) -> float:
    """True Jaccard similarity of the lower-cased word n-gram sets (what MinHash estimates)."""

    def grams(text: str) -> set[tuple[str, ...]]:
        words = _WORD.findall(text.lower())
        return {tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1))}

    sa, sb = grams(a), grams(b)
    return len(sa & sb) / len(sa | sb) if sa | sb else 1.0


def first_difference(a: str, b: str, width: int = 60) -> dict[str, Any]:
    """Where two texts first differ, line-wise: line number, both versions around the change."""
    la, lb = a.split("\n"), b.split("\n")
    ops = [op for op in difflib.SequenceMatcher(None, la, lb, autojunk=False).get_opcodes()]
    changed = [op for op in ops if op[0] != "equal"]
    if not changed:
        return {"line": None, "changed_lines": 0, "kept": "", "duplicate": ""}
    _tag, i1, i2, j1, j2 = changed[0]
    x, y = (la[i1] if i1 < i2 else ""), (lb[j1] if j1 < j2 else "")
    p = len(os.path.commonprefix([x, y]))
    start = max(0, p - width // 3)

    def clip(s: str) -> str:
        return (
            ("..." if start else "")
            + s[start : start + width]
            + ("..." if len(s) > start + width else "")
        )

    return {
        "line": i1 + 1,
        "changed_lines": sum(max(i2 - i1, j2 - j1) for _t, i1, i2, j1, j2 in changed),
        "lines": [len(la), len(lb)],
        "kept": clip(x) if x else "(no line)",
        "duplicate": clip(y) if y else "(no line)",
    }


def _differs_in(stories: list[Story]) -> list[str]:
    """SGML fields (not the text) that differ between copies."""
    out = []
    for name in ("date", "topics", "lewissplit", "topics_attr"):
        values = sorted({getattr(s, name) for s in stories})
        if len(values) > 1:
            out.append(f"{name}: {' | '.join(v or '(empty)' for v in values)}")
    return out


def exact_examples(cls: list[Cluster], n: int) -> list[dict[str, Any]]:
    groups = [(c, g) for c in cls for g in _by_text(c.stories) if len(g) > 1]
    groups.sort(key=lambda cg: (-len(cg[1]), int(cg[1][0].newid)))
    return [
        {
            "id": g[0].id,
            "newids": [s.newid for s in g],
            "lewissplit": [s.lewissplit for s in g],
            "files": sorted({s.file for s in g}),
            "title": g[0].title,
            "split": sorted(set(c.splits)),
            "identical_text": len({s.text for s in g}) == 1,
            "differs_in": _differs_in(g),
        }
        for c, g in _spread(groups, n)
    ]


def near_examples(
    report, stories: list[Story], threshold: float, n: int
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Examples across the similarity range, and the true Jaccard of every near pair."""
    first = {}
    for s in stories:
        first.setdefault(s.id, s)
    rows = []
    for d in report["duplicates"]:
        if d["kind"] != "near":
            continue
        dup, of = first[d["id"]], first[d["duplicate_of"]]
        rows.append((d, dup, of, jaccard(of.text, dup.text)))
    rows.sort(key=lambda r: (r[0]["similarity"] is None, r[0]["similarity"] or 0, r[3]))
    true = [r[3] for r in rows]
    stats = {
        "pairs": len(rows),
        "similarity_none": sum(r[0]["similarity"] is None for r in rows),
        "similarity_below_threshold": sum(
            r[0]["similarity"] is not None and r[0]["similarity"] < threshold for r in rows
        ),
        "true_jaccard_min": round(min(true), 4) if true else None,
        "true_jaccard_median": round(statistics.median(true), 4) if true else None,
        "true_jaccard_below_threshold": sum(j < threshold for j in true),
    }
    examples = [
        {
            "newids": [of.newid, dup.newid],
            "lewissplit": [of.lewissplit, dup.lewissplit],
            "titles": [of.title, dup.title],
            "split": d["split"],
            "similarity": d["similarity"],
            "true_jaccard": round(j, 4),
            "difference": first_difference(of.text, dup.text),
        }
        for d, dup, of, j in _spread(rows, n)
    ]
    return examples, stats


def _spread(items: list, n: int) -> list:
    """n items evenly spaced over a sorted list (first and last included)."""
    if len(items) <= n:
        return items
    if n <= 1:
        return items[:n]
    return [items[round(i * (len(items) - 1) / (n - 1))] for i in range(n)]


def _threshold(dataset: Path) -> float:
    meta = json.loads((dataset / "goldwire.json").read_text(encoding="utf-8"))
    return meta["build"]["near_duplicates"]["threshold"]


# --------------------------------------------------------------------------- analysis


def analyse(dataset: Path, examples: int) -> dict[str, Any]:
    report = json.loads((dataset / "build_report.json").read_text(encoding="utf-8"))
    stories = read_stories([Path(p) for p in report["files"]["reader_by_file"]])
    kept = kept_documents(dataset)
    cls = clusters(report, kept, stories)
    threshold = _threshold(dataset)
    near, near_stats = near_examples(report, stories, threshold, examples)
    lewis = lewis_checks(cls)
    lewis["modapte_test_stories"] = sum(s.modapte == "test" for s in stories)
    lewis["modapte_train_stories"] = sum(s.modapte == "train" for s in stories)
    return {
        "documents": report["documents"],
        "files": {k: report["files"][k] for k in ("found", "read", "rejected")},
        "rejections": rejection_counts(report, {s.file for s in stories}),
        "splits": report["splits"],
        "threshold": threshold,
        "reread": {
            "stories": len(stories),
            "kept_ids_found": sum(i in kept for i in {s.id for s in stories}),
            "kept_ids": len(kept),
            "kept_text_matches": all(kept[s.id]["text"] == s.text for s in stories if s.id in kept),
        },
        "counts": cluster_counts(report, cls),
        "near_pairs": near_stats,
        "goldwire_splits": split_checks(report, kept, cls),
        "lewissplit": lewis,
        "exact_examples": exact_examples(cls, examples),
        "near_examples": near,
        "largest_clusters": [_cluster_json(c) for c in cls[:examples]],
        "warnings": report["warnings"],
    }


def rejection_counts(report, read_files: set[str]) -> dict[str, Any]:
    """Rejections by reason: of documents in files read, and of files rejected whole.

    A file that yields no document is rejected whole; the rejections of its items are listed
    in the report (and in its ``rejections_by_reason``) but are not rejected documents.
    """
    docs: Counter = Counter()
    files: dict[str, Counter] = defaultdict(Counter)
    for r in report["rejections"]:
        name = Path(r["source"]).name
        if name in read_files:
            docs[r["reason"]] += 1
        else:
            files[name][r["reason"]] += 1
    return {
        "documents_by_reason": dict(docs),
        "documents": sum(docs.values()),
        "files_rejected": {k: dict(v) for k, v in files.items()},
        "report_by_reason": report["rejections_by_reason"],
    }


# --------------------------------------------------------------------------- printing


def print_runs(runs: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    print(
        "\nReuters-21578, whole collection, one `goldwire corpus build` command per run.\n"
        "wall: the command (interpreter start included); build: build_corpus's own time; "
        "RSS: ru_maxrss of the largest process (CLI or worker);\n"
        "CLI / worker: sampled VmHWM of the CLI process and of its largest worker; "
        "PSS: sampled peak of the whole process tree;\n"
        "cores: CPU the command used per second; others: CPU other processes used meanwhile "
        "(times are unreliable when it is high); /CPU-s: stories per CPU-second of the command "
        "(robust to other load);\nbar: progress bar frames, last count"
    )
    head = (
        f"{'workers':>7}  {'run':>3}  {'wall s':>6}  {'stories/s':>9}  {'build s':>7}  "
        f"{'build/s':>7}  {'RSS MiB':>7}  {'CLI MiB':>7}  {'wkr MiB':>7}  {'PSS MiB':>7}  "
        f"{'cores':>5}  {'others':>6}  {'/CPU-s':>6}  bar"
    )
    print(head)
    print("-" * len(head))
    for r in runs:
        if "error" in r:
            print(f"{r['workers']:>7}  {r['repeat']:>3}  FAILED: {r['error'].splitlines()[-1]}")
            continue
        bar = r["progress"]
        print(
            f"{r['workers']:>7}  {r['repeat']:>3}  {r['wall_seconds']:>6.2f}  "
            f"{r['stories_per_s']:>9.0f}  {r['build_seconds']:>7.2f}  "
            f"{r['build_stories_per_s']:>7.0f}  {r['peak_rss_mib']:>7.0f}  "
            f"{_fmt(r['cli_hwm_mib'])}  {_fmt(r['workers_hwm_mib'])}  "
            f"{_fmt(r.get('tree_pss_peak_mib'))}  {r['cores_used']:>5.2f}  "
            f"{_fmt(r.get('cores_used_by_others'), 6, 2)}  {_fmt(r['stories_per_cpu_s'], 6)}  "
            f"{bar['frames']} ({bar['last']})"
        )
    print("\nmedian over the runs (peaks: highest):")
    for w, s in summary.items():
        if s is None:
            print(f"  workers={w}: every run failed")
            continue
        print(
            f"  workers={w}: {s['stories']:,} stories, {s['wall_seconds']:.2f} s "
            f"({s['stories_per_s']:.0f} stories/s; fastest run {s['best_stories_per_s']:.0f}/s; "
            f"build alone {s['build_seconds']:.2f} s, {s['build_stories_per_s']:.0f}/s; "
            f"{s['stories_per_cpu_s']:.0f}/CPU-s), peak RSS {s['peak_rss_mib']:.0f} MiB, "
            f"tree PSS {_fmt(s['tree_pss_peak_mib'], 0)} MiB"
        )


def _fmt(v, width: int = 7, digits: int = 0) -> str:
    return f"{'-':>{width}}" if v is None else f"{v:>{width}.{digits}f}"


def print_analysis(a: dict[str, Any]) -> None:
    d, f, rej = a["documents"], a["files"], a["rejections"]
    print(
        f"\nfiles: {f['found']} found, {f['read']} read, {f['rejected']} rejected "
        f"{rej['files_rejected']}"
    )
    print(
        f"stories: {d['seen']:,} seen = {d['kept']:,} kept + {d['exact_duplicates']} exact + "
        f"{d['near_duplicates']} near + {d['rejected']:,} rejected "
        f"{rej['documents_by_reason']}; splits {a['splits']}"
    )
    c = a["counts"]
    print(
        f"\nclusters (a kept document and its duplicates): {c['clusters']} holding "
        f"{c['stories_in_clusters']} stories; by size {c['clusters_by_size']}\n"
        f"  exact-duplicate clusters (one text, several stories): {c['exact_clusters']}; "
        f"by size {c['exact_clusters_by_size']}\n"
        f"  near-duplicate clusters (several texts): {c['near_clusters']} "
        f"(report: {c['near_clusters_in_report']}); by texts {c['near_clusters_by_texts']}, "
        f"{c['near_clusters_with_exact_copies']} also with exact copies\n"
        f"  clusters whose stories carry different TOPICS categories: "
        f"{c['clusters_with_differing_topics']} ({c['exact_clusters_with_differing_topics']} "
        "of them between exact copies); the build keeps the first story's"
    )
    n = a["near_pairs"]
    print(
        f"  near pairs: {n['pairs']}; reported similarity missing {n['similarity_none']}, "
        f"below the threshold {a['threshold']} {n['similarity_below_threshold']}; true word "
        f"5-gram Jaccard min {n['true_jaccard_min']}, median {n['true_jaccard_median']}, "
        f"below the threshold {n['true_jaccard_below_threshold']}"
    )
    print_examples(a)
    print_checks(a)


def print_examples(a: dict[str, Any]) -> None:
    print("\nexact-duplicate examples:")
    for e in a["exact_examples"]:
        differs = "; ".join(e["differs_in"]) or "nothing else"
        print(
            f"  NEWID {', '.join(e['newids'])} ({', '.join(e['lewissplit'])}) "
            f"{e['title'][:60]!r}: identical text {e['identical_text']}; SGML differs in: "
            f"{differs}"
        )
    print("\nnear-duplicate examples (kept -> duplicate):")
    for e in a["near_examples"]:
        diff = e["difference"]
        print(
            f"  NEWID {e['newids'][0]} -> {e['newids'][1]} ({' -> '.join(e['lewissplit'])}), "
            f"similarity {e['similarity']}, true Jaccard {e['true_jaccard']}, "
            f"{diff['changed_lines']} of {diff.get('lines')} lines differ"
        )
        print(f"    titles: {e['titles'][0]!r} / {e['titles'][1]!r}")
        print(
            f"    line {diff['line']}: {diff['kept']!r}\n    {'':>{len(str(diff['line'])) + 5}} "
            f"{diff['duplicate']!r}"
        )


def print_checks(a: dict[str, Any]) -> None:
    g, lw = a["goldwire_splits"], a["lewissplit"]
    verdict = "PASS" if g["ok"] else "FAIL"
    print(
        f"\n[{verdict}] goldwire splits: {g['duplicates_checked']} duplicates checked, "
        f"{g['duplicates_in_another_split']} in another split than the document they "
        f"duplicate; {g['clusters_straddling_splits']} clusters straddle splits; "
        f"{g['clusters_without_exactly_one_kept']} clusters without exactly one kept document"
    )
    print(
        f"[info] LEWISSPLIT: {lw['clusters_straddling_lewissplit']} clusters straddle it "
        f"{lw['by_lewissplit_values']}; ModApte: {lw['modapte_train_test_clusters']} clusters "
        f"have train and test stories ({lw['modapte_exact_only_clusters']} exact only); "
        f"{lw['modapte_test_stories_with_a_train_copy']} of {lw['modapte_test_stories']} "
        f"ModApte test stories with a body have a copy or near copy in ModApte train"
    )
    for e in lw["straddling_examples"]:
        members = ", ".join(
            f"{s['newid']} ({s['lewissplit']}, TOPICS={s['topics_attr']})" for s in e["stories"]
        )
        kind = "near" if len(e["ids"]) > 1 else "exact"
        print(f"  {kind}: NEWID {members} {e['title'][:50]!r}")
    r = a["reread"]
    print(
        f"[info] re-read: {r['stories']} stories, {r['kept_ids_found']}/{r['kept_ids']} kept "
        f"ids found, kept texts identical: {r['kept_text_matches']}"
    )


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ints = lambda s: [int(x) for x in s.split(",") if x]  # noqa: E731
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the reuters21578 folder")
    parser.add_argument("--workers", type=ints, default=[1, 2], help="e.g. 1,2")
    parser.add_argument("--repeat", type=int, default=3, help="runs per worker count")
    parser.add_argument("--examples", type=int, default=5, help="examples of each kind")
    parser.add_argument("--near-dup-threshold", type=float, help="passed to the build")
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=HERE / "out" / "reuters_build",
        help="where the runs write (default: bench/out/reuters_build)",
    )
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per run")
    parser.add_argument("--keep", action="store_true", help="keep the datasets written")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child_main(argv[1:])
    args = parse_args(argv)
    args.data = args.data.resolve()
    args.out_dir = args.out_dir.resolve()
    if not any(args.data.glob("reut2-*.sgm")):
        print(f"no reut2-*.sgm files in {args.data}", file=sys.stderr)
        return 2
    runs = measure(args)
    summary = summarize_runs(runs)
    print_runs(runs, summary)
    ok = [r for r in runs if "error" not in r]
    analysis = analyse(Path(ok[0]["dataset"]), args.examples) if ok else None
    if analysis is not None:
        print_analysis(analysis)
    digests = sorted({r["decisions"] for r in ok})
    problems = problems_found(runs, analysis, digests)
    print(f"\nruns agree on every decision: {len(digests) == 1} ({', '.join(digests)})")
    for p in problems:
        print(f"PROBLEM: {p}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "environment": _environment(),
            "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "runs": runs,
            "summary": summary,
            "runs_agree": len(digests) == 1,
            "analysis": analysis,
            "problems": problems,
        }
        args.json.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")
        print(f"figures: {args.json}")
    if not args.keep:
        shutil.rmtree(args.out_dir, ignore_errors=True)
    return 1 if problems else 0


def problems_found(runs, analysis, digests: list[str]) -> list[str]:
    out = [f"workers={r['workers']} run {r['repeat']} failed" for r in runs if "error" in r]
    out += [
        f"workers={r['workers']} run {r['repeat']}: counts do not reconcile"
        for r in runs
        if "error" not in r and not r["reconciles"]
    ]
    if len(digests) > 1:
        out.append("runs made different duplicate or split decisions")
    if analysis is not None and not analysis["goldwire_splits"]["ok"]:
        out.append("a duplicate cluster straddles goldwire's splits")
    return out


def _environment() -> dict[str, Any]:
    import goldwire

    env = environment()
    env.pop("synth", None)
    env["goldwire_imported_from"] = str(Path(goldwire.__file__).resolve().parent)
    return env


if __name__ == "__main__":
    sys.exit(main())
