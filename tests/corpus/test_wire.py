from __future__ import annotations

import pytest

from goldwire.corpus.wire import assemble, parse_dateline, parse_wire, strip_signoff


@pytest.mark.parametrize(
    ("line", "city", "raw", "month", "day", "year", "agency"),
    [
        ("MOSCOW, March 31. /TASS/. The Collective", "MOSCOW", "March 31", 3, 31, None, "TASS"),
        ("МОСКВА, 31 марта. /ТАСС/. Организация", "МОСКВА", "31 марта", 3, 31, None, "TASS"),
        ("HOUSTON, Feb 26 - Oil prices", "HOUSTON", "Feb 26", 2, 26, None, None),
        ("RICHMOND, Va., Feb 26 - Dominion", "RICHMOND", "Feb 26", 2, 26, None, None),
        ("PARIS, Jan 5 (AFP) - France", "PARIS", "Jan 5", 1, 5, None, "AFP"),
        ("BEIJING, May 2 (Xinhua) -- China", "BEIJING", "May 2", 5, 2, None, "Xinhua"),
        ("MOSCOW, March 31, 2023. /TASS/. x", "MOSCOW", "March 31, 2023", 3, 31, 2023, "TASS"),
        ("NEW YORK, Sept. 3 (Reuters) - x", "NEW YORK", "Sept. 3", 9, 3, None, "Reuters"),
        ("МОСКВА, 5 января. /Интерфакс/. x", "МОСКВА", "5 января", 1, 5, None, "Interfax"),
    ],
)
def test_parse_dateline(line, city, raw, month, day, year, agency):
    dl = parse_dateline(line)
    assert dl is not None
    assert (dl.city, dl.date_raw, dl.month, dl.day, dl.year, dl.agency) == (
        city, raw, month, day, year, agency,
    )  # fmt: skip
    assert line[dl.end - 1] in " .-" or dl.end == len(line)


@pytest.mark.parametrize(
    "line",
    [
        "On Thursday, Azerbaijan's top brass said",
        "The meeting was held in Moscow, March 31 was a Friday.",
        "MOSCOW, Marchember 31. /TASS/.",
        "MOSCOW, March 41. /TASS/.",
    ],
)
def test_not_a_dateline(line):
    assert parse_dateline(line) is None


def test_iso_date_needs_a_year():
    dl = parse_dateline("MOSCOW, March 31. /TASS/. x")
    assert dl.iso_date(None) is None
    assert dl.iso_date(2023) == "2023-03-31"
    assert parse_dateline("MOSCOW, Feb 30. /TASS/. x").iso_date(2023) is None


def test_parse_wire_removes_crumb_and_lead_repeat():
    paras = [
        "All news",
        "Title here",
        "The lead says something",
        "MOSCOW, March 31. /TASS/. Body one.",
        "The lead says something.",
        "Body two.",
    ]
    parts = parse_wire(paras)
    assert parts.title == "Title here"
    assert parts.lead == "The lead says something"
    assert parts.body == ["MOSCOW, March 31. /TASS/. Body one.", "Body two."]
    assert parts.dateline.city == "MOSCOW"


def test_assemble_offsets_point_at_each_part():
    text, paras = assemble("T", "L", ["B1", "B2"])
    assert text == "T\n\nL\n\nB1\n\nB2"
    assert [(p.kind, text[p.start : p.end]) for p in paras] == [
        ("title", "T"), ("lead", "L"), ("body", "B1"), ("body", "B2"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "kept", "signoff"),
    [
        (["Prices rose.", "Reuter"], ["Prices rose."], "Reuter"),
        (["Prices rose.", "REUTER"], ["Prices rose."], "REUTER"),
        (["Prices rose.\nReuters"], ["Prices rose."], "Reuters"),  # its own line, same para
        (["Note: ended May 31.\nREUTER", "Reuter"], ["Note: ended May 31."], "REUTER\nReuter"),
        (["Prices rose, Reuter said."], ["Prices rose, Reuter said."], None),  # not alone
        (["Reuter", "Prices rose."], ["Reuter", "Prices rose."], None),  # not the last line
        (["Prices rose.", "Reuter."], ["Prices rose.", "Reuter."], None),
        (["Prices rose.", "reuter"], ["Prices rose.", "reuter"], None),
        ([], [], None),
    ],
)
def test_strip_signoff(body, kept, signoff):
    assert strip_signoff(body) == (kept, signoff)


def test_parse_wire_removes_the_signoff_but_never_the_title():
    parts = parse_wire(["Oil rises", "HOUSTON, Feb 26 - Oil rose.", "Reuter"])
    assert (parts.title, parts.body, parts.signoff) == (
        "Oil rises",
        ["HOUSTON, Feb 26 - Oil rose."],
        "Reuter",
    )
    assert parts.removed == ["signoff"]
    title_only = parse_wire(["Reuters"])
    assert (title_only.title, title_only.body, title_only.signoff) == ("Reuters", [], None)


def test_wire_documents_record_the_signoff_and_their_offsets_hold(tmp_path):
    from goldwire.corpus.readers import ReadOptions
    from goldwire.corpus.readers.wiretext import TextReader

    path = tmp_path / "a.txt"
    text = "Oil rises\n\nHOUSTON, Feb 26 - Oil rose.\n\nREUTER\n"
    [doc] = TextReader().read(path, text, ReadOptions())
    assert doc.text == "Oil rises\n\nHOUSTON, Feb 26 - Oil rose."
    assert (doc.meta["signoff"], doc.meta["removed"]) == ("REUTER", "signoff")
    assert [doc.text[p.start : p.end] for p in doc.paragraphs] == [
        "Oil rises", "HOUSTON, Feb 26 - Oil rose.",
    ]  # fmt: skip
