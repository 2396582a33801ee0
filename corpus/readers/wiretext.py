"""Readers for wire copy as text: TASS-style articles (``tass``) and plain text (``text``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from goldwire.corpus.normalize import split_paragraphs
from goldwire.corpus.readers.base import Reader, ReadOptions, Rejection
from goldwire.corpus.wire import WireParts, assemble, parse_dateline, parse_wire
from goldwire.schema import Document


def wire_document(
    parts: WireParts, source: str, reader: str, options: ReadOptions, meta: dict[str, str]
) -> Document:
    """A document from parsed wire parts (id and hash are filled by the pipeline)."""
    text, paragraphs = assemble(parts.title, parts.lead, parts.body)
    dl = parts.dateline
    year = options.year
    meta = {"reader": reader, **meta}
    if parts.removed:
        meta["removed"] = ",".join(r.split(":", 1)[0] for r in parts.removed)
    if parts.signoff:
        meta["signoff"] = parts.signoff
    if dl is not None and dl.agency_raw and dl.agency_raw != dl.agency:
        meta["agency_raw"] = dl.agency_raw
    if dl is not None and dl.year is not None:
        year = dl.year
    return Document(
        id="",
        text=text,
        source=source,
        agency=dl.agency if dl else None,
        dateline=dl.city if dl else None,
        published=dl.iso_date(year) if dl else None,
        published_raw=dl.date_raw if dl else None,
        title=parts.title,
        lead=parts.lead,
        paragraphs=paragraphs,
        language=options.language or (dl.language if dl else None),
        meta=meta,
    )


# a cheap pre-check before parsing datelines: "/TASS/" or "(AFP) -" somewhere in the head
_AGENCY_HINT = re.compile(r"/[^/\n]{2,40}/\.|\([^)\n]{2,40}\)\s*[-\u2013\u2014]")


class TassReader(Reader):
    """TASS-style wire text: crumb, title, lead, dateline line ``MOSCOW, March 31. /TASS/.``"""

    def __init__(self) -> None:
        super().__init__("tass", (".txt",), "TASS-style wire article (English or Russian)")

    def sniff(self, path: Path, head: str) -> bool:
        if path.suffix.lower() not in (".txt", "") or not _AGENCY_HINT.search(head):
            return False
        for para in split_paragraphs(head)[:8]:
            dl = parse_dateline(para)
            if dl is not None and dl.agency is not None:
                return True
        return False

    def read(self, path: Path, text: str, options: ReadOptions) -> Iterator[Document | Rejection]:
        parts = parse_wire(split_paragraphs(text))
        if parts.dateline is None:
            yield Rejection(
                str(path),
                "unparseable",
                f"{path}: no dateline line such as 'MOSCOW, March 31. /TASS/.' found; "
                "use --format text for articles without one",
            )
            return
        if not parts.body or not parts.title:
            yield Rejection(str(path), "no-body", f"{path}: the article has no body text")
            return
        yield wire_document(parts, str(path), self.name, options, {})


class TextReader(Reader):
    """Plain text: the first non-empty line is the title; a dateline is parsed when present."""

    def __init__(self) -> None:
        super().__init__("text", (".txt", ".text", ""), "plain text, title on the first line")

    def read(self, path: Path, text: str, options: ReadOptions) -> Iterator[Document | Rejection]:
        lines = text.strip().split("\n", 1)
        title = lines[0].strip()
        body = split_paragraphs(lines[1]) if len(lines) > 1 else []
        if not body:
            yield Rejection(
                str(path),
                "no-body",
                f"{path}: only a title line, no body; plain text needs a title line and text",
            )
            return
        parts = parse_wire([title, *body])
        yield wire_document(parts, str(path), self.name, options, {})
