"""A whole annotation campaign on the session's real Doccano server, through the CLI.

The module fixture creates three accounts (``annotate users add``, passwords on standard
input), assigns 30 documents with overlap 0.2 and two annotators per overlap document, lets
every annotator label and confirm their share through the REST API with their own saved
token (on the shared documents the second annotator says ORG where the first says GPE on
every other document), extends the campaign with 10 new documents and a fourth annotator,
pulls the campaign, runs agreement and status. Expected figures are derived here from what the
test did, never read back from goldwire's output.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import subprocess

import pytest
from typer.testing import CliRunner

from goldwire.annotate import client
from goldwire.annotate.accounts import token_session
from goldwire.annotate.campaign_plan import load_plan
from goldwire.schema import Document, read_jsonl, write_jsonl
from gwtest import example_ids, type_ids

pytestmark = pytest.mark.doccano


def utf16(text: str, cp: int) -> int:
    return len(text[:cp].encode("utf-16-le")) // 2


def _doc(i: int) -> Document:
    # an emoji first, so that doccano's UTF-16 offsets differ from code points
    return Document(id=f"n{i:02d}", text=f"😀 Lavrov met envoys in Moscow on day {i}.")


def _invoke(*args: str, input: str | None = None):
    from goldwire.cli import app

    return CliRunner().invoke(app, [str(a) for a in args], input=input)


def _env(env: pytest.MonkeyPatch, server, venv) -> None:
    env.setenv("GOLDWIRE_HOME", str(server.home))
    env.setenv("GOLDWIRE_DOCCANO_VENV", str(venv))
    for name in ("GOLDWIRE_DOCCANO_URL", "GOLDWIRE_DOCCANO_USERNAME", "GOLDWIRE_DOCCANO_PASSWORD"):
        env.delenv(name, raising=False)


@pytest.fixture(scope="module")
def campaign(_doccano_session, doccano_venv, tmp_path_factory):
    with pytest.MonkeyPatch.context() as env:
        _env(env, _doccano_session, doccano_venv)
        yield _campaign(_doccano_session, tmp_path_factory.mktemp("campaign"))


def _add_users(names: list[str], passwords: dict[str, str]):
    lines = "".join(passwords[n] + "\n" for n in names)
    return _invoke("annotate", "users", "add", *names, "--new-password-stdin", input=lines)


def _annotate(url: str, name: str, pid: int, docs: dict[str, Document], did: dict) -> None:
    """``name`` labels and confirms each document of ``docs``: Lavrov PER and Moscow (GPE,
    or ORG on the documents in ``did["org"]``), a SUPPORT stance Lavrov -> Moscow on the
    documents in ``did["stance"]``."""
    with token_session(url, name) as me:
        ids = example_ids(me, pid)
        spans = type_ids(me, pid, client.LabelKind.span)
        rels = type_ids(me, pid, client.LabelKind.relation)
        for gid, doc in docs.items():
            a = doc.text.index("Lavrov")
            m = doc.text.index("Moscow")
            holder = client.create_span(me, pid, ids[gid], utf16(doc.text, a),
                                        utf16(doc.text, a + 6), spans["PER"])  # fmt: skip
            label = "ORG" if gid in did["org"] else "GPE"
            target = client.create_span(me, pid, ids[gid], utf16(doc.text, m),
                                        utf16(doc.text, m + 6), spans[label])  # fmt: skip
            if gid in did["stance"]:
                client.create_relation(me, pid, ids[gid], holder, target, rels["SUPPORT"])
            client.confirm_example(me, pid, ids[gid])


def _campaign(server, tmp) -> dict:
    tag = secrets.token_hex(3)
    name = f"camp{tag}"
    users = [f"alice{tag}", f"bob{tag}", f"carol{tag}"]
    dave = f"dave{tag}"
    passwords = {u: secrets.token_urlsafe(15) for u in [*users, dave]}
    added = _add_users(users, passwords)
    first30, all40 = tmp / "first30.jsonl", tmp / "all40.jsonl"
    write_jsonl([_doc(i) for i in range(30)], first30)
    write_jsonl([_doc(i) for i in range(40)], all40)
    reports = tmp / "reports"
    reports.mkdir()
    assigned = _invoke("annotate", "assign", first30, "--campaign", name, "--annotators",
                       ",".join(users), "--overlap", "0.2", "--per-document", "2",
                       "--json", reports / "assign1.json")  # fmt: skip
    plan1 = load_plan(server.url, name)
    docs = {d.id: d for d in read_jsonl(first30)}
    did: dict = {"org": set(), "stance": set(), "by": {}}
    # on every other shared document the second annotator says ORG for Moscow
    shared = sorted(gid for gid, who in plan1.assigned.items() if len(who) > 1)
    second = {gid: plan1.assigned[gid][1] for gid in shared[::2]}
    with client_admin(server) as admin:
        for user in users:
            mine = {gid: docs[gid] for gid in plan1.documents_of(user)}
            stance = set(sorted(mine)[::3])
            org = {gid for gid, who in second.items() if who == user}
            did["by"][user] = {"docs": len(mine), "stance": len(stance), "org": len(org)}
            pid = client.find_project(admin, plan1.projects[user]).id
            _annotate(server.url, user, pid, mine, {"org": org, "stance": stance})
    added_dave = _add_users([dave], passwords)
    extended = _invoke("annotate", "assign", all40, "--campaign", name, "--annotators",
                       ",".join([*users, dave]), "--overlap", "0.2", "--per-document", "2",
                       "--json", reports / "assign2.json")  # fmt: skip
    plan2 = load_plan(server.url, name)
    out = tmp / "pull"
    pulled = _invoke("annotate", "pull", "--campaign", name, "--out", out,
                     "--json", reports / "pull.json")  # fmt: skip
    agreed = _invoke("annotate", "agreement", out, "--json", reports / "agreement.json")
    status = _invoke("annotate", "status", "--campaign", name, "--json", reports / "status.json")
    gold = tmp / "gold" / "gold.jsonl"
    adjudicated = _invoke("annotate", "adjudicate", out, "--out", gold,
                          "--json", reports / "adjudicate.json")  # fmt: skip
    # the review round, dave reviewing: no password in the environment, his saved token
    reviewed = _invoke("annotate", "review", out, "--project", f"{name}-review", "--reviewer",
                       dave, "--json", reports / "review.json")  # fmt: skip
    return {"name": name, "users": users, "dave": dave, "passwords": passwords, "tmp": tmp,
            "plan1": plan1, "plan2": plan2, "did": did, "shared": shared, "second": second,
            "out": out, "reports": reports, "server": server,
            "results": {"added": added, "assigned": assigned, "added_dave": added_dave,
                        "extended": extended, "pulled": pulled, "agreed": agreed,
                        "status": status, "adjudicated": adjudicated, "reviewed": reviewed},
            "gold": gold}  # fmt: skip


def client_admin(server):
    from goldwire.annotate.http import connect

    return connect(server.connection)


def _json(campaign, name: str) -> dict:
    return json.loads((campaign["reports"] / name).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- tests


def test_every_command_of_the_campaign_succeeded(campaign):
    for what, result in campaign["results"].items():
        assert result.exit_code == 0, (what, result.output, result.stderr)


def test_thirty_documents_are_dealt_with_six_shared_by_two(campaign):
    plan = campaign["plan1"]
    assert sorted(plan.assigned) == [f"n{i:02d}" for i in range(30)]
    shared = campaign["shared"]
    # exactly round(0.2 x 30) = 6: the six smallest sha256(seed + id), seed "goldwire"
    ranked = sorted(
        plan.assigned, key=lambda g: hashlib.sha256(f"goldwire{g}".encode()).hexdigest()
    )
    assert shared == sorted(ranked[:6])
    for gid, who in plan.assigned.items():
        assert len(set(who)) == len(who) == (2 if gid in shared else 1)
    # 30 + 6 = 36 shares over 3 annotators: 12 each
    assert {u: len(plan.documents_of(u)) for u in campaign["users"]} == dict.fromkeys(
        campaign["users"], 12
    )
    report = _json(campaign, "assign1.json")
    assert (report["documents"], report["overlap_documents"]) == (30, 6)
    for user in campaign["users"]:
        entry = report["annotators"][user]
        assert (entry["assigned"], entry["uploaded"], entry["membership"]) == (12, 12, "added")


def test_each_annotator_has_their_own_project_with_exactly_their_documents(campaign):
    plan = campaign["plan2"]
    with client_admin(campaign["server"]) as admin:
        for user in [*campaign["users"], campaign["dave"]]:
            project = client.find_project(admin, f"{campaign['name']}--{user}")
            ids = {e["meta"]["goldwire_id"] for e in client.list_examples(admin, project.id)}
            assert ids == set(plan.documents_of(user))
            roles = {m.username: m.role for m in client.list_members(admin, project.id)}
            assert roles[user] == "annotator"
            others = set(roles) - {user, admin.username}
            assert not others  # no other annotator sees this project


def test_extending_keeps_every_earlier_assignment_and_deals_the_new_ones(campaign):
    before, after = campaign["plan1"], campaign["plan2"]
    for gid, who in before.assigned.items():
        assert after.assigned[gid] == who
    new = [f"n{i:02d}" for i in range(30, 40)]
    assert sorted(set(after.assigned) - set(before.assigned)) == new
    # round(0.2 x 10) = 2 new shared documents; 10 + 2 = 12 shares over 4: 3 each
    assert sum(1 for gid in new if len(after.assigned[gid]) == 2) == 2
    for user in [*campaign["users"], campaign["dave"]]:
        assert sum(1 for gid in new if user in after.assigned[gid]) == 3
    report = _json(campaign, "assign2.json")
    assert report["round"]["joined"] == [campaign["dave"]]
    assert (report["documents"], report["overlap_documents"]) == (40, 8)
    for user in campaign["users"]:
        assert report["annotators"][user]["new"] == 3
        assert report["annotators"][user]["uploaded"] == 3


def test_the_campaign_pull_has_each_annotators_own_work(campaign):
    out = campaign["out"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["problems"] == 0
    for user in campaign["users"]:
        did = campaign["did"]["by"][user]
        docs = list(read_jsonl(out / "annotators" / f"{user}.jsonl"))
        assert sorted(d.id for d in docs) == sorted(campaign["plan1"].documents_of(user))
        assert sum(len(d.entities) for d in docs) == 2 * did["docs"]
        assert sum(len(d.stances) for d in docs) == did["stance"]
        assert sum(1 for d in docs for e in d.entities if e.label == "ORG") == did["org"]
        for d in docs:
            moscow = d.text.index("Moscow")
            assert any((e.start, e.end) == (moscow, moscow + 6) for e in d.entities)
        entry = summary["annotators"][user]
        assert (entry["documents"], entry["confirmed"]) == (12, 12)
    assert summary["annotators"][campaign["dave"]]["documents"] == 0
    plan = json.loads((out / "campaign.json").read_text())
    assert plan["assigned"] == campaign["plan2"].assigned


def test_agreement_is_measured_on_the_shared_documents_only(campaign):
    result = _json(campaign, "agreement.json")
    assert result["campaign"]["assigned_to_several"] == 8
    assert result["campaign"]["documents_assigned"] == 40
    # the 6 shared documents of round one were annotated by both; the 2 new ones by nobody
    assert result["documents"] == 6 == result["documents_multiply_annotated"]
    # per shared document: Lavrov agrees (1 correct); Moscow agrees unless the second
    # annotator said ORG (same span, other label: 1 incorrect, i.e. 1 fp + 1 fn); ORG on
    # every other one of the 6: 3 disagreements
    tp, fp, fn = 6 + 3, 3, 3
    counts = result["spans"]["exact"]["overall"]
    assert (counts["cor"], counts["inc"], counts["mis"], counts["spu"]) == (9, 3, 0, 0)
    assert result["summary"]["span_f1_exact"] == pytest.approx(2 * tp / (2 * tp + fp + fn))
    said = " ".join(campaign["results"]["agreed"].output.split())  # rich wraps lines
    assert "agreement on the 8 of 40 documents assigned to more than one annotator" in said


def test_status_counts_equal_what_the_annotators_did(campaign):
    status = _json(campaign, "status.json")
    assert (status["documents"], status["overlap_documents"]) == (40, 8)
    for user in campaign["users"]:
        did = campaign["did"]["by"][user]
        entry = status["annotators"][user]
        assert entry["assigned"] == 15
        assert (entry["confirmed"], entry["spans"], entry["stances"]) == (
            12,
            2 * did["docs"],
            did["stance"],
        )
        assert entry["started"] is True and entry["last_activity"]
    dave = status["annotators"][campaign["dave"]]
    assert (dave["assigned"], dave["confirmed"], dave["spans"], dave["started"]) == (3, 0, 0, False)
    assert dave["last_activity"] is None
    # round one (30) done by all their annotators, round two (10) by nobody
    assert (status["done_by_all"], status["overlap_done_by_all"]) == (30, 6)
    tp, fp, fn = 9, 3, 3
    assert status["agreement"]["span_f1_exact"] == pytest.approx(2 * tp / (2 * tp + fp + fn))


def test_no_password_shows_in_ps_logs_pull_folders_reports_or_the_home(campaign):
    passwords = list(campaign["passwords"].values())
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    places = {"ps": ps}
    server = campaign["server"]
    roots = [server.paths.logs, campaign["out"], campaign["reports"], server.home / "campaigns",
             server.home / "accounts", server.home / "pulls"]  # fmt: skip
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file():
                places[str(path)] = path.read_bytes().decode("utf-8", "replace")
    for what, result in campaign["results"].items():  # users add shows generated ones only
        places[what] = result.output
    for where, text in places.items():
        for password in passwords:
            assert password not in text, where
    assert len(places) > 10


def test_adjudication_makes_gold_of_every_confirmed_document(campaign):
    gold = {d.id: d for d in read_jsonl(campaign["gold"])}
    assert sorted(gold) == [f"n{i:02d}" for i in range(30)]  # round two: nobody annotated yet
    for gid, doc in gold.items():
        who = campaign["plan1"].assigned[gid]
        lavrov = [e for e in doc.entities if e.text == "Lavrov"]
        assert len(lavrov) == 1 and lavrov[0].label == "PER"
        assert sorted(lavrov[0].annotators) == sorted(who)
        moscow = [e for e in doc.entities if e.text == "Moscow"]
        if gid in campaign["second"]:  # GPE against ORG, one vote each: left for review
            assert moscow == []
        else:
            assert [e.label for e in moscow] == ["GPE"]
    conflicts = campaign["gold"].parent / "conflicts.jsonl"
    items = [json.loads(line) for line in conflicts.read_text().splitlines()]
    disputed = {c["document"] for c in items if c["what"] == "entity"}
    assert disputed == set(campaign["second"])
    assert {c["document"] for c in items} <= set(campaign["shared"])  # one annotator: no vote


def test_the_review_round_takes_the_disputed_shared_documents(campaign):
    conflicts = campaign["gold"].parent / "conflicts.jsonl"
    disputed = {
        c["document"]
        for c in map(json.loads, conflicts.read_text().splitlines())
        if c["decision"] == "review"
    }
    report = _json(campaign, "review.json")
    assert set(report["disputed_ids"]) == disputed and disputed <= set(campaign["shared"])
    with client_admin(campaign["server"]) as admin:
        project = client.find_project(admin, f"{campaign['name']}-review")
        ids = {e["meta"]["goldwire_id"] for e in client.list_examples(admin, project.id)}
        roles = {m.username: m.role for m in client.list_members(admin, project.id)}
    assert ids == disputed and campaign["dave"] in roles


def test_members_remove_trusts_the_campaign_pull(campaign):  # last: it changes the projects
    name, (alice, _, carol) = campaign["name"], campaign["users"]
    removed = _invoke("annotate", "members", "remove", "--project", f"{name}--{carol}", carol)
    assert removed.exit_code == 0, removed.output  # all of carol's work was pulled
    plan = campaign["plan2"]
    with client_admin(campaign["server"]) as admin:
        pid = client.find_project(admin, plan.projects[alice]).id
    with token_session(campaign["server"].url, alice) as me:  # new work after the pull
        example = next(iter(client.list_examples(me, pid)))
        spans = type_ids(me, pid, client.LabelKind.span)
        client.create_span(me, pid, example["id"], 0, 2, spans["MISC"])
    refused = _invoke("annotate", "members", "remove", "--project", f"{name}--{alice}", alice)
    assert refused.exit_code == 2
    assert f"{alice} has 25 spans" in refused.stderr and "that no pull has taken" in refused.stderr
