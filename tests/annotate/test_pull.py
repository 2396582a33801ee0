"""``goldwire annotate pull``: two annotators on a real server (the conversion units are in
test_records.py, the pull folder's writing in test_pull_folder.py).

The module fixture pushes four documents (and the ``-docstance`` project), lets two
annotators label them through the REST API (UTF-16 offsets, one span deliberately splitting
an emoji), edits one example's text behind goldwire's back, pulls through the CLI, removes one
annotator and pulls again.
"""

from __future__ import annotations

import json
import secrets

import pytest
from typer.testing import CliRunner

from goldwire.annotate import client, pull, push
from goldwire.annotate.http import connect
from goldwire.annotate.settings import Connection
from goldwire.schema import Document, LabelSchema, read_jsonl

# --------------------------------------------------------------------------- server


def utf16(text: str, cp: int) -> int:
    return len(text[:cp].encode("utf-16-le")) // 2


def _span(session, pid, ids, labels, doc, surface, label, shift=(0, 0)) -> int:
    a = doc.text.index(surface)
    start, end = utf16(doc.text, a) + shift[0], utf16(doc.text, a + len(surface)) + shift[1]
    return client.create_span(session, pid, ids[doc.id], start, end, labels[label])


DOCS = [
    Document(id="a", text="Armenia 🇦🇲 and Azerbaijan 🇦🇿 talk in Moscow."),
    Document(id="b", text="Baku 😀 accuses Yerevan."),
    Document(id="c", text="Lavrov said nothing new."),
    Document(id="d", text="Pashinyan spoke."),
]


def _ids(admin, pid: int) -> dict[str, int]:
    return {e["meta"]["goldwire_id"]: e["id"] for e in client.list_examples(admin, pid)}


@pytest.fixture(scope="module")
def world(_doccano_session, doccano_venv, tmp_path_factory):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GOLDWIRE_HOME", str(_doccano_session.home))
        env.setenv("GOLDWIRE_DOCCANO_VENV", str(doccano_venv))
        for name in (
            "GOLDWIRE_DOCCANO_URL",
            "GOLDWIRE_DOCCANO_USERNAME",
            "GOLDWIRE_DOCCANO_PASSWORD",
        ):
            env.delenv(name, raising=False)
        return _world(_doccano_session, tmp_path_factory)


def _world(server, tmp_path_factory) -> dict:
    admin = connect(server.connection)
    labels = LabelSchema.from_dict(
        {**LabelSchema.default().to_dict(), "doc_stance_targets": ["Armenia", "Azerbaijan"]}
    )
    name = f"pull-{secrets.token_hex(3)}"
    report = push.push(admin, DOCS, push.PushOptions(project=name, labels=labels, guideline=""))
    main, ds = (t.project["id"] for t in report.targets)
    users = {}
    for who in ("ann", "bob"):
        password = secrets.token_urlsafe(16)
        users[who] = Connection(admin.url, f"{who}-{secrets.token_hex(2)}", password)
        client.create_user(admin, users[who].username, password)
        for pid in (main, ds):
            client.add_member(admin, pid, users[who].username)
    ids, ds_ids = _ids(admin, main), _ids(admin, ds)
    spans = client.sync_label_types(admin, main, client.LabelKind.span, []).ids
    rels = client.sync_label_types(admin, main, client.LabelKind.relation, []).ids
    cats = client.sync_label_types(admin, ds, client.LabelKind.category, []).ids
    a, b, c, d = DOCS
    with connect(users["ann"]) as ann:
        arm = _span(ann, main, ids, spans, a, "Armenia", "GPE")
        aze = _span(ann, main, ids, spans, a, "Azerbaijan", "GPE")
        client.create_relation(ann, main, ids["a"], arm, aze, rels["NEUTRAL"])
        client.confirm_example(ann, main, ids["a"])
        client.create_category(ann, ds, ds_ids["a"], cats["Armenia:SUPPORT"])
        client.create_category(ann, ds, ds_ids["c"], cats["Azerbaijan:NEUTRAL"])
        _span(ann, main, ids, spans, d, "Pashinyan", "PER")
    with connect(users["bob"]) as bob:
        _span(bob, main, ids, spans, b, "Baku", "GPE")
        _span(bob, main, ids, spans, b, "Yerevan", "GPE")
        _span(bob, main, ids, spans, a, "🇦🇲", "GPE", shift=(1, 0))  # inside a surrogate pair
        client.confirm_example(bob, main, ids["c"])
    admin.request("PATCH", f"/v1/projects/{main}/examples/{ids['d']}", json={"text": "Edited."})
    out = tmp_path_factory.mktemp("pull") / "out"
    runner = CliRunner()
    from goldwire.cli import app

    first = runner.invoke(app, ["annotate", "pull", "--project", name, "--out", str(out)])
    members = {m.username: m.id for m in client.list_members(admin, main)}
    client.remove_members(admin, main, [members[users["bob"].username]])
    ds_members = {m.username: m.id for m in client.list_members(admin, ds)}
    client.remove_members(admin, ds, [ds_members[users["bob"].username]])
    second = pull.pull(admin, pull.PullOptions(project=name, out=out))
    admin.close()
    return {
        "name": name,
        "out": out,
        "first": first,
        "second": second,
        "ann": users["ann"].username,
        "bob": users["bob"].username,
    }


