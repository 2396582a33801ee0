"""Benchmark: goldwire's scorer against nervaluate and seqeval on the same generated data.

Generates documents (default 20,000 with about 300,000 gold entities over 4 labels) and
predictions with boundary shifts, label swaps, misses and spurious entities (fixed seed),
writes each tool's native input beforehand, then times each tool in its own fresh process:

* ``goldwire``: all four SemEval-2013 schemas, per label, stances/analysis, 1,000-resample
  bootstrap, on goldwire documents (``score_documents``);
* ``goldwire-conll``: the CoNLL path on the same tags (conlleval, strict IOB2, four schemas,
  1,000-resample bootstrap; ``score_conll``);
* ``nervaluate``: ``Evaluator(true, pred, tags, loader="dict").evaluate()``;
* ``seqeval``: ``classification_report(y_true, y_pred)`` (default, conlleval mode).

Reading the input is not timed in those rows. The whole-process rows time what a user waits
for, start-up and reading included, each the median of ``--process-runs`` (3) runs taken in
turns: ``goldwire evaluate score --json`` on the JSONL files (``goldwire-cli``) against a
nervaluate script that loads the same files with :mod:`json` and runs ``Evaluator``
(``nervaluate-script``), and the same command on the CoNLL files (``goldwire-cli-conll``)
against a seqeval script that reads them and prints ``classification_report``
(``seqeval-script``); each process's peak resident set comes from ``wait4`` in a small
launcher process (a child of the benchmark itself would carry its peak across fork/exec).

Memory in the in-process rows: the child's peak resident set (``VmHWM`` of its own address
space; ``ru_maxrss`` can carry the parent's peak across fork/exec on Linux) and the peak
reached while scoring, above the loaded input (reset through ``/proc/self/clear_refs``; both
read with :mod:`goldwire.memory`, the sampler the model runner uses). The figures of the
tools are compared, and the ratios printed against the goals: goldwire at most 1/5 of
nervaluate's time in process and as a whole command, at least 10x faster than seqeval's
report, peak memory no higher than nervaluate's.

Usage: python bench/score.py [--docs 20000] [--seed 0] [--json out.json] [--keep DIR]
       [--process-runs 3] [--process-tools goldwire-cli,nervaluate-script,...]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LABELS = ("LOC", "MISC", "ORG", "PER")
WORDS = (
    "the of to and in said on for that was with by at from its has would year "
    "government minister talks trade report security agreement market prices"
).split()
NAMES = (
    "Moscow Minsk Baku Kremlin Gazprom Lavrov Putin Brussels Reuters TASS Ankara Tbilisi "
    "Rosneft Aliyev Pashinyan Yerevan Astana Tokayev Lukashenko Kyiv"
).split()
GOALS = {"time_vs_nervaluate": 5.0, "time_vs_seqeval": 10.0}
PROCESS_TOOLS = ("goldwire-cli", "nervaluate-script", "goldwire-cli-conll", "seqeval-script")


# --------------------------------------------------------------------------- data


def generate(n_docs: int, seed: int):
    """Documents as (tokens, gold token spans, predicted token spans)."""
    rng = random.Random(seed)
    docs = []
    for _ in range(n_docs):
        tokens: list[str] = []
        gold: list[tuple[int, int, str]] = []
        for _ in range(rng.randint(11, 19)):  # about 15 entities per document
            tokens += [rng.choice(WORDS) for _ in range(rng.randint(1, 9))]
            n = rng.choice((1, 1, 2, 2, 3))
            gold.append((len(tokens), len(tokens) + n, rng.choice(LABELS)))
            tokens += [rng.choice(NAMES) for _ in range(n)]
        tokens += [rng.choice(WORDS) for _ in range(rng.randint(1, 6))]
        pred = []
        for a, b, label in gold:
            r = rng.random()
            if r < 0.08:  # missed
                continue
            if r < 0.14:  # label swap
                label = rng.choice([lab for lab in LABELS if lab != label])
            elif r < 0.22:  # boundary shift by one token
                if b - a > 1 and rng.random() < 0.5:
                    a, b = (a + 1, b) if rng.random() < 0.5 else (a, b - 1)
                else:
                    a, b = (a - 1, b) if rng.random() < 0.5 else (a, b + 1)
            pred.append((a, b, label))
        for _ in range(rng.randint(0, 2)):  # spurious
            a = rng.randrange(len(tokens))
            pred.append((a, a + 1, rng.choice(LABELS)))
        kept: list[tuple[int, int, str]] = []
        for span in sorted(set(pred)):  # well-formed: unique, non-overlapping
            if not kept or span[0] >= kept[-1][1]:
                kept.append(span)
        docs.append((tokens, gold, kept))
    return docs


def _offsets(tokens: list[str]) -> list[tuple[int, int]]:
    out, pos = [], 0
    for t in tokens:
        out.append((pos, pos + len(t)))
        pos += len(t) + 1
    return out


def _char_spans(offs: list[tuple[int, int]], spans) -> list[tuple[int, int, str]]:
    return [(offs[a][0], offs[b - 1][1], lab) for a, b, lab in spans]


def _tags(n: int, spans) -> list[str]:
    tags = ["O"] * n
    for a, b, label in spans:
        tags[a] = f"B-{label}"
        for i in range(a + 1, b):
            tags[i] = f"I-{label}"
    return tags


def write_inputs(docs, out: Path) -> dict[str, int]:
    """Each tool's native input, prepared before any timing."""
    from goldwire.provenance import ANNOTATED, Annotation
    from goldwire.schema import Document, Entity, text_sha256, write_jsonl

    gold_docs, pred_lines, nv_true, nv_pred, sq_true, sq_pred = [], [], [], [], [], []
    with (
        (out / "gold.conll").open("w", encoding="utf-8") as g_conll,
        (out / "pred.conll").open("w", encoding="utf-8") as p_conll,
    ):
        for i, (tokens, gold, pred) in enumerate(docs):
            text = " ".join(tokens)
            offs = _offsets(tokens)
            g_chars, p_chars = (_char_spans(offs, spans) for spans in (gold, pred))
            gold_docs.append(
                Document(
                    id=f"d{i}",
                    text=text,
                    entities=[
                        Entity(f"e{k}", s, e, lab, text[s:e])
                        for k, (s, e, lab) in enumerate(g_chars)
                    ],
                    annotation=Annotation.all(ANNOTATED),  # gold: every layer annotated
                )
            )
            pred_lines.append(
                json.dumps(
                    {
                        "id": f"d{i}",
                        "text_sha256": text_sha256(text),
                        "entities": [{"start": s, "end": e, "label": lab} for s, e, lab in p_chars],
                    }
                )
            )
            nv_true.append([{"label": lab, "start": s, "end": e - 1} for s, e, lab in g_chars])
            nv_pred.append([{"label": lab, "start": s, "end": e - 1} for s, e, lab in p_chars])
            g_tags, p_tags = _tags(len(tokens), gold), _tags(len(tokens), pred)
            sq_true.append(g_tags)
            sq_pred.append(p_tags)
            for f, tags in ((g_conll, g_tags), (p_conll, p_tags)):
                f.write("-DOCSTART- O\n\n")
                f.writelines(f"{t} {tag}\n" for t, tag in zip(tokens, tags, strict=True))
                f.write("\n")
    write_jsonl(gold_docs, out / "gold.jsonl")
    (out / "pred.jsonl").write_text("\n".join(pred_lines) + "\n", encoding="utf-8")
    with (out / "nervaluate.pkl").open("wb") as f:
        pickle.dump((nv_true, nv_pred), f, protocol=pickle.HIGHEST_PROTOCOL)
    with (out / "seqeval.pkl").open("wb") as f:
        pickle.dump((sq_true, sq_pred), f, protocol=pickle.HIGHEST_PROTOCOL)
    return {
        "documents": len(docs),
        "gold_entities": sum(len(d[1]) for d in docs),
        "predicted_entities": sum(len(d[2]) for d in docs),
        "tokens": sum(len(d[0]) for d in docs),
    }


