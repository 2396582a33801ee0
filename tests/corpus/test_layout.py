"""The on-disk layouts: what other tools (datasets, pyarrow) read without goldwire."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.dataset as pads
import pytest

from goldwire.corpus.attach import attach_gold
from goldwire.corpus.build import BuildConfig, build_corpus
from goldwire.corpus.dataset import load_corpus
from goldwire.corpus.split import SplitRatios
from goldwire.errors import DatasetError
from goldwire.features import features
from gwtest import SEED_ARTICLES, SEED_GOLD, tass_article


@pytest.fixture(scope="module")
def articles(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("layout") / "in"
    shutil.copytree(SEED_ARTICLES, src)
    for i in range(40):
        (src / f"syn{i:02d}.txt").write_text(tass_article(500 + i), encoding="utf-8")
    return src


def _build(src: Path, out: Path, **kw) -> Path:
    card = out.parent / "cards" / out.name / "README.md"
    build_corpus(BuildConfig(inputs=(src,), out=out, name="layout", card=card, **kw))
    return out


@pytest.mark.parametrize("layout", ["arrow", "parquet"])
def test_datasets_loads_the_folder_by_its_card(articles, tmp_path, layout):
    from datasets import load_dataset

    out = _build(articles, tmp_path / layout, layout=layout)
    ours, labels, _ = load_corpus(out)
    # the card's configs and features, no goldwire code (a private cache: `datasets` keys
    # its cache of a local folder so that same-named folders of equal size can collide)
    theirs = load_dataset(str(out), cache_dir=str(tmp_path / "hf"))
    assert set(theirs) == {s for s in ours if ours[s].num_rows}
    for split in theirs:
        assert theirs[split].features == features(labels)
        assert theirs[split].to_list() == ours[split].to_list()


def test_parquet_layout_is_plain_sharded_parquet(articles, tmp_path):
    from datasets import load_dataset

    out = _build(articles, tmp_path / "pq", layout="parquet")
    ours, labels, meta = load_corpus(out)
    assert meta["layout"] == "parquet"
    total = 0
    for split in ours:
        files = sorted((out / "data" / split).glob("*.parquet"))
        assert files, split
        table = pads.dataset([str(f) for f in files], format="parquet").to_table()
        assert table.column("id").to_pylist() == ours[split]["id"]
        total += table.num_rows
    assert total == json.loads((out / "build_report.json").read_text())["documents"]["kept"]
    by_dir = load_dataset("parquet", data_dir=str(out / "data"), cache_dir=str(tmp_path / "hf"))
    assert by_dir["train"].features == features(labels)  # class labels survive in the files


def test_an_empty_split_has_no_file_and_still_loads(articles, tmp_path):
    out = _build(articles, tmp_path / "pq", layout="parquet", ratios=SplitRatios(1.0, 0.0, 0.0))
    assert sorted(p.name for p in (out / "data").iterdir()) == ["train"]
    dd, _, _ = load_corpus(out)
    assert (dd["train"].num_rows, dd["validation"].num_rows, dd["test"].num_rows) == (41, 0, 0)


def test_a_missing_shard_folder_is_named(articles, tmp_path):
    out = _build(articles, tmp_path / "pq", layout="parquet")
    shutil.rmtree(out / "data" / "train")
    with pytest.raises(DatasetError, match=r"split 'train' should have \d+ rows .*rebuild"):
        load_corpus(out)


def test_attach_gold_keeps_the_parquet_layout(articles, tmp_path):
    out = _build(articles, tmp_path / "pq", layout="parquet")
    report = attach_gold(out, SEED_GOLD / "seed.jsonl", tmp_path / "gold")
    assert report.attached == 1
    dd, _, meta = load_corpus(tmp_path / "gold")
    assert meta["layout"] == "parquet" and (tmp_path / "gold" / "data").is_dir()
    entities = sum(len(r["entities"]) for s in dd for r in dd[s])
    gold = [json.loads(line) for line in (SEED_GOLD / "seed.jsonl").read_text().splitlines()]
    assert entities == sum(len(g["entities"]) for g in gold)


def test_cli_layout_and_engine_options(cli, tmp_path):
    res = cli("corpus", "build", SEED_ARTICLES, "--out", tmp_path / "pq", "--layout", "parquet",
              "--card-dir", tmp_path / "cards")  # fmt: skip
    assert res.exit_code == 0, res.output
    assert list((tmp_path / "pq" / "data" / "train").glob("*.parquet"))
    res = cli("corpus", "build", SEED_ARTICLES, "--out", tmp_path / "x", "--engine", "ray",
              "--layout", "arrow")  # fmt: skip
    assert res.exit_code != 0
    assert "the ray engine writes the parquet layout; drop --layout arrow" in res.output
    assert not (tmp_path / "x").exists()
