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
    check_folder(tmp_path, "http://h:1", 3, "p")  # an empty folder takes any project
    report = PullReport(url="http://h:1", project=project.to_dict(), out=str(tmp_path))
    write_pull(tmp_path, {}, report)
    check_folder(tmp_path, "http://h:1", 3, "p")
    with pytest.raises(UsageError, match="holds pulls of project 'p' \\(id 3\\) at http://h:1"):
        check_folder(tmp_path, "http://h:1", 4, "q")
    with pytest.raises(
        UsageError,
        match="holds pulls of project 'p' \\(id 3\\) at http://h:1, not of campaign 'c' at",
    ):
        check_folder(tmp_path, "http://h:1", "campaign:c", "c")


def _report(tmp_path, users: dict[str, int], project=None) -> PullReport:
    report = PullReport(url="u", project=project or {"id": 3, "name": "p"}, out=str(tmp_path))
    report.annotators = {user: AnnotatorSummary(documents=n) for user, n in users.items()}
    return report


def test_unsafe_usernames_get_safe_files_and_readers_get_the_names_back(tmp_path):
    from goldwire.annotate.annotations import read_annotations

    doc = Document(id="a", text="Lavrov")
    report = _report(tmp_path, {".mallory": 1, "..": 1, "ann": 1})
    write_pull(tmp_path, {".mallory": [doc], "..": [doc], "ann": [doc]}, report)
    names = sorted(p.name for p in (tmp_path / "annotators").iterdir())
    assert len(names) == 3 and "ann.jsonl" in names
    assert not any(n.startswith(".") for n in names)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert {u: s["file"] for u, s in summary["annotators"].items()}["ann"] == "ann.jsonl"
    assert sorted(read_annotations(tmp_path).annotators) == ["..", ".mallory", "ann"]
    assert sorted(p.name for p in (tmp_path / report.snapshot / "annotators").iterdir()) == names


def test_documents_a_pull_cannot_map_keep_their_earlier_copy_in_the_latest_files(tmp_path):
    a, b = Document(id="a", text="Lavrov"), Document(id="b", text="Baku")
    first = _report(tmp_path, {"ann": 2, "bob": 1})
    write_pull(tmp_path, {"ann": [a, b], "bob": [b]}, first)
    # b's text was edited in doccano: neither annotator's copy of b maps any more
    later = _report(tmp_path, {"ann": 1, "bob": 0})
    later.add("text_changed", "b", "edited; ann's labels on it left out", user="ann")
    later.add("text_changed", "b", "edited; bob's labels on it left out", user="bob")
    a2 = Document(id="a", text="Lavrov", meta={"doccano_confirmed": "true"})
    write_pull(tmp_path, {"ann": [a2], "bob": []}, later)
    ann = list(read_jsonl(tmp_path / "annotators" / "ann.jsonl"))
    assert [(d.id, d.meta.get("goldwire_carried_from")) for d in ann] == [
        ("a", None),
        ("b", first.snapshot),
    ]
    assert ann[0].meta["doccano_confirmed"] == "true"  # this pull's copy of a
    (bob,) = read_jsonl(tmp_path / "annotators" / "bob.jsonl")  # not emptied, not removed
    assert (bob.id, bob.meta["goldwire_carried_from"]) == ("b", first.snapshot)
    snapshot = tmp_path / later.snapshot / "annotators"
    assert [d.id for d in read_jsonl(snapshot / "ann.jsonl")] == ["a"]  # as pulled
    assert not (snapshot / "bob.jsonl").exists()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert (summary["annotators"]["ann"]["carried"], summary["annotators"]["bob"]["carried"]) == (
        1,
        1,
    )
    problems = [json.loads(x) for x in (tmp_path / "problems.jsonl").read_text().splitlines()]
    assert all(f"their copy from {first.snapshot} stays in annotators/" in p["detail"]
               for p in problems)  # fmt: skip


def test_an_annotator_with_no_work_left_and_no_problem_loses_the_latest_file(tmp_path):
    doc = Document(id="a", text="Lavrov")
    write_pull(tmp_path, {"ann": [doc]}, _report(tmp_path, {"ann": 1}))
    write_pull(tmp_path, {"ann": []}, _report(tmp_path, {"ann": 0}))  # deleted their labels
    assert not (tmp_path / "annotators" / "ann.jsonl").exists()


