"""Sources relative to the input roots given, and the roots recorded once in goldwire.json."""

from __future__ import annotations

import json
from pathlib import Path

from goldwire.corpus.build import BuildConfig, build_corpus
from goldwire.corpus.dataset import iter_documents
from goldwire.corpus.sources import input_name, source_name
from gwtest import tass_article


def test_source_name_is_the_root_name_then_the_path_below_it():
    roots = (Path("/data/reuters21578"), Path("news/train.txt"), Path("."))
    assert source_name(Path("/data/reuters21578/reut2-000.sgm"), roots) == (
        "reuters21578/reut2-000.sgm"
    )
    assert source_name(Path("/data/reuters21578/a/b.txt"), roots) == "reuters21578/a/b.txt"
    assert source_name(Path("news/train.txt"), roots) == "train.txt"  # a file named directly
    assert source_name(Path("x.txt"), roots) == f"{Path.cwd().name}/x.txt"  # "." has no name
    assert source_name(Path("/elsewhere/y.txt"), roots[:2]) == "/elsewhere/y.txt"  # no root


def test_input_name_is_as_given_or_relative_to_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert input_name(Path("articles")) == "articles"
    assert input_name(Path("../x/articles")) == "../x/articles"
    assert input_name(tmp_path / "in" / "articles") == "in/articles"
    assert input_name(Path("/opt/data")) == "/opt/data"  # elsewhere: as given


def _tree(root: Path) -> None:
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text(tass_article(1), encoding="utf-8")
    (root / "sub" / "b.txt").write_text(tass_article(2), encoding="utf-8")
    (root / "empty.txt").write_text("", encoding="utf-8")
    (root / "README.md").write_text("# about\n", encoding="utf-8")


def test_no_absolute_path_in_rows_reports_or_meta(tmp_path, monkeypatch):
    work = tmp_path / "work"
    _tree(work / "in" / "wire")
    monkeypatch.chdir(work)
    out = work / "out"  # absolute, under the working folder
    report = build_corpus(BuildConfig(inputs=(work / "in" / "wire",), out=out)).to_json()
    assert sorted(d.source for d in iter_documents(out)) == ["wire/a.txt", "wire/sub/b.txt"]
    assert [(r["source"], r["reason"]) for r in report["rejections"]] == [
        ("wire/empty.txt", "empty")
    ]
    assert report["rejections"][0]["message"].startswith("wire/empty.txt: the file is empty")
    assert [(s["source"], s["reason"]) for s in report["skipped"]] == [
        ("wire/README.md", "documentation")
    ]
    assert report["skipped"][0]["message"].startswith("wire/README.md: documentation")
    assert report["out"] == "out"
    meta = json.loads((out / "goldwire.json").read_text(encoding="utf-8"))
    assert meta["build"]["inputs"] == ["in/wire"]
    for name in ("goldwire.json", "build_report.json", "manifest.jsonl", "README.md"):
        assert str(tmp_path) not in (out / name).read_text(encoding="utf-8"), name


def test_a_root_outside_the_working_folder_is_recorded_as_given(tmp_path, monkeypatch):
    _tree(tmp_path / "data" / "wire")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    out = tmp_path / "out"
    build_corpus(BuildConfig(inputs=(tmp_path / "data" / "wire", tmp_path / "data" / "wire" /
                                     "a.txt"), out=out))  # fmt: skip
    meta = json.loads((out / "goldwire.json").read_text(encoding="utf-8"))
    assert meta["build"]["inputs"] == [str(tmp_path / "data" / "wire"),
                                       str(tmp_path / "data" / "wire" / "a.txt")]  # fmt: skip
    # the file is found under the first root: named below it
    assert sorted(d.source for d in iter_documents(out)) == ["wire/a.txt", "wire/sub/b.txt"]
