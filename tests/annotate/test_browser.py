"""A browser test: an annotator labels two entities and links a stance in Doccano's real UI
(Playwright driving headless Chromium), then goldwire's pull brings them back.

The text has an emoji before the first entity. With ``grapheme_mode`` off the browser counts
UTF-16 code units, so Doccano stores ``Azerbaijan`` at 12-22 while it is 11-21 in code points;
the pull must convert. What the UI does, learnt from doccano 1.8.4:

* The login form refuses passwords over 30 characters (a rule in the form, the button stays
  disabled), so the browser logs in as an annotator made here with a shorter password.
* ``/projects/{id}/sequence-labeling?page=1`` (1-based; without ``page`` the page is a 404)
  draws each line of text as an SVG ``<text>`` whose characters are UTF-16 code units
  (``getNumberOfChars``, ``getExtentOfChar``). Dragging the mouse across characters opens a
  menu of span types (``.menuable__content__active``); a click on one POSTs the span.
* The switch in the "Label Types" card turns relation mode on ("Span" -> "Relation"). Then a
  click on one span's label (the ``<g style="cursor: pointer">`` under the text) and on
  another's opens a menu of relation types; the first span clicked is ``from_id`` (the
  holder), the second ``to_id`` (the target).
* After each POST the page fetches the example's spans again and redraws them; for a moment
  fewer labels are drawn, so the test waits for the count before it goes on.

Needs Chromium (Debian: ``apt-get install -y chromium``) and the ``playwright`` package of the
test extra; its own browser download is not used.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from gwbrowser import (
    attempts,
    char_points,
    drag_across,
    log_in,
    new_annotator,
    page_in,
    pick_type,
)

from goldwire.annotate import client, pull, push
from goldwire.annotate.http import connect
from goldwire.annotate.offsets import OffsetMap, Unit
from goldwire.annotate.settings import Connection
from goldwire.schema import Document, read_jsonl

pytestmark = [pytest.mark.doccano, pytest.mark.browser]

TEXT = "Talks 😀 in Azerbaijan with Armenia."
HOLDER, TARGET = "Azerbaijan", "Armenia"  # both GPE; HOLDER follows the emoji
STANCE = "SUPPORT"

#: The clickable label under each span.
SPAN_LABELS = '#container svg g[style*="cursor: pointer"]'
#: Text, centre and left edge of every span label on the page.
SPAN_LABELS_JS = """(selector) => Array.from(document.querySelectorAll(selector)).map(g => {
    const r = g.getBoundingClientRect();
    return {text: g.textContent.trim(), left: r.left, x: r.left + r.width / 2,
            y: r.top + r.height / 2}; })"""


def document() -> Document:
    return Document(id="emoji", text=TEXT)


def utf16(text: str, cp: int) -> int:
    return OffsetMap(text, Unit.utf16).to_units(cp)


def codepoints(surface: str) -> tuple[int, int]:
    start = TEXT.index(surface)
    return start, start + len(surface)


def new_project(admin) -> tuple[client.Project, int]:
    """A fresh project (pushed by goldwire) holding the one document; its example id."""
    name = f"browser-{secrets.token_hex(3)}"
    report = push.push(admin, [document()], push.PushOptions(project=name))
    assert report.ok, report.problems
    project = client.get_project(admin, report.targets[0].project["id"])
    assert project.use_relation and not project.grapheme_mode and not project.collaborative
    (example,) = client.list_examples(admin, project.id)
    return project, int(example["id"])


def annotate_in_browser(browser, url: str, user: Connection, project_id: int, shot: Path) -> None:
    """Log in as ``user``, label HOLDER and TARGET as GPE, link them with STANCE."""
    from playwright.sync_api import expect

    page, close = page_in(browser, shot)
    try:
        log_in(page, url, user)
        page.goto(f"{url}/projects/{project_id}/sequence-labeling?page=1")
        page.locator("#container text").filter(has_text=TARGET).first.wait_for()

        def points(surface: str) -> dict:
            return char_points(page, TEXT, *(utf16(TEXT, cp) for cp in codepoints(surface)))

        # after each POST the page fetches the spans again and redraws them: wait for that
        span_labels = page.locator(SPAN_LABELS)
        for drawn, surface in enumerate((HOLDER, TARGET), 1):
            drag_across(page, points(surface))
            pick_type(page, "GPE", "spans")
            expect(span_labels).to_have_count(drawn)

        page.locator(".v-input--switch input[role=switch]").click(force=True)
        expect(page.locator(".v-input--switch label")).to_have_text("Relation")
        for surface in (HOLDER, TARGET):  # the holder first: it becomes from_id
            expect(span_labels).to_have_count(2)
            labels = page.evaluate(SPAN_LABELS_JS, SPAN_LABELS)
            assert [lab["text"] for lab in labels] == ["GPE", "GPE"], labels
            left = points(surface)["left"]
            label = min(labels, key=lambda lab: abs(lab["left"] - left))
            page.mouse.click(label["x"], label["y"])
        pick_type(page, STANCE, "relations")
        expect(page.locator("#container svg text", has_text=STANCE)).to_have_count(1)
    finally:
        close()


def test_annotator_labels_and_links_spans_after_an_emoji_in_the_browser(doccano_server, tmp_path):
    with connect(doccano_server.connection) as admin:
        annotator = new_annotator(admin)

        def setup():
            project, example_id = new_project(admin)
            client.add_member(admin, project.id, annotator.username)
            return project, example_id

        (project, example_id), shot = attempts(
            tmp_path,
            setup,
            lambda browser, state, shot: annotate_in_browser(
                browser, admin.url, annotator, state[0].id, shot
            ),
            "annotate",
        )

        # What Doccano stored, as the annotator sees it through the API: UTF-16 offsets.
        with connect(annotator) as own:
            spans = client.list_own(own, project.id, example_id, "spans")
            relations = client.list_own(own, project.id, example_id, "relations")
        see = f"(screenshot of the annotated page: {shot})"
        raw = sorted((s["start_offset"], s["end_offset"]) for s in spans)
        assert raw == [(12, 22), (28, 35)], see  # the emoji counts two UTF-16 units
        assert raw == [
            tuple(utf16(TEXT, cp) for cp in codepoints(surface)) for surface in (HOLDER, TARGET)
        ]
        assert codepoints(HOLDER) == (11, 21)
        by_start = {s["start_offset"]: s["id"] for s in spans}
        relation_types = {
            t.id: t.text
            for t in client.list_label_types(admin, project.id, client.LabelKind.relation)
        }
        assert [(r["from_id"], r["to_id"], relation_types[r["type"]]) for r in relations] == [
            (by_start[12], by_start[28], STANCE)
        ], see

        # goldwire's pull: code points again, and the relation as a stance.
        out = tmp_path / "pulled"
        report = pull.pull(
            admin,
            pull.PullOptions(project=project.name, out=out, corpus={"emoji": document()}),
        )
    assert report.problems == []
    (doc,) = read_jsonl(out / "annotators" / f"{annotator.username}.jsonl")
    assert [(e.start, e.end, e.label, e.text) for e in doc.entities] == [
        (*codepoints(HOLDER), "GPE", HOLDER),
        (*codepoints(TARGET), "GPE", TARGET),
    ], see
    holder, target = doc.entities
    (stance,) = doc.stances
    assert stance.label == STANCE, see
    assert (stance.holder.entity, stance.target.entity) == (holder.id, target.id)
    assert (stance.holder.text, stance.target.text) == (HOLDER, TARGET)
    assert stance.annotators == [annotator.username]
