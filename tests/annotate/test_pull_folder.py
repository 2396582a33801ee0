"""The pull folder: snapshots, the latest file per annotator, the summary, one project only."""

from __future__ import annotations

import json

import pytest

from goldwire.annotate import client
from goldwire.annotate.client import Project
from goldwire.annotate.pull_folder import (
    AnnotatorSummary,
    PullReport,
    check_folder,
    write_pull,
)
from goldwire.errors import UsageError
from goldwire.schema import Document, read_jsonl


def test_an_annotator_missing_from_a_later_pull_keeps_their_file(tmp_path):
    doc = Document(id="a", text="Lavrov")
    report = PullReport(url="u", project={"name": "p"}, out=str(tmp_path))
    report.annotators = {"ann": AnnotatorSummary(documents=1), "bob": AnnotatorSummary()}
    write_pull(tmp_path, {"ann": [doc], "bob": [doc]}, report)
    first = report.snapshot
    later = PullReport(url="u", project={"name": "p"}, out=str(tmp_path))
    later.annotators = {"ann": AnnotatorSummary(documents=1)}
    write_pull(tmp_path, {"ann": [doc]}, later)
    assert sorted(p.name for p in (tmp_path / "annotators").iterdir()) == ["ann.jsonl", "bob.jsonl"]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["annotators"]["bob"]["in_project"] is False
    assert summary["annotators"]["bob"]["snapshot"] == first
    snapshots = sorted(p.name for p in (tmp_path / "snapshots").iterdir())
    assert len(snapshots) == 2 and all(not s.startswith(".") for s in snapshots)
    assert not (tmp_path / later.snapshot / "annotators" / "bob.jsonl").exists()


def test_the_snapshot_and_the_latest_files_hold_documents_problems_and_summary(tmp_path):
    doc = Document(id="a", text="Lavrov Ж 😀")
    report = PullReport(url="u", project={"id": 3, "name": "p"}, out=str(tmp_path))
    report.annotators = {"ann": AnnotatorSummary(documents=1)}
    report.add("unmappable_span", "a", "span [0:1] 😀", user="ann", start=0, end=1)
    report.add("text_changed", "b", "edited", user="ann")
    write_pull(tmp_path, {"ann": [doc]}, report)
    for folder in (tmp_path, tmp_path / report.snapshot):
        (pulled,) = read_jsonl(folder / "annotators" / "ann.jsonl")
        assert pulled.text == doc.text
        problems = [json.loads(x) for x in (folder / "problems.jsonl").read_text().splitlines()]
        assert problems == [p.to_dict() for p in report.problems]
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        assert summary["problems"] == 2
        assert summary["problem_counts"] == {"unmappable_span": 1, "text_changed": 1}
    assert not any(p.name.startswith(".") for p in (tmp_path / "snapshots").iterdir())


def test_a_folder_takes_the_pulls_of_one_project(tmp_path):
    project = Project(3, "p", client.SEQUENCE_LABELING)
    check_folder(tmp_path, "http://h:1", project)  # an empty folder takes any project
    report = PullReport(url="http://h:1", project=project.to_dict(), out=str(tmp_path))
    write_pull(tmp_path, {}, report)
    check_folder(tmp_path, "http://h:1", project)
    with pytest.raises(UsageError, match="holds pulls of project 'p' \\(id 3\\) at http://h:1"):
        check_folder(tmp_path, "http://h:1", Project(4, "q", client.SEQUENCE_LABELING))
