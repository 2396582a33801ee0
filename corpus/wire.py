"""Wire-copy structure: title, lead, dateline line (city, date, agency) and body.

The dateline parser reads the common agency forms, in English and Russian:

* TASS: ``MOSCOW, March 31. /TASS/.`` and ``МОСКВА, 31 марта. /ТАСС/.``
* agency in brackets: ``PARIS, Jan 5 (AFP) -``, ``BEIJING, May 2 (Xinhua) --``
* Reuters: ``HOUSTON, Feb 26 -`` and ``RICHMOND, Va., Feb 26 -`` (no agency)
* optional year: ``MOSCOW, March 31, 2023. /TASS/.``
* wire noise seen in Reuters-21578: ``RICHMOND, Va. Feb 26 -`` (no comma after the region),
  up to three regions (``GEORGETOWN, Grand Cayman, British West Indies, March 25 -``),
  ``Feb 26-``, ``ATLANTA , March 3 -``, ``****LONDON, March 5 -``, ``CHICAGO, March 4, -``
  and ``ROME, March 13, Reuter -``; a dash followed by a digit (``March 2-3``) is a range,
  not a dateline

The city is the text before the dateline's first comma. The year comes only from the dateline
itself, from ``--year`` or from file metadata; it is never guessed.

The assembled document text is: title, blank line, lead (when there is one), blank line, then
the body paragraphs separated by blank lines, the first body paragraph starting with its
dateline line, which is kept so that the agency mention ("/TASS/") can be annotated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from goldwire.schema import Paragraph

EN_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
RU_MONTHS = {
    "января": 1, "февраля": 2, "марта": 3, "апреля": 4, "мая": 5, "июня": 6,
    "июля": 7, "августа": 8, "сентября": 9, "октября": 10, "ноября": 11, "декабря": 12,
}  # fmt: skip
AGENCIES = {
    "tass": "TASS", "тасс": "TASS", "итар-тасс": "TASS", "reuters": "Reuters", "ap": "AP",
    "reuter": "Reuters",
    "afp": "AFP", "interfax": "Interfax", "интерфакс": "Interfax", "xinhua": "Xinhua",
    "ria novosti": "RIA Novosti", "риа новости": "RIA Novosti", "upi": "UPI", "dpa": "dpa",
    "bloomberg": "Bloomberg", "efe": "EFE", "ansa": "ANSA", "kyodo": "Kyodo",
}  # fmt: skip
CRUMBS = frozenset({"all news", "все новости", "news", "новости", "home", "главная"})
# the agency's sign-off alone on a story's last line (Reuters-21578: " Reuter" before &#3;)
SIGNOFFS = frozenset({"Reuter", "REUTER", "Reuters", "REUTERS"})

_EN_MONTH = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"  # noqa: E501
_RU_MONTH = "(?:" + "|".join(RU_MONTHS) + ")"
_CITY = r"\**(?P<city>[^\W\d_][^\W\d_ .'\-]*(?:[ .'\-]+[^\W\d_][^\W\d_ .'\-]*)*)"
_REGION = r"(?P<region>(?:\s*,\s*[A-Z][\w.]*(?:\s[A-Z][\w.]*){0,2}\.?){0,3})"
_DATE_EN = rf"(?P<date>(?P<month>{_EN_MONTH})\.?\s+(?P<day>\d{{1,2}})(?:,?\s+(?P<year>\d{{4}}))?)"
_DATE_RU = rf"(?P<date>(?P<day>\d{{1,2}})\s+(?P<month>{_RU_MONTH})(?:\s+(?P<year>\d{{4}})(?:\s*г(?:ода|\.)?)?)?)"  # noqa: E501
_AGENCY_TAIL = (
    r"(?:\.?\s*/(?P<agency>[^/\n]{2,40})/\.?"  # . /TASS/.
    r"|\s*\((?P<agency2>[^)\n]{2,40})\)\s*[-\u2013\u2014]+"  # (AFP) -
    r"|,\s*(?P<agency3>Reuters?)\s*[-\u2013\u2014]+"  # , Reuter -
    r"|,?\s*[-\u2013\u2014]+(?!\d))"  # -  (also "Feb 26-" and "March 4, -")
)
DATELINE_RES = (
    re.compile(rf"^{_CITY}{_REGION}(?:\s*,|(?<=\.))\s*{_DATE_EN}{_AGENCY_TAIL}\s*", re.IGNORECASE),
    re.compile(rf"^{_CITY}\s*,\s*{_DATE_RU}{_AGENCY_TAIL}\s*", re.IGNORECASE),
)


@dataclass(frozen=True)
class Dateline:
    city: str
    date_raw: str
    month: int
    day: int
    year: int | None
    agency: str | None  # canonical name (TASS), None when the dateline names none
    agency_raw: str | None  # as written (ТАСС)
    end: int  # where the dateline ends in the paragraph
    language: str  # "en" or "ru": the language of the dateline's month name

    def iso_date(self, year: int | None) -> str | None:
        y = self.year or year
        if y is None:
            return None
        try:
            import datetime

            return datetime.date(y, self.month, self.day).isoformat()
        except ValueError:
            return None


def parse_dateline(paragraph: str) -> Dateline | None:
    """Parse a dateline at the start of a paragraph, or return None."""
    if "," not in paragraph[:80]:  # every dateline form has "CITY," near the start
        return None
    for pattern, language in zip(DATELINE_RES, ("en", "ru"), strict=True):
        m = pattern.match(paragraph)
        if m is None:
            continue
        month_word = m.group("month").lower().rstrip(".")
        month = EN_MONTHS.get(month_word[:4] if month_word.startswith("sept") else month_word[:3])
        if language == "ru":
            month = RU_MONTHS.get(month_word)
        day = int(m.group("day"))
        if month is None or not 1 <= day <= 31:
            continue
        raw_agency = m.group("agency") or m.group("agency2") or m.group("agency3")
        agency = None
        if raw_agency:
            raw_agency = raw_agency.strip()
            agency = AGENCIES.get(raw_agency.lower(), raw_agency)
        year = m.group("year")
        return Dateline(
            city=m.group("city").strip(),
            date_raw=m.group("date"),
            month=month,
            day=day,
            year=int(year) if year else None,
            agency=agency,
            agency_raw=raw_agency,
            end=m.end(),
            language=language,
        )
    return None


@dataclass
class WireParts:
    title: str
    lead: str
    body: list[str]
    dateline: Dateline | None
    removed: list[str] = field(default_factory=list)  # what was removed, for meta
    signoff: str | None = None  # the sign-off removed from the end ("Reuter"), for meta


def _key(paragraph: str) -> str:
    return re.sub(r"[\W_]+", " ", paragraph).strip().casefold()


def strip_signoff(body: list[str]) -> tuple[list[str], str | None]:
    """The paragraphs without a wire sign-off (``Reuter``, ``REUTER``, ``Reuters``) standing
    alone on the last line, and the sign-off (None when there is none). A last paragraph that
    was only the sign-off goes; one that ends with it on a line of its own loses that line.
    Repeated sign-offs (``REUTER`` then ``Reuter``: 3 Reuters-21578 stories) all go; the
    sign-off returned is their lines joined by a line break, in text order."""
    found: list[str] = []
    body = list(body)
    while body:
        lines = body[-1].split("\n")
        if lines[-1].strip() not in SIGNOFFS:
            break
        found.insert(0, lines[-1].strip())
        rest = "\n".join(lines[:-1]).rstrip()
        body[-1:] = [rest] if rest else []
    return body, "\n".join(found) or None


def parse_wire(paragraphs: list[str]) -> WireParts:
    """Split paragraphs into title, lead and body (the body keeps its dateline line).

    * leading site crumbs ("All news") are removed, and a sign-off alone on the last line
      (:func:`strip_signoff`; never the title);
    * the title is the first remaining paragraph;
    * the paragraphs between the title and the first paragraph that starts with a dateline
      form the lead; when there is no dateline paragraph, the lead is empty;
    * a body paragraph that repeats the lead (ignoring punctuation and case) is removed.
    """
    paras = list(paragraphs)
    removed = []
    while paras and _key(paras[0]) in CRUMBS:
        removed.append("crumb:" + paras.pop(0))
    if not paras:
        return WireParts("", "", [], None, removed)
    title, (rest, signoff) = paras[0], strip_signoff(paras[1:])
    if signoff:
        removed.append("signoff")
    dl_index, dateline = None, None
    for i, para in enumerate(rest):
        dateline = parse_dateline(para)
        if dateline is not None:
            dl_index = i
            break
    if dl_index is None:
        return WireParts(title, "", rest, None, removed, signoff)
    lead = "\n".join(rest[:dl_index])
    body = rest[dl_index:]
    if lead:
        lead_key = _key(lead)
        lo, hi = 0.8 * len(lead) - 5, 1.25 * len(lead) + 5  # a repeat has about its length
        kept = [p for p in body if not (lo <= len(p) <= hi and _key(p) == lead_key)]
        if len(kept) != len(body):
            removed.append("lead-repeat")
        body = kept
    return WireParts(title, lead, body, dateline, removed, signoff)


def assemble(title: str, lead: str, body: list[str]) -> tuple[str, list[Paragraph]]:
    """Join title, lead and body into the annotators' text and its typed paragraph ranges."""
    parts: list[tuple[str, str]] = []
    if title:
        parts.append(("title", title))
    if lead:
        parts.append(("lead", lead))
    parts.extend(("body", p) for p in body if p)
    pieces, paragraphs, pos = [], [], 0
    for kind, chunk in parts:
        if pieces:
            pieces.append("\n\n")
            pos += 2
        pieces.append(chunk)
        paragraphs.append(Paragraph(kind, pos, pos + len(chunk)))
        pos += len(chunk)
    return "".join(pieces), paragraphs
