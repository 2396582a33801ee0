"""The Ray engine gives the same dataset as the local engine (a real local Ray instance)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from goldwire.corpus.build import BuildConfig, build_corpus
from goldwire.corpus.dataset import load_corpus
from goldwire.corpus.ray_engine import DOC, INTERNAL, KEY, _Roots, row_key, write_shards
from goldwire.corpus.split import SplitRatios
from goldwire.errors import InputError, UsageError
from gwtest import SEED_ARTICLES, TEST_DATA, tass_article

pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def mixed_inputs(tmp_path_factory) -> Path:
    """A few hundred documents in nested folders and every kind of file the readers see:
    TASS articles with exact and near re-issues, JSONL, Reuters SGML (its own encoding),
    CoNLL-2003 (its own splits), and the bad inputs (rejected files and documents)."""
    root = tmp_path_factory.mktemp("mixed")
    wire = root / "wire"
    for i in range(240):
        folder = wire / f"{i // 50:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        text = tass_article(i)
        (folder / f"a{i:03d}.txt").write_text(text, encoding="utf-8")
        if i % 20 == 0:  # an exact re-issue, elsewhere in the tree
            (wire / f"copy{i:03d}.txt").write_text(text.replace("\n", "\r\n"), encoding="utf-8")
        if i % 15 == 0:  # a near re-issue: the headline edited
            parts = text.split("\n\n")
            parts[1] += " (updated)"
            (folder / f"b{i:03d}.txt").write_text("\n\n".join(parts), encoding="utf-8")
    shutil.copytree(SEED_ARTICLES, root / "seed")
    shutil.copytree(TEST_DATA / "bad_inputs", root / "bad")
    other = root / "other"
    other.mkdir()
    for name in ("articles.jsonl", "reuters_sample.sgm", "train_sample.txt"):
        shutil.copy(TEST_DATA / "readers" / name, other / name)
    return root


def _build(inputs: Path, out: Path, **kw):
    return build_corpus(BuildConfig(inputs=(inputs,), out=out, name="mixed", workers=2, **kw))


def _rows(path: Path) -> dict[str, list[dict]]:
    dd, _, _ = load_corpus(path)
    return {s: dd[s].to_list() for s in dd}


def _report(report) -> dict:
    data = report.to_json()
    for key in ("out", "seconds", "docs_per_second"):
        data.pop(key)
    return data


def test_both_engines_build_the_same_dataset(mixed_inputs, tmp_path):
    local = _build(mixed_inputs, tmp_path / "local", layout="parquet")
    ray = _build(mixed_inputs, tmp_path / "ray", engine="ray")
    _build(mixed_inputs, tmp_path / "arrow")  # the default layout, for good measure

    assert local.reconciles() and ray.reconciles()
    assert local.documents_seen >= 240 + 12 + 16 + 1  # wire, copies, re-issues, seed
    assert local.exact_duplicates >= 12 and local.near_duplicates >= 16
    assert local.rejected and local.files_rejected  # the bad inputs are in there
    assert _report(ray) == _report(local)  # counts, rejections, duplicates, warnings

    rows = _rows(tmp_path / "local")
    assert _rows(tmp_path / "ray") == rows  # the same rows, in the same order
    assert _rows(tmp_path / "arrow") == rows
    # the status each reader gave (CoNLL-2003: entity gold), carried by Ray as locally
    flat = [r for v in rows.values() for r in v]
    conll = [r for r in flat if {"key": "reader", "value": "conll"} in r["meta"]]
    assert conll and {r["annotation"]["entities"] for r in conll} == {"reader:conll"}
    assert {r["annotation"]["entities"] for r in flat} == {"reader:conll", "none"}
    by_id = {s: sorted(r["id"] for r in v) for s, v in rows.items()}
    assert sum(map(len, by_id.values())) == local.kept
    assert {r["source"] for v in rows.values() for r in v} >= {
        f"{mixed_inputs.name}/seed/000_cb2353d6230e5346.txt"
    }  # sources are relative to the input root given, not the absolute paths Ray reads
    assert (tmp_path / "ray" / "manifest.jsonl").read_text() == (
        tmp_path / "local" / "manifest.jsonl"
    ).read_text()
    meta = {p: json.loads((tmp_path / p / "goldwire.json").read_text()) for p in ("local", "ray")}
    assert meta["ray"]["layout"] == meta["local"]["layout"] == "parquet"
    assert meta["ray"]["build"]["engine"] == "ray"
    assert not list(tmp_path.glob(".*"))  # no staging folders left behind
    import ray as ray_mod

    assert not ray_mod.is_initialized()


def test_ray_strict_stops_like_local_and_writes_nothing(tmp_path):
    with pytest.raises(InputError) as local:
        _build(TEST_DATA / "bad_inputs", tmp_path / "local", strict=True)
    with pytest.raises(InputError) as ray:
        _build(TEST_DATA / "bad_inputs", tmp_path / "ray", strict=True, engine="ray")
    assert str(ray.value) == str(local.value)
    assert not list(tmp_path.iterdir())
    import ray as ray_mod

    assert not ray_mod.is_initialized()  # the failed build shut its Ray instance down


def test_ray_engine_with_an_empty_split(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(5):
        (src / f"a{i}.txt").write_text(tass_article(100 + i), encoding="utf-8")
    report = _build(src, tmp_path / "out", engine="ray", ratios=SplitRatios(1.0, 0.0, 0.0))
    dd, _, _ = load_corpus(tmp_path / "out")
    assert report.splits == {"train": 5, "validation": 0, "test": 0}
    assert (dd["train"].num_rows, dd["validation"].num_rows, dd["test"].num_rows) == (5, 0, 0)


def test_ray_engine_refuses_the_arrow_layout(tmp_path):
    with pytest.raises(UsageError, match="parquet layout"):
        _build(SEED_ARTICLES, tmp_path / "out", engine="ray", layout="arrow")


# ----------------------------------------------------------------- the engine's parts, no Ray


def test_roots_map_absolute_paths_back_to_the_given_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in" / "sub").mkdir(parents=True)
    roots = _Roots((Path("in"), Path("single.txt")))
    assert roots.original(str(tmp_path / "in" / "sub" / "x.txt")) == Path("in/sub/x.txt")
    assert roots.original(str(tmp_path / "single.txt")) == Path("single.txt")
    # a sibling folder whose name starts like a root is not under it
    assert roots.original(str(tmp_path / "input" / "y.txt")) == tmp_path / "input" / "y.txt"


def test_write_shards_writes_each_splits_rows_in_input_order(tmp_path):
    import pyarrow.parquet as pq

    keys = [row_key("f.txt", i) for i in range(5)]
    batch = pa.table(
        {
            "id": ["a", "b", "c", "d", "e", None],
            KEY: pa.array(keys + [None], pa.int64()),
            DOC: pa.array([0, 1, 2, 3, 4, -1], pa.int32()),  # the last: a file's summary row
            **{c: pa.nulls(6) for c in INTERNAL if c not in (KEY, DOC)},
        }
    )
    # input positions: e=10, d=11, a=12, b=13, c=14; c is a duplicate (no split)
    ranks_by_id = {"a": 12, "b": 13, "c": 14, "d": 11, "e": 10}
    codes_by_id = {"a": 0, "b": 1, "c": -1, "d": 0, "e": 0}
    ids = ["a", "b", "c", "d", "e"]
    order = np.argsort(keys)
    sorted_keys = np.array(keys)[order]
    codes = np.array([codes_by_id[ids[i]] for i in order], np.int8)
    ranks = np.array([ranks_by_id[ids[i]] for i in order], np.int64)
    for split in ("train", "validation"):
        (tmp_path / split).mkdir()
    schema = pa.schema([("id", pa.string())])
    counts = write_shards(batch, sorted_keys, codes, ranks, str(tmp_path), schema)
    assert dict(zip(counts["split"].to_pylist(), counts["rows"].to_pylist(), strict=True)) == {
        "train": 3, "validation": 1,
    }  # fmt: skip
    train = list((tmp_path / "train").iterdir())
    assert [f.name for f in train] == ["part-000000000010.parquet"]  # after e, the first
    assert pq.read_table(train[0])["id"].to_pylist() == ["e", "d", "a"]
    assert pq.read_table(train[0]).schema.names == ["id"]
    validation = pq.read_table(next((tmp_path / "validation").iterdir()))
    assert validation["id"].to_pylist() == ["b"]
    assert not list((tmp_path).glob("test"))


def test_row_keys_differ_by_file_and_position():
    keys = {row_key(f"dir/f{i}.txt", j) for i in range(200) for j in range(50)}
    assert len(keys) == 200 * 50
    assert all(0 <= k < 2**63 for k in keys)


def test_ray_rejects_names_arrow_cannot_open_and_reads_the_rest(tmp_path):
    import os

    src = tmp_path / "in"
    src.mkdir()
    with open(os.path.join(os.fsencode(src), b"bad\xff.txt"), "w", encoding="utf-8") as f:
        f.write(tass_article(1))
    (src / "ok.txt").write_text(tass_article(2), encoding="utf-8")
    report = _build(src, tmp_path / "ray", engine="ray").to_json()
    assert (report["files"]["read"], report["files"]["rejected"]) == (1, 1)
    assert report["documents"]["kept"] == 1 and report["reconciles"]
    assert [(r["source"], r["reason"]) for r in report["rejections"]] == [
        ("in/bad\\xff.txt", "unreadable")
    ]
    assert report["rejections"][0]["message"].startswith(
        "'in/bad\\xff.txt': the file name is not UTF-8, which the Ray engine (Arrow) cannot"
    )
