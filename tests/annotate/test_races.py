"""Pull and push under stress on the real server: usernames that are not file names, an
example text edited behind goldwire's back, twenty pulls into one folder at once, two pushes
creating one project at once, an --out that is not a pull folder."""

from __future__ import annotations

import json
import secrets
import subprocess
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from goldwire.annotate import client, pull, push
from goldwire.annotate.annotations import load_annotations
from goldwire.annotate.http import connect
from goldwire.annotate.server_venv import backend_dir, venv_python
from goldwire.annotate.settings import Connection
from goldwire.schema import Document, read_jsonl

doccano = pytest.mark.doccano

DOCS = [
    Document(id="a", text="Lavrov met Blinken."),
    Document(id="b", text="Baku said no."),
    Document(id="c", text="Yerevan waits."),
]

ORM_USER = r"""
import sys
import django
django.setup()
from django.contrib.auth import get_user_model
user = get_user_model().objects.create(username=sys.argv[1], email="x@example.invalid")
user.set_password(sys.argv[2])
user.save()
"""


def _orm_user(server, venv, username: str, password: str) -> None:
    """Create a user through doccano's ORM, past its username validators."""
    backend = backend_dir(venv)
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": f"{backend}:{server.paths.root}",
        "DJANGO_SETTINGS_MODULE": server.paths.settings_module.stem,
    }
    subprocess.run([str(venv_python(venv)), "-c", ORM_USER, username, password],
                   cwd=backend, env=env, check=True, capture_output=True)  # fmt: skip


def _project(admin, prefix: str) -> tuple[str, int, dict[str, int], dict[str, int]]:
    name = f"{prefix}-{secrets.token_hex(3)}"
    report = push.push(admin, DOCS, push.PushOptions(project=name, guideline=""))
    pid = report.targets[0].project["id"]
    ids = {e["meta"]["goldwire_id"]: e["id"] for e in client.list_examples(admin, pid)}
    spans = client.sync_label_types(admin, pid, client.LabelKind.span, []).ids
    return name, pid, ids, spans


def _annotator(admin, pid: int, username: str | None = None) -> Connection:
    password = secrets.token_urlsafe(16)
    user = Connection(admin.url, username or f"u-{secrets.token_hex(3)}", password)
    email = f"user{secrets.token_hex(4)}@example.invalid"  # ".x@..." is no valid address
    client.create_user(admin, user.username, password, email=email)
    client.add_member(admin, pid, user.username)
    return user


def _label(user: Connection, pid: int, ids, spans, marks) -> None:
    """``marks``: ``(doc id, start, end, label)`` in code points (ASCII texts: = UTF-16)."""
    with connect(user) as session:
        for gid, start, end, label in marks:
            client.create_span(session, pid, ids[gid], start, end, spans[label])


# --------------------------------------------------------------------------- usernames


@doccano
def test_usernames_that_are_no_file_names_are_pulled_under_safe_files(
    doccano_server, doccano_venv, tmp_path
):
    with connect(doccano_server.connection) as admin:
        name, pid, ids, spans = _project(admin, "names")
        tag = secrets.token_hex(2)
        mallory = _annotator(admin, pid, f".mallory{tag}")
        dots = _annotator(admin, pid, f"..{tag}")
        evil = f"../evil{tag}"
        _orm_user(doccano_server, doccano_venv, evil, secrets.token_urlsafe(16))
        client.add_member(admin, pid, evil)
        _label(mallory, pid, ids, spans, [("a", 0, 6, "PER")])
        _label(dots, pid, ids, spans, [("a", 0, 6, "PER"), ("b", 0, 4, "GPE")])
        out = tmp_path / "out"
        report = pull.pull(admin, pull.PullOptions(project=name, out=out))
    files = sorted(p.name for p in (out / "annotators").iterdir())
    assert files and not any(f.startswith(".") or "/" in f for f in files)
    assert [p for p in tmp_path.iterdir() if p != out] == []  # nothing beside the folder
    problems = [(p.kind, p.user) for p in report.problems]
    assert problems == [("export_missing", evil)]  # every member accounted for
    summary = json.loads((out / "summary.json").read_text())["annotators"]
    assert summary[evil]["exported"] is False and summary[evil]["documents"] == 0
    assert (summary[mallory.username]["documents"], summary[dots.username]["documents"]) == (1, 2)
    assert summary["admin"]["documents"] == 0  # a member with no work
    annotations = load_annotations(out, include_unconfirmed=True)
    assert set(annotations.annotators) == {mallory.username, dots.username}
    assert annotations.documents_by_annotator() == {mallory.username: 1, dots.username: 2}
    (doc,) = read_jsonl(out / "annotators" / summary[mallory.username]["file"])
    assert doc.annotation.annotators == [mallory.username]


# --------------------------------------------------------------------------- edited texts


