"""``goldwire evaluate`` commands: exit codes, exact error lines, files they write."""

from __future__ import annotations

import json
import re

import pytest
from evalgen import docs_from_units, run_nervaluate

from goldwire.schema import write_jsonl

GOLD = [
    [(0, 4, "PER"), (6, 10, "ORG"), (12, 15, "LOC")],
    [(1, 5, "ORG"), (8, 9, "PER")],
    [(0, 3, "LOC")],
]
PRED_A = [[(0, 4, "PER"), (6, 10, "LOC"), (12, 14, "LOC")], [(1, 5, "ORG")], [(0, 3, "LOC")]]
PRED_B = [[(0, 4, "PER")], [(1, 6, "PER"), (8, 9, "PER")], []]


def _write_run(path, gold_units, pred_units, keep=None):
    _, preds = docs_from_units(gold_units, pred_units)
    with path.open("w", encoding="utf-8") as f:
        for i, d in enumerate(preds.docs):
            if keep is None or i in keep:
                row = {
                    "id": d.id,
                    "text_sha256": d.text_sha256,
                    "entities": [
                        {"start": e.start, "end": e.end, "label": e.label} for e in d.entities
                    ],
                }
                f.write(json.dumps(row) + "\n")
    return path


@pytest.fixture()
def files(tmp_path):
    gold, _ = docs_from_units(GOLD, PRED_A)
    write_jsonl(gold.docs, tmp_path / "gold.jsonl")
    return {
        "gold": tmp_path / "gold.jsonl",
        "a": _write_run(tmp_path / "a.jsonl", GOLD, PRED_A),
        "b": _write_run(tmp_path / "b.jsonl", GOLD, PRED_B, keep={0, 1}),
        "dir": tmp_path,
    }


def test_score_prints_tables_and_writes_json_with_nervaluates_numbers(cli, files):
    out = files["dir"] / "out" / "results.json"
    result = cli(
        "evaluate",
        "score",
        "--gold",
        files["gold"],
        "--pred",
        files["a"],
        "--json",
        out,
        "--bootstrap",
        "200",
    )
    assert result.exit_code == 0, result.output
    assert "Entities (SemEval-2013 schemas, as nervaluate)" in result.stdout
    assert re.search(r"3 documents, 0 without a prediction", result.stdout)
    data = json.loads(out.read_text(encoding="utf-8"))
    ref = run_nervaluate(GOLD, PRED_A)
    for scheme, name in (
        ("strict", "strict"),
        ("exact", "exact"),
        ("partial", "partial"),
        ("type", "ent_type"),
    ):
        section = data["sections"][f"entities.{scheme}"]
        assert section["micro"]["f1"]["value"] == ref["overall"][name].f1
        low, high = section["micro"]["f1"]["ci"]
        assert low <= section["micro"]["f1"]["value"] <= high
    assert data["bootstrap"] == {
        "resamples": 200,
        "seed": 0,
        "confidence": 0.95,
        "unit": "document",
        "method": "percentile",
    }


def test_score_counts_gold_documents_without_prediction(cli, files):
    result = cli(
        "evaluate", "score", "--gold", files["gold"], "--pred", files["b"], "--bootstrap", "0"
    )
    assert result.exit_code == 0, result.output
    assert "3 documents, 1 without a prediction (scored as predicting nothing)" in result.stdout


def test_unknown_document_is_one_error_line_and_lenient_skips_it(cli, files):
    bad = files["dir"] / "bad.jsonl"
    bad.write_text(files["a"].read_text() + '{"id": "zz", "text": "x"}\n', encoding="utf-8")
    result = cli("evaluate", "score", "--gold", files["gold"], "--pred", bad)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {bad}:4: document zz is not in the gold ({files['gold']}); predictions must "
        "use the gold document ids (wrong --split?)\n"
    )
    lenient = cli(
        "evaluate", "score", "--gold", files["gold"], "--pred", bad, "--lenient", "--bootstrap", "0"
    )
    assert lenient.exit_code == 0
    assert f"skipped: {bad}:4: document zz is not in the gold" in lenient.stdout


