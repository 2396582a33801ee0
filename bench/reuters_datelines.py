"""Dateline-parser benchmark: goldwire's wire dateline parser against Reuters-21578's tags.

Every Reuters-21578 story with a ``<BODY>`` (19,043 of 21,578) also carries its dateline in a
``<DATELINE>`` tag (``RICHMOND, Va., Feb 26 - ``), an independent answer key. This lays each
story out as plain wire copy, the way the feed delivers it: the title, a blank line, then the
dateline in front of the body (``HOUSTON, Feb 26 - Showers continued...``), reads it with the
plain-text reader (``TextReader``, ``--format text``, called directly; ``ReadOptions(year=1987)``
so that a parsed month-day becomes a date) and compares with the tag:

* **city**: the text before the tag's first comma (``RICHMOND, Va., Feb 26 -`` -> RICHMOND),
  leading ``*`` and spacing removed, compared case-insensitively with the document's
  ``dateline``; a tag without a comma has no city, and then the parser must find none;
* **date**: the tag's first ``<month word> <day>`` whose word starts with a month's three
  letters (``FEb 26`` -> 02-26) against the month-day of the document's ``published``; a tag
  with none (``Narch 2``, ``April -``, ``Wilcox/Gibbs -``) has no date, and then the parser
  must find none.

A story agrees when both agree. The tags are noisy (``ME}LBOURNE``, ``March 187``, ``Macrh``),
so some disagreement is the key's, not the parser's; every disagreeing story is listed.

Goal: at least 99% of the stories agree on city and date.

    python bench/reuters_datelines.py                      # ../shared/data/reuters21578
    python bench/reuters_datelines.py --json bench/out/reuters_datelines.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "reuters21578"
GOAL = 0.99

from goldwire.corpus.normalize import normalize_text  # noqa: E402
from goldwire.corpus.readers.base import ReadOptions, Rejection  # noqa: E402
from goldwire.corpus.readers.reuters import body_paragraphs, stories, tag, unescape  # noqa: E402
from goldwire.corpus.readers.wiretext import TextReader  # noqa: E402
from goldwire.corpus.wire import EN_MONTHS  # noqa: E402

_MONTH_DAY = re.compile(r"([A-Za-z]+)\.?\s+(\d{1,2})\b")


def tag_key(dateline: str) -> tuple[str | None, str | None]:
    """(city, "MM-DD") from a ``<DATELINE>`` tag; None where the tag has none."""
    if "," not in dateline:
        return None, None
    head, rest = dateline.split(",", 1)
    city = " ".join(head.strip(" *").split()).casefold() or None
    for m in _MONTH_DAY.finditer(rest):
        month = EN_MONTHS.get(m.group(1)[:3].lower())
        day = int(m.group(2))
        if month and 1 <= day <= 31:
            return city, f"{month:02d}-{day:02d}"
    return city, None


def wire_copy(story: str) -> tuple[str, str] | None:
    """(plain wire text, dateline tag) of a story with a body, else None."""
    body = tag("BODY", story)
    paras = body_paragraphs(normalize_text(unescape(body))) if body else []
    if not paras:
        return None
    title = " ".join(normalize_text(unescape(tag("TITLE", story) or "")).split())
    dateline = " ".join(normalize_text(unescape(tag("DATELINE", story) or "")).split())
    paras[0] = f"{dateline} {paras[0]}" if dateline else paras[0]
    return title + "\n\n" + "\n\n".join(paras) + "\n", dateline


def run(data: Path) -> dict[str, Any]:
    reader = TextReader()
    options = ReadOptions(year=1987)
    n = city_ok = date_ok = both_ok = 0
    disagree: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    files = sorted(data.glob("reut2-*.sgm"))
    for f in files:
        text = normalize_text(f.read_bytes().decode("latin-1"))  # see corpus/readers/reuters.py
        for attrs, story in stories(text):
            laid = wire_copy(story)
            if laid is None:
                continue
            copy, dateline = laid
            n += 1
            items = list(reader.read(Path(f"{attrs.get('newid', '')}.txt"), copy, options))
            doc = items[0] if items and not isinstance(items[0], Rejection) else None
            got_city = doc.dateline.casefold() if doc and doc.dateline else None
            got_date = doc.published[5:] if doc and doc.published else None
            want_city, want_date = tag_key(dateline)
            c, d = got_city == want_city, got_date == want_date
            city_ok += c
            date_ok += d
            both_ok += c and d
            if not (c and d):
                disagree.append(
                    {
                        "file": f.name,
                        "newid": attrs.get("newid", ""),
                        "tag": dateline,
                        "tag_city": want_city,
                        "tag_date": want_date,
                        "parsed_city": got_city,
                        "parsed_date": got_date,
                        "wrong": ",".join(k for k, ok in (("city", c), ("date", d)) if not ok),
                    }
                )
    seconds = time.perf_counter() - t0
    return {
        "data": str(data),
        "files": len(files),
        "stories_with_body": n,
        "city_agree": city_ok,
        "date_agree": date_ok,
        "both_agree": both_ok,
        "city_agreement": city_ok / n if n else 0.0,
        "date_agreement": date_ok / n if n else 0.0,
        "agreement": both_ok / n if n else 0.0,
        "goal": GOAL,
        "goal_met": n > 0 and both_ok / n >= GOAL,
        "seconds": round(seconds, 2),
        "disagreements": disagree,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the reuters21578 folder")
    ap.add_argument("--json", type=Path, help="also write the figures and disagreements here")
    ap.add_argument("--quiet", action="store_true", help="do not list the disagreements")
    args = ap.parse_args(argv)
    if not any(args.data.glob("reut2-*.sgm")):
        print(f"no reut2-*.sgm files in {args.data}", file=sys.stderr)
        return 2
    res = run(args.data)
    n = res["stories_with_body"]
    if not args.quiet:
        print(f"{'file':<14} {'newid':>6}  {'wrong':<9} {'tag':<42} parsed")
        for d in res["disagreements"]:
            print(
                f"{d['file']:<14} {d['newid']:>6}  {d['wrong']:<9} {d['tag'][:42]:<42} "
                f"{d['parsed_city']} {d['parsed_date']}"
            )
        print()
    print(f"stories with a body: {n:,} in {res['files']} files ({res['seconds']} s)")
    print(f"city agrees:  {res['city_agree']:,} ({res['city_agreement']:.2%})")
    print(f"date agrees:  {res['date_agree']:,} ({res['date_agreement']:.2%})")
    print(f"both agree:   {res['both_agree']:,} ({res['agreement']:.2%}); ", end="")
    print(f"goal >= {GOAL:.0%}: {'met' if res['goal_met'] else 'NOT met'}")
    print(f"disagreements: {len(res['disagreements'])}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n", "utf-8")
        print(f"wrote {args.json}")
    return 0 if res["goal_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
