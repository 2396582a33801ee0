"""What a push knows about a project without asking the server: the index built from an
export, and the local record of the last push (trusted only while the server looks the same)."""

from __future__ import annotations

import json

from goldwire.annotate import client
from goldwire.annotate.client import Project
from goldwire.annotate.push_state import PushState, index_from_export, index_from_state


def test_export_index_keeps_copies_in_id_order_and_who_labelled_them():
    def line(eid, gid, entities=()):
        return json.dumps(
            {
                "id": eid,
                "text": f"t{gid}",
                "goldwire_id": gid,
                "entities": list(entities),
                "relations": [],
            }
        )

    files = {
        "admin": "\n".join([line(7, "a"), line(3, "a"), line(5, None)]).encode(),
        "ann": "\n".join([line(7, "a", [{"id": 1}]), line(3, "a"), line(5, None)]).encode(),
    }
    index = index_from_export(files, "admin")
    assert [e.id for e in index.by_gid["a"]] == [3, 7]
    assert index.by_gid["a"][1].users == {"ann"} and index.by_gid["a"][0].users == set()
    assert index.foreign == 1


def test_local_record_is_trusted_only_while_the_server_looks_the_same(tmp_path):
    project = Project(5, "p", client.SEQUENCE_LABELING, created_at="2024-01-01")
    state = PushState("http://h:1", project, tmp_path)
    newest = {"id": 9, "meta": {"goldwire_id": "a"}, "filename": "u/f"}
    state.docs = {"a": {"sha": "s", "users": []}}
    state.save(3, newest)
    again = PushState("http://h:1", project, tmp_path).load()
    assert again.docs == state.docs and again.valid(3, newest)
    assert not again.valid(4, newest)
    assert not again.valid(3, {**newest, "id": 10})
    recreated = Project(5, "p", client.SEQUENCE_LABELING, created_at="2024-02-02")
    assert PushState("http://h:1", recreated, tmp_path).load().docs == {}


def test_the_journal_of_batches_in_flight_survives_and_goes_when_empty(tmp_path):
    project = Project(5, "p", client.SEQUENCE_LABELING, created_at="2024-01-01")
    state = PushState("http://h:1", project, tmp_path)
    state.pending = [{"upload_id": "u1", "task_id": None, "docs": [["a", "s"]]}]
    state.save_journal()
    assert PushState("http://h:1", project, tmp_path).load().pending == state.pending
    state.pending = []
    state.save_journal()
    assert not state.journal.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


def test_an_index_from_the_local_record_knows_hashes_and_users_but_no_example_ids(tmp_path):
    project = Project(5, "p", client.SEQUENCE_LABELING)
    state = PushState("http://h:1", project, tmp_path)
    state.docs = {"a": {"sha": "s", "users": ["ann"]}}
    state.foreign = 2
    index = index_from_state(state)
    (example,) = index.by_gid["a"]
    assert (example.id, example.sha, example.users, index.foreign) == (None, "s", {"ann"}, 2)
    assert not index.complete_ids
    index.mark("a", "bob")
    assert index.first("a").users == {"ann", "bob"}


def test_pushes_to_one_project_name_take_turns_and_a_waiting_one_gives_up_in_one_line(tmp_path):
    import pytest

    from goldwire.annotate.push_state import project_name_lock
    from goldwire.errors import UsageError

    with project_name_lock("http://u:p@h:1/", ["seed", "seed-docstance"], tmp_path) as waited:
        assert waited < 1
        with (
            pytest.raises(UsageError) as caught,
            project_name_lock("http://h:1", ["seed-docstance", "seed"], tmp_path, timeout=0.2),
        ):
            pass
        with project_name_lock("http://h:1", ["other"], tmp_path, timeout=0.2):
            pass  # another name is free
        with project_name_lock("http://h:2", ["seed"], tmp_path, timeout=0.2):
            pass  # the same name at another server is free
    assert str(caught.value) == (
        "another goldwire push to project 'seed' at http://h:1 has been running for 0 s; "
        "wait for it to finish (or stop it) and push again"
    )
    with project_name_lock("http://h:1", ["seed"], tmp_path, timeout=0.2):
        pass  # released
