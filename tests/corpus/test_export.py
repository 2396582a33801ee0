from __future__ import annotations

import json

import pytest

from goldwire.corpus.build import BuildConfig, build_corpus
from goldwire.corpus.dataset import iter_documents
from goldwire.corpus.export import export, export_parquet
from goldwire.errors import UsageError
from goldwire.schema import read_jsonl
from gwtest import SEED_ARTICLES, tass_article


@pytest.fixture()
def corpus(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(12):
        (src / f"a{i}.txt").write_text(tass_article(i), encoding="utf-8")
    build_corpus(BuildConfig(inputs=(src, SEED_ARTICLES), out=tmp_path / "ds"))
    return tmp_path / "ds"


def test_jsonl_export_round_trips_documents(corpus, tmp_path):
    counts = export(corpus, tmp_path / "j", "jsonl")
    assert sum(counts.values()) == 13
    for split, n in counts.items():
        docs = list(read_jsonl(tmp_path / "j" / f"{split}.jsonl"))
        assert docs == list(iter_documents(corpus, split))
        assert len(docs) == n


def test_parquet_export_is_sharded_and_loadable_without_goldwire(corpus, tmp_path):
    from datasets import load_dataset

    export_parquet(corpus, tmp_path / "p", ["train", "validation", "test"], shard_rows=4)
    shards = sorted(p.name for p in (tmp_path / "p" / "train").glob("*.parquet"))
    n_train = len(list(iter_documents(corpus, "train")))
    assert len(shards) == -(-n_train // 4)
    ds = load_dataset("parquet", data_files=str(tmp_path / "p" / "train" / "*.parquet"))["train"]
    assert sorted(ds["id"]) == sorted(d.id for d in iter_documents(corpus, "train"))


def test_unknown_split_and_format(corpus, tmp_path):
    with pytest.raises(UsageError, match="no split 'dev'; the dataset has train, validation, test"):
        export(corpus, tmp_path / "x", "jsonl", ["dev"])
    with pytest.raises(UsageError, match="unknown export format 'xml'"):
        export(corpus, tmp_path / "x", "xml")


def test_cli_build_info_export(cli, tmp_path):
    out = tmp_path / "seed"
    result = cli("corpus", "build", SEED_ARTICLES, "--out", out, "--name", "seed",
                 "--card-dir", tmp_path / "cards", "--json", tmp_path / "r.json")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "documents kept" in result.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["documents"]["kept"] == 1 and report["reconciles"]
    assert (tmp_path / "cards" / "seed" / "README.md").exists()
    result = cli("corpus", "info", out, "--json", tmp_path / "info.json")
    assert result.exit_code == 0
    assert json.loads((tmp_path / "info.json").read_text())["agencies"] == {"TASS": 1}
    result = cli("corpus", "export", out, "--format", "jsonl", "--out", tmp_path / "e")
    assert result.exit_code == 0
    assert (
        len(list(read_jsonl(tmp_path / "e" / "train.jsonl")))
        + len(list(read_jsonl(tmp_path / "e" / "test.jsonl")))
        + len(list(read_jsonl(tmp_path / "e" / "validation.jsonl")))
        == 1
    )


def test_cli_errors_are_one_line(cli, tmp_path):
    result = cli("corpus", "build", tmp_path / "missing", "--out", tmp_path / "o")
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"error: {tmp_path / 'missing'}: no such file or folder; check the input path\n"
    )
    result = cli("corpus", "build", SEED_ARTICLES, "--out", tmp_path / "o", "--split-ratios", "1,1")
    assert result.exit_code == 2
    assert "three numbers train,validation,test" in result.stderr
    result = cli("corpus", "build", SEED_ARTICLES, "--out", tmp_path / "o", "--field", "text")
    assert result.exit_code == 2
    assert (
        result.stderr == "error: --field takes GOLDWIRE=KEY, e.g. --field text=body; got 'text'\n"
    )
