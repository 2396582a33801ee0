"""Campaign pull and assignment edge cases on the session's real Doccano server: suggestions
made as each annotator (``assign --pre-annotate``), another member's work in an annotator's
project (a problem, never merged), a document added to a project outside the plan, refusals
before anything changes (no account, no token, not staff, settings changed, a leaving
annotator), and the CLI's one-line errors."""

from __future__ import annotations

import json
import secrets

import pytest
from typer.testing import CliRunner

from goldwire.annotate import client, push
from goldwire.annotate.accounts import token_session
from goldwire.annotate.campaign_plan import load_plan, plan_path
from goldwire.annotate.http import connect
from goldwire.annotate.settings import Connection
from goldwire.provenance import Provenance
from goldwire.schema import Document, Entity, read_jsonl, write_jsonl
from gwtest import example_ids, type_ids

pytestmark = pytest.mark.doccano


def utf16(text: str, cp: int) -> int:
    return len(text[:cp].encode("utf-16-le")) // 2


def _invoke(*args, input: str | None = None):
    from goldwire.cli import app

    return CliRunner().invoke(app, [str(a) for a in args], input=input)


def _docs(n: int) -> list[Document]:
    return [Document(id=f"p{i}", text=f"🇷🇺 Peskov spoke in Kazan, day {i}.") for i in range(n)]


def _users(tag: str, *names: str) -> list[str]:
    users = [f"{n}{tag}" for n in names]
    lines = "".join(secrets.token_urlsafe(12) + "\n" for _ in users)
    result = _invoke("annotate", "users", "add", *users, "--new-password-stdin", input=lines)
    assert result.exit_code == 0, result.output
    return users


def _predictions(docs: list[Document]) -> list[Document]:
    out = []
    for doc in docs:
        a = doc.text.index("Peskov")
        out.append(
            Document(id=doc.id, text=doc.text, entities=[Entity("e1", a, a + 6, "PER", "Peskov")])
        )
    return out


def test_pre_annotations_are_each_annotators_own_suggestions(doccano_server, tmp_path):
    tag = secrets.token_hex(3)
    name = f"pre{tag}"
    users = _users(tag, "ann", "ben")
    docs = _docs(4)
    write_jsonl(docs, tmp_path / "docs.jsonl")
    write_jsonl(_predictions(docs), tmp_path / "pred.jsonl")
    result = _invoke("annotate", "assign", tmp_path / "docs.jsonl", "--campaign", name,
                     "--annotators", ",".join(users), "--overlap", "0.5",
                     "--pre-annotate", tmp_path / "pred.jsonl")  # fmt: skip
    assert result.exit_code == 0, result.output
    plan = load_plan(doccano_server.url, name)
    # 4 documents, 2 shared by both: 6 shares, 3 each; one suggested span per document
    assert {u: len(plan.documents_of(u)) for u in users} == dict.fromkeys(users, 3)
    for user in users:
        with token_session(doccano_server.url, user) as me:
            pid = client.find_project(me, plan.projects[user]).id
            examples = list(client.list_examples(me, pid))
            own = [s for e in examples for s in client.list_own(me, pid, e["id"], "spans")]
            assert len(own) == 3  # the annotator sees them as their own labels
    ann = users[0]
    with token_session(doccano_server.url, ann) as me:  # ann accepts one and confirms it
        pid = client.find_project(me, plan.projects[ann]).id
        first = next(iter(client.list_examples(me, pid)))
        client.confirm_example(me, pid, first["id"])
    status = _invoke("annotate", "status", "--campaign", name, "--json", tmp_path / "s.json")
    assert status.exit_code == 0, status.output
    counted = json.loads((tmp_path / "s.json").read_text())["annotators"]
    assert (counted[ann]["suggested"], counted[ann]["spans"], counted[ann]["confirmed"]) == (
        3,
        3,
        1,
    )
    assert counted[ann]["started"] is True
    ben = counted[users[1]]
    assert (ben["suggested"], ben["spans"], ben["started"], ben["last_activity"]) == (
        3,
        3,
        False,
        None,
    )
    out = tmp_path / "pull"
    assert _invoke("annotate", "pull", "--campaign", name, "--out", out).exit_code == 0
    pulled = {d.id: d for d in read_jsonl(out / "annotators" / f"{ann}.jsonl")}
    provenance = sorted(e.provenance for d in pulled.values() for e in d.entities)
    assert provenance == [Provenance.ACCEPTED] + [Provenance.UNREVIEWED] * 2


