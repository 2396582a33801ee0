"""Benchmark: how long ``goldwire --help`` and ``goldwire evaluate score --help`` take.

Each command runs in a fresh process, ``--runs`` times interleaved with two references
measured in the same run: ``python -c pass`` (the interpreter alone) and
``python -c "import typer"`` (the CLI library alone). Printed: the median wall-clock time of
each, its ratio to both references, and the goal (under 0.3 s each, issue 15). Also printed:
the modules ``-X importtime`` counts as slowest for each help command (cumulative, top
``--top``), and whether pydantic, markdown_it, pygments or a stage's library modules were
imported at all.

The help is rendered as on a terminal of 100 columns: ``--tty`` runs each command under a
pseudo-terminal (the way a user sees it, rich panels), the default pipes its output (the way
scripts and tests see it).

Usage: python bench/startup.py [--runs 15] [--top 12] [--tty] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import statistics
import subprocess
import sys
import time

GOAL_SECONDS = 0.3
COMMANDS = {
    "goldwire --help": ["-m", "goldwire", "--help"],
    "goldwire evaluate score --help": ["-m", "goldwire", "evaluate", "score", "--help"],
}
REFERENCES = {
    "python -c pass": ["-c", "pass"],
    'python -c "import typer"': ["-c", "import typer"],
}
WATCHED = (
    "pydantic",
    "markdown_it",
    "pygments",
    "goldwire.corpus.cli",
    "goldwire.annotate.cli",
    "goldwire.evaluate.cli",
    "goldwire.evaluate.runs",
)


def _env() -> dict[str, str]:
    env = dict(os.environ, COLUMNS="100", LINES="40", TERM=os.environ.get("TERM", "xterm"))
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


def run_once(args: list[str], *, tty: bool, env: dict[str, str]) -> float:
    """Wall-clock seconds of one fresh process (output read and dropped)."""
    cmd = [sys.executable, *args]
    if not tty:
        start = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True)  # fmt: skip
        return time.perf_counter() - start
    main, child = pty.openpty()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdin=child, stdout=child, stderr=child)
    os.close(child)
    while True:
        try:
            if not os.read(main, 65536):
                break
        except OSError:  # EIO: the child closed the terminal
            break
    proc.wait()
    elapsed = time.perf_counter() - start
    os.close(main)
    if proc.returncode:
        raise SystemExit(f"{cmd} exited {proc.returncode}")
    return elapsed


def import_profile(args: list[str], env: dict[str, str], top: int) -> dict:
    """The slowest imports (cumulative microseconds) and which watched modules load."""
    proc = subprocess.run([sys.executable, "-X", "importtime", *args], env=env,
                          capture_output=True, text=True, check=True)  # fmt: skip
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        self_us, cum_us, name = line.removeprefix("import time:").split("|")
        rows.append((int(cum_us), int(self_us), name.strip()))
    names = {name for _, _, name in rows}
    top_rows = sorted(rows, reverse=True)[:top]
    return {
        "total_import_us": sum(s for _, s, _ in rows),
        "slowest": [{"module": n, "cumulative_us": c, "self_us": s} for c, s, n in top_rows],
        "imported": {w: any(n == w or n.startswith(w + ".") for n in names) for w in WATCHED},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--tty", action="store_true", help="run under a pseudo-terminal")
    parser.add_argument("--json", help="write the figures here")
    opts = parser.parse_args()
    env = _env()
    everything = {**REFERENCES, **COMMANDS}
    times: dict[str, list[float]] = {name: [] for name in everything}
    for args in everything.values():  # warm the file cache and the bytecode
        run_once(args, tty=opts.tty, env=env)
    for _ in range(opts.runs):
        for name, args in everything.items():
            times[name].append(run_once(args, tty=opts.tty, env=env))
    medians = {name: statistics.median(t) for name, t in times.items()}
    base, typer_ref = (medians[n] for n in REFERENCES)
    print(f"load average {os.getloadavg()}, {opts.runs} runs each, "
          f"{'pseudo-terminal' if opts.tty else 'piped output'}")  # fmt: skip
    print(f"{'command':34} {'median s':>9} {'min s':>7} {'x pass':>7} {'x typer':>8}  goal")
    for name, med in medians.items():
        goal = ""
        if name in COMMANDS:
            goal = f"< {GOAL_SECONDS} s: {'met' if med < GOAL_SECONDS else 'NOT met'}"
        print(f"{name:34} {med:9.3f} {min(times[name]):7.3f} {med / base:7.1f} "
              f"{med / typer_ref:8.2f}  {goal}")  # fmt: skip
    profiles = {name: import_profile(args, env, opts.top) for name, args in COMMANDS.items()}
    for name, prof in profiles.items():
        print(f"\n{name}: imports {prof['total_import_us'] / 1000:.0f} ms (-X importtime)")
        for row in prof["slowest"]:
            print(f"  {row['cumulative_us'] / 1000:7.1f} ms  {row['module']}")
        loaded = [w for w, yes in prof["imported"].items() if yes]
        print(f"  imported of {', '.join(WATCHED)}: {', '.join(loaded) or 'none'}")
    if opts.json:
        with open(opts.json, "w", encoding="utf-8") as fh:
            figures = {"load": os.getloadavg(), "runs": opts.runs, "tty": opts.tty}
            figures |= {"seconds": times, "medians": medians, "imports": profiles}
            json.dump(figures, fh, indent=1)


if __name__ == "__main__":
    main()