def _docs(path) -> dict[str, Document]:
    return {d.id: d for d in read_jsonl(path)}


def _snapshots(world) -> list:
    return sorted(p for p in (world["out"] / "snapshots").iterdir() if not p.name.startswith("."))


@pytest.mark.doccano
def test_each_annotator_gets_their_documents_with_code_point_offsets(world):
    first = _snapshots(world)[0] / "annotators"
    ann = _docs(first / f"{world['ann']}.jsonl")
    assert sorted(ann) == ["a", "c"]  # d's text changed in doccano: reported, left out
    assert [(e.start, e.end, e.text) for e in ann["a"].entities] == [
        (0, 7, "Armenia"),
        (15, 25, "Azerbaijan"),
    ]
    (stance,) = ann["a"].stances
    assert (stance.holder.text, stance.target.text, stance.label) == (
        "Armenia",
        "Azerbaijan",
        "NEUTRAL",
    )
    assert ann["a"].meta["doccano_confirmed"] == "true"
    bob = _docs(first / f"{world['bob']}.jsonl")
    assert sorted(bob) == ["a", "b", "c"]
    assert [e.text for e in bob["b"].entities] == ["Baku", "Yerevan"]
    assert bob["a"].entities == []  # the one span there could not be mapped
    assert bob["c"].entities == [] and bob["c"].meta["doccano_confirmed"] == "true"


@pytest.mark.doccano
def test_the_docstance_project_merges_into_doc_stances(world):
    ann = _docs(_snapshots(world)[0] / "annotators" / f"{world['ann']}.jsonl")
    assert [(s.target, s.label, s.annotators) for s in ann["a"].doc_stances] == [
        ("Armenia", "SUPPORT", [world["ann"]])
    ]
    assert ann["c"].entities == []
    assert [(s.target, s.label) for s in ann["c"].doc_stances] == [("Azerbaijan", "NEUTRAL")]


@pytest.mark.doccano
def test_problems_name_document_annotator_and_offsets_and_the_cli_says_how_many(world):
    result = world["first"]
    assert result.exit_code == 1
    assert "2 problem(s) (spans or documents that could not be mapped)" in result.stderr
    problems = [
        json.loads(line)
        for line in (_snapshots(world)[0] / "problems.jsonl").read_text().splitlines()
    ]
    by_kind = {p["kind"]: p for p in problems}
    assert set(by_kind) == {"unmappable_span", "text_changed"}
    span = by_kind["unmappable_span"]
    assert (span["document"], span["user"], span["label"]) == ("a", world["bob"], "GPE")
    assert (span["start"], span["end"]) == (9, 12)
    assert by_kind["text_changed"]["document"] == "d"
    assert by_kind["text_changed"]["user"] == world["ann"]


@pytest.mark.doccano
def test_summary_counts_documents_spans_relations_per_annotator(world):
    summary = json.loads((_snapshots(world)[0] / "summary.json").read_text())
    ann, bob = summary["annotators"][world["ann"]], summary["annotators"][world["bob"]]
    assert (ann["documents"], ann["confirmed"], ann["spans"], ann["relations"]) == (2, 1, 2, 1)
    assert ann["doc_stances"] == 2 and ann["problems"] == 1
    assert (bob["documents"], bob["confirmed"], bob["spans"], bob["problems"]) == (3, 1, 2, 1)
    assert summary["project"]["offsets"] == "utf16"
    assert summary["docstance_project"]["name"] == world["name"] + "-docstance"
    assert summary["problem_counts"] == {"unmappable_span": 1, "text_changed": 1}
    assert world["first"].stdout.startswith(f"pulled {world['name']} (4 documents)")


