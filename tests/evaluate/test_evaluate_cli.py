"""``goldwire evaluate`` commands: exit codes, exact error lines, files they write."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from evalgen import docs_from_units, random_units, run_nervaluate, unannotated

from goldwire.provenance import ANNOTATED, Annotation
from goldwire.schema import Document, write_jsonl

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


# --------------------------------------------------------------------------- gold on 5 of 30

LEFT_OUT = (
    "25 of 30 documents left out: no gold (annotation status none); --include-unannotated "
    "scores them as gold with no labels"
)


def _gold(folder: Path, docs: list[Document], kind: str) -> tuple[Path, dict[str, str]]:
    """The gold as a goldwire JSONL file or as a corpus built from it (its test split), and
    each text's document id there."""
    from goldwire.corpus.build import BuildConfig, build_corpus
    from goldwire.evaluate.inputs import load_gold

    folder.mkdir()
    for d in docs:
        d.meta["split"] = "test"
    path = folder / "gold.jsonl"
    write_jsonl(docs, path)
    if kind == "corpus":
        build_corpus(
            BuildConfig(inputs=(path,), out=folder / "corpus", format="jsonl", minhash=None)
        )
        path = folder / "corpus"
    built = load_gold(path, split="test", include_unannotated=True).docs
    assert len(built) == len(docs)
    return path, {d.text: d.id for d in built}


