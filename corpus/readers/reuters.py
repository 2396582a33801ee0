"""Reader for the Reuters-21578 SGML files (``reut2-000.sgm`` .. ``reut2-021.sgm``).

Each file holds about 1,000 ``<REUTERS ...>`` stories. The files are SGML, not XML (a
``<!DOCTYPE>`` line, references to control characters such as ``&#3;``, no single
root), so they are read with regular expressions, not an XML parser.

Per story:

* text: laid out as the wire feed delivers it: ``<TITLE>``, a blank line, then the
  ``<DATELINE>`` in front of the ``<BODY>`` (``HOUSTON, Feb 26 - Showers continued...``);
  a new body paragraph starts at each indented line (the feed indents paragraphs by four
  spaces), line breaks inside a paragraph are kept; the dateline is parsed with
  :func:`goldwire.corpus.wire.parse_dateline` (city, ``dateline``); when it does not parse
  (the tags have noise: ``Wilcox/Gibbs -``), ``dateline`` is the tag's text before its first
  comma; the ``Reuter`` sign-off alone on the body's last line (most stories end with it) is
  removed
  (:func:`goldwire.corpus.wire.strip_signoff`) and recorded as ``meta["signoff"]`` (and
  ``meta["removed"] = "signoff"``); a body that is only a sign-off is a ``no-body`` story;
* ``published`` comes from ``<DATE>`` (``26-FEB-1987 15:01:01.79`` -> ``1987-02-26``), which
  also becomes ``published_raw``; ``agency`` is Reuters (the whole collection is Reuters copy);
* meta (strings): ``newid``, ``oldid``, ``lewissplit``, ``cgisplit``, ``topics_attr`` (the
  ``TOPICS="YES|NO|BYPASS"`` attribute the ModApte split uses), ``topics``, ``places``,
  ``people``, ``orgs``, ``exchanges``, ``companies`` (the ``<D>`` items comma-joined, empty
  when none);
* entities: ``&lt;``, ``&gt;`` and ``&amp;`` are unescaped; the numeric references to
  control characters (``&#2;`` start of text, ``&#3;`` end of text, ``&#5;``, ``&#22;``,
  ``&#31;``, ``&#127;`` and so on, teletype transmission codes) are removed;
* stories without a ``<BODY>`` (``TYPE="BRIEF"``: a title only; ``TYPE="UNPROC"``: unparsed
  text) or with an empty one become ``no-body`` Rejections whose item is ``NEWID <n>``;
* a damaged file loses no story silently: a ``<REUTERS>`` without its ``</REUTERS>`` (the
  story runs to the next ``<REUTERS`` or the end of the file) is an ``unterminated-story``
  Rejection, a ``<BODY>`` without its ``</BODY>`` an ``unterminated-body`` one, a numeric
  reference that is no character (``&#55296;``, a surrogate; ``&#99999999999;``) a
  ``bad-reference`` one, and a story whose reading fails in any other way an ``unparseable``
  one; the other stories of the file are read.

Encoding. The files are ASCII except for one byte: ``reut2-017.sgm`` has a single ``0xFC``
(in story NEWID 17980, where the transmission garbled: ``growth.\\xfc&#5;&#30;side``), which
is not valid UTF-8 and not Cyrillic, so the pipeline's :func:`decode_bytes` would reject the
whole file (1,000 stories) as undecodable. This reader therefore declares its own encoding,
``encoding = "latin-1"`` (a :class:`Reader` attribute that ``process_file`` honours instead
of the sniffing decoder): latin-1 maps every byte to a character, so ASCII is unchanged and
the stray byte reads as ``ü``; no story is lost and nothing is replaced behind the user's
back (the document's ``meta["encoding"]`` says ``latin-1``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from goldwire.console import shown_name
from goldwire.corpus.normalize import normalize_text
from goldwire.corpus.readers.base import Reader, ReadOptions, Rejection
from goldwire.corpus.readers.wiretext import wire_document
from goldwire.corpus.wire import WireParts, parse_dateline, strip_signoff
from goldwire.schema import Document

_OPEN = re.compile(r"<REUTERS\b([^>]*)>", re.I)
_CLOSE = re.compile(r"</REUTERS\s*>", re.I)
_ATTR = re.compile(r'([A-Z]+)\s*=\s*"([^"]*)"', re.I)
_D = re.compile(r"<D>(.*?)</D>", re.S | re.I)
_NUMREF = re.compile(r"&#(\d+);")
_MAX_CODE = 0x10FFFF
_DATE = re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})")
_MONTHS = {m: i for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}  # fmt: skip
LIST_TAGS = ("topics", "places", "people", "orgs", "exchanges", "companies")


class BadReference(ValueError):
    """A numeric character reference that names no character."""


def unescape(text: str) -> str:
    """SGML entities: control-character references removed, ``&lt; &gt; &amp;`` unescaped;
    BadReference for a reference that names no character (a surrogate, beyond U+10FFFF)."""

    def numref(m: re.Match[str]) -> str:
        digits = m.group(1).lstrip("0") or "0"
        code = int(digits) if len(digits) <= 7 else _MAX_CODE + 1
        if code > _MAX_CODE or 0xD800 <= code <= 0xDFFF:
            raise BadReference(m.group()[:16])
        return "" if code < 32 or code == 127 else chr(code)

    text = _NUMREF.sub(numref, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def tag(name: str, story: str) -> str | None:
    """The raw content of the first ``<NAME>...</NAME>`` in a story, or None."""
    m = re.search(rf"<{name}\b[^>]*>(.*?)</{name}>", story, re.S | re.I)
    return m.group(1) if m else None


def body_paragraphs(body: str) -> list[str]:
    """Paragraphs of a BODY: a new one at each indented line or blank line."""
    paras: list[list[str]] = []
    for line in body.split("\n"):
        if not line.strip():
            if paras and paras[-1]:
                paras.append([])
            continue
        if not paras or line[:1].isspace():
            if paras and not paras[-1]:
                paras[-1].append(line.strip())
            else:
                paras.append([line.strip()])
        else:
            paras[-1].append(line.strip())
    return ["\n".join(p) for p in paras if p]


def iso_date(raw: str) -> str | None:
    """``26-FEB-1987 15:01:01.79`` -> ``1987-02-26``."""
    m = _DATE.search(raw)
    if m is None or m.group(2).lower() not in _MONTHS:
        return None
    day, month, year = int(m.group(1)), _MONTHS[m.group(2).lower()], int(m.group(3))
    import datetime

    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        return None


def stories(text: str) -> Iterator[tuple[dict[str, str], str]]:
    """``(attributes, inner SGML)`` for each whole ``<REUTERS>`` element, attribute names
    lowercase (the reader also sees the unterminated ones: :func:`elements`)."""
    for attrs, inner, closed in elements(text):
        if closed:
            yield attrs, inner


def elements(text: str) -> Iterator[tuple[dict[str, str], str, bool]]:
    """``(attributes, inner SGML, closed)`` for each ``<REUTERS>`` element; one without
    ``</REUTERS>`` runs to the next ``<REUTERS`` or the end (``closed`` False)."""
    opens = list(_OPEN.finditer(text))
    for i, m in enumerate(opens):
        end = opens[i + 1].start() if i + 1 < len(opens) else len(text)
        close = _CLOSE.search(text, m.end(), end)
        attrs = {k.lower(): v for k, v in _ATTR.findall(m.group(1))}
        inner = text[m.end() : close.start() if close else end]
        yield attrs, inner, close is not None


class ReutersReader(Reader):
    """Reuters-21578 SGML: one document per ``<REUTERS>`` story with a body."""

    def __init__(self) -> None:
        super().__init__("reuters", (".sgm",), "Reuters-21578 SGML (reut2-*.sgm)")
        self.encoding = "latin-1"  # see the module docstring

    def sniff(self, path: Path, head: str) -> bool:
        return path.suffix.lower() in self.suffixes and "<REUTERS" in head.upper()

    def read(self, path: Path, text: str, options: ReadOptions) -> Iterator[Document | Rejection]:
        source = str(path)
        found = False
        for attrs, story, closed in elements(text):
            found = True
            item = f"NEWID {attrs.get('newid', '')}"
            try:
                yield self._story(source, attrs, story, closed, options)
            except BadReference as exc:
                yield Rejection(
                    source,
                    "bad-reference",
                    f"{source}: story {item} has the character reference {exc}, which names "
                    "no character; fix or remove it",
                    item,
                )
            except ImportError:  # the installation, not the input: not a rejection
                raise
            except Exception as exc:  # noqa: BLE001 - one bad story is a rejection
                detail = shown_name(" ".join(str(exc).split())[:200])
                yield Rejection(
                    source,
                    "unparseable",
                    f"{source}: story {item} cannot be read ({type(exc).__name__}: {detail}); "
                    "fix or remove it",
                    item,
                )
        if not found:
            yield Rejection(
                source,
                "unparseable",
                f"{source}: no <REUTERS> story found; is this a Reuters-21578 .sgm file?",
            )

    def _story(self, source: str, attrs: dict[str, str], story: str, closed: bool,
               options: ReadOptions) -> Document | Rejection:  # fmt: skip
        newid = attrs.get("newid", "")
        item = f"NEWID {newid}"
        if not closed:
            return Rejection(
                source,
                "unterminated-story",
                f"{source}: story NEWID {newid} has no </REUTERS> (the file is cut or "
                "damaged); restore the file from the collection",
                item,
            )
        body = tag("BODY", story)
        if body is None and re.search(r"<BODY\b", story, re.I):
            return Rejection(
                source,
                "unterminated-body",
                f"{source}: story NEWID {newid} has a <BODY> without </BODY> (the story is "
                "cut or damaged); restore the file from the collection",
                item,
            )
        body_paras = body_paragraphs(normalize_text(unescape(body))) if body else []
        body_paras, signoff = strip_signoff(body_paras)
        if not body_paras:
            text_tag = re.search(r'<TEXT\b[^>]*TYPE\s*=\s*"([^"]*)"', story, re.I)
            kind = text_tag.group(1) if text_tag else "NORM"
            return Rejection(
                source,
                "no-body",
                f"{source}: story NEWID {newid} (TYPE={kind}) has no <BODY> text; "
                "(BRIEF stories are a title only, UNPROC ones unparsed text)",
                item,
            )
        return self._document(source, attrs, story, body_paras, options, signoff)

    def _document(self, source: str, attrs: dict[str, str], story: str, body_paras: list[str],
                  options: ReadOptions, signoff: str | None = None) -> Document:  # fmt: skip
        title = " ".join(normalize_text(unescape(tag("TITLE", story) or "")).split())
        dateline_tag = " ".join(normalize_text(unescape(tag("DATELINE", story) or "")).split())
        if dateline_tag:
            body_paras[0] = f"{dateline_tag} {body_paras[0]}"
        dl = parse_dateline(body_paras[0]) if dateline_tag else None
        parts = WireParts(title, "", body_paras, dl, ["signoff"] if signoff else [], signoff)
        meta = {
            "newid": attrs.get("newid", ""),
            "oldid": attrs.get("oldid", ""),
            "lewissplit": attrs.get("lewissplit", ""),
            "cgisplit": attrs.get("cgisplit", ""),
            "topics_attr": attrs.get("topics", ""),  # YES | NO | BYPASS (ModApte uses it)
        }
        for name in LIST_TAGS:
            meta[name] = ",".join(
                unescape(d).strip() for d in _D.findall(tag(name.upper(), story) or "")
            )
        doc = wire_document(parts, source, self.name, options, meta)
        # 327 tags end in the wire's control codes and routing (&#5;&#5;&#5;F): cut them
        date_raw = " ".join((tag("DATE", story) or "").split("&#", 1)[0].split())
        doc.published = iso_date(date_raw)
        doc.published_raw = date_raw or None
        doc.agency = "Reuters"
        doc.language = options.language or "en"
        if doc.dateline is None and "," in dateline_tag:
            doc.dateline = dateline_tag.split(",", 1)[0].strip(" *") or None
        return doc
