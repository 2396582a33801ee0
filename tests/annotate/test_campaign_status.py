"""``annotate status``: last activity as first seen (no server), and the status of one plain
project on the session's real Doccano server."""

from __future__ import annotations

import json
import secrets
from datetime import datetime

import pytest
from typer.testing import CliRunner

from goldwire.annotate import client, pull_ledger, push
from goldwire.annotate.http import connect
from goldwire.annotate.pull_ledger import WorkCounts, observe
from goldwire.annotate.settings import Connection
from goldwire.schema import Document
from gwtest import example_ids, type_ids


def test_last_activity_is_the_first_observation_of_a_change(monkeypatch, tmp_path):
    monkeypatch.setenv("GOLDWIRE_HOME", str(tmp_path))
    times = iter(["2026-01-01T10:00:00+00:00", "2026-01-02T10:00:00+00:00"])

    class Clock:
        @staticmethod
        def now(tz=None):
            return datetime.fromisoformat(next(times))

    monkeypatch.setattr(pull_ledger, "datetime", Clock)
    url = "http://127.0.0.1:9"
    nothing = WorkCounts()
    assert observe(url, 1, "ann", nothing, False) is None  # nothing done yet
    assert observe(url, 1, "ann", nothing, False) is None
    some = WorkCounts(spans=2, confirmed=1)
    assert observe(url, 1, "ann", some, True) == "2026-01-01T10:00:00+00:00"
    assert observe(url, 1, "ann", some, True) == "2026-01-01T10:00:00+00:00"  # no change
    more = WorkCounts(spans=3, confirmed=1)
    assert observe(url, 1, "ann", more, True) == "2026-01-02T10:00:00+00:00"
    assert observe(url, 2, "ann", more, False) is None  # another project: its own record
    # suggestions alone (not started) seen first: no activity yet
    assert observe(url, 3, "ben", WorkCounts(spans=5), False) is None
    saved = json.loads((tmp_path / "campaigns" / "activity.json").read_text())
    assert saved[f"{url} 1"]["ann"]["counts"] == more.to_dict()


@pytest.mark.doccano
def test_status_of_one_project_counts_every_member(doccano_server, tmp_path):
    tag = secrets.token_hex(3)
    name = f"st{tag}"
    docs = [Document(id=f"s{i}", text=f"Minsk hosts talks {i}.") for i in range(3)]
    with connect(doccano_server.connection) as admin:
        report = push.push(admin, docs, push.PushOptions(project=name, guideline=""))
        pid = report.targets[0].project["id"]
        who = Connection(admin.url, f"ann{tag}", secrets.token_urlsafe(12))
        client.create_user(admin, who.username, who.password)
        client.add_member(admin, pid, who.username)
        ids = example_ids(admin, pid)
        spans = type_ids(admin, pid, client.LabelKind.span)
    with connect(who) as ann:
        for gid in ("s0", "s1"):
            client.create_span(ann, pid, ids[gid], 0, 5, spans["GPE"])
        client.confirm_example(ann, pid, ids["s0"])
    from goldwire.cli import app

    result = CliRunner().invoke(app, ["annotate", "status", "--project", name, "--json", "-"])
    assert result.exit_code == 0, result.output
    status = json.loads(result.stdout)
    assert (status["project"], status["documents"], status["campaign"]) == (name, 3, None)
    mine = status["annotators"][who.username]
    assert (mine["assigned"], mine["confirmed"], mine["spans"], mine["stances"]) == (3, 1, 2, 0)
    assert mine["started"] is True and mine["last_activity"]
    admin_entry = status["annotators"]["admin"]
    assert (admin_entry["spans"], admin_entry["started"], admin_entry["last_activity"]) == (
        0,
        False,
        None,
    )
    assert "done_by_all" in status and status["done_by_all"] is None  # no plan: no such figure
