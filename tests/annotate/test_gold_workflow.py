"""Gold you can trust, end to end on a real Doccano server: a 20-document corpus, model
suggestions for two annotators, their work, pull, agreement, adjudication, a review round and
attach-gold, with the provenance of every item checked.

* bob is the **uploader**: a project admin made by the test (not staff: the admin creates the
  project with two documents first). His suggestions come with the import lines of the 18
  documents he uploads, and through the API on the two that were there.
* alice gets hers **as herself** (``--as-user``): created through the API, pushed by the
  admin.
* Each of them accepts, relabels, redraws, deletes and adds; some examples stay unconfirmed.
  The plan (``ALICE``, ``BOB``) and every figure expected from it are written out by hand.
* carol reviews the disputed documents in a review project: she deletes one candidate in d1,
  one in d2, leaves two overlapping candidates in d3 and confirms those three.

Texts are ASCII, so the UTF-16 offsets Doccano stores equal code points.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from goldwire.annotate import client, push
from goldwire.annotate.http import connect
from goldwire.annotate.settings import Connection
from goldwire.corpus.dataset import iter_documents
from goldwire.schema import DocStance, Document, Entity, LabelSchema, Mention, Stance, read_jsonl

pytestmark = pytest.mark.doccano

N = 20
ENTITIES = (("CSTO", "ORG"), ("Armenia", "GPE"), ("Azerbaijan", "GPE"), ("Moscow", "GPE"))
SOURCE = "ner-v1"
A, E, H, U = "suggestion-accepted", "suggestion-edited", "human", "suggestion-unreviewed"

# What each annotator does, document by document (anything not listed: confirm as it is).
ALICE = {
    1: [("relabel", "CSTO", "GPE")],
    2: [("delete", "Moscow"), ("add", "Talks", "EVENT")],
    3: [("redraw", "Azerbaijan", "against Azerbaijan")],
    4: [("delete", "Armenia")],  # takes the suggested CSTO -> Armenia relation with it
    5: [("retype", "OPPOSE")],
    6: [("unlink",)],
    7: [("unconfirmed",)],
    8: [("relabel", "Moscow", "LOC"), ("unconfirmed",)],
    9: [("recategorize", "Armenia:OPPOSE")],
}
BOB = {
    4: [("relabel", "Armenia", "LOC")],  # an imported suggestion relabelled
    10: [("delete", "CSTO")],
    11: [("redraw", "Moscow", "Moscow said")],
    12: [("unconfirmed",)],
}


def body(i: int) -> str:
    return f"The CSTO backs Armenia against Azerbaijan, Moscow said on day {i}."


def at(doc: Document, surface: str) -> tuple[int, int]:
    start = doc.text.index(surface)
    return start, start + len(surface)


def prediction(doc: Document) -> Document:
    ents = [Entity(f"T{k}", *at(doc, s), label, s) for k, (s, label) in enumerate(ENTITIES)]
    stance = Stance(Mention("CSTO", *at(doc, "CSTO"), "T0"),
                    Mention("Armenia", *at(doc, "Armenia"), "T1"), "SUPPORT")  # fmt: skip
    return Document(id=doc.id, text=doc.text, entities=ents, stances=[stance],
                    doc_stances=[DocStance("Armenia", "SUPPORT")])  # fmt: skip


# --------------------------------------------------------------------------- an annotator


class Hand:
    """One annotator working through the API as the UI would."""

    def __init__(self, session, world: dict) -> None:
        self.s, self.w = session, world
        self.pid, self.ds = world["pid"], world["ds_pid"]

    def _eid(self, i: int) -> int:
        return self.w["ids"][self.w["docs"][i].id]

    def _path(self, i: int, what: str, item: int | None = None) -> str:
        tail = f"/{item}" if item is not None else ""
        return f"/v1/projects/{self.pid}/examples/{self._eid(i)}/{what}{tail}"

    def span(self, i: int, surface: str) -> dict:
        a, b = at(self.w["docs"][i], surface)
        spans = client.list_own(self.s, self.pid, self._eid(i), "spans")
        return next(s for s in spans if (s["start_offset"], s["end_offset"]) == (a, b))

    def relation(self, i: int) -> dict:
        (rel,) = client.list_own(self.s, self.pid, self._eid(i), "relations")
        return rel

    def do(self, i: int, action: tuple) -> None:
        kind, *args = action
        span_ids, rel_ids = self.w["span_types"], self.w["relation_types"]
        if kind == "relabel":
            sid = self.span(i, args[0])["id"]
            self.s.json("PATCH", self._path(i, "spans", sid), json={"label": span_ids[args[1]]})
        elif kind == "delete":
            self.s.request("DELETE", self._path(i, "spans", self.span(i, args[0])["id"]))
        elif kind == "redraw":  # the UI: delete, then draw the new boundary
            old = self.span(i, args[0])
            self.s.request("DELETE", self._path(i, "spans", old["id"]))
            self.add(i, args[1], self.w["span_names"][old["label"]])
        elif kind == "add":
            self.add(i, *args)
        elif kind == "retype":
            rel = self.relation(i)["id"]
            self.s.json("PATCH", self._path(i, "relations", rel), json={"type": rel_ids[args[0]]})
        elif kind == "unlink":
            self.s.request("DELETE", self._path(i, "relations", self.relation(i)["id"]))
        elif kind == "recategorize":
            eid = self.w["ds_ids"][self.w["docs"][i].id]
            (cat,) = client.list_own(self.s, self.ds, eid, "categories")
            path = f"/v1/projects/{self.ds}/examples/{eid}/categories"
            self.s.request("DELETE", f"{path}/{cat['id']}")
            client.create_category(self.s, self.ds, eid, self.w["categories"][args[0]])

    def add(self, i: int, surface: str, label: str) -> None:
        a, b = at(self.w["docs"][i], surface)
        client.create_span(self.s, self.pid, self._eid(i), a, b, self.w["span_types"][label])

    def work(self, plan: dict[int, list[tuple]]) -> None:
        for i in range(N):
            actions = plan.get(i, [])
            for action in actions:
                if action[0] != "unconfirmed":
                    self.do(i, action)
            if ("unconfirmed",) not in actions:
                client.confirm_example(self.s, self.pid, self._eid(i))
                gid = self.w["docs"][i].id
                client.confirm_example(self.s, self.ds, self.w["ds_ids"][gid])


# --------------------------------------------------------------------------- the world


def _user(admin, name: str) -> Connection:
    password = secrets.token_urlsafe(16)
    client.create_user(admin, name, password)
    return Connection(admin.url, name, password)


def _corpus(cli, tmp: Path) -> tuple[Path, LabelSchema]:
    labels = {**LabelSchema.default().to_dict(), "doc_stance_targets": ["Armenia"]}
    toml = tmp / "labels.toml"
    lines = ['doc_stance_targets = ["Armenia"]', ""]  # before the tables, or it is theirs
    for section in ("entities", "stances", "doc_stances"):
        for info in labels[section]:
            lines += [f"[[{section}]]", f"name = {json.dumps(info['name'])}", ""]
    toml.write_text("\n".join(lines), encoding="utf-8")
    articles = tmp / "articles.jsonl"
    articles.write_text("".join(json.dumps({"title": f"Talks {i}", "body": body(i)}) + "\n"
                                for i in range(N)), encoding="utf-8")  # fmt: skip
    out = tmp / "corpus"
    result = cli("corpus", "build", articles, "--format", "jsonl", "--out", out, "--name", "wf",
                 "--labels", toml, "--no-near-dups", "--card-dir", tmp / "cards")  # fmt: skip
    assert result.exit_code == 0, result.output
    return out, LabelSchema.from_toml(toml)


@pytest.fixture(scope="module")
def world(_doccano_session, doccano_venv, tmp_path_factory):
    from typer.testing import CliRunner

    from goldwire.cli import app

    runner = CliRunner()
    tmp = tmp_path_factory.mktemp("workflow")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GOLDWIRE_HOME", str(_doccano_session.home))
        env.setenv("GOLDWIRE_DOCCANO_VENV", str(doccano_venv))
        for name in ("GOLDWIRE_DOCCANO_URL", "GOLDWIRE_DOCCANO_USERNAME",
                     "GOLDWIRE_DOCCANO_PASSWORD"):  # fmt: skip
            env.delenv(name, raising=False)

        def cli(*args, **kwargs):
            return runner.invoke(app, [str(a) for a in args], **kwargs)

        w = _build(cli, _doccano_session, tmp)
        _annotate_and_pull(cli, w, tmp, env)
        return w


def _build(cli, server, tmp: Path) -> dict:
    corpus, labels = _corpus(cli, tmp)
    by_title = {d.title: d for d in iter_documents(corpus)}
    docs = [by_title[f"Talks {i}"] for i in range(N)]
    preds = {d.id: prediction(d) for d in docs}
    name = f"gold-{secrets.token_hex(3)}"
    admin = connect(server.connection)
    users = {who: _user(admin, f"{who}-{secrets.token_hex(2)}") for who in ("alice", "bob",
                                                                          "carol")}  # fmt: skip
    first = push.push(admin, docs[:2], push.PushOptions(project=name, labels=labels))
    pid, ds_pid = (t.project["id"] for t in first.targets)
    for project in (pid, ds_pid):
        client.add_member(admin, project, users["bob"].username, client.ROLE_ADMIN)
    with connect(users["bob"]) as bob:  # the uploader: import lines for 18, the API for 2
        up = push.push(bob, docs, push.PushOptions(project=name, labels=labels, predictions=preds,
                                                   source=SOURCE))  # fmt: skip
    with connect(users["alice"]) as alice:  # as herself, pushed by the admin
        own = push.push(admin, docs, push.PushOptions(project=name, labels=labels,
                                                      predictions=preds, as_user=alice,
                                                      source=SOURCE))  # fmt: skip
    assert up.ok and own.ok, (up.problems, own.problems)
    return {
        "admin": admin, "users": users, "name": name, "pid": pid, "ds_pid": ds_pid,
        "docs": docs, "corpus": corpus, "labels": labels, "pushes": (up, own),
        "ids": {e["meta"]["goldwire_id"]: e["id"] for e in client.list_examples(admin, pid)},
        "ds_ids": {e["meta"]["goldwire_id"]: e["id"]
                   for e in client.list_examples(admin, ds_pid)},
        "span_types": client.sync_label_types(admin, pid, client.LabelKind.span, []).ids,
        "relation_types": client.sync_label_types(admin, pid, client.LabelKind.relation,
                                                  []).ids,
        "categories": client.sync_label_types(admin, ds_pid, client.LabelKind.category,
                                              []).ids,
    }  # fmt: skip


def _annotate_and_pull(cli, w: dict, tmp: Path, env) -> None:
    w["span_names"] = {v: k for k, v in w["span_types"].items()}
    for who, plan in (("alice", ALICE), ("bob", BOB)):
        with connect(w["users"][who]) as session:
            Hand(session, w).work(plan)
    pulls = tmp / "pulls"
    admin = w["admin"].username
    w["pull"] = cli("annotate", "pull", "--project", w["name"], "--out", pulls,
                    "--corpus", w["corpus"], "--exclude", admin)  # fmt: skip
    w["pulls"] = pulls
    w["agreement"] = cli("annotate", "agreement", pulls, "--json", tmp / "agreement.json")
    w["agreement_json"] = tmp / "agreement.json"
    w["plain"] = tmp / "plain" / "gold.jsonl"  # conflicts.jsonl goes beside it
    w["adjudicate"] = cli("annotate", "adjudicate", pulls, "--out", w["plain"],
                          "--json", tmp / "plain.json")  # fmt: skip
    carol = w["users"]["carol"]
    env.setenv("GOLDWIRE_DOCCANO_REVIEWER_PASSWORD", carol.password)
    review = f"{w['name']}-review"
    w["review"] = cli("annotate", "review", pulls, "--project", review, "--reviewer",
                      carol.username, "--labels", tmp / "labels.toml", "--json", "-")  # fmt: skip
    w["review_project"] = client.find_project(w["admin"], review)
    _carol(w)
    w["review_pull"] = cli("annotate", "pull", "--project", review, "--out", tmp / "review",
                           "--exclude", admin)  # fmt: skip
    gold = tmp / "gold.jsonl"
    w["final"] = cli("annotate", "adjudicate", pulls, "--review", tmp / "review", "--out", gold,
                     "--json", tmp / "final.json")  # fmt: skip
    w["gold"], w["conflicts"] = gold, tmp / "conflicts.jsonl"
    w["attach"] = cli("corpus", "attach-gold", w["corpus"], gold, "--out", tmp / "corpus-gold",
                      "--agreement", tmp / "agreement.json", "--card-dir", tmp / "cards",
                      "--json", tmp / "attach.json")  # fmt: skip
    w["card"] = tmp / "corpus-gold" / "README.md"


def _carol(w: dict) -> None:
    """carol's decisions: d1 keeps CSTO as ORG, d2 drops 'Talks', d3 leaves both."""
    project = w["review_project"]
    examples = {e["meta"]["goldwire_id"]: e for e in client.list_examples(w["admin"], project.id)}
    types = client.sync_label_types(w["admin"], project.id, client.LabelKind.span, []).ids
    with connect(w["users"]["carol"]) as carol:
        for i, doomed in ((1, ("CSTO", "GPE")), (2, ("Talks", "EVENT")), (3, None)):
            doc = w["docs"][i]
            eid = examples[doc.id]["id"]
            if doomed is not None:
                key = (*at(doc, doomed[0]), types[doomed[1]])
                spans = client.list_own(carol, project.id, eid, "spans")
                (span,) = [s for s in spans
                           if (s["start_offset"], s["end_offset"], s["label"]) == key]  # fmt: skip
                path = f"/v1/projects/{project.id}/examples/{eid}/spans/{span['id']}"
                carol.request("DELETE", path)
            client.confirm_example(carol, project.id, eid)