@doccano
def test_an_edited_example_text_is_a_problem_and_empties_no_latest_file(doccano_server, tmp_path):
    with connect(doccano_server.connection) as admin:
        name, pid, ids, spans = _project(admin, "edited")
        ann, bob = _annotator(admin, pid), _annotator(admin, pid)
        _label(ann, pid, ids, spans, [("a", 0, 6, "PER"), ("b", 0, 4, "GPE")])
        _label(bob, pid, ids, spans, [("b", 0, 4, "GPE")])
        out = tmp_path / "out"
        first = pull.pull(admin, pull.PullOptions(project=name, out=out))
        admin.request("PATCH", f"/v1/projects/{pid}/examples/{ids['b']}", json={"text": "Edited."})
        _label(ann, pid, ids, spans, [("c", 0, 7, "GPE")])
        later = pull.pull(admin, pull.PullOptions(project=name, out=out))
    assert sorted((p.kind, p.document, p.user) for p in later.problems) == sorted(
        [("text_changed", "b", ann.username), ("text_changed", "b", bob.username)]
    )
    latest = out / "annotators"
    kept = {d.id: d for d in read_jsonl(latest / f"{ann.username}.jsonl")}
    assert sorted(kept) == ["a", "b", "c"]  # a and c from this pull, b from the first
    assert [e.text for e in kept["b"].entities] == ["Baku"]
    assert kept["b"].meta["goldwire_carried_from"] == first.snapshot
    assert "goldwire_carried_from" not in kept["c"].meta
    (bobs,) = read_jsonl(latest / f"{bob.username}.jsonl")
    assert (bobs.id, bobs.text) == ("b", "Baku said no.")
    snapshot = out / later.snapshot / "annotators"
    assert sorted(d.id for d in read_jsonl(snapshot / f"{ann.username}.jsonl")) == ["a", "c"]
    assert (later.annotators[ann.username].carried, later.annotators[bob.username].carried) == (
        1,
        1,
    )


# --------------------------------------------------------------------------- concurrency


@doccano
def test_twenty_pulls_at_once_into_one_folder_all_succeed(doccano_server, tmp_path):
    with connect(doccano_server.connection) as admin:
        name, pid, ids, spans = _project(admin, "many")
        ann = _annotator(admin, pid)
        _label(ann, pid, ids, spans, [("a", 0, 6, "PER"), ("c", 0, 7, "GPE")])
    out = tmp_path / "out"

    def one(_: int):
        with connect(doccano_server.connection) as session:
            return pull.pull(session, pull.PullOptions(project=name, out=out))

    with ThreadPoolExecutor(max_workers=20) as pool:
        reports = list(pool.map(one, range(20)))
    assert all(r.ok for r in reports)
    snapshots = sorted(p.name for p in (out / "snapshots").iterdir())
    assert len(snapshots) == 20 and not any(s.startswith(".") for s in snapshots)
    assert sorted(r.snapshot for r in reports) == sorted(f"snapshots/{s}" for s in snapshots)
    summary = json.loads((out / "summary.json").read_text())
    latest = (out / "annotators" / f"{ann.username}.jsonl").read_bytes()
    assert (
        latest == (out / summary["snapshot"] / "annotators" / f"{ann.username}.jsonl").read_bytes()
    )
    assert [d.id for d in read_jsonl(out / "annotators" / f"{ann.username}.jsonl")] == ["a", "c"]


@doccano
def test_two_pushes_at_once_to_a_new_name_make_one_project(doccano_server):
    name = f"twice-{secrets.token_hex(3)}"
    docs = [Document(id=f"d{i}", text=f"Document {i} about Baku.") for i in range(30)]

    def one(_: int):
        with connect(doccano_server.connection) as session:
            return push.push(session, docs, push.PushOptions(project=name, guideline=""))

    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(one, range(2)))
    assert all(r.ok for r in reports)
    assert sorted(r.targets[0].created for r in reports) == [False, True]
    with connect(doccano_server.connection) as admin:
        page = admin.json("GET", "/v1/projects", params={"q": name, "limit": 100})
        (project,) = [p for p in page["results"] if p["name"] == name]
        files = client.export_project(admin, project["id"])
    gids = Counter(r["goldwire_id"] for r in client.export_lines(next(iter(files.values()))))
    assert gids == Counter({d.id: 1 for d in docs})


# --------------------------------------------------------------------------- --out


@doccano
def test_pull_refuses_an_out_folder_that_is_not_a_pull_folder(cli, doccano_server, tmp_path):
    with connect(doccano_server.connection) as admin:
        name, *_ = _project(admin, "refuse")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    result = cli("annotate", "pull", "--project", name, "--out", mine)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {mine} is not a pull folder (it holds thesis.tex); pull into a new or empty "
        "--out folder, or the folder of an earlier pull of this project\n"
    )
    assert sorted(p.name for p in mine.iterdir()) == ["thesis.tex"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli("annotate", "pull", "--project", name, "--out", empty).exit_code == 0
    assert (empty / "summary.json").is_file()
