"""The build report: how one file's outcome is counted, and when the counts reconcile."""

from __future__ import annotations

from pathlib import Path

import pytest

from goldwire.corpus.build_report import BuildReport, account_file
from goldwire.corpus.config import BuildConfig
from goldwire.corpus.readers import Rejection
from goldwire.corpus.steps import FileResult
from goldwire.errors import InputError

CONFIG = BuildConfig(inputs=(), out=Path("unused"))


def _bad(source: str) -> Rejection:
    return Rejection(source, "schema", f"{source}: entity T1 out of range", "document 2")


def test_a_file_without_documents_is_a_rejected_file():
    report = BuildReport("r", "out", files_found=1)
    account_file(report, FileResult("a.txt", None, None, [], [_bad("a.txt")]), 0, CONFIG)
    assert (report.files_read, report.files_rejected, report.rejected) == (0, 1, 0)
    assert report.rejections == [_bad("a.txt").to_json()]
    assert report.file_formats == {"a.txt": "none"} and not report.encodings
    assert report.reconciles()


def test_bad_documents_of_a_read_file_are_rejected_documents():
    report = BuildReport("r", "out", files_found=1)
    res = FileResult("b.jsonl", "jsonl", "utf-8", [], [_bad("b.jsonl")], documents_seen=3)
    account_file(report, res, 2, CONFIG)
    assert (report.files_read, report.files_rejected) == (1, 0)
    assert (report.documents_seen, report.rejected) == (3, 1)
    assert report.encodings == {"utf-8": 1} and report.file_formats == {"b.jsonl": "jsonl"}
    assert not report.reconciles()  # two documents seen are neither kept nor duplicates yet
    report.kept, report.splits = 2, {"train": 2}
    assert report.reconciles()
    assert report.to_json()["rejections_by_reason"] == {"schema": 1}


def test_strict_stops_at_the_first_rejection():
    strict = BuildConfig(inputs=(), out=Path("unused"), strict=True)
    res = FileResult("c.txt", "tass", "utf-8", [], [_bad("c.txt")], documents_seen=1)
    with pytest.raises(InputError) as err:
        account_file(BuildReport("r", "out"), res, 0, strict)
    assert str(err.value) == "c.txt: entity T1 out of range (stopped by --strict)"


def test_the_walk_is_counted_skipped_and_unreadable_folders_included():
    from goldwire.corpus.build_report import account_walk
    from goldwire.corpus.discover import Discovery, Skipped

    found = Discovery(
        files=[Path("a.txt")],
        skipped=[Skipped(".git", "hidden", ".git: hidden"), Skipped("l", "symlink", "l: link")],
        unreadable=[Rejection("locked", "unreadable-folder", "locked: cannot list this folder")],
    )
    report = BuildReport("r", "out", files_found=found.found)
    account_walk(report, found, CONFIG)
    assert report.files_found == 4 and report.files_rejected == 1 and report.files_skipped == 2
    assert not report.reconciles()  # a.txt is not accounted yet
    account_file(report, FileResult("a.txt", "text", "utf-8", [], [], 1), 1, CONFIG)
    report.kept, report.splits = 1, {"train": 1}
    assert report.reconciles()
    data = report.to_json()
    assert data["files"]["skipped"] == 2
    assert data["files"]["skipped_by_reason"] == {"hidden": 1, "symlink": 1}
    assert [s["source"] for s in data["skipped"]] == [".git", "l"]
    with pytest.raises(InputError, match=r"^locked: cannot list this folder \(stopped by"):
        account_walk(BuildReport("r", "out"), found, BuildConfig(inputs=(), out=Path("u"),
                                                                 strict=True))  # fmt: skip


def test_names_that_are_not_utf8_are_stored_as_escapes():
    import json

    report = BuildReport("r", "out", files_found=1)
    name = "bad\udcff.txt"  # os.fsdecode(b"bad\xff.txt")
    rej = Rejection(name, "empty", "'bad\\xff.txt': the file is empty")
    account_file(report, FileResult(name, None, None, [], [rej]), 0, CONFIG)
    assert report.rejections[0]["source"] == "bad\\xff.txt"
    assert report.file_formats == {"bad\\xff.txt": "none"}
    json.dumps(report.to_json(), ensure_ascii=False).encode("utf-8")
