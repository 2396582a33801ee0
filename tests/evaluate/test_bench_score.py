"""bench/score.py runs end to end on a small corpus and every tool agrees on the figures."""

from __future__ import annotations

import json
import subprocess
import sys

from gwtest import REPO


def test_benchmark_runs_and_tools_agree(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "score.py"), "--docs", "120", "--json", str(out)],
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