# --------------------------------------------------------------------------- helpers


def pulled(w: dict, who: str) -> dict[int, Document]:
    index = {d.id: i for i, d in enumerate(w["docs"])}
    path = w["pulls"] / "annotators" / f"{w['users'][who].username}.jsonl"
    return {index[d.id]: d for d in read_jsonl(path)}


def provenance(doc: Document) -> dict[str, str]:
    return {e.text: e.provenance for e in doc.entities}


def tally(docs) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for kind in ("entities", "stances", "doc_stances"):
        counts: dict[str, int] = {}
        for doc in docs:
            for item in getattr(doc, kind):
                counts[item.provenance] = counts.get(item.provenance, 0) + 1
        out[kind] = counts
    return out


# --------------------------------------------------------------------------- push and pull


def test_both_paths_of_suggestions_were_taken(world):
    bob, alice = world["pushes"]
    (main, _) = bob.targets
    assert main.uploaded == 18 and main.uploaded_labels == {"relations": 18, "spans": 72}
    assert main.suggestions_created == {"relations": 2, "spans": 8}  # the two already there
    assert alice.targets[0].suggestions_created == {"relations": 20, "spans": 80}
    assert world["pull"].exit_code == 0, world["pull"].output


def test_alice_every_item_says_where_it_came_from(world):
    docs = pulled(world, "alice")
    assert provenance(docs[0]) == dict.fromkeys(["CSTO", "Armenia", "Azerbaijan", "Moscow"], A)
    csto = docs[1].entities[0]
    assert (csto.text, csto.label, csto.provenance) == ("CSTO", "GPE", E)
    assert csto.suggested.to_json() == {"label": "ORG", "start": csto.start, "end": csto.end,
                                        "source": SOURCE}  # fmt: skip
    assert provenance(docs[2]) == {"Talks": H, "CSTO": A, "Armenia": A, "Azerbaijan": A}
    assert docs[2].annotation.rejected_suggestions == 1  # Moscow
    redrawn = next(e for e in docs[3].entities if e.text == "against Azerbaijan")
    assert redrawn.provenance == E
    assert (redrawn.suggested.start, redrawn.suggested.end) == at(docs[3], "Azerbaijan")
    assert docs[4].stances == [] and "Armenia" not in provenance(docs[4])
    assert (docs[4].annotation.rejected_suggestions, docs[4].annotation.orphaned_suggestions) == (
        1,
        1,
    )
    (retyped,) = docs[5].stances
    assert (retyped.label, retyped.provenance, retyped.suggested.label) == ("OPPOSE", E, "SUPPORT")
    assert docs[6].stances == [] and docs[6].annotation.rejected_suggestions == 1
    assert set(provenance(docs[7]).values()) == {U}
    assert docs[7].annotation.entities == "unconfirmed" and docs[7].stances[0].provenance == U
    assert provenance(docs[8])["Moscow"] == E and provenance(docs[8])["CSTO"] == U
    (ds,) = docs[9].doc_stances
    assert (ds.label, ds.provenance, ds.suggested.label) == ("OPPOSE", E, "SUPPORT")
    # the hand count of the whole plan (every document, confirmed or not)
    assert tally(docs.values()) == {
        "entities": {A: 68, E: 3, H: 1, U: 7},
        "stances": {A: 15, E: 1, U: 2},
        "doc_stances": {A: 17, E: 1, U: 2},
    }


