"""A browser test of the annotator's side of a campaign: an annotator of a two-person campaign
logs in to Doccano's real UI (Playwright driving Debian's headless Chromium), finds their own
campaign project (and not the other annotator's) in the project list, labels one entity after
an emoji in a document the two share and marks it done; ``annotate pull --campaign`` then
brings that span back in code points in that annotator's file only, and ``annotate status
--campaign`` counts it.

The campaign is made through the CLI as a user would: ``annotate users add`` (passwords on
standard input, short enough for the login form) and ``annotate assign`` of four documents
with overlap 0.5 and two annotators per shared document. See tests/annotate/test_browser.py
for how the labelling page draws text (SVG, UTF-16 code units) and
tests/annotate/test_browser_suggestions.py for the review button.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from pathlib import Path

import pytest
from gwbrowser import (
    LOGIN_PASSWORD_MAX,
    attempts,
    char_points,
    drag_across,
    log_in,
    mark_done,
    page_in,
    pick_type,
)
from typer.testing import CliRunner

from goldwire.annotate import client
from goldwire.annotate.accounts import token_session
from goldwire.annotate.campaign_plan import load_plan
from goldwire.annotate.http import connect
from goldwire.annotate.settings import Connection
from goldwire.schema import Document, read_jsonl, write_jsonl

pytestmark = [pytest.mark.doccano, pytest.mark.browser]

IDS = ["w0", "w1", "w2", "w3"]
ENTITY = "Azerbaijan"
# "Talks " (6) + the emoji (1 code point, 2 UTF-16 units) + " in " (4): Azerbaijan at 11-21
# in code points, 12-22 in UTF-16
CODEPOINTS, UTF16 = (11, 21), (12, 22)
#: the clickable label (a dot and a name) drawn under each span
SPAN_LABELS = '#container svg g[style*="cursor: pointer"]:has(> circle)'


def text_of(gid: str) -> str:
    return f"Talks 😀 in {ENTITY} on day {gid}."


def shared_ids() -> list[str]:
    """round(0.5 x 4) = 2 documents: the two smallest sha256("goldwire" + id)."""
    ranked = sorted(IDS, key=lambda g: hashlib.sha256(f"goldwire{g}".encode()).hexdigest())
    return sorted(ranked[:2])


def invoke(*args, input: str | None = None):
    from goldwire.cli import app

    result = CliRunner().invoke(app, [str(a) for a in args], input=input)
    assert result.exit_code == 0, (args[:3], result.output, result.stderr)
    return result


def new_campaign(admin, url: str, tmp: Path) -> dict:
    """Two accounts and a campaign of four documents, through the CLI; the shared document
    the first annotator labels (page 1 of their labelling UI) and its example id."""
    tag = secrets.token_hex(3)
    name, users = f"bc{tag}", [f"uma{tag}", f"vic{tag}"]
    passwords = {u: secrets.token_urlsafe(15) for u in users}
    assert all(len(p) <= LOGIN_PASSWORD_MAX for p in passwords.values())
    invoke("annotate", "users", "add", *users, "--new-password-stdin",
           input="".join(passwords[u] + "\n" for u in users))  # fmt: skip
    corpus = tmp / f"corpus-{tag}.jsonl"
    order = shared_ids() + [gid for gid in IDS if gid not in shared_ids()]  # shared first
    write_jsonl([Document(id=gid, text=text_of(gid)) for gid in order], corpus)
    invoke("annotate", "assign", corpus, "--campaign", name, "--annotators", ",".join(users),
           "--overlap", "0.5", "--per-document", "2")  # fmt: skip
    plan = load_plan(url, name)
    for gid in IDS:  # the shared two to both, each other one to one of them
        assert len(plan.assigned[gid]) == (2 if gid in shared_ids() else 1), plan.assigned
    # 2 x 2 + 2 = 6 shares, 3 each
    assert [len(plan.documents_of(u)) for u in users] == [3, 3]
    projects = {u: client.find_project(admin, f"{name}--{u}") for u in users}
    # the UI pages through examples oldest first (doccano orders them by created_at), as
    # list_examples does; assign uploads each share in corpus order, and the corpus starts
    # with the shared documents, so page 1 of "Start Annotation" shows a shared document
    examples = list(client.list_examples(admin, projects[users[0]].id))
    mine = set(plan.documents_of(users[0]))
    assert [e["meta"]["goldwire_id"] for e in examples] == [g for g in order if g in mine]
    target = examples[0]["meta"]["goldwire_id"]
    assert target in shared_ids()
    return {"name": name, "users": users, "passwords": passwords, "projects": projects,
            "target": target, "example": int(examples[0]["id"])}  # fmt: skip


def label_in_browser(browser, url: str, state: dict, shot: Path) -> None:
    """As the first annotator: the project list shows their project only; open it, label
    ENTITY as GPE in the shared document, mark the document done."""
    from playwright.sync_api import expect

    me, other = state["users"]
    mine, theirs = state["projects"][me], state["projects"][other]
    text = text_of(state["target"])
    page, close = page_in(browser, shot)
    try:
        with page.expect_response(lambda r: "/v1/projects" in r.url and r.ok):
            log_in(page, url, Connection(url, me, state["passwords"][me]))
        rows = page.locator(".v-data-table tbody tr")
        expect(rows.filter(has_text=mine.name)).to_have_count(1)
        listed = [n.strip() for n in page.locator(".v-data-table tbody tr a").all_inner_texts()]
        # a member of their own campaign project only (no document-stance targets here, so
        # no -docstance companion): not the other annotator's
        assert listed == [mine.name] and theirs.name not in listed, listed
        page.get_by_role("link", name=mine.name, exact=True).click()
        page.wait_for_url(f"**/projects/{mine.id}")
        # doccano loads the project about a second later (a debounced middleware); until
        # then "Start Annotation" leads to /projects/ID/undefined, a 404: wait for the app
        # bar to show the project's name
        expect(page.locator("header").get_by_text(mine.name)).to_be_visible()
        page.get_by_role("button", name="Start Annotation").click()
        page.wait_for_url(f"**/projects/{mine.id}/sequence-labeling?*page=1*")
        expect(page.locator("#container text").filter(has_text=text)).to_have_count(1)
        drag_across(page, char_points(page, text, *UTF16))
        pick_type(page, "GPE", "spans")
        expect(page.locator(SPAN_LABELS)).to_have_count(1)
        mark_done(page)
    finally:
        close()


def test_campaign_annotator_labels_a_shared_document_in_the_browser(doccano_server, tmp_path):
    url = doccano_server.url
    with connect(doccano_server.connection) as admin:
        state, shot = attempts(
            tmp_path,
            lambda: new_campaign(admin, url, tmp_path),
            lambda browser, state, shot: label_in_browser(browser, url, state, shot),
            "label a campaign document",
        )
    see = f"(screenshot of the labelled page: {shot})"
    me, other = state["users"]
    pid = state["projects"][me].id
    with token_session(url, me) as own:  # what Doccano stored: UTF-16 offsets, done
        spans = client.list_own(own, pid, state["example"], "spans")
        assert [(s["start_offset"], s["end_offset"]) for s in spans] == [UTF16], see
        done = {e["id"]: e["is_confirmed"] for e in client.list_examples(own, pid)}
    assert done == {e: e == state["example"] for e in done}, see

    out = tmp_path / "pulled"
    invoke("annotate", "pull", "--campaign", state["name"], "--out", out)
    status_json = tmp_path / "status.json"
    invoke("annotate", "status", "--campaign", state["name"], "--json", status_json)

    target = state["target"]
    # a pull writes the documents an annotator worked on: the one labelled, for the first;
    # nothing, so no file, for the other (who has the same document in their own project)
    (doc,) = read_jsonl(out / "annotators" / f"{me}.jsonl")
    assert doc.id == target and doc.text == text_of(target)
    assert [(e.start, e.end, e.label, e.text) for e in doc.entities] == [
        (*CODEPOINTS, "GPE", ENTITY)
    ], see
    assert doc.entities[0].annotators == [me]
    assert doc.meta["doccano_confirmed"] == "true"
    assert not (out / "annotators" / f"{other}.jsonl").exists()
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["problems"] == 0
    assert (summary["annotators"][me]["documents"], summary["annotators"][me]["confirmed"]) == (
        1,
        1,
    )
    assert summary["annotators"][other]["documents"] == 0

    report = json.loads(status_json.read_text(encoding="utf-8"))
    # one annotator's work is not enough for agreement: said, not a failure
    assert report["agreement"] is None
    assert "no agreement so far: 1 of 2 annotators have work yet, it needs two" in report["notes"]
    status = report["annotators"]
    assert (status[me]["spans"], status[me]["confirmed"], status[me]["started"]) == (1, 1, True)
    assert (status[other]["spans"], status[other]["confirmed"], status[other]["started"]) == (
        0,
        0,
        False,
    )
