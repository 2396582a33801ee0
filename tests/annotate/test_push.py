"""``goldwire annotate push`` on the real server (the conversion units are in test_records.py,
the batching in test_upload.py, the local record and the index in test_push_state.py).

Server tests mark ``doccano``; each pushes into its own project of the session's server.
"""

from __future__ import annotations

import json
import secrets
from collections import Counter

import pytest

from goldwire.annotate import client, pull, push, push_state, records
from goldwire.annotate.http import connect
from goldwire.annotate.offsets import Unit
from goldwire.annotate.push_report import PushReport
from goldwire.annotate.push_state import Target
from goldwire.annotate.settings import Connection
from goldwire.annotate.upload import Uploader
from goldwire.progress import no_progress
from goldwire.schema import Document, LabelSchema, read_jsonl
from gwtest import SEED_ARTICLES, SEED_GOLD

LABELS = LabelSchema.default()


# --------------------------------------------------------------------------- server

doccano = pytest.mark.doccano


@pytest.fixture
def admin(doccano_server):
    with connect(doccano_server.connection) as session:
        yield session


def _name(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def _docs(n: int, prefix: str = "doc") -> list[Document]:
    return [
        Document(id=f"{prefix}{i}", text=f"  {prefix} {i}: Lavrov 😀 met Blinken in Геневе.  ")
        for i in range(n)
    ]


def _gids(admin, project_id: int) -> Counter:
    files = client.export_project(admin, project_id)
    return Counter(r.get("goldwire_id") for r in client.export_lines(next(iter(files.values()))))


@doccano
def test_push_creates_the_project_labels_and_guideline(admin):
    name = _name("create")
    report = push.push(admin, _docs(3), push.PushOptions(project=name))
    assert report.ok and report.targets[0].created and report.targets[0].uploaded == 3
    project = client.find_project(admin, name)
    assert (project.project_type, project.use_relation) == ("SequenceLabeling", True)
    assert (project.collaborative, project.grapheme_mode, project.unit) == (
        False,
        False,
        Unit.utf16,
    )
    assert project.guideline == push.GUIDELINES.read_text(encoding="utf-8").strip()
    spans = {t.text: t for t in client.list_label_types(admin, project.id, client.LabelKind.span)}
    assert list(spans) == LABELS.entity_labels
    per = LABELS.entities[0]
    assert (spans["PER"].background_color, spans["PER"].suffix_key) == (per.color, per.key)
    relations = client.list_label_types(admin, project.id, client.LabelKind.relation)
    assert [t.text for t in relations] == LABELS.stance_labels
    (example, *_) = client.list_examples(admin, project.id)
    assert sorted(example["meta"]) == ["goldwire_id", "goldwire_sha256", "goldwire_suggestions"]
    assert example["meta"]["goldwire_suggestions"] == ""  # pushed without suggestions
    assert example["text"] == _docs(1)[0].text  # surrounding spaces kept


@doccano
def test_pushing_twice_uploads_nothing_new(admin):
    name, docs = _name("twice"), _docs(5)
    first = push.push(admin, docs, push.PushOptions(project=name, batch_docs=2))
    assert first.targets[0].batches == 3
    again = push.push(admin, docs, push.PushOptions(project=name))
    target = again.targets[0]
    assert (target.uploaded, target.unchanged, target.listing) == (0, 5, "local record")
    assert not target.created and target.labels[0]["unchanged"] == LABELS.entity_labels
    checked = push.push(admin, docs, push.PushOptions(project=name, trust_local_record=False))
    assert checked.targets[0].listing == "export" and checked.targets[0].unchanged == 5
    more = push.push(admin, docs + _docs(2, "new"), push.PushOptions(project=name))
    assert more.targets[0].uploaded == 2
    assert _gids(admin, first.targets[0].project["id"]) == Counter(
        {d.id: 1 for d in docs + _docs(2, "new")}
    )


@doccano
def test_a_document_with_another_text_is_reported_not_overwritten(admin):
    name = _name("mismatch")
    push.push(admin, _docs(2), push.PushOptions(project=name))
    changed = [Document(id="doc1", text="a different text"), *_docs(3)[2:]]
    report = push.push(admin, changed, push.PushOptions(project=name))
    (problem,) = report.problems
    assert (problem.kind, problem.document, problem.project) == ("text_mismatch", "doc1", name)
    assert report.targets[0].uploaded == 1 and report.targets[0].mismatched == 1
    (example,) = [
        e
        for e in client.list_examples(admin, report.targets[0].project["id"])
        if e["meta"]["goldwire_id"] == "doc1"
    ]
    assert example["text"] == _docs(2)[1].text


@doccano
def test_an_interrupted_push_completes_without_duplicates(admin, monkeypatch):
    name, docs = _name("resume"), _docs(7)
    real_wait = client.wait_task
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise KeyboardInterrupt  # Ctrl-C while two batches are in flight
        return real_wait(*args, **kwargs)

    monkeypatch.setattr(client, "wait_task", interrupted)
    with pytest.raises(KeyboardInterrupt):
        push.push(admin, docs, push.PushOptions(project=name, batch_docs=2))
    monkeypatch.setattr(client, "wait_task", real_wait)
    report = push.push(admin, docs, push.PushOptions(project=name, batch_docs=2))
    target = report.targets[0]
    assert report.ok, report.problems
    assert target.resumed_batches == 2 and target.listing == "export"
    assert target.unchanged == 4 and target.uploaded == 3
    assert _gids(admin, target.project["id"]) == Counter({d.id: 1 for d in docs})


KILL_AFTER_FIRST_BATCH = r"""
import os, signal, sys
from goldwire.annotate import push
from goldwire.annotate.http import connect
from goldwire.annotate.settings import resolve_connection
from goldwire.schema import read_jsonl


def progress(phase, done, total):
    if phase.endswith("uploading") and done > 0:  # the first batch is in, the second in flight
        os.kill(os.getpid(), signal.SIGKILL)


docs = list(read_jsonl(sys.argv[1]))
with connect(resolve_connection()) as session:
    push.push(session, docs, push.PushOptions(project=sys.argv[2], batch_docs=2), progress)
"""


@doccano
def test_a_push_killed_after_its_first_batch_completes_when_rerun(admin, tmp_path):
    import subprocess
    import sys

    from goldwire.schema import write_jsonl

    name, docs = _name("killed"), _docs(7)
    write_jsonl(docs, tmp_path / "docs.jsonl")
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_FIRST_BATCH, str(tmp_path / "docs.jsonl"), name],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -9, killed.stderr
    journals = list((push_state._state_dir()).glob("*.pending.json"))
    assert any(json.loads(j.read_text()) for j in journals)
    report = push.push(admin, docs, push.PushOptions(project=name, batch_docs=2))
    target = report.targets[0]
    assert report.ok and target.resumed_batches == 1
    assert (target.unchanged, target.uploaded) == (4, 3)
    assert _gids(admin, target.project["id"]) == Counter({d.id: 1 for d in docs})