def test_other_members_work_in_an_annotators_project_is_a_problem_not_merged(
    doccano_server, tmp_path
):
    tag = secrets.token_hex(3)
    name = f"mix{tag}"
    users = _users(tag, "ann", "ben")
    docs = _docs(2)
    write_jsonl(docs, tmp_path / "docs.jsonl")
    result = _invoke("annotate", "assign", tmp_path / "docs.jsonl", "--campaign", name,
                     "--annotators", ",".join(users), "--overlap", "0")  # fmt: skip
    assert result.exit_code == 0, result.output
    plan = load_plan(doccano_server.url, name)
    ann = users[0]
    (mine,) = plan.documents_of(ann)
    with connect(doccano_server.connection) as admin:
        pid = client.find_project(admin, plan.projects[ann]).id
        ids = example_ids(admin, pid)
        spans = type_ids(admin, pid, client.LabelKind.span)
        text = docs[int(mine[1:])].text
        a = text.index("Kazan")
        client.create_span(admin, pid, ids[mine], utf16(text, a), utf16(text, a + 5), spans["GPE"])
        # and a document the plan never gave ann, pushed into her project behind goldwire
        stray = Document(id="stray", text="Stray text about Kazan.")
        push.push(admin, [stray], push.PushOptions(project=plan.projects[ann], guideline=None))
        sid = example_ids(admin, pid)["stray"]
    with token_session(doccano_server.url, ann) as me:
        client.confirm_example(me, pid, ids[mine])
        client.confirm_example(me, pid, sid)
    out = tmp_path / "pull"
    pulled = _invoke("annotate", "pull", "--campaign", name, "--out", out)
    assert pulled.exit_code == 1  # problems
    problems = [json.loads(x) for x in (out / "problems.jsonl").read_text().splitlines()]
    kinds = sorted((p["kind"], p.get("user"), p.get("document")) for p in problems)
    assert kinds == [("not_assigned", ann, "stray"), ("not_assigned_work", "admin", None)]
    work = next(p for p in problems if p["kind"] == "not_assigned_work")
    assert work["detail"].startswith(f"admin labelled 1 document(s) in '{plan.projects[ann]}'")
    files = sorted(p.name for p in (out / "annotators").iterdir())
    assert files == [f"{ann}.jsonl"]  # the admin's span went nowhere; ben did nothing
    (doc,) = read_jsonl(out / "annotators" / f"{ann}.jsonl")
    assert (doc.id, doc.entities, doc.meta["doccano_confirmed"]) == (mine, [], "true")
    # the pull ledger notes ann's work as taken, never the admin's (members remove trusts it)
    from goldwire.annotate.pull_ledger import last_pulled

    taken = last_pulled(doccano_server.url, pid)
    assert set(taken) == {ann} and taken[ann].confirmed == 2


