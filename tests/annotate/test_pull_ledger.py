"""The pull ledger: what the last pull took per project and member (files in a temporary
GOLDWIRE_HOME), and live counts from the real managed Doccano's metrics."""

from __future__ import annotations

import json
import secrets
import stat

import pytest

from goldwire.annotate import accounts, client, push
from goldwire.annotate.http import connect
from goldwire.annotate.pull_ledger import (
    WorkCounts,
    last_pulled,
    ledger_path,
    live_counts,
    record_pull,
    unpulled,
)
from goldwire.errors import UsageError
from goldwire.schema import Document, LabelSchema
from gwtest import example_ids

URL = "http://127.0.0.1:8000"


@pytest.fixture
def home(monkeypatch, tmp_path):
    monkeypatch.setenv("GOLDWIRE_HOME", str(tmp_path))
    return tmp_path


def test_describe_leaves_out_zeros_and_says_singular_or_plural():
    assert WorkCounts(12, 3, 0, 2).describe() == "12 spans, 3 stances, 2 confirmed examples"
    assert WorkCounts(1, 0, 1, 1).describe() == "1 span, 1 document stance, 1 confirmed example"
    assert WorkCounts().describe() == "no work"
    assert not WorkCounts().has_work() and WorkCounts(confirmed=1).has_work()


def test_record_and_read_back_per_server_and_project(home):
    record_pull(URL + "/", 7, {"ann": WorkCounts(1, 2, 3, 4), "bob": WorkCounts(5, 0, 0, 0)})
    record_pull("http://user:pw@127.0.0.1:8000", 7, {"ann": WorkCounts(2, 2, 3, 4)})
    record_pull(URL, 8, {"cy": WorkCounts(0, 0, 0, 1)})
    assert last_pulled(URL, 7) == {"ann": WorkCounts(2, 2, 3, 4), "bob": WorkCounts(5, 0, 0, 0)}
    assert last_pulled(URL, 8) == {"cy": WorkCounts(0, 0, 0, 1)}
    assert last_pulled("http://127.0.0.1:9000", 7) == {}
    path = home / "pulls" / "ledger.json"
    assert ledger_path() == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(path.read_text(encoding="utf-8"))
    assert list(data) == [URL]  # the user:password part never reaches the file
    assert data[URL]["7"]["bob"] == {"spans": 5, "relations": 0, "categories": 0, "confirmed": 0}


def test_unpulled_is_work_that_differs_from_the_last_pull():
    live = {
        "same": WorkCounts(1, 0, 0, 0),
        "more": WorkCounts(2, 0, 0, 0),
        "new": WorkCounts(0, 0, 1, 0),
        "idle": WorkCounts(),
    }
    last = {"same": WorkCounts(1, 0, 0, 0), "more": WorkCounts(1, 0, 0, 0)}
    names = ["same", "more", "new", "idle", "absent"]
    assert unpulled(live, last, names) == {"more": WorkCounts(2, 0, 0, 0), "new": live["new"]}


def test_a_broken_ledger_gives_one_line(home):
    path = home / "pulls" / "ledger.json"
    path.parent.mkdir()
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        last_pulled(URL, 1)
    assert str(caught.value) == (
        f"{path} is not a goldwire pull ledger (not a JSON object); delete it (the next pull "
        "of each project writes it again)"
    )


@pytest.mark.doccano
def test_live_counts_are_what_each_member_did(doccano_server):
    labels = LabelSchema.from_dict(
        {**LabelSchema.default().to_dict(), "doc_stance_targets": ["Armenia"]}
    )
    docs = [Document(id="a", text="Armenia and Azerbaijan."), Document(id="b", text="Baku.")]
    tag = secrets.token_hex(3)
    ann, bob = f"ann-{tag}", f"bob-{tag}"
    with connect(doccano_server.connection) as admin:
        report = push.push(admin, docs, push.PushOptions(f"ledger-{tag}", labels=labels,
                                                         guideline=""))  # fmt: skip
        main, ds = (t.project["id"] for t in report.targets)
        accounts.add_users(admin, [ann, bob])
        for pid in (main, ds):
            client.add_member(admin, pid, ann)
            client.add_member(admin, pid, bob)
        ids = example_ids(admin, main)
        ds_ids = example_ids(admin, ds)
        spans = client.sync_label_types(admin, main, client.LabelKind.span, []).ids
        rels = client.sync_label_types(admin, main, client.LabelKind.relation, []).ids
        cats = client.sync_label_types(admin, ds, client.LabelKind.category, []).ids
        with accounts.token_session(admin.url, ann) as me:
            a = client.create_span(me, main, ids["a"], 0, 7, spans["GPE"])
            b = client.create_span(me, main, ids["a"], 12, 22, spans["GPE"])
            client.create_span(me, main, ids["b"], 0, 4, spans["GPE"])
            client.create_relation(me, main, ids["a"], a, b, rels["NEUTRAL"])
            client.confirm_example(me, main, ids["a"])
            client.confirm_example(me, main, ids["b"])
            client.create_category(me, ds, ds_ids["a"], cats["Armenia:SUPPORT"])
        with accounts.token_session(admin.url, bob) as me:
            client.confirm_example(me, ds, ds_ids["b"])
        counts = live_counts(admin, main, ds)
        without_companion = live_counts(admin, main)
        companion_alone = live_counts(admin, ds)
    assert counts[ann] == WorkCounts(spans=3, relations=1, categories=1, confirmed=2)
    assert counts[bob] == WorkCounts(spans=0, relations=0, categories=0, confirmed=1)
    assert counts["admin"] == WorkCounts()
    assert without_companion[ann] == WorkCounts(3, 1, 0, 2)
    assert without_companion[bob] == WorkCounts()
    assert companion_alone[ann] == WorkCounts(categories=1)
    assert companion_alone[bob] == WorkCounts(confirmed=1)
