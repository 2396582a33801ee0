"""Reader for saved HTML article pages (``html``), through trafilatura; never fetches URLs.

trafilatura finds the article text and the page's metadata (title, date, site, author, URL).
The text's paragraphs go into the wire layout (:func:`parse_wire`, then :func:`assemble`)
under the metadata title, or under the first paragraph when the page has no title; a first
paragraph repeating the title (the page's ``<h1>``) is dropped. ``published`` is the
metadata date when it is a full ``YYYY-MM-DD`` date, else the dateline's date (with
``options.year``). ``meta`` gets ``url``, ``sitename``, ``author`` and ``hostname`` when the
page has them. Comments, tables and images are left out.

A page without article text (an index page, a login wall, a page rendered by JavaScript) is
a Rejection: "no article text found".
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from goldwire.corpus.normalize import normalize_text
from goldwire.corpus.readers.base import Reader, ReadOptions, Rejection
from goldwire.corpus.readers.wiretext import wire_document
from goldwire.corpus.wire import parse_wire
from goldwire.schema import Document

MIN_BODY_WORDS = 5  # below this the page has navigation or a caption, not an article
META_FIELDS = ("url", "sitename", "author", "hostname")
_HTML_START = re.compile(r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b",
                         re.IGNORECASE | re.DOTALL)  # fmt: skip


def extract(html: str) -> dict[str, Any] | None:
    """trafilatura's article text and metadata as a dict, or None when it finds nothing."""
    import trafilatura  # a core dependency, but slow to import: only when HTML is read

    result = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
    )
    if result is None:
        return None
    return result if isinstance(result, dict) else result.as_dict()


def full_date(value: str | None) -> str | None:
    """``value`` when it is a valid ``YYYY-MM-DD`` date, else None."""
    if not value or not re.match(r"^\d{4}-\d{2}-\d{2}$", value):
        return None
    try:
        return datetime.date.fromisoformat(value).isoformat()
    except ValueError:
        return None


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text).strip().casefold()


def _clean(value: Any) -> str:
    return " ".join(normalize_text(str(value)).split()) if value else ""


class HtmlReader(Reader):
    """A saved article page: article text and metadata through trafilatura."""

    def __init__(self) -> None:
        super().__init__("html", (".html", ".htm"), "saved HTML article page (trafilatura)")

    def sniff(self, path: Path, head: str) -> bool:
        return path.suffix.lower() in self.suffixes or _HTML_START.match(head) is not None

    def read(self, path: Path, text: str, options: ReadOptions) -> Iterator[Document | Rejection]:
        try:
            page = extract(text)
        except ValueError as exc:
            yield Rejection(
                str(path),
                "unparseable",
                f"{path}: trafilatura cannot parse the page ({exc}); check that it is HTML",
            )
            return
        page = page or {}
        lines = normalize_text(page.get("text") or "").split("\n")
        paragraphs = [line for line in map(_clean, lines) if line]
        title = _clean(page.get("title"))
        if paragraphs and title and _key(paragraphs[0]) == _key(title):
            paragraphs = paragraphs[1:]
        elif paragraphs and not title:
            title, paragraphs = paragraphs[0], paragraphs[1:]
        words = sum(len(re.findall(r"\w+", p)) for p in paragraphs)
        if words < MIN_BODY_WORDS:
            yield Rejection(
                str(path),
                "no-body",
                f"{path}: no article text found ({words} words besides the title); the page "
                "may be an index, a login wall or rendered by JavaScript: save the article "
                "page itself, or remove the file",
            )
            return
        meta = {name: _clean(page.get(name)) for name in META_FIELDS if _clean(page.get(name))}
        parts = parse_wire([title, *paragraphs])
        doc = wire_document(parts, str(path), self.name, options, meta)
        date = full_date(page.get("date"))
        if date is not None:
            doc.published, doc.published_raw = date, page["date"]
        elif page.get("date"):
            doc.meta["html_date"] = _clean(page["date"])
        yield doc