# --------------------------------------------------------------------------- children


def _load(tool: str, data: Path):
    if tool == "goldwire":
        from goldwire.evaluate.inputs import load_gold, load_predictions
        from goldwire.evaluate.scoring import ScoreOptions

        gold = load_gold(data / "gold.jsonl")
        return gold, load_predictions(data / "pred.jsonl", gold), ScoreOptions(resamples=1000)
    if tool == "goldwire-conll":
        from goldwire.evaluate.conll import read_conll
        from goldwire.evaluate.scoring import ScoreOptions

        return (
            read_conll(data / "gold.conll"),
            read_conll(data / "pred.conll"),
            ScoreOptions(resamples=1000),
        )
    with (data / f"{tool}.pkl").open("rb") as f:
        return pickle.load(f)


def _run(tool: str, inputs):
    """Score; returns the figures used to check that the tools agree."""
    if tool == "goldwire":
        from goldwire.evaluate.scoring import score_documents

        result = score_documents(*inputs)
        return {
            s: result.sections[f"entities.{s}"].figures["micro.f1"].value
            for s in ("strict", "exact", "partial", "type")
        }
    if tool == "goldwire-conll":
        from goldwire.evaluate.scoring import score_conll

        result = score_conll(*inputs)
        return {"conlleval": result.sections["conll.conlleval"].figures["micro.f1"].value}
    if tool == "nervaluate":
        from nervaluate import Evaluator

        out = Evaluator(*inputs, tags=list(LABELS), loader="dict").evaluate()
        return {
            s: out["overall"][n].f1
            for s, n in (
                ("strict", "strict"),
                ("exact", "exact"),
                ("partial", "partial"),
                ("type", "ent_type"),
            )
        }
    from seqeval.metrics import classification_report

    out = classification_report(*inputs, output_dict=True)
    return {"conlleval": float(out["micro avg"]["f1-score"])}