def test_assign_refuses_before_any_change(doccano_server, tmp_path):
    tag = secrets.token_hex(3)
    name = f"ref{tag}"
    write_jsonl(_docs(3), tmp_path / "docs.jsonl")
    corpus = tmp_path / "docs.jsonl"
    ghost = f"ghost{tag}"
    result = _invoke("annotate", "assign", corpus, "--campaign", name, "--annotators",
                     f"admin,{ghost}")  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.strip().endswith(
        f"has no user {ghost}; create the account(s) first with `goldwire annotate users add "
        f"{ghost}`"
    )
    assert load_plan(doccano_server.url, name) is None
    # an annotator made outside goldwire has no saved token: --pre-annotate cannot work
    with connect(doccano_server.connection) as admin:
        outsider = f"out{tag}"
        password = secrets.token_urlsafe(12)
        client.create_user(admin, outsider, password)
    write_jsonl(_predictions(_docs(3)), tmp_path / "pred.jsonl")
    pred = tmp_path / "pred.jsonl"
    result = _invoke("annotate", "assign", corpus, "--campaign", name, "--annotators",
                     outsider, "--overlap", "0", "--pre-annotate", pred)  # fmt: skip
    assert result.exit_code == 2
    assert f"no saved API token of {outsider!r}" in result.stderr
    assert load_plan(doccano_server.url, name) is None
    # a login that is not staff may not create projects
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GOLDWIRE_DOCCANO_USERNAME", outsider)
        env.setenv("GOLDWIRE_DOCCANO_PASSWORD", password)
        result = _invoke("annotate", "assign", corpus, "--campaign", name, "--annotators",
                         outsider, "--overlap", "0")  # fmt: skip
    assert result.exit_code == 2
    assert f"user {outsider!r}" in result.stderr or f"user {outsider}" in result.stderr
    assert "not staff" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert load_plan(doccano_server.url, name) is None
    with connect(Connection(doccano_server.url, outsider, password)) as them:
        assert client.find_project(them, f"{name}--{outsider}") is None


def test_extension_refusals_and_cli_errors(doccano_server, tmp_path):
    tag = secrets.token_hex(3)
    name = f"ext{tag}"
    users = _users(tag, "ann", "ben")
    write_jsonl(_docs(4), tmp_path / "docs.jsonl")
    corpus = tmp_path / "docs.jsonl"
    ok = _invoke("annotate", "assign", corpus, "--campaign", name, "--annotators", ",".join(users))
    assert ok.exit_code == 0, ok.output
    before = plan_path(doccano_server.url, name).read_bytes()
    cases = {
        ("--annotators", users[0]): f"campaign {name!r} has annotators {users[1]} that "
        "--annotators leaves out",
        ("--annotators", ",".join(users), "--overlap", "0.5"): f"campaign {name!r} was planned "
        "with --overlap 0.2 --per-document 2 --seed 'goldwire'; extend it with the same settings",
    }
    for args, message in cases.items():
        result = _invoke("annotate", "assign", corpus, "--campaign", name, *args)
        assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert plan_path(doccano_server.url, name).read_bytes() == before
    # status before anyone has done anything: zero counts, nothing done, a note, no failure
    fresh = _invoke("annotate", "status", "--campaign", name, "--json", tmp_path / "fresh.json")
    assert fresh.exit_code == 0, fresh.output
    status = json.loads((tmp_path / "fresh.json").read_text())
    assert (status["done_by_all"], status["agreement"]) == (0, None)
    assert status["notes"] == ["no agreement so far: 0 of 2 annotators have work yet, it needs two"]
    for user in users:
        entry = status["annotators"][user]
        assert (entry["confirmed"], entry["spans"], entry["started"]) == (0, 0, False)
    # the same assignment again: nothing new dealt, nothing uploaded, the plan unchanged
    again = _invoke("annotate", "assign", corpus, "--campaign", name, "--annotators",
                    ",".join(users), "--json", tmp_path / "again.json")  # fmt: skip
    assert again.exit_code == 0, again.output
    report = json.loads((tmp_path / "again.json").read_text())
    assert report["round"]["documents"] == 0 and report["documents"] == 4
    for user in users:  # 4 documents, round(0.2 x 4) = 1 shared: 5 shares, 3 and 2
        entry = report["annotators"][user]
        assert (entry["new"], entry["uploaded"]) == (0, 0)
    assert sorted(report["annotators"][u]["assigned"] for u in users) == [2, 3]
    assert (
        json.loads(plan_path(doccano_server.url, name).read_text())["assigned"]
        == (json.loads(before)["assigned"])
    )
    both = _invoke(
        "annotate", "pull", "--campaign", name, "--project", "x", "--out", tmp_path / "o"
    )
    assert both.exit_code == 2
    assert both.stderr.strip().endswith("give --project P or --campaign NAME (one of them)")
    excl = _invoke("annotate", "pull", "--campaign", name, "--exclude", "admin", "--out",
                   tmp_path / "o")  # fmt: skip
    assert excl.exit_code == 2 and "--exclude does not go with --campaign" in excl.stderr
    none = _invoke("annotate", "status", "--campaign", f"nothing{tag}")
    assert none.exit_code == 2 and f"no campaign 'nothing{tag}' for doccano at" in none.stderr
    bad = _invoke("annotate", "assign", corpus, "--campaign", "a b", "--annotators", users[0])
    assert bad.exit_code == 2 and "campaign name 'a b' is not usable" in bad.stderr


