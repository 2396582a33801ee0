"""bench/score.py runs end to end on a small corpus and every tool agrees on the figures."""

from __future__ import annotations

import json
import subprocess
import sys

from gwtest import REPO


def test_benchmark_runs_and_tools_agree(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "score.py"),
            "--docs",
            "120",
            "--json",
            str(out),
            "--process-runs",
            "1",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["sizes"]["documents"] == 120
    assert data["checks"] == {"same_f1_as_nervaluate": True, "same_f1_as_seqeval": True}
    assert set(data["runs"]) == {"goldwire", "goldwire-conll", "nervaluate", "seqeval"}
    for run in data["runs"].values():
        assert run["seconds"] > 0 and run["peak_rss_mb"] > 0
    assert "nervaluate_time_over_goldwire" in proc.stdout
    processes = data["processes"]
    assert processes["checks"] == {
        "goldwire-cli_same_f1_as_nervaluate-script": True,
        "goldwire-cli-conll_same_f1_as_seqeval-script": True,
    }
    assert set(processes["runs"]) == {
        "goldwire-cli", "nervaluate-script", "goldwire-cli-conll", "seqeval-script"
    }  # fmt: skip
    for run in processes["runs"].values():
        assert run["seconds"] > 0 and run["cpu_seconds"] > 0 and run["peak_rss_mb"] > 0
        assert len(run["all_seconds"]) == 1
    assert "goldwire_cli_time_over_nervaluate_script" in proc.stdout