@pytest.mark.doccano
def test_a_removed_annotator_keeps_their_earlier_work(world):
    first, second = _snapshots(world)
    bob = f"{world['bob']}.jsonl"
    assert (first / "annotators" / bob).exists() and not (second / "annotators" / bob).exists()
    latest = world["out"] / "annotators" / bob
    assert latest.read_bytes() == (first / "annotators" / bob).read_bytes()
    summary = json.loads((world["out"] / "summary.json").read_text())
    assert summary["annotators"][world["bob"]]["in_project"] is False
    assert summary["annotators"][world["bob"]]["snapshot"] == f"snapshots/{first.name}"
    assert summary["annotators"][world["ann"]]["snapshot"] == f"snapshots/{second.name}"
    assert world["second"].annotators[world["bob"]].in_project is False


@pytest.mark.doccano
def test_pulling_an_unknown_project_says_what_to_do(cli, doccano_server, tmp_path):
    result = cli("annotate", "pull", "--project", "no-such-project", "--out", tmp_path)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: doccano at {doccano_server.url} has no project 'no-such-project' that user "
        "'admin' belongs to; push one with `goldwire annotate push`\n"
    )


@pytest.mark.doccano
def test_a_pull_folder_takes_one_project_only(cli, doccano_server, world):
    with connect(doccano_server.connection) as admin:
        other = f"other-{secrets.token_hex(3)}"
        push.push(admin, DOCS[:1], push.PushOptions(project=other, guideline=""))
    result = cli("annotate", "pull", "--project", other, "--out", world["out"])
    assert result.exit_code == 2
    assert f"{world['out']} holds pulls of project {world['name']!r}" in result.stderr


def test_an_example_counts_for_whoever_owns_suggestions_on_it_even_with_none_left():
    from goldwire.annotate import suggestion_record as sr
    from goldwire.annotate.pull_export import owns_suggestions as _owns_suggestions

    record = {
        sr.META_SUGGESTIONS: sr.encode({"alice": sr.OwnerRecord("m", [sr.SpanRecord(0, 4, "GPE")])})
    }
    assert _owns_suggestions(record, "alice")  # she deleted them all: her rejections count
    assert not _owns_suggestions(record, "source")  # a key of the record, not an owner
    assert not _owns_suggestions(record, "bob")
    assert not _owns_suggestions({sr.META_SUGGESTIONS: ""}, "alice")
    assert _owns_suggestions({sr.META_SUGGESTIONS: '{"alice": [broken'}, "alice")


@pytest.mark.doccano
def test_the_confirmed_only_export_is_left_out_until_someone_confirms(doccano_server, tmp_path):
    with connect(doccano_server.connection) as admin:
        name = f"unconfirmed-{secrets.token_hex(3)}"
        labels = LabelSchema.from_dict(
            {**LabelSchema.default().to_dict(), "doc_stance_targets": ["Armenia"]}
        )
        push.push(admin, DOCS[:2], push.PushOptions(project=name, labels=labels, guideline=""))
        project = pull._project(admin, name)
        ds = pull._docstance_project(admin, f"{name}-docstance")
        source = pull.ProjectSource(project, ds)
        pull.begin(admin, source)
        assert [(p.id, confirmed) for p, _, confirmed in source.tasks] == [
            (project.id, None),
            (ds.id, None),
        ]
        first = pull.pull(admin, pull.PullOptions(project=name, out=tmp_path / "out"))
        ids = _ids(admin, ds.id)
        client.confirm_example(admin, ds.id, ids["b"])  # a confirmation in the companion
        source = pull.ProjectSource(project, ds)
        pull.begin(admin, source)
        assert all(confirmed is not None for _, _, confirmed in source.tasks)
        second = pull.pull(admin, pull.PullOptions(project=name, out=tmp_path / "out"))
    user = doccano_server.connection.username
    assert (first.annotators[user].documents, first.annotators[user].confirmed) == (0, 0)
    # b comes back for its confirmation in the companion (``confirmed`` counts the project's)
    assert (second.annotators[user].documents, second.annotators[user].confirmed) == (1, 0)