def test_a_member_the_export_missed_keeps_their_file_and_is_marked(tmp_path):
    doc = Document(id="a", text="Lavrov")
    write_pull(tmp_path, {"ann": [doc], "bob": [doc]}, _report(tmp_path, {"ann": 1, "bob": 1}))
    later = _report(tmp_path, {"ann": 1})
    later.annotators["bob"] = AnnotatorSummary(role="annotator", exported=False)
    write_pull(tmp_path, {"ann": [doc]}, later)
    assert (tmp_path / "annotators" / "bob.jsonl").exists()
    bob = json.loads((tmp_path / "summary.json").read_text())["annotators"]["bob"]
    assert (bob["in_project"], bob["exported"], bob["documents"]) == (True, False, 1)


def test_a_renamed_file_follows_its_annotator_when_a_new_name_collides(tmp_path):
    doc = Document(id="a", text="Lavrov")
    write_pull(tmp_path, {"Ann": [doc]}, _report(tmp_path, {"Ann": 1}))
    write_pull(tmp_path, {"ann": [doc]}, _report(tmp_path, {"ann": 1}))  # Ann left, ann joined
    files = sorted(p.name for p in (tmp_path / "annotators").iterdir())
    assert len(files) == 2 and "Ann.jsonl" not in files and "ann.jsonl" not in files
    summary = json.loads((tmp_path / "summary.json").read_text())["annotators"]
    assert sorted(s["file"] for s in summary.values()) == files


def test_only_an_absent_empty_or_pull_folder_takes_a_pull(tmp_path):
    check_folder(tmp_path / "new", "http://h:1", 3, "p")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(UsageError) as caught:
        check_folder(tmp_path / "mine", "http://h:1", 3, "p")
    assert str(caught.value) == (
        f"{tmp_path / 'mine'} is not a pull folder (it holds notes.txt); pull into a new or "
        "empty --out folder, or the folder of an earlier pull of this project"
    )
    with pytest.raises(UsageError, match="is a file, not a folder"):
        check_folder(tmp_path / "mine" / "notes.txt", "http://h:1", 3, "p")
    (tmp_path / "crashed" / "snapshots").mkdir(parents=True)  # a first pull that died early
    (tmp_path / "crashed" / ".pull.lock").touch()
    (tmp_path / "crashed" / ".summary.json.k2x9_a.tmp").touch()  # being written, or left
    check_folder(tmp_path / "crashed", "http://h:1", 3, "p")


def test_a_pull_waits_for_the_folder_lock_a_bounded_time(tmp_path):
    from goldwire.annotate.pull_folder import pull_lock

    with pull_lock(tmp_path) as waited:
        assert waited < 1
        with pytest.raises(UsageError) as caught, pull_lock(tmp_path, timeout=0.2):
            pass
    assert str(caught.value) == (
        f"another goldwire pull into {tmp_path} has been writing for 0 s; wait for it to "
        "finish (or stop it) and pull again"
    )
    with pull_lock(tmp_path, timeout=0.2):  # free again
        pass


def test_a_stopped_snapshot_leaves_nothing_and_one_left_by_a_killed_pull_is_removed(
    tmp_path, monkeypatch
):
    from goldwire.annotate import pull_folder

    doc = Document(id="a", text="Lavrov")
    write_pull(tmp_path, {"ann": [doc]}, _report(tmp_path, {"ann": 1}))
    before = {p.name: p.read_bytes() for p in (tmp_path / "annotators").iterdir()}
    killed = tmp_path / "snapshots" / ".20260101T000000Z.partial"  # what a kill -9 leaves
    (killed / "annotators").mkdir(parents=True)

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(pull_folder, "write_problems", stopped)
        with pytest.raises(KeyboardInterrupt):
            write_pull(tmp_path, {"ann": [doc, Document(id="b", text="Baku")]},
                       _report(tmp_path, {"ann": 2}))  # fmt: skip
    snapshots = sorted(p.name for p in (tmp_path / "snapshots").iterdir())
    assert len(snapshots) == 1 and not snapshots[0].startswith(".")  # the first pull's only
    assert {p.name: p.read_bytes() for p in (tmp_path / "annotators").iterdir()} == before
    write_pull(tmp_path, {"ann": [doc]}, _report(tmp_path, {"ann": 1}))
    assert not any(p.name.startswith(".") for p in (tmp_path / "snapshots").iterdir())
