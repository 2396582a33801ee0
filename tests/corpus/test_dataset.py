"""Reading documents: a corpus folder (either layout) or a goldwire JSONL file."""

from __future__ import annotations

import json

import pytest

from goldwire.corpus.build import BuildConfig, build_corpus
from goldwire.corpus.dataset import (
    GOLDWIRE_META,
    iter_documents,
    load_corpus,
    open_documents,
    open_source,
)
from goldwire.errors import DatasetError, InputError, UsageError
from goldwire.schema import Document, Entity, write_jsonl
from gwtest import tass_article


@pytest.fixture(scope="module", params=["arrow", "parquet"])
def corpus(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"in-{request.param}")
    for i in range(12):
        (folder / f"{i:02d}.txt").write_text(tass_article(i), encoding="utf-8")
    out = tmp_path_factory.mktemp("built") / request.param
    build_corpus(BuildConfig(inputs=(folder,), out=out, minhash=None, layout=request.param))
    return out


def test_a_corpus_folder_reads_each_split_or_all_with_its_schema(corpus):
    dd, labels, meta = load_corpus(corpus)
    every = open_documents(corpus)
    assert [d.id for d in every] == [r["id"] for s in dd for r in dd[s]]
    assert every.labels == labels and every.meta == meta and every.split is None
    train = open_documents(corpus, "train")
    assert [d.id for d in train] == list(dd["train"]["id"]) and train.split == "train"
    assert [d.id for d in iter_documents(corpus, "train")] == [d.id for d in train]
    source = open_source(corpus)
    assert source.is_corpus and source.splits == ["train", "validation", "test"]


def test_a_jsonl_file_has_no_splits(tmp_path):
    path = tmp_path / "docs.jsonl"
    docs = [Document(id="a", text="Lavrov met Blinken",
                     entities=[Entity("e1", 0, 6, "PER", "Lavrov")]),
            Document(id="b", text="Baku")]  # fmt: skip
    write_jsonl(docs, path)
    found = open_documents(path)
    assert [d.to_json() for d in found] == [d.to_json() for d in docs]
    assert (found.labels, found.meta, found.split, found.source) == (None, {}, None, str(path))
    assert not open_source(path).is_corpus
    with pytest.raises(UsageError) as err:
        open_documents(path, "test")
    assert str(err.value) == f"--split test needs a dataset folder, not the JSONL file {path}"


def test_missing_paths_splits_and_foreign_folders_say_what_to_do(corpus, tmp_path):
    with pytest.raises(InputError) as err:
        open_documents(tmp_path / "nowhere")
    assert str(err.value) == (
        f"{tmp_path / 'nowhere'}: no such file or folder; give a goldwire "
        "dataset folder (`goldwire corpus build`) or a goldwire JSONL file"
    )
    with pytest.raises(InputError, match="no such file or folder; give the gold$"):
        open_source(tmp_path / "nowhere", hint="the gold")
    with pytest.raises(UsageError, match="no split 'dev'; the dataset has train, validation, test"):
        open_documents(corpus, "dev")
    (tmp_path / "plain").mkdir()
    with pytest.raises(DatasetError, match="not a goldwire dataset"):
        open_source(tmp_path / "plain")


def test_another_schema_version_or_a_broken_goldwire_json_is_a_dataset_error(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    (old / GOLDWIRE_META).write_text(json.dumps({"schema_version": 0}), encoding="utf-8")
    with pytest.raises(DatasetError) as err:
        load_corpus(old)
    assert "schema version 0 but this goldwire reads" in str(err.value)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / GOLDWIRE_META).write_text("{", encoding="utf-8")
    with pytest.raises(DatasetError, match="cannot read it"):
        load_corpus(broken)