def test_bob_import_line_suggestions_are_told_apart_too(world):
    docs = pulled(world, "bob")
    assert provenance(docs[0]) == dict.fromkeys(["CSTO", "Armenia", "Azerbaijan", "Moscow"], A)
    armenia = next(e for e in docs[4].entities if e.text == "Armenia")
    assert (armenia.label, armenia.provenance, armenia.suggested.label) == ("LOC", E, "GPE")
    assert docs[4].stances[0].provenance == A  # a relabel keeps the span and its relation
    assert docs[10].stances == [] and (
        docs[10].annotation.rejected_suggestions,
        docs[10].annotation.orphaned_suggestions,
    ) == (1, 1)
    assert provenance(docs[11])["Moscow said"] == E
    assert set(provenance(docs[12]).values()) == {U}
    assert tally(docs.values()) == {
        "entities": {A: 73, E: 2, U: 4},
        "stances": {A: 18, U: 1},
        "doc_stances": {A: 19, U: 1},
    }


def test_the_summary_counts_each_class_per_annotator(world):
    summary = json.loads((world["pulls"] / "summary.json").read_text(encoding="utf-8"))
    alice = summary["annotators"][world["users"]["alice"].username]["provenance"]["total"]
    assert {k: v for k, v in alice.items() if v} == {
        H: 1, A: 100, E: 5, "suggestion-rejected": 3, U: 11, "orphaned": 1
    }  # fmt: skip
    assert summary["tool"] == "doccano 1.8.4"