def _predictions(path: Path, preds: list[Document], ids: dict[str, str]) -> Path:
    rows = [
        {
            "id": ids[d.text],
            "text_sha256": d.text_sha256,
            "entities": [{"start": e.start, "end": e.end, "label": e.label} for e in d.entities],
        }
        for d in preds
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(params=["jsonl", "corpus"])
def five_of_thirty(request, tmp_path):
    gold_units, pred_units = random_units(30, seed=21)
    g, p = docs_from_units(gold_units, pred_units, distinct=True)
    docs = [d if i < 5 else unannotated(d) for i, d in enumerate(g.docs)]
    gold, ids = _gold(tmp_path / "gold", docs, request.param)
    forced = [dataclasses.replace(d, annotation=Annotation.all(ANNOTATED)) for d in docs]
    forced_gold, forced_ids = _gold(tmp_path / "forced", forced, request.param)
    assert forced_ids == ids
    return {
        "gold": gold,
        "forced": forced_gold,
        "pred": _predictions(tmp_path / "pred.jsonl", p.docs, ids),
        "units": (gold_units, pred_units),
        "dir": tmp_path,
    }


def _score_json(cli, gold, pred, out, *args):
    result = cli("evaluate", "score", "--gold", gold, "--pred", pred, "--json", out, *args)
    assert result.exit_code == 0, result.output
    return result, json.loads(out.read_text(encoding="utf-8"))


def test_default_scores_the_five_documents_with_gold_alone(cli, five_of_thirty):
    f = five_of_thirty
    result, data = _score_json(cli, f["gold"], f["pred"], f["dir"] / "r.json", "-b", "0")
    assert "5 documents, 0 without a prediction" in result.stdout
    assert f"  {LEFT_OUT}\n" in result.stdout
    assert "  predictions for 25 documents without gold not scored\n" in result.stdout
    gold_units, pred_units = f["units"]
    ref = run_nervaluate(gold_units[:5], pred_units[:5])
    for scheme, name in (("strict", "strict"), ("partial", "partial"), ("type", "ent_type")):
        micro = data["sections"][f"entities.{scheme}"]["micro"]
        assert micro["precision"]["value"] == ref["overall"][name].precision
        assert micro["f1"]["value"] == ref["overall"][name].f1
        assert micro["counts"]["spu"] == ref["overall"][name].spurious
    docs = data["documents"]
    assert (docs["gold"], docs["in_gold"], docs["left_out"]) == (5, 30, 25)
    assert docs["without_gold"]["statuses"] == {"none": 25}
    assert len(docs["without_gold"]["first_ids"]) == 20
    assert docs["layers"]["entities"]["scored"] == 5 and docs["notes"] == [LEFT_OUT]
    assert docs["predictions_without_gold"]["count"] == 25


def test_include_unannotated_gives_the_figures_of_all_thirty_as_gold(cli, five_of_thirty):
    f = five_of_thirty
    result, included = _score_json(
        cli, f["gold"], f["pred"], f["dir"] / "i.json", "-b", "100", "--include-unannotated"
    )
    _, forced = _score_json(cli, f["forced"], f["pred"], f["dir"] / "f.json", "-b", "100")
    assert included["sections"] == forced["sections"]
    assert included["analysis"] == forced["analysis"]
    assert "30 documents, 0 without a prediction" in result.stdout
    assert (
        "  25 of 30 documents have no gold (annotation status none); scored as gold with no "
        "labels (--include-unannotated)\n" in result.stdout
    )
    gold_units, pred_units = f["units"]
    ref = run_nervaluate(gold_units[:5] + [[]] * 25, pred_units)
    assert included["sections"]["entities.strict"]["micro"]["f1"]["value"] == (
        ref["overall"]["strict"].f1
    )


def test_compare_and_report_say_what_was_left_out(cli, five_of_thirty):
    f = five_of_thirty
    out = f["dir"] / "cmp.json"
    result = cli(
        "evaluate", "compare", f["pred"], f["pred"], "--gold", f["gold"], "-b", "50", "--json", out
    )
    assert result.exit_code == 0, result.output
    assert f"{LEFT_OUT}\n" in result.stdout
    assert "A: predictions for 25 documents without gold not scored\n" in result.stdout
    assert json.loads(out.read_text())["documents"]["a"]["left_out"] == 25
    result = cli(
        "evaluate", "report", f"x={f['pred']}", "--gold", f["gold"], "-o", f["dir"] / "r", "-b", "0"
    )
    assert result.exit_code == 0, result.output
    assert f"{LEFT_OUT}\n" in result.stdout
    md = (f["dir"] / "r" / "report.md").read_text(encoding="utf-8")
    assert md.startswith(f"# goldwire evaluation report\n\n**Caveat.** {LEFT_OUT}\n\n")
    assert "5 documents with gold scored of 30" in md
    assert "Not scored: predictions for 25 documents without gold not scored." in md
    data = json.loads((f["dir"] / "r" / "results.json").read_text(encoding="utf-8"))
    assert data["caveats"] == [LEFT_OUT]


def test_gold_without_any_gold_is_one_error_line(cli, tmp_path):
    path = tmp_path / "raw.jsonl"
    write_jsonl([Document(id=f"r{i}", text=f"Raw text {i}.") for i in range(3)], path)
    pred = tmp_path / "p.jsonl"
    pred.write_text('{"id": "r0", "text": "Raw text 0."}\n', encoding="utf-8")
    result = cli("evaluate", "score", "--gold", path, "--pred", pred)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {path}: none of its 3 documents has gold on any layer (annotation status "
        "none); attach gold with `goldwire corpus attach-gold`, or pass --include-unannotated "
        "to use them as gold with no labels\n"
    )
    result = cli("evaluate", "score", "--gold", path, "--pred", pred, "--include-unannotated")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("suffix", [".jsonl", ".conll"])
def test_empty_gold_and_prediction_files_score_zero_counts_with_a_note(cli, tmp_path, suffix):
    # nervaluate and seqeval report no counts for empty input; goldwire says so in one note
    gold, pred = tmp_path / f"gold{suffix}", tmp_path / f"pred{suffix}"
    gold.write_bytes(b"")
    pred.write_bytes(b"")
    out = tmp_path / "r.json"
    result = cli("evaluate", "score", "--gold", gold, "--pred", pred, "--json", out)
    assert result.exit_code == 0, result.output
    unit = "sentence" if suffix == ".conll" else "document"
    note = f"the gold holds no {unit}s: nothing was scored, every count is zero; check --gold"
    assert note in " ".join(result.stdout.split())
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["documents"]["gold"] == 0
    assert data["documents"]["notes"] == [note]
    for section in data["sections"].values():
        assert set(section["micro"]["counts"].values()) == {0}
        assert section["micro"]["f1"]["value"] == 0.0


def test_an_output_that_is_an_input_is_refused_before_any_work(cli, files):
    before = files["a"].read_bytes()
    result = cli("evaluate", "score", "--gold", files["gold"], "--pred", files["a"],
                 "--json", files["a"])  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: --json {files['a']} is the predictions file {files['a']}; writing it would "
        "replace it: pick another path"
    )
    assert files["a"].read_bytes() == before
    result = cli("evaluate", "compare", files["a"], files["b"], "--gold", files["gold"],
                 "--json", files["gold"])  # fmt: skip
    assert result.exit_code == 2 and "is the gold" in result.stderr
    (files["dir"] / "rep").mkdir()
    shadow = files["dir"] / "rep" / "results.json"
    shadow.write_text("{}", encoding="utf-8")
    result = cli("evaluate", "report", f"x={shadow}", "--gold", files["gold"],
                 "--out", files["dir"] / "rep")  # fmt: skip
    assert result.exit_code == 2
    assert f"--out {shadow} is the predictions file {shadow}" in result.stderr
    assert shadow.read_text(encoding="utf-8") == "{}"