def test_missing_prediction_file_and_alias_file(cli, files):
    missing = files["dir"] / "none.jsonl"
    result = cli("evaluate", "score", "--gold", files["gold"], "--pred", missing)
    assert result.exit_code == 1
    assert result.stderr == f"error: {missing}: no such file; give the predictions file to score\n"
    result = cli(
        "evaluate",
        "score",
        "--gold",
        files["gold"],
        "--pred",
        files["a"],
        "--alias",
        files["dir"] / "aliases.tsv",
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: {files['dir'] / 'aliases.tsv'}: cannot read the alias table"
    )


def test_usage_errors_exit_with_2(cli, files):
    result = cli(
        "evaluate",
        "score",
        "--gold",
        files["gold"],
        "--pred",
        files["a"],
        "--opinion-labels",
        "SUPPORT",
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --opinion-labels needs two labels separated by a comma, got 'SUPPORT'\n"
    )
    result = cli(
        "evaluate", "compare", files["a"], files["b"], "--gold", files["gold"], "--bootstrap", "0"
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "error: compare needs bootstrap resamples; use --bootstrap 1000 (or more)\n"
    )
    assert (
        cli(
            "evaluate", "score", "--gold", files["gold"], "--pred", files["a"], "--bootstrap", "-1"
        ).exit_code
        == 2
    )


def test_score_conll_by_extension(cli, tmp_path):
    gold = tmp_path / "g.conll"
    pred = tmp_path / "p.conll"
    gold.write_text(
        "EU B-ORG\nrejects O\nGerman B-MISC\n\nPeter B-PER\nBlackburn I-PER\n", encoding="utf-8"
    )
    pred.write_text(
        "EU B-ORG\nrejects O\nGerman B-LOC\n\nPeter B-PER\nBlackburn O\n", encoding="utf-8"
    )
    result = cli("evaluate", "score", "--gold", gold, "--pred", pred, "--json", tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    assert "CoNLL, conlleval (seqeval default mode)" in result.stdout
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["sections"]["conll.conlleval"]["micro"]["f1"]["value"] == pytest.approx(1 / 3)
    assert data["documents"]["unit"] == "sentence"


def test_compare_identical_runs_are_not_different(cli, files):
    out = files["dir"] / "cmp.json"
    result = cli(
        "evaluate",
        "compare",
        files["a"],
        files["a"],
        "--gold",
        files["gold"],
        "--bootstrap",
        "200",
        "--json",
        out,
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text(encoding="utf-8"))["figures"]
    assert figures["entities.strict"]["micro.f1"]["p_value"] == 1.0
    assert figures["entities.strict"]["micro.f1"]["delta"] == 0.0


def test_report_writes_markdown_html_and_json(cli, files):
    out = files["dir"] / "report"
    result = cli(
        "evaluate",
        "report",
        f"good={files['a']}",
        f"weak={files['b']}",
        "--gold",
        files["gold"],
        "--out",
        out,
        "--bootstrap",
        "200",
    )
    assert result.exit_code == 0, result.output
    assert "leaderboard" in result.stdout
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html
    assert not re.search(r"""(src|href)=["'](https?:|//|[^"'#d])""", html)  # self-contained
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "| 1 | good | best |" in md and "## Run: weak" in md
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert [row["run"] for row in data["leaderboard"]] == ["good", "weak"]
    assert data["leaderboard"][1]["vs_best"]["p_value"] is not None
    for img in re.findall(r"\]\((plots/[^)]+)\)", md):
        assert (out / img).is_file()


def test_report_refuses_two_runs_of_the_same_name(cli, files):
    result = cli(
        "evaluate",
        "report",
        f"x={files['a']}",
        f"x={files['b']}",
        "--gold",
        files["gold"],
        "--out",
        files["dir"] / "r",
        "--bootstrap",
        "0",
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "error: run names must differ, x is given twice; name runs as name=path\n"
    )
