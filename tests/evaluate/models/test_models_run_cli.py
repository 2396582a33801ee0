"""``goldwire evaluate train|predict|benchmark``: exit codes, exact error lines, files written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from goldwire.evaluate.models.run import benchmark, predict, train
from goldwire.evaluate.scoring import ScoreOptions
from goldwire.memory import PeakMemory
from goldwire.schema import read_jsonl
from gwtest import SEED_GOLD

SEED = SEED_GOLD / "seed.jsonl"


def test_train_then_predict_through_the_cli(cli, ner_corpus, tmp_path):
    result = cli(
        "evaluate",
        "train",
        "--model",
        "gazetteer",
        "--corpus",
        ner_corpus,
        "--out",
        tmp_path / "g",
        "--param",
        "ambiguous=majority",
        "--json",
        tmp_path / "train.json",
    )
    assert result.exit_code == 0, result.output
    assert f"use it with --model gazetteer:{tmp_path / 'g'}" in result.output
    summary = json.loads((tmp_path / "train.json").read_text())
    assert summary["documents"] == 28 and summary["training"]["split"] == "train"
    assert json.loads((tmp_path / "g" / "model.json").read_text())["config"] == {
        "ambiguous": "majority"
    }

    result = cli(
        "evaluate",
        "predict",
        "--model",
        f"gazetteer:{tmp_path / 'g'}",
        "--corpus",
        ner_corpus,
        "--split",
        "test",
        "--out",
        tmp_path / "p.jsonl",
        "--json",
        tmp_path / "p.json",
    )
    assert result.exit_code == 0, result.output
    assert "documents/s" in result.output and "s per 1,000 documents" in result.output
    preds = list(read_jsonl(tmp_path / "p.jsonl"))
    timing = json.loads((tmp_path / "p.json").read_text())
    assert len(preds) == timing["documents"] == 8
    assert timing["predicted"]["entities"] == sum(len(d.entities) for d in preds) > 0
    assert all(not d.stances and not d.doc_stances for d in preds)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["train", "--model", "rules-stance", "--corpus", "C", "--out", "O"],
            2,
            "error: rules-stance is training-free; use it as it is: --model rules-stance\n",
        ),
        (
            ["train", "--model", "crf", "--corpus", "C", "--out", "O"],
            2,
            "error: unknown model 'crf'; choose one of gazetteer, sklearn-ner, rules-stance, "
            "sklearn-stance, prior-stance, sklearn-docstance",
        ),
        (
            [
                "train",
                "--model",
                "gazetteer",
                "--corpus",
                "C",
                "--out",
                "O",
                "--param",
                "ambiguous",
            ],
            2,
            "error: --param takes KEY=VALUE, got 'ambiguous'\n",
        ),
        (
            ["predict", "--model", "sklearn-ner", "--corpus", "C", "--out", "O"],
            2,
            "error: sklearn-ner must be trained first: `goldwire evaluate train --model "
            "sklearn-ner --corpus CORPUS --out DIR`, then use --model sklearn-ner:DIR\n",
        ),
        (
            ["benchmark", "--models", "rules-stance", "--out", "O"],
            2,
            "error: give --corpus (a goldwire corpus) or --gold (a corpus or a goldwire JSONL "
            "file) to benchmark on\n",
        ),
        (
            ["benchmark", "--models", "sklearn-ner", "--gold", str(SEED), "--out", "O"],
            2,
            "error: sklearn-ner needs training and there is no --corpus to train it on; give "
            "--corpus with a train split, or a trained model as sklearn-ner:DIR\n",
        ),
        (
            ["benchmark", "--models", " , ", "--gold", str(SEED), "--out", "O"],
            2,
            "error: give at least one model: --models gazetteer,sklearn-ner\n",
        ),
    ],
)
def test_usage_errors_are_one_line_with_exit_code(cli, args, code, message):
    result = cli("evaluate", *args)
    assert result.exit_code == code, result.output
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1


def test_predict_missing_model_folder_exits_1(cli, tmp_path):
    result = cli(
        "evaluate",
        "predict",
        "--model",
        f"gazetteer:{tmp_path / 'none'}",
        "--corpus",
        SEED,
        "--out",
        tmp_path / "p.jsonl",
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {tmp_path / 'none'}: not a saved goldwire model (no "
        "model.json); train one with `goldwire evaluate train`\n"
    )


def test_seed_benchmark_of_training_free_models_says_one_document_gives_no_confidence(
    cli, tmp_path
):
    out = tmp_path / "seed"
    result = cli(
        "evaluate",
        "benchmark",
        "--gold",
        SEED,
        "--models",
        "rules-stance",
        "--out",
        out,
        "--bootstrap",
        "50",
        "--no-isolate",
    )
    assert result.exit_code == 0, result.output
    assert "caveat: One document gives no confidence" in result.output
    summary = (out / "benchmark.md").read_text()
    report = (out / "reports" / "stances" / "report.md").read_text()
    html = (out / "reports" / "stances" / "report.html").read_text()
    for text in (summary, report, html):
        assert "One document gives no confidence" in text
    data = json.loads((out / "benchmark.json").read_text())
    run = data["runs"][0]
    assert run["name"] == "rules-stance" and run["task"] == "stances"
    f1 = run["figures"]["triple f1"]
    assert 0 < f1["value"] <= 1 and f1["ci"] == [f1["value"], f1["value"]]
    assert run["predicted"]["seconds_per_1000"] > 0 and run["predicted"]["peak_rss_mb"] > 0
    preds = list(read_jsonl(out / "predictions" / "rules-stance.jsonl"))
    assert len(preds) == 1 and preds[0].entities == [] and preds[0].stances


def test_benchmark_trains_scores_and_reports_each_task(ner_corpus, tmp_path):
    out = tmp_path / "b"
    result = benchmark(
        "gazetteer,sklearn-ner",
        out,
        corpus=ner_corpus,
        options=ScoreOptions(resamples=100),
        isolate=False,
    )
    assert [r.name for r in result.runs] == ["gazetteer", "sklearn-ner"]
    assert result.documents == 8 and result.split == "test"
    assert (out / "models" / "sklearn-ner" / "model.json").is_file()
    assert (out / "reports" / "entities" / "report.md").is_file()
    results = json.loads((out / "reports" / "entities" / "results.json").read_text())
    for run in result.runs:
        assert run.trained is not None and run.trained["documents"] == 28
        # the summary's figures are the evaluate stage's, from the same predictions
        section = results["runs"][run.name]["sections"]["entities.strict"]
        assert run.figures["strict f1"] == section["micro"]["f1"]
        assert run.figures["strict precision"] == section["micro"]["precision"]
        assert run.figures["strict macro f1"] == section["macro"]["f1"]
    assert any("Only 8 documents" in c for c in result.caveats)


def test_benchmark_isolated_runs_in_child_processes(ner_corpus, tmp_path):
    result = benchmark(
        "gazetteer",
        tmp_path / "b",
        corpus=ner_corpus,
        options=ScoreOptions(resamples=0),
        isolate=True,
    )
    run = result.runs[0]
    assert run.trained["isolated"] and run.predicted["isolated"]
    assert run.predicted["peak_rss_mb"] >= run.predicted["rss_before_mb"] > 10


def test_isolated_errors_come_back_as_goldwire_errors(tmp_path):
    from goldwire.errors import InputError

    model = tmp_path / "g"
    model.mkdir()
    (model / "model.json").write_text(json.dumps({"model": "gazetteer", "format_version": 1}))
    with pytest.raises(InputError, match=r"gazetteer.json: cannot read the gazetteer"):
        benchmark(
            f"gazetteer:{model}",
            tmp_path / "b",
            gold=SEED,
            options=ScoreOptions(resamples=0),
            isolate=True,
        )
    assert not (tmp_path / "b" / "benchmark.json").exists()


def test_benchmark_checks_model_folders_before_any_work(tmp_path):
    from goldwire.errors import InputError

    with pytest.raises(InputError, match="not a saved goldwire model"):
        benchmark(
            f"rules-stance,gazetteer:{tmp_path / 'none'}",
            tmp_path / "b",
            gold=SEED,
            options=ScoreOptions(resamples=0),
            isolate=False,
        )
    assert not (tmp_path / "b" / "predictions").exists()


def test_train_and_predict_functions_measure_time_and_memory(docstance_corpus, tmp_path):
    trained = train(
        "sklearn-docstance", docstance_corpus, tmp_path / "m", params={"max_features": 300}
    )
    assert trained.validation_documents == 4 and trained.seconds > 0
    seen = []
    result = predict(
        f"sklearn-docstance:{tmp_path / 'm'}",
        docstance_corpus,
        tmp_path / "p.jsonl",
        progress=lambda phase, done, total: seen.append((done, total)),
    )
    assert seen[-1] == (8, 8) and result.documents == 8
    assert result.predicted["doc_stances"] == 8 * 5
    assert result.seconds_per_1000 == pytest.approx(1000 * result.seconds / 8, rel=1e-2)


def test_peak_memory_sees_an_allocation():
    import time

    with PeakMemory(interval=0.005) as mem:
        block = bytearray(64 * 2**20)
        block[::4096] = b"x" * len(block[::4096])
        time.sleep(0.2)  # a sampler sees what lives for some intervals (models run for seconds)
        del block
    assert mem.peak - mem.before > 40


def test_benchmark_reports_its_phases_through_progress(tmp_path):
    seen = []
    result = benchmark(
        "rules-stance",
        tmp_path / "b",
        gold=SEED,
        options=ScoreOptions(resamples=0),
        isolate=False,
        progress=lambda phase, done, total: seen.append((phase, done, total)),
    )
    assert list(dict.fromkeys(phase for phase, _, _ in seen)) == [
        "predicting with rules-stance",
        "scoring stances",
    ]
    assert ("predicting with rules-stance", 1, 1) in seen
    assert seen[-1] == ("scoring stances", 1, 1)
    assert result.runs[0].predicted["documents"] == 1 and result.runs[0].trained is None


def test_benchmark_trains_as_a_phase_of_its_own(ner_corpus, tmp_path):
    seen = []
    benchmark(
        "gazetteer",
        tmp_path / "b",
        corpus=ner_corpus,
        options=ScoreOptions(resamples=0),
        isolate=False,
        progress=lambda phase, done, total: seen.append((phase, done, total)),
    )
    assert seen[:2] == [("training gazetteer", 0, None), ("training gazetteer", 1, 1)]
    assert ("predicting with gazetteer", 8, 8) in seen


# --------------------------------------------------------------------------- gold per layer


def half_annotated_corpus(folder) -> Path:
    """20 NER documents, the odd ones raw text (no entities, status none): 7 of the 14 train
    documents hold gold, 1 of the 2 validation documents, 2 of the 4 test documents."""
    import dataclasses

    from modelgen import corpus_dir, ner_document

    from goldwire.provenance import Annotation

    docs = [ner_document(i) for i in range(20)]
    docs = [
        d if i % 2 == 0 else dataclasses.replace(d, entities=[], annotation=Annotation())
        for i, d in enumerate(docs)
    ]
    return corpus_dir(folder, docs, "half")


TRAIN_LEFT_OUT = (
    "7 of 14 documents left out: no gold entities (annotation status none); "
    "--include-unannotated trains on them as gold with no labels"
)


def test_train_leaves_out_documents_without_gold_on_its_layer(cli, tmp_path):
    corpus = half_annotated_corpus(tmp_path)
    result = train("gazetteer", corpus, tmp_path / "g")
    assert (result.documents, result.left_out) == (7, 7)
    assert (result.validation_documents, result.validation_left_out) == (1, 1)
    assert result.training["documents"] == 7  # what the model itself was given
    assert result.notes == [
        TRAIN_LEFT_OUT,
        "validation: 1 of 2 documents left out: no gold entities (annotation status none); "
        "--include-unannotated trains on them as gold with no labels",
    ]
    everything = train("gazetteer", corpus, tmp_path / "all", include_unannotated=True)
    assert (everything.documents, everything.left_out) == (14, 0)
    assert everything.training["documents"] == 14
    printed = cli("evaluate", "train", "-m", "gazetteer", "-c", corpus, "-o", tmp_path / "c").stdout
    assert "trained gazetteer on 7 documents" in printed and f"  {TRAIN_LEFT_OUT}\n" in printed


def test_train_without_gold_on_its_layer_names_the_split(cli, docstance_corpus, tmp_path):
    result = cli("evaluate", "train", "-m", "gazetteer", "-c", docstance_corpus, "-o", tmp_path)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {docstance_corpus} [train]: none of its 28 documents has gold entities "
        "(annotation status none); attach gold with `goldwire corpus attach-gold`, or pass "
        "--include-unannotated to use them as gold with no labels\n"
    )


def test_benchmark_trains_predicts_and_scores_documents_with_gold_only(tmp_path):
    corpus = half_annotated_corpus(tmp_path)
    result = benchmark(
        "gazetteer",
        tmp_path / "b",
        corpus=corpus,
        options=ScoreOptions(resamples=0),
        isolate=False,
    )
    run = result.runs[0]
    assert run.trained["documents"] == 7 and run.trained["left_out"] == 7
    assert run.predicted["documents"] == 2 and result.documents == 2
    said = (
        "entities: 2 of 4 documents left out: no gold entities (annotation status none); "
        "--include-unannotated scores them as gold with no labels"
    )
    assert said in result.caveats
    results = json.loads((tmp_path / "b" / "reports" / "entities" / "results.json").read_text())
    assert results["runs"]["gazetteer"]["documents"]["gold"] == 2
    assert said.removeprefix("entities: ") in results["caveats"]
    everything = benchmark(
        "gazetteer",
        tmp_path / "all",
        corpus=corpus,
        options=ScoreOptions(resamples=0),
        isolate=False,
        include_unannotated=True,
    )
    assert everything.runs[0].trained["documents"] == 14
    assert everything.runs[0].predicted["documents"] == 4 and everything.documents == 4


def test_benchmark_without_matplotlib_writes_its_tables_and_says_plots_skipped(
    cli, tmp_path, monkeypatch
):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` fails
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    out = tmp_path / "seed"
    args = ("evaluate", "benchmark", "--gold", SEED, "--models", "rules-stance", "--out", out)
    result = cli(*args, "--bootstrap", "20", "--no-isolate")
    assert result.exit_code == 0, result.output
    line = "plots skipped: matplotlib is not installed (pip install 'goldwire[report]')"
    assert result.output.count(line) == 1
    report = out / "reports" / "stances"
    assert sorted(p.name for p in report.iterdir()) == ["report.html", "report.md", "results.json"]
    assert line in json.loads((out / "benchmark.json").read_text())["caveats"]
    assert line in (out / "benchmark.md").read_text()