def test_a_doccano_export_as_pred_is_one_error_line_not_a_score_of_zero(cli, files):
    # the old behaviour: the line has the gold id and text, so it was scored as all missed
    gold_docs = [json.loads(x) for x in files["gold"].read_text(encoding="utf-8").splitlines()]
    export = files["dir"] / "doccano.jsonl"
    line = {"id": gold_docs[0]["id"], "text": gold_docs[0]["text"], "label": [[0, 4, "PER"]]}
    export.write_text(json.dumps(line) + "\n", encoding="utf-8")
    result = cli("evaluate", "score", "--gold", files["gold"], "--pred", export, "--lenient")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {export}:1: a Doccano JSONL export (`label: [[start, end, label]]`), not "
        "goldwire JSONL; converters come in a later release: convert it to goldwire JSONL "
        "(documents with `entities: [{start, end, label}]`)\n"
    )


def test_gold_without_entity_ids_is_scored_and_unknown_keys_are_a_note(cli, files):
    # gold written as a model writes it: start, end, label and no ids; a key "model" per
    # document and "confidence" per predicted entity
    bare = files["dir"] / "bare_gold.jsonl"
    lines = []
    for x in files["gold"].read_text(encoding="utf-8").splitlines():
        doc = json.loads(x)
        doc["entities"] = [{k: e[k] for k in ("start", "end", "label")} for e in doc["entities"]]
        lines.append(json.dumps(dict(doc, model="m")))
    bare.write_text("\n".join(lines) + "\n", encoding="utf-8")
    pred = files["dir"] / "pred.jsonl"
    rows = [json.loads(x) for x in files["a"].read_text(encoding="utf-8").splitlines()]
    for row in rows:
        row["entities"] = [dict(e, confidence=0.5) for e in row["entities"]]
    pred.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = files["dir"] / "scores.json"
    args = ("evaluate", "score", "--pred", pred, "--bootstrap", "0", "--json", out)
    result = cli(*args, "--gold", bare)
    assert result.exit_code == 0, result.output
    same = cli(*args[:-1], files["dir"] / "same.json", "--gold", files["gold"])
    assert same.exit_code == 0, same.output
    data = json.loads(out.read_text(encoding="utf-8"))
    ref = json.loads((files["dir"] / "same.json").read_text(encoding="utf-8"))
    assert data["sections"] == ref["sections"]  # the ids never mattered to the figures
    # PRED_A has 3 + 1 + 1 = 5 entities; the gold 3 documents
    pred_note = f"{pred}: unknown keys ignored: entities[].confidence (5 items)"
    gold_note = f"{bare}: unknown keys ignored: model (3 documents)"
    assert pred_note in result.output and gold_note in result.output
    assert data["documents"]["notes"] == [gold_note]
    assert data["documents"]["prediction_notes"] == [pred_note]


def test_report_without_matplotlib_says_plots_skipped_in_one_line(cli, files, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    out = files["dir"] / "report"
    args = ("evaluate", "report", f"good={files['a']}", f"weak={files['b']}")
    result = cli(*args, "--gold", files["gold"], "--out", out, "--bootstrap", "50")
    assert result.exit_code == 0, result.output
    skipped = "plots skipped: matplotlib is not installed (pip install 'goldwire[report]')\n"
    assert result.stdout.count(skipped) == 1
    assert not (out / "plots").exists()
    assert (out / "report.html").is_file() and (out / "results.json").is_file()


def test_a_long_list_of_skipped_items_stops_after_a_screenful(cli, files):
    # 25 predictions of documents not in the gold, skipped with --lenient
    bad = files["dir"] / "many_bad.jsonl"
    extra = "".join(json.dumps({"id": f"zz{i}", "text": "x"}) + "\n" for i in range(25))
    bad.write_text(files["a"].read_text() + extra, encoding="utf-8")
    out = files["dir"] / "all.json"
    args = ("evaluate", "score", "--gold", files["gold"], "--pred", bad, "--lenient")
    result = cli(*args, "--bootstrap", "0", "--json", out)
    assert result.exit_code == 0, result.output
    shown = [line for line in result.stdout.splitlines() if "skipped: " in line]
    assert len(shown) == 20  # the first 20 of 25, then one line for the rest
    assert f"  ... and 5 more (see {out})" in result.stdout.splitlines()
    assert len(json.loads(out.read_text())["documents"]["skipped"]) == 25
    plain = cli(*args, "--bootstrap", "0")
    assert "  ... and 5 more (all of them: --json FILE)" in plain.stdout.splitlines()