def _docstance_labels(path) -> None:
    from goldwire.schema import LabelSchema

    labels = LabelSchema.default().to_dict()
    lines = ['doc_stance_targets = ["Kazan"]', ""]  # before the tables, or it is theirs
    for section in ("entities", "stances", "doc_stances"):
        for info in labels[section]:
            lines += [f"[[{section}]]", f"name = {json.dumps(info['name'])}", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def test_each_annotator_gets_their_own_docstance_project_too(doccano_server, tmp_path):
    tag = secrets.token_hex(3)
    name = f"ds{tag}"
    users = _users(tag, "ann", "ben")
    write_jsonl(_docs(2), tmp_path / "docs.jsonl")
    _docstance_labels(tmp_path / "labels.toml")
    result = _invoke("annotate", "assign", tmp_path / "docs.jsonl", "--campaign", name,
                     "--annotators", ",".join(users), "--overlap", "0",
                     "--labels", tmp_path / "labels.toml")  # fmt: skip
    assert result.exit_code == 0, result.output
    plan = load_plan(doccano_server.url, name)
    ann = users[0]
    (mine,) = plan.documents_of(ann)
    with connect(doccano_server.connection) as admin:
        for user in users:
            ds = client.find_project(admin, f"{name}--{user}-docstance")
            assert ds is not None and ds.project_type == client.DOCUMENT_CLASSIFICATION
            ids = {e["meta"]["goldwire_id"] for e in client.list_examples(admin, ds.id)}
            assert ids == set(plan.documents_of(user))
            roles = {m.username: m.role for m in client.list_members(admin, ds.id)}
            assert roles[user] == "annotator" and not set(roles) - {user, "admin"}
        ds = client.find_project(admin, f"{name}--{ann}-docstance")
    with token_session(doccano_server.url, ann) as me:
        (example,) = client.list_examples(me, ds.id)
        cats = type_ids(me, ds.id, client.LabelKind.category)
        client.create_category(me, ds.id, example["id"], cats["Kazan:OPPOSE"])
        client.confirm_example(me, ds.id, example["id"])
    out = tmp_path / "pull"
    pulled = _invoke("annotate", "pull", "--campaign", name, "--out", out)
    assert pulled.exit_code == 0, pulled.output
    (doc,) = read_jsonl(out / "annotators" / f"{ann}.jsonl")
    assert doc.id == mine
    assert [(d.target, d.label) for d in doc.doc_stances] == [("Kazan", "OPPOSE")]
    status = _invoke("annotate", "status", "--campaign", name, "--json", tmp_path / "s.json")
    assert status.exit_code == 0, status.output
    entry = json.loads((tmp_path / "s.json").read_text())["annotators"][ann]
    assert (entry["doc_stances"], entry["docstance_confirmed"], entry["confirmed"]) == (1, 1, 0)
    assert entry["started"] is True


def test_a_plan_without_its_projects_says_to_assign_again(doccano_server, tmp_path):
    from goldwire.annotate import campaign_plan

    name = f"lost{secrets.token_hex(3)}"
    plan = campaign_plan.new_plan(name, doccano_server.url, overlap=0, per_document=2, seed="s")
    campaign_plan.extend(plan, ["x1"], ["admin"])
    campaign_plan.save_plan(plan)  # as if assign had stopped before its first push
    result = _invoke("annotate", "pull", "--campaign", name, "--out", tmp_path / "o")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: doccano at {doccano_server.url} has no project '{name}--admin', admin's in "
        f"campaign '{name}'; run the campaign's `goldwire annotate assign` again to make it\n"
    )
    assert not (tmp_path / "o").exists()
