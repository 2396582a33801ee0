from __future__ import annotations

import socket
import unicodedata
from pathlib import Path

import pytest

from goldwire.corpus.readers import READERS, ReadOptions, Rejection, detect
from goldwire.corpus.readers.html import HtmlReader, full_date
from goldwire.schema import Document

DATA = Path(__file__).resolve().parents[1] / "data" / "readers"
READER = HtmlReader()


def read(path: Path, text: str | None = None, **options) -> list[Document | Rejection]:
    if text is None:
        text = path.read_text(encoding="utf-8")
    return list(READER.read(path, text, ReadOptions(**options)))


def test_article_page(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the HTML reader tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    path = DATA / "article.html"
    (doc,) = read(path, year=2020)
    title = "Russia and Armenia sign gas deal"
    lead = "The two countries agreed on a ten-year supply contract on Friday, officials said."
    body = [
        "MOSCOW, March 31. /TASS/. Russia\u2019s Gazprom and the government of Armenia signed "
        "a new agreement on natural gas supplies, the company's press service said.",
        "The deal covers deliveries of up to 2.5 billion cubic metres a year until 2033, "
        "according to the statement published in Moscow.",
        "Armenian Prime Minister Nikol Pashinyan welcomed the agreement and said it would keep "
        "prices stable for households.",
    ]
    # the <h1> repeating the title is not doubled; nav, comments and footer are left out
    assert doc.text == "\n\n".join([title, lead, *body])
    assert [p.kind for p in doc.paragraphs] == ["title", "lead", "body", "body", "body"]
    assert doc.text[doc.paragraphs[2].start : doc.paragraphs[2].end] == body[0]
    assert (doc.title, doc.lead, doc.dateline, doc.agency) == (title, lead, "MOSCOW", "TASS")
    # the page's full date wins over the dateline's "March 31" with options.year
    assert (doc.published, doc.published_raw) == ("2023-03-31", "2023-03-31")
    assert doc.id == "" and doc.source == str(path)
    assert doc.meta == {
        "reader": "html",
        "url": "https://news.example.com/2023/03/31/gas-deal",
        "sitename": "Example News",
        "author": "Jane Smith",
        "hostname": "example.com",
    }


def test_page_without_metadata_takes_the_first_paragraph_as_title():
    path = DATA / "no_metadata.htm"
    (doc,) = read(path, year=2024)
    assert doc.title == "Ukraine talks resume in Istanbul"
    assert doc.text.split("\n\n") == [
        "Ukraine talks resume in Istanbul",
        "PARIS, Jan 5 (AFP) - Negotiators from both sides met again on Thursday in Istanbul "
        "after a pause of several weeks, diplomats said.",
        "The talks are expected to last three days and focus on grain exports through the "
        "Black Sea ports, according to the Turkish foreign ministry.",
    ]
    assert [p.kind for p in doc.paragraphs] == ["title", "body", "body"]
    assert (doc.dateline, doc.agency, doc.published, doc.published_raw) == (
        "PARIS",
        "AFP",
        "2024-01-05",
        "Jan 5",
    )
    assert doc.meta == {"reader": "html"}
    (no_year,) = read(path)
    assert no_year.published is None


def test_page_without_article_text_is_rejected():
    path = DATA / "index_page.html"
    (rej,) = read(path)
    assert isinstance(rej, Rejection)
    assert (rej.source, rej.reason) == (str(path), "no-body")
    assert rej.message == (
        f"{path}: no article text found (2 words besides the title); the page may be an index, "
        "a login wall or rendered by JavaScript: save the article page itself, or remove the file"
    )


def test_empty_body_is_rejected():
    (rej,) = read(Path("e.html"), "<html><head><title>T</title></head><body></body></html>")
    assert rej.reason == "no-body"
    assert rej.message.startswith("e.html: no article text found (0 words")


def test_text_is_nfc():
    html = (
        "<html><head><title>Cafe&#x301; owners protest</title></head><body><article>"
        "<p>Owners of the cafe&#x301; on the square protested on Monday against the new rent "
        "rules, which they said would close half of the shops in the old town.</p>"
        "</article></body></html>"
    )
    (doc,) = read(Path("n.html"), html)
    assert unicodedata.is_normalized("NFC", doc.text)
    assert doc.title == "Café owners protest"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2023-03-31", "2023-03-31"), ("2023-02-30", None), ("2023-03", None), ("2023", None),
     (None, None), ("2023-03-31T10:00", None)],
)  # fmt: skip
def test_full_date(value, expected):
    assert full_date(value) == expected


def test_sniff():
    assert READER.sniff(Path("a.html"), "")
    assert READER.sniff(Path("a.HTM"), "")
    assert READER.sniff(Path("a.txt"), "<!DOCTYPE html>\n<html>")
    assert READER.sniff(Path("a"), "  \n<html lang='en'><head>")
    assert READER.sniff(Path("a"), '<?xml version="1.0"?>\n<!-- saved -->\n<html>')
    assert not READER.sniff(Path("a.txt"), "<div>fragment</div>")
    assert not READER.sniff(Path("a.txt"), "Talks in Moscow\n\nMOSCOW, March 31. /TASS/. x")
    assert not READER.sniff(Path("a.txt"), "<htmlfoo>")
    assert detect(Path("page"), "<!doctype html><html>") is READERS["html"]