@doccano
def test_duplicates_the_server_made_are_deleted_keeping_the_lowest_id(admin):
    name, docs = _name("dups"), _docs(3)
    first = push.push(admin, docs, push.PushOptions(project=name))
    project = client.find_project(admin, name)
    lines = b"".join(records.encode_line(records.upload_line(d, project, None)) for d in docs)
    upload_id = client.upload_file(admin, lines, "again.jsonl")  # the same file once more
    client.wait_task(admin, client.start_import(admin, project, upload_id))
    lowest: dict[str, int] = {}
    for e in client.list_examples(admin, project.id):
        gid = e["meta"]["goldwire_id"]
        lowest[gid] = min(lowest.get(gid, e["id"]), e["id"])
    assert client.example_count(admin, project.id) == 6
    report = push.push(admin, docs, push.PushOptions(project=name))
    assert report.targets[0].duplicates_removed == 3 and report.ok
    assert any("duplicate" in note for note in report.notes)
    after = {e["meta"]["goldwire_id"]: e["id"] for e in client.list_examples(admin, project.id)}
    assert after == lowest and len(after) == 3  # the first (lowest) copies stay
    assert first.targets[0].uploaded == 3


@doccano
def test_a_batch_imported_twice_is_cleaned_up_after_the_batch(admin):
    """What a retried import task leaves behind: the batch's examples twice, same upload."""
    name, (doc,) = _name("retry"), _docs(1)
    first = push.push(admin, [], push.PushOptions(project=name))
    project = client.find_project(admin, name)
    line = records.encode_line(records.upload_line(doc, project, None))
    upload_id = client.upload_file(admin, line + line, "retried.jsonl")
    task_id = client.start_import(admin, project, upload_id)
    report = PushReport(url=admin.url, user=admin.username)
    uploader = Uploader(admin, report, no_progress)
    target = Target(project, first.targets[0], {})
    entry = {"upload_id": upload_id, "task_id": task_id, "docs": [[doc.id, doc.text_sha256]]}
    assert uploader.check_batch(target, entry) == {doc.id}
    assert target.report.duplicates_removed == 1 and not report.problems
    assert client.example_count(admin, project.id) == 1