# --------------------------------------------------------------------------- agreement


def test_agreement_counts_only_judgements_on_confirmed_examples(world):
    assert world["agreement"].exit_code == 0, world["agreement"].output
    data = json.loads(world["agreement_json"].read_text(encoding="utf-8"))
    alice, bob = (world["users"][w].username for w in ("alice", "bob"))
    (pair,) = data["pairs"]
    assert pair["documents"] == N - 3  # d7, d8 (alice) and d12 (bob) not confirmed
    use = data["suggestions"]["by_annotator"]
    assert {k: use[alice][k] for k in ("human", "accepted", "edited", "rejected", "orphaned",
                                       "unreviewed")} == {
        "human": 1, "accepted": 100, "edited": 4, "rejected": 3, "orphaned": 1, "unreviewed": 0,
    }  # fmt: skip
    assert use[alice]["acceptance_rate"] == pytest.approx(100 / 107)
    assert (use[bob]["accepted"], use[bob]["edited"], use[bob]["rejected"]) == (110, 2, 1)
    assert data["summary"]["suggestion_acceptance_rate"] == pytest.approx(210 / 220)


# --------------------------------------------------------------------------- adjudication


def _keys(doc: Document, kind: str) -> set:
    if kind == "entities":
        return {("entity", doc.id, e.start, e.end, e.label) for e in doc.entities}
    if kind == "stances":
        return {("stance", doc.id, doc.resolve(s.holder).start, doc.resolve(s.target).start,
                 s.label) for s in doc.stances}  # fmt: skip
    return {("doc_stance", doc.id, d.target, d.label) for d in doc.doc_stances}


