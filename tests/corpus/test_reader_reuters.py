from __future__ import annotations

import re
from pathlib import Path

import pytest

from goldwire.corpus.build import BuildConfig, build_corpus
from goldwire.corpus.dataset import iter_documents
from goldwire.corpus.normalize import decode_bytes, normalize_text
from goldwire.corpus.readers import ReadOptions, Rejection
from goldwire.corpus.readers.reuters import ReutersReader, body_paragraphs, iso_date, unescape
from goldwire.corpus.steps import process_file
from goldwire.corpus.wire import parse_dateline
from goldwire.errors import DecodeError
from goldwire.schema import Document

DATA = Path(__file__).resolve().parents[1] / "data" / "readers"
SAMPLE = DATA / "reuters_sample.sgm"
READER = ReutersReader()


def read(path: Path) -> list[Document | Rejection]:
    text = normalize_text(path.read_bytes().decode(READER.encoding or "utf-8"))
    return list(READER.read(path, text, ReadOptions()))


def test_sample_documents_and_rejection():
    items = read(SAMPLE)
    docs = [i for i in items if isinstance(i, Document)]
    rejections = [i for i in items if isinstance(i, Rejection)]
    assert [d.meta["newid"] for d in docs] == ["1", "3"]
    assert [(r.reason, r.item) for r in rejections] == [("no-body", "NEWID 2")]
    assert "TYPE=BRIEF" in rejections[0].message

    doc = docs[0]
    assert doc.title == "TEXAS OIL OUTPUT <XYZ> RISES"  # &lt; unescaped
    assert doc.text == (
        "TEXAS OIL OUTPUT <XYZ> RISES\n\n"
        "HOUSTON, Feb 26 - Texas oil output rose in January,\n<XYZ Corp> said.\n\n"
        "Production was up 2 pct, A&B analysts said."
    )  # the dateline in front of the body, &#3; removed, indented lines start paragraphs,
    # the " Reuter" sign-off line removed
    assert [p.kind for p in doc.paragraphs] == ["title", "body", "body"]
    for p in doc.paragraphs:
        assert doc.text[p.start : p.end].strip() == doc.text[p.start : p.end]
    assert (doc.dateline, doc.agency, doc.published, doc.published_raw, doc.language) == (
        "HOUSTON", "Reuters", "1987-02-26", "26-FEB-1987 15:01:01.79", "en",
    )  # fmt: skip
    assert doc.meta == {
        "reader": "reuters", "newid": "1", "oldid": "5544", "lewissplit": "TRAIN",
        "cgisplit": "TRAINING-SET", "topics_attr": "YES", "topics": "crude,nat-gas",
        "places": "usa", "people": "",
        "orgs": "opec", "exchanges": "nymex", "companies": "",
        "removed": "signoff", "signoff": "Reuter",
    }  # fmt: skip
    # the wire's control codes and routing letters after a date are not part of it
    assert (docs[1].published, docs[1].published_raw) == ("1987-02-27", "27-FEB-1987 09:10:00.00")


def test_non_utf8_byte_is_read_as_latin1():
    data = SAMPLE.read_bytes()
    with pytest.raises(DecodeError):  # the pipeline's sniffing decoder rejects the file
        decode_bytes(data, str(SAMPLE))
    doc = [i for i in read(SAMPLE) if isinstance(i, Document)][1]
    assert READER.encoding == "latin-1"
    assert "weak.\u00fcside measures" in doc.text  # 0xFC; the &#5;&#30; codes removed
    assert (doc.dateline, doc.published, doc.meta["people"]) == ("RICHMOND", "1987-02-27", "poehl")
    assert doc.text.startswith("BUNDESBANK HOLDS RATES\n\nRICHMOND, Va., FEb 27 - Growth")


def test_helpers():
    assert unescape("&#2;a &lt;b&gt; &amp;lt; c&#3;&#127;") == "a <b> &lt; c"
    assert iso_date("26-FEB-1987 15:01:01.79") == "1987-02-26"
    assert iso_date(" 5-MAR-1987 09:00:00.00") == "1987-03-05"
    assert iso_date("31-FEB-1987") is None and iso_date("") is None
    assert body_paragraphs("One\ntwo.\n    Three\nfour.\n\n Reuter\n") == [
        "One\ntwo.", "Three\nfour.", "Reuter",
    ]  # fmt: skip