@doccano
def test_seed_gold_arrives_as_the_admins_suggestions(admin, tmp_path):
    from goldwire.corpus.build import BuildConfig, build_corpus
    from goldwire.corpus.dataset import iter_documents

    build_corpus(BuildConfig(inputs=(SEED_ARTICLES,), out=tmp_path / "seed", minhash=None))
    docs = list(iter_documents(tmp_path / "seed"))
    gold = push.read_predictions(SEED_GOLD / "seed.jsonl")
    name = _name("seed")
    options = push.PushOptions(project=name, predictions=gold)
    report = push.push(admin, docs, options)
    assert report.ok, report.problems
    assert report.targets[0].uploaded_labels == {"relations": 8, "spans": 43}
    again = push.push(admin, docs, options)
    assert again.ok and again.targets[0].suggestions_created == {}
    out = tmp_path / "pulled"
    pull.pull(admin, pull.PullOptions(project=name, out=out))
    (mine,) = read_jsonl(out / "annotators" / f"{admin.username}.jsonl")
    (expected,) = gold.values()
    assert [(e.start, e.end, e.label, e.text) for e in mine.entities] == sorted(
        (e.start, e.end, e.label, e.text) for e in expected.entities
    )
    assert sorted((s.holder.text, s.target.text, s.label) for s in mine.stances) == sorted(
        (s.holder.text, s.target.text, s.label) for s in expected.stances
    )


@doccano
def test_suggestions_for_an_annotator_are_created_as_that_annotator(admin, annotated_doc):
    user, password = f"sug-{secrets.token_hex(2)}", secrets.token_urlsafe(16)
    client.create_user(admin, user, password)
    docs = _docs(2)
    preds = {
        d.id: annotated_doc(
            d.text, [(d.text.index("Lavrov"), d.text.index("Lavrov") + 6, "PER")], id_=d.id
        )
        for d in docs
    }
    name = _name("asuser")
    with connect(Connection(admin.url, user, password)) as annotator:
        options = push.PushOptions(project=name, predictions=preds, as_user=annotator)
        report = push.push(admin, docs, options)
        assert report.ok, report.problems
        assert report.targets[0].suggestions_created == {"spans": 2}
        pid = report.targets[0].project["id"]
        ids = [e["id"] for e in client.list_examples(admin, pid)]
        own = client.list_own(annotator, pid, ids[0], "spans")
        assert [(s["start_offset"], s["end_offset"]) for s in own] == [(9, 15)]
        assert client.list_own(admin, pid, ids[0], "spans") == []
        again = push.push(admin, docs, options)
        assert again.ok and again.targets[0].suggestions_created == {}
    assert any(user in note for note in report.notes)  # made a project member


@doccano
def test_cli_push_prints_what_it_did_and_fails_on_problems(cli, doccano_server, tmp_path):
    name = _name("cli")
    path = tmp_path / "docs.jsonl"
    from goldwire.schema import write_jsonl

    write_jsonl(_docs(2), path)
    result = cli("annotate", "push", path, "--project", name)
    assert result.exit_code == 0, result.output
    assert f"{name} (id " in result.stdout and "2 uploaded" in result.stdout
    write_jsonl([Document(id="doc0", text="changed")], path)
    problems = tmp_path / "problems.jsonl"
    args = ("annotate", "push", path, "--project", name, "--problems", problems)
    result = cli(*args, "--json", "-")
    assert result.exit_code == 1
    data = json.loads(result.stdout)  # standard output holds the JSON alone
    assert data["problem_counts"] == {"text_mismatch": 1}
    assert "1 problem(s): 1 text_mismatch" in result.stderr
    report = tmp_path / "push.json"  # --json PATH: a file, and the usual summary
    result = cli(*args, "--json", report)
    assert result.exit_code == 1 and not (tmp_path / "-").exists()
    assert json.loads(report.read_text())["problem_counts"] == {"text_mismatch": 1}
    assert f"{name} (id " in result.stdout
    assert json.loads(problems.read_text())["document"] == "doc0"
    result = cli("annotate", "push", path, "--project", name)
    assert "1 problem(s): 1 text_mismatch" in result.stderr
    assert "document doc0: doccano holds this id with another text" in result.stderr


def test_cli_push_errors_are_one_line_with_exit_codes(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("GOLDWIRE_DOCCANO_AS_USER_PASSWORD", raising=False)
    missing = tmp_path / "nothing.jsonl"
    result = cli("annotate", "push", missing, "--project", "p")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {missing}: no such file or folder; give a goldwire dataset folder "
        "(`goldwire corpus build`) or a goldwire JSONL file\n"
    )
    result = cli("annotate", "push", missing, "--project", "p", "--as-user", "ann")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --as-user ann needs that user's password in GOLDWIRE_DOCCANO_AS_USER_PASSWORD "
        "or the API token `goldwire annotate users add ann` saves\n"
    )
