"""Writing a corpus folder: staging beside the output, the move into place."""

from __future__ import annotations

import json

import pytest

from goldwire.corpus.config import BuildConfig
from goldwire.corpus.dedup import MinHashConfig
from goldwire.corpus.writing import build_meta, move_into_place, staging_dir


def test_staging_dir_is_a_hidden_sibling_of_the_output(tmp_path):
    out = tmp_path / "deep" / "corpus"
    work = staging_dir(out, "building")
    assert work.parent == out.parent.resolve() and work.is_dir()
    assert work.name.startswith(".corpus.building-")
    assert not out.exists()


def test_move_into_place_replaces_the_old_version(tmp_path):
    out = tmp_path / "corpus"
    out.mkdir()
    (out / "old.txt").write_text("old", encoding="utf-8")
    work = staging_dir(out, "building")
    (work / "dataset").mkdir()
    (work / "dataset" / "new.txt").write_text("new", encoding="utf-8")
    move_into_place(work, out)
    assert [p.name for p in out.iterdir()] == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["corpus"]  # no backup, no staging left


def test_a_failed_move_keeps_the_old_version(tmp_path):
    out = tmp_path / "corpus"
    out.mkdir()
    (out / "old.txt").write_text("old", encoding="utf-8")
    work = staging_dir(out, "building")  # no work/dataset: the rename fails
    with pytest.raises(FileNotFoundError):
        move_into_place(work, out)
    assert [p.name for p in out.iterdir()] == ["old.txt"]


def test_build_meta_records_the_settings(tmp_path):
    config = BuildConfig(inputs=(tmp_path / "in",), out=tmp_path / "o", name="n", engine="ray",
                         minhash=MinHashConfig(threshold=0.9))  # fmt: skip
    meta = build_meta(config, {"train": 3, "validation": 0, "test": 1})
    assert (meta["name"], meta["layout"], meta["split_rows"]["test"]) == ("n", "parquet", 1)
    assert meta["build"]["engine"] == "ray" and meta["build"]["inputs"] == [str(tmp_path / "in")]
    assert meta["build"]["near_duplicates"]["threshold"] == 0.9
    plain = build_meta(BuildConfig(inputs=(), out=tmp_path / "o", minhash=None), {})
    assert plain["build"]["near_duplicates"] is None and plain["name"] == "o"
    json.dumps(meta)  # all of it is JSON