def test_sniff_and_not_a_reuters_file(tmp_path):
    assert READER.sniff(SAMPLE, SAMPLE.read_text(encoding="latin-1")[:8192])
    assert not READER.sniff(tmp_path / "a.txt", "<REUTERS>")
    assert not READER.sniff(tmp_path / "a.sgm", "<html>")
    other = tmp_path / "other.sgm"
    other.write_text("<doc>nothing</doc>\n", encoding="utf-8")
    [rej] = read(other)
    assert isinstance(rej, Rejection) and rej.reason == "unparseable"


@pytest.mark.parametrize(
    "line, city, month_day",
    [
        ("RICHMOND, Va., Feb 26 - Text", "RICHMOND", (2, 26)),
        ("RICHMOND, Va. Feb 26 - Text", "RICHMOND", (2, 26)),
        ("MONTREAL, Feb 26- Text", "MONTREAL", (2, 26)),
        ("ATLANTA , March 3 - Text", "ATLANTA", (3, 3)),
        ("****LONDON, March 5 - Text", "LONDON", (3, 5)),
        ("CHICAGO, March 4, - Text", "CHICAGO", (3, 4)),
        ("ROME, March 13, Reuter - Text", "ROME", (3, 13)),
        ("GEORGETOWN, Grand Cayman, British West Indies, March 25 - Text", "GEORGETOWN", (3, 25)),
        ("WASHINGTON, D.C. March 18 - Text", "WASHINGTON", (3, 18)),
    ],
)
def test_reuters_dateline_variants(line, city, month_day):
    dl = parse_dateline(line)
    assert dl is not None and (dl.city, (dl.month, dl.day)) == (city, month_day)
    assert line[dl.end :] == "Text"


def test_dateline_is_not_a_date_range():
    assert parse_dateline("LONDON, March 2-3 talks went well") is None


def test_build_decodes_with_the_readers_encoding(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "reut2-xyz.sgm").write_bytes(SAMPLE.read_bytes())
    config = BuildConfig(inputs=(src,), out=tmp_path / "out", minhash=None)
    res = process_file(src / "reut2-xyz.sgm", config)  # --format auto picks the reader
    assert (res.reader, res.encoding, len(res.docs)) == ("reuters", "latin-1", 2)
    report = build_corpus(config)
    assert report.kept == 2 and report.rejected == 1 and report.reconciles()
    docs = sorted(iter_documents(tmp_path / "out"), key=lambda d: d.meta["newid"])
    assert [d.meta["encoding"] for d in docs] == ["latin-1", "latin-1"]
    assert docs[1].published == "1987-02-27"


def test_other_readers_still_sniff_the_decoded_text(tmp_path):
    path = tmp_path / "a.sgm"
    path.write_bytes(b"<p>\xff\xfe not reuters</p>")
    res = process_file(path, BuildConfig(inputs=(path,), out=tmp_path / "out", minhash=None))
    assert res.reader is None and res.rejections[0].reason == "undecodable"


@pytest.mark.shared_data
def test_real_reut2_000(shared_data):
    path = shared_data / "reuters21578" / "reut2-000.sgm"
    items = read(path)
    docs = [i for i in items if isinstance(i, Document)]
    rejections = [i for i in items if isinstance(i, Rejection)]
    assert len(items) == 1000
    assert len(docs) + len(rejections) == 1000 and {r.reason for r in rejections} == {"no-body"}
    assert len(docs) == path.read_text(encoding="latin-1").count("<BODY>")
    first = docs[0]
    assert first.meta["newid"] == "1" and first.meta["lewissplit"] == "TRAIN"
    assert first.title == "BAHIA COCOA REVIEW"
    assert first.text.startswith("BAHIA COCOA REVIEW\n\nSALVADOR, Feb 26 - Showers continued")
    assert (first.dateline, first.published) == ("SALVADOR", "1987-02-26")
    assert first.meta["topics"] == "cocoa" and first.meta["places"] == "el-salvador,usa,uruguay"
    assert all(d.published and d.published.startswith("1987-") for d in docs)
    assert all("&#" not in d.text and "&lt;" not in d.text for d in docs)
    assert sum(d.dateline is not None for d in docs) >= 0.99 * len(docs)


def _story(newid: int, body: str, close: str = "</REUTERS>") -> str:
    return (
        f'<REUTERS TOPICS="NO" NEWID="{newid}">\n<DATE>26-FEB-1987 15:01:01.79</DATE>\n'
        f"<TEXT>&#2;\n<TITLE>STORY {newid}</TITLE>\n"
        f"<DATELINE>    HOUSTON, Feb 26 - </DATELINE>{body}</TEXT>\n{close}\n"
    )