def child(tool: str, data: Path) -> dict:
    from goldwire.memory import reset_peak, status_kib

    inputs = _load(tool, data)
    if tool.startswith("goldwire"):  # imports that belong to setup, not to scoring
        import numpy  # noqa: F401
    loaded_kb = status_kib("VmRSS")
    loading_peak_kb = status_kib("VmHWM")
    reset = reset_peak()
    start = time.perf_counter()
    figures = _run(tool, inputs)
    wall = time.perf_counter() - start
    hwm = status_kib("VmHWM")
    if hwm is None or loading_peak_kb is None:
        # ru_maxrss can carry the parent's peak across fork/exec on Linux: last resort only
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    else:
        peak_kb = max(hwm, loading_peak_kb)
    return {
        "tool": tool,
        "seconds": wall,
        "peak_rss_mb": peak_kb / 1024,
        "loaded_rss_mb": None if loaded_kb is None else loaded_kb / 1024,
        "scoring_peak_above_input_mb": None
        if not reset or hwm is None or loaded_kb is None
        else (hwm - loaded_kb) / 1024,
        "figures": figures,
    }


def run_child(tool: str, data: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", tool, "--data", str(data)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{tool} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- whole processes


def script_nervaluate(data: Path) -> dict:
    """What a nervaluate user runs: load both JSONL files, convert, ``Evaluator``."""
    from nervaluate import Evaluator

    def load(path: Path) -> dict[str, list[dict]]:
        out = {}
        with path.open(encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                out[d["id"]] = [
                    {"label": e["label"], "start": e["start"], "end": e["end"] - 1}
                    for e in d.get("entities") or []
                ]
        return out

    gold, pred = load(data / "gold.jsonl"), load(data / "pred.jsonl")
    tags = sorted({e["label"] for ents in gold.values() for e in ents})
    out = Evaluator(
        list(gold.values()), [pred.get(i, []) for i in gold], tags=tags, loader="dict"
    ).evaluate()
    names = (("strict", "strict"), ("exact", "exact"), ("partial", "partial"), ("type", "ent_type"))
    return {s: out["overall"][n].f1 for s, n in names}


def script_seqeval(data: Path) -> dict:
    """What a seqeval user runs: read both CoNLL files into tag lists, ``classification_report``."""
    from seqeval.metrics import classification_report

    def read(path: Path) -> list[list[str]]:
        sentences, tags = [], []
        for line in path.read_text(encoding="utf-8").splitlines():
            cols = line.split()
            if not cols or cols[0] == "-DOCSTART-":
                if tags:
                    sentences.append(tags)
                tags = []
                continue
            tags.append(cols[-1])
        if tags:
            sentences.append(tags)
        return sentences

    out = classification_report(
        read(data / "gold.conll"), read(data / "pred.conll"), output_dict=True
    )
    return {"conlleval": float(out["micro avg"]["f1-score"])}


GOLDWIRE = [sys.executable, "-m", "goldwire"]  # --goldwire: another install to measure


def process_command(tool: str, data: Path, out: Path) -> list[str]:
    if tool.startswith("goldwire-cli"):
        ext = "conll" if tool == "goldwire-cli-conll" else "jsonl"
        return [*GOLDWIRE, "evaluate", "score",
                "--gold", str(data / f"gold.{ext}"), "--pred", str(data / f"pred.{ext}"),
                "--json", str(out)]  # fmt: skip
    return [sys.executable, __file__, "--script", tool.split("-")[0], "--data", str(data)]


def launch(cmd: list[str]) -> dict:
    """Run ``cmd`` (in the launcher process): wall seconds, peak RSS from ``wait4``."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    stdout, stderr = proc.communicate()
    return {"seconds": wall, "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": usage.ru_maxrss / 1024, "returncode": proc.returncode,
            "stdout": stdout.decode(errors="replace")[-2000:],
            "stderr": stderr.decode(errors="replace")[-2000:]}  # fmt: skip


def run_process(tool: str, data: Path, out: Path) -> dict:
    launcher = subprocess.run(
        [sys.executable, __file__, "--launch", json.dumps(process_command(tool, data, out))],
        capture_output=True,
        text=True,
        check=False,
    )
    if launcher.returncode != 0:
        raise SystemExit(f"launcher for {tool} failed:\n{launcher.stderr}")
    run = json.loads(launcher.stdout.strip().splitlines()[-1])
    if run["returncode"] != 0:
        raise SystemExit(f"{tool} failed:\n{run['stderr']}")
    if tool.startswith("goldwire-cli"):
        sections = json.loads(out.read_text(encoding="utf-8"))["sections"]
        keys = {"conlleval": "conll.conlleval"} if tool.endswith("conll") else {
            s: f"entities.{s}" for s in ("strict", "exact", "partial", "type")}  # fmt: skip
        run["figures"] = {k: sections[n]["micro"]["f1"]["value"] for k, n in keys.items()}
    else:
        run["figures"] = json.loads(run["stdout"].strip().splitlines()[-1])
    return run


def run_processes(tools: list[str], data: Path, runs: int) -> dict[str, dict]:
    """Each tool ``runs`` times, in turns (so they share the machine's load); medians."""
    seen: dict[str, list[dict]] = {t: [] for t in tools}
    for _ in range(runs):
        for tool in tools:
            seen[tool].append(run_process(tool, data, data / f"{tool}.json"))
    return {
        tool: {
            "tool": tool,
            "seconds": statistics.median(r["seconds"] for r in rs),
            "all_seconds": [r["seconds"] for r in rs],
            "cpu_seconds": statistics.median(r["cpu_seconds"] for r in rs),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in rs),
            "figures": rs[-1]["figures"],
        }
        for tool, rs in seen.items()
    }


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="write the measurements here")
    ap.add_argument("--keep", type=Path, help="keep the generated inputs in this directory")
    ap.add_argument("--tools", default="goldwire,goldwire-conll,nervaluate,seqeval")
    ap.add_argument("--process-tools", default=",".join(PROCESS_TOOLS),
                    help="whole-process rows to run ('' for none)")  # fmt: skip
    ap.add_argument("--process-runs", type=int, default=3, help="runs per whole-process row")
    ap.add_argument("--goldwire", help="the command that runs goldwire in the whole-process "
                    "rows (default: this Python's `-m goldwire`)")  # fmt: skip
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--script", help=argparse.SUPPRESS)
    ap.add_argument("--launch", help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.data)))
        return 0
    if args.script:
        script = {"nervaluate": script_nervaluate, "seqeval": script_seqeval}[args.script]
        print(json.dumps(script(args.data)))
        return 0
    if args.launch:
        print(json.dumps(launch(json.loads(args.launch))))
        return 0

    with tempfile.TemporaryDirectory(prefix="gw-bench-") as tmp:
        data = args.keep or Path(tmp)
        data.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        sizes = write_inputs(generate(args.docs, args.seed), data)
        print(
            f"{sizes['documents']:,} documents, {sizes['gold_entities']:,} gold and "
            f"{sizes['predicted_entities']:,} predicted entities, {sizes['tokens']:,} tokens "
            f"(inputs written in {time.perf_counter() - t0:.1f} s, not timed)"
        )
        runs = {tool: run_child(tool, data) for tool in args.tools.split(",")}
        process_tools = [t for t in args.process_tools.split(",") if t]
        if args.goldwire:
            GOLDWIRE[:] = shlex.split(args.goldwire)
        processes = run_processes(process_tools, data, args.process_runs)
    report = summarise(runs, sizes)
    report["processes"] = summarise_processes(processes, args.process_runs)
    report["load_average"] = os.getloadavg()
    print(f"\nload average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


def summarise(runs: dict[str, dict], sizes: dict[str, int]) -> dict:
    print(
        f"\n{'tool':<16}{'time s':>10}{'peak RSS MB':>14}{'input MB':>11}"
        f"{'scoring peak above input MB':>30}"
    )
    for r in runs.values():
        above = r["scoring_peak_above_input_mb"]
        loaded = r["loaded_rss_mb"]
        print(
            f"{r['tool']:<16}{r['seconds']:>10.2f}{r['peak_rss_mb']:>14.1f}"
            f"{loaded if loaded is not None else float('nan'):>11.1f}"
            f"{above if above is not None else float('nan'):>30.1f}"
        )
    ratios, checks = {}, {}
    gw, nv, sq, gc = (runs.get(t) for t in ("goldwire", "nervaluate", "seqeval", "goldwire-conll"))
    if gw and nv:
        ratios["nervaluate_time_over_goldwire"] = nv["seconds"] / gw["seconds"]
        ratios["goldwire_peak_rss_over_nervaluate"] = gw["peak_rss_mb"] / nv["peak_rss_mb"]
        checks["same_f1_as_nervaluate"] = gw["figures"] == nv["figures"]
    if gw and sq:
        ratios["seqeval_time_over_goldwire"] = sq["seconds"] / gw["seconds"]
    if gc and sq:
        ratios["seqeval_time_over_goldwire_conll"] = sq["seconds"] / gc["seconds"]
        checks["same_f1_as_seqeval"] = gc["figures"] == sq["figures"]
    print()
    goals = {
        "nervaluate_time_over_goldwire": (GOALS["time_vs_nervaluate"], ">="),
        "seqeval_time_over_goldwire": (GOALS["time_vs_seqeval"], ">="),
        "seqeval_time_over_goldwire_conll": (GOALS["time_vs_seqeval"], ">="),
        "goldwire_peak_rss_over_nervaluate": (1.0, "<="),
    }
    met = {}
    for name, value in ratios.items():
        goal, op = goals[name]
        met[name] = value >= goal if op == ">=" else value <= goal
        print(f"{name:<36}{value:>8.2f}x   goal {op} {goal:g}: {'met' if met[name] else 'MISSED'}")
    for name, ok in checks.items():
        print(f"{name:<36}{'yes' if ok else 'NO':>8}")
    return {"sizes": sizes, "runs": runs, "ratios": ratios, "goals_met": met, "checks": checks}


PROCESS_PAIRS = {  # ratio name: (goldwire's row, the reference's row, goal, op)
    "goldwire_cli_time_over_nervaluate_script": ("goldwire-cli", "nervaluate-script", 0.2, "<="),
    "seqeval_script_time_over_goldwire_cli_conll": (
        "goldwire-cli-conll", "seqeval-script", 10.0, ">="),
}  # fmt: skip


def summarise_processes(runs: dict[str, dict], n: int) -> dict:
    """The whole-process rows, their ratios and whether the tools agree."""
    if not runs:
        return {}
    print(f"\nwhole process (median of {n}){'time s':>12}{'CPU s':>8}{'peak RSS MB':>14}   runs s")
    for r in runs.values():
        each = ", ".join(f"{x:.2f}" for x in r["all_seconds"])
        print(f"{r['tool']:<30}{r['seconds']:>10.2f}{r['cpu_seconds']:>8.2f}"
              f"{r['peak_rss_mb']:>14.1f}   {each}")  # fmt: skip
    ratios, met, checks = {}, {}, {}
    for name, (ours, ref, goal, op) in PROCESS_PAIRS.items():
        if ours not in runs or ref not in runs:
            continue
        a, b = runs[ours]["seconds"], runs[ref]["seconds"]
        ratios[name] = a / b if op == "<=" else b / a
        met[name] = ratios[name] <= goal if op == "<=" else ratios[name] >= goal
        mem = runs[ours]["peak_rss_mb"] / runs[ref]["peak_rss_mb"]
        ca, cb = runs[ours]["cpu_seconds"], runs[ref]["cpu_seconds"]
        ratios[f"{name}_cpu"] = ca / cb if op == "<=" else cb / ca
        ratios[f"{ours}_peak_rss_over_{ref}"] = mem
        checks[f"{ours}_same_f1_as_{ref}"] = runs[ours]["figures"] == runs[ref]["figures"]
        print(f"{name:<44}{ratios[name]:>8.2f}x   goal {op} {goal:g}: "
              f"{'met' if met[name] else 'MISSED'}   (CPU {ratios[f'{name}_cpu']:.2f}x, "
              f"peak RSS {mem:.2f}x)")  # fmt: skip
    for name, ok in checks.items():
        print(f"{name:<44}{'yes' if ok else 'NO':>8}")
    return {"runs": runs, "ratios": ratios, "goals_met": met, "checks": checks}


if __name__ == "__main__":
    sys.exit(main())
