"""A browser test of the annotator's side of suggestions: in Doccano's real UI an annotator
deletes one model suggestion, relabels another, keeps the third and marks the example done;
goldwire's pull then tells suggestion from decision.

The suggestions are created through the API as the annotator (``PushOptions.as_user``), so
they are the annotator's own spans and the UI shows them. What the UI does, learnt from
doccano 1.8.4 (see tests/annotate/test_browser.py for logging in, the page and its SVG):

* A right click on a span's label (the ``<g style="cursor: pointer">`` under the text) deletes
  the span at once: ``DELETE .../examples/{id}/spans/{span}``; the server deletes the span's
  relations with it.
* A left click on a span's label opens the menu of span types (``.menuable__content__active``:
  a "Select a label" box holding the current type as a chip, whose (x) would delete the span,
  then one ``.v-list-item__title`` per type); a click on another type GETs the span and PATCHes
  its label (``PATCH .../spans/{span}``): the span keeps its id, owner and offsets.
* Each change is followed by a fetch of the example's spans and relations and a redraw, so the
  test waits for what is drawn (labels by count and text) before the next step.
* The first button of the toolbar (``.toolbar-control``, an ``mdiClose`` icon while the
  example is not done) marks the example done: ``POST .../examples/{id}/states``; the page then
  fetches the example again and the icon becomes ``mdiCheck``.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from gwbrowser import ACTIVE_MENU, attempts, log_in, mark_done, new_annotator, page_in

from goldwire.annotate import client, pull, push
from goldwire.annotate.http import connect
from goldwire.annotate.offsets import OffsetMap, Unit
from goldwire.annotate.settings import Connection
from goldwire.schema import Document, Entity, Mention, Stance, read_jsonl

pytestmark = [pytest.mark.doccano, pytest.mark.browser]

TEXT = "Talks 😀 in Azerbaijan with Armenia and the CSTO."
KEPT, DELETED, RELABELLED = "Azerbaijan", "Armenia", "CSTO"  # all after the emoji
SUGGESTED = {KEPT: "GPE", DELETED: "GPE", RELABELLED: "ORG"}
NEW_LABEL = "LOC"  # what the annotator makes of RELABELLED
STANCE = "SUPPORT"  # suggested from KEPT to DELETED: orphaned when DELETED goes
SOURCE = "ner-test"
DOC_ID = "suggested"

#: The left edge on the page of the first character of [s, e) (UTF-16) of the line ``text``.
CHAR_LEFT_JS = """([text, s, e]) => {
    const line = Array.from(document.querySelectorAll('#container text'))
        .find(t => t.textContent === text);
    if (!line) return null;
    const m = line.getScreenCTM();
    const a = line.getExtentOfChar(s);
    return {chars: line.getNumberOfChars(), left: m.a * a.x + m.c * a.y + m.e};
}"""

#: The clickable label under each span (a dot and a name) and over each relation (an arrow).
SPAN_LABELS = '#container svg g[style*="cursor: pointer"]:has(> circle)'
RELATION_LABELS = '#container svg g[style*="cursor: pointer"]:has(> path)'
#: Text, centre and left edge of every span label on the page.
SPAN_LABELS_JS = """(selector) => Array.from(document.querySelectorAll(selector)).map(g => {
    const r = g.getBoundingClientRect();
    return {text: g.textContent.trim(), left: r.left, x: r.left + r.width / 2,
            y: r.top + r.height / 2}; })"""


def utf16(cp: int) -> int:
    return OffsetMap(TEXT, Unit.utf16).to_units(cp)


def codepoints(surface: str) -> tuple[int, int]:
    start = TEXT.index(surface)
    return start, start + len(surface)


def document() -> Document:
    return Document(id=DOC_ID, text=TEXT)


def prediction() -> Document:
    """The model's suggestions: three entities and a stance from KEPT to DELETED."""
    entities = [
        Entity(f"T{i}", *codepoints(surface), label, surface)
        for i, (surface, label) in enumerate(SUGGESTED.items())
    ]
    holder, target = (Mention(e.text, e.start, e.end, e.id) for e in entities[:2])
    return Document(
        id=DOC_ID, text=TEXT, entities=entities, stances=[Stance(holder, target, STANCE)]
    )


def new_project(admin, annotator) -> tuple[client.Project, int, dict[str, int]]:
    """A fresh project holding the document with the annotator's suggestions; its example id
    and the suggested spans' ids by surface."""
    name = f"browser-sug-{secrets.token_hex(3)}"
    options = push.PushOptions(
        project=name, predictions={DOC_ID: prediction()}, as_user=annotator, source=SOURCE
    )
    report = push.push(admin, [document()], options)
    assert report.ok, report.problems
    assert report.targets[0].suggestions_created == {"spans": 3, "relations": 1}
    project = client.get_project(admin, report.targets[0].project["id"])
    assert not project.grapheme_mode and not project.collaborative
    (example,) = client.list_examples(admin, project.id)
    spans = client.list_own(annotator, project.id, int(example["id"]), "spans")
    by_start = {s["start_offset"]: s["id"] for s in spans}
    ids = {surface: by_start[utf16(codepoints(surface)[0])] for surface in SUGGESTED}
    return project, int(example["id"]), ids