def _conflict_keys(record: dict) -> set:
    what, doc = record["what"], record["document"]
    out = set()
    for label in record["labels"]:
        if what == "entity":
            out.add((what, doc, record["start"], record["end"], label))
        elif what == "stance":
            out.add((what, doc, record["holder"]["start"], record["target"]["start"], label))
        else:
            out.add((what, doc, record["target"], label))
    return out


def test_no_disputed_item_is_lost_without_being_listed(world):
    assert world["adjudicate"].exit_code == 0, world["adjudicate"].output
    from goldwire.annotate.annotations import load_annotations

    counted = load_annotations(world["pulls"])
    kinds = ("entities", "stances", "doc_stances")
    candidates = {k for copies in counted.documents.values() for doc in copies.values()
                  for kind in kinds for k in _keys(doc, kind)}  # fmt: skip
    gold = {k for doc in read_jsonl(world["plain"])
            for kind in kinds for k in _keys(doc, kind)}  # fmt: skip
    conflicts = [json.loads(line) for line in
                 world["plain"].with_name("conflicts.jsonl").read_text().splitlines()]  # fmt: skip
    listed = set().union(*(_conflict_keys(c) for c in conflicts))
    assert candidates - gold <= listed
    assert candidates - gold  # the plan has disputes


def test_a_stance_both_drew_is_kept_while_its_holder_label_is_disputed(world):
    gold = {d.id: d for d in read_jsonl(world["plain"])}
    d1 = gold[world["docs"][1].id]
    assert "CSTO" not in {e.text for e in d1.entities}  # GPE (alice) vs ORG (bob): a tie
    (stance,) = d1.stances
    assert (stance.holder.text, stance.target.text, stance.label) == ("CSTO", "Armenia", "SUPPORT")
    assert stance.holder.entity is None and stance.provenance == "adjudicated"
    assert sorted(v.annotator for v in stance.votes) == sorted(
        world["users"][w].username for w in ("alice", "bob")
    )