def test_damaged_stories_are_named_rejections_and_the_others_are_read(tmp_path):
    text = (
        _story(1, "<BODY>Prices rose &#99999999999; today.\n</BODY>")
        + _story(2, "<BODY>Prices fell &#55296; today.\n</BODY>")
        + _story(3, "<BODY>Prices held steady today.\n</BODY>")
        + _story(4, "<BODY>Prices were cut off in\n")
        + _story(5, "<BODY>Shares closed higher today.\n</BODY>", close="")
        + _story(6, "<BODY>Bonds were quiet today.\n</BODY>", close="")  # the file ends here
    )
    items = READER.read(tmp_path / "r.sgm", text, ReadOptions())
    got = [(i.meta["newid"], "doc") if isinstance(i, Document) else (i.item, i.reason)
           for i in items]  # fmt: skip
    assert got == [
        ("NEWID 1", "bad-reference"),
        ("NEWID 2", "bad-reference"),
        ("3", "doc"),
        ("NEWID 4", "unterminated-body"),
        ("NEWID 5", "unterminated-story"),
        ("NEWID 6", "unterminated-story"),
    ]
    rej = list(READER.read(tmp_path / "r.sgm", _story(7, "<BODY>x &#55296;</BODY>"), ReadOptions()))
    assert rej[0].message == (
        f"{tmp_path / 'r.sgm'}: story NEWID 7 has the character reference &#55296;, which "
        "names no character; fix or remove it"
    )


def test_unescape_refuses_references_that_name_no_character():
    from goldwire.corpus.readers.reuters import BadReference

    assert unescape("a&#65;&#3;b&#0000065;") == "aAbA"
    for ref in ("&#55296;", "&#57343;", "&#1114112;", "&#99999999999;", "&#" + "9" * 5000 + ";"):
        with pytest.raises(BadReference):
            unescape(ref)


@pytest.mark.shared_data
def test_the_whole_collection_folder_builds_without_its_documentation(shared_data, tmp_path):
    """``corpus build reuters21578`` (auto format; about 12 s): README.txt and lewis.dtd are
    skipped as documentation, sources are relative to the folder, no text keeps a sign-off."""
    import json

    from goldwire.corpus.dataset import load_corpus

    src = shared_data / "reuters21578"
    report = build_corpus(BuildConfig(inputs=(src,), out=tmp_path / "out")).to_json()
    assert [(s["source"], s["reason"]) for s in report["skipped"]] == [
        ("reuters21578/README.txt", "documentation"), ("reuters21578/lewis.dtd", "documentation"),
    ]  # fmt: skip
    sgm = sorted(p.name for p in src.glob("reut2-*.sgm"))
    assert sorted(report["files"]["reader_by_file"]) == [f"reuters21578/{n}" for n in sgm]
    assert set(report["files"]["reader_by_file"].values()) == {"reuters"}
    # the raw stories whose body's last line is a sign-off alone, counted from the SGML
    signed, stories = 0, 0
    for name in sgm:
        raw = (src / name).read_text(encoding="latin-1")
        for body in re.findall(r"<BODY>(.*?)</BODY>", raw, re.S):
            lines = [ln.strip() for ln in re.sub(r"&#\d+;", "", body).split("\n") if ln.strip()]
            stories += bool(lines)
            signed += bool(lines) and lines[-1] in ("Reuter", "REUTER", "Reuters", "REUTERS")
    assert report["documents"]["seen"] - report["documents"]["rejected"] == stories
    dd, _, _ = load_corpus(tmp_path / "out")
    with_signoff = kept = 0
    for split in dd:
        for row in dd[split]:
            kept += 1
            meta = {kv["key"]: kv["value"] for kv in row["meta"]}
            with_signoff += "signoff" in meta
            last = row["text"].rsplit("\n", 1)[-1].strip()
            assert last not in ("Reuter", "REUTER", "Reuters", "REUTERS"), row["source"]
            assert row["source"].startswith("reuters21578/reut2-"), row["source"]
            assert "README" not in row["source"]
    assert kept == report["documents"]["kept"]
    assert with_signoff >= 0.9 * kept and signed >= with_signoff  # duplicates are not kept
    meta = json.loads((tmp_path / "out" / "goldwire.json").read_text(encoding="utf-8"))
    assert meta["build"]["inputs"] == [str(src)]  # outside the working folder: as given