def review_in_browser(browser, url: str, user: Connection, project_id: int, shot: Path) -> None:
    """Log in as ``user``; delete DELETED, relabel RELABELLED as NEW_LABEL, mark done."""
    from playwright.sync_api import expect

    page, close = page_in(browser, shot)
    try:
        log_in(page, url, user)
        page.goto(f"{url}/projects/{project_id}/sequence-labeling?page=1")
        page.locator("#container text").filter(has_text=DELETED).first.wait_for()
        span_labels, relation_labels = page.locator(SPAN_LABELS), page.locator(RELATION_LABELS)
        expect(span_labels).to_have_count(3)
        expect(relation_labels).to_have_count(1)

        def label_of(surface: str) -> dict:
            """The drawn label nearest the left edge of ``surface``."""
            start, end = (utf16(cp) for cp in codepoints(surface))
            where = page.evaluate(CHAR_LEFT_JS, [TEXT, start, end])
            assert where is not None, "the document is not drawn on one line"
            assert where["chars"] == utf16(len(TEXT)), "SVG characters are not UTF-16"
            labels = page.evaluate(SPAN_LABELS_JS, SPAN_LABELS)
            return min(labels, key=lambda lab: abs(lab["left"] - where["left"]))

        def answered(method: str, what: str):
            return page.expect_response(lambda r: r.request.method == method and what in r.url)

        doomed = label_of(DELETED)
        assert doomed["text"] == SUGGESTED[DELETED], doomed
        with answered("DELETE", "/spans/") as response:
            page.mouse.click(doomed["x"], doomed["y"], button="right")
        assert response.value.ok, f"DELETE span: {response.value.status}"
        expect(span_labels).to_have_count(2)
        expect(relation_labels).to_have_count(0)  # gone with its target

        edited = label_of(RELABELLED)
        assert edited["text"] == SUGGESTED[RELABELLED], edited
        page.mouse.click(edited["x"], edited["y"])
        menu = page.locator(ACTIVE_MENU)
        choice = menu.locator(".v-list-item__title").get_by_text(NEW_LABEL, exact=True)
        with answered("PATCH", "/spans/") as response:
            choice.click()
        assert response.value.ok, f"PATCH span: {response.value.status}"
        expect(menu).to_have_count(0)
        expect(span_labels.filter(has_text=NEW_LABEL)).to_have_count(1)

        mark_done(page)
    finally:
        close()


def test_annotator_deletes_relabels_and_accepts_suggestions_in_the_browser(
    doccano_server, tmp_path
):
    with connect(doccano_server.connection) as admin:
        user = new_annotator(admin)
        with connect(user) as annotator:
            (project, example_id, suggested), shot = attempts(
                tmp_path,
                lambda: new_project(admin, annotator),  # as_user makes them a member
                lambda browser, state, shot: review_in_browser(
                    browser, admin.url, user, state[0].id, shot
                ),
                "review",
            )
            see = f"(screenshot of the reviewed page: {shot})"
            check_stored(admin, annotator, project.id, example_id, suggested, see)
        out = tmp_path / "pulled"
        report = pull.pull(
            admin, pull.PullOptions(project=project.name, out=out, corpus={DOC_ID: document()})
        )
    assert report.problems == []
    check_pulled(out, user.username, see)


def check_stored(
    admin, annotator, project_id: int, example_id: int, suggested: dict[str, int], see: str
) -> None:
    """What Doccano holds for the annotator: the relabel kept its id, one span and the
    suggested relation are gone, the example is done."""
    types = {
        t.id: t.text for t in client.list_label_types(admin, project_id, client.LabelKind.span)
    }
    spans = client.list_own(annotator, project_id, example_id, "spans")
    stored = sorted((s["id"], s["start_offset"], s["end_offset"], types[s["label"]]) for s in spans)
    assert stored == sorted(
        (suggested[surface], *(utf16(cp) for cp in codepoints(surface)), label)
        for surface, label in ((KEPT, SUGGESTED[KEPT]), (RELABELLED, NEW_LABEL))
    ), see
    assert stored[0][1:3] == (12, 22)  # the emoji counts two UTF-16 units
    assert client.list_own(annotator, project_id, example_id, "relations") == [], see
    (example,) = client.list_examples(annotator, project_id)
    assert example["is_confirmed"], see


def check_pulled(out: Path, username: str, see: str) -> None:
    """goldwire's pull: accepted, edited, rejected and orphaned, in code points."""
    (doc,) = read_jsonl(out / "annotators" / f"{username}.jsonl")
    assert doc.annotation.entities == "annotated", see
    got = [(e.start, e.end, e.label, e.text, e.provenance) for e in doc.entities]
    assert got == [
        (*codepoints(KEPT), SUGGESTED[KEPT], KEPT, "suggestion-accepted"),
        (*codepoints(RELABELLED), NEW_LABEL, RELABELLED, "suggestion-edited"),
    ], see
    kept, edited = doc.entities
    assert kept.suggested is not None
    assert (kept.suggested.label, kept.suggested.source) == (SUGGESTED[KEPT], SOURCE)
    assert edited.suggested is not None
    assert (edited.suggested.label, edited.suggested.source) == (SUGGESTED[RELABELLED], SOURCE)
    assert (edited.suggested.start, edited.suggested.end) == codepoints(RELABELLED)
    assert doc.stances == []
    assert doc.annotation.rejected_suggestions == 1
    assert doc.annotation.orphaned_suggestions == 1
    summary_json = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    total = summary_json["annotators"][username]["provenance"]["total"]
    assert total == {
        "human": 0,
        "suggestion-accepted": 1,
        "suggestion-edited": 1,
        "suggestion-rejected": 1,
        "suggestion-unreviewed": 0,
        "orphaned": 1,
    }, total
    assert summary_json["annotators"][username]["confirmed"] == 1