def test_review_decisions_carry_the_reviewer_and_the_votes(world):
    assert world["review"].exit_code == 0, world["review"].output
    pushed = json.loads(world["review"].stdout)
    assert world["docs"][1].id in pushed["disputed_ids"]
    assert world["final"].exit_code == 0, world["final"].output
    gold = {d.id: d for d in read_jsonl(world["gold"])}
    carol = world["users"]["carol"].username
    d1 = gold[world["docs"][1].id]
    csto = next(e for e in d1.entities if e.text == "CSTO")
    assert (csto.label, csto.provenance, csto.adjudicated_by) == ("ORG", "reviewed", carol)
    assert {(v.annotator, v.label, v.provenance) for v in csto.votes} == {
        (world["users"]["alice"].username, "GPE", E),
        (world["users"]["bob"].username, "ORG", A),
    }
    assert d1.annotation.reviewers == [carol] and d1.annotation.reviewed_at
    d2 = gold[world["docs"][2].id]
    assert "Talks" not in {e.text for e in d2.entities}
    moscow = next(e for e in d2.entities if e.text == "Moscow")
    assert moscow.adjudicated_by == carol
    d3 = gold[world["docs"][3].id]
    assert not {"Azerbaijan", "against Azerbaijan"} & {e.text for e in d3.entities}
    conflicts = [json.loads(line) for line in world["conflicts"].read_text().splitlines()]
    unresolved = [c for c in conflicts if c["kind"] == "unresolved"]
    assert {c["document"] for c in unresolved} == {world["docs"][3].id}
    d4 = gold[world["docs"][4].id]  # not reviewed: its disputes are still pending
    assert d4.annotation.reviewers == []
    assert any(c["document"] == d4.id and c.get("decision") == "review" for c in conflicts)


# --------------------------------------------------------------------------- the card


def test_attach_gold_and_the_card_tell_the_truth(world):
    assert world["attach"].exit_code == 0, world["attach"].output
    card = world["card"].read_text(encoding="utf-8")
    summary = json.loads(world["agreement_json"].read_text(encoding="utf-8"))["summary"]
    for key in ("span_f1_exact", "span_f1_overlap", "token_kappa", "token_alpha"):
        value = summary[key]
        assert (f"{value:.3f}" if value is not None else "n/a") in card, key
    assert "doccano 1.8.4" in card
    assert "annotate/guidelines.md" in card and "sha256:" in card
    assert "TO FILL: how entities and stances were annotated" not in card
    assert "majority" in card
