from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goldwire.bio import iob2_to_token_spans, spans_to_iob2
from goldwire.corpus.readers import READERS, ReadOptions, Rejection, detect
from goldwire.corpus.readers.conll import ConllReader, find_dateline, split_from_name
from goldwire.schema import Document
from goldwire.tokenize import token_offsets

DATA = Path(__file__).resolve().parents[1] / "data" / "readers"
READER = ConllReader()


def read(path: Path, text: str | None = None, **options) -> list[Document | Rejection]:
    if text is None:
        text = path.read_text(encoding="utf-8")
    return list(READER.read(path, text, ReadOptions(**options)))


def surface(doc: Document) -> list[tuple[str, str]]:
    return [(e.text, e.label) for e in doc.entities]


def word_offsets(text: str) -> list[tuple[int, int]]:
    """Offsets of the whitespace-separated words: the CoNLL tokens of a reader's text."""
    return [m.span() for m in re.finditer(r"\S+", text)]


# --------------------------------------------------------------------------- fixture files


def test_reads_a_conll2003_file():
    path = DATA / "train_sample.txt"
    first, second = read(path)
    assert first.text == (
        "SOCCER - CHELSEA BEAT LEEDS .\n"
        "LONDON 1996-08-30\n"
        "Ruud Gullit 's Chelsea beat Leeds United at Stamford Bridge ."
    )
    assert surface(first) == [
        ("CHELSEA", "ORG"),
        ("LEEDS", "ORG"),
        ("LONDON", "LOC"),
        ("Ruud Gullit", "PER"),
        ("Chelsea", "ORG"),
        ("Leeds United", "ORG"),
        ("Stamford Bridge", "LOC"),
    ]
    assert [e.id for e in first.entities] == ["e1", "e2", "e3", "e4", "e5", "e6", "e7"]
    first.validate()  # every entity text equals text[start:end]
    assert [(p.kind, first.text[p.start : p.end]) for p in first.paragraphs] == [
        ("body", line) for line in first.text.split("\n")
    ]
    assert (first.title, first.dateline, first.published, first.published_raw) == (
        "SOCCER - CHELSEA BEAT LEEDS .",
        "LONDON",
        "1996-08-30",
        "1996-08-30",
    )
    assert first.id == ""
    assert first.source == f"{path}#1"
    assert first.language == "en"
    assert first.meta == {"reader": "conll", "columns": "4", "line": "1", "split": "train"}
    for doc in (first, second):  # CoNLL-2003 brings entity gold, nothing else
        assert (doc.annotation.entities, doc.annotation.stances, doc.annotation.doc_stances) == (
            "reader:conll", "none", "none",
        )  # fmt: skip

    assert second.source == f"{path}#2"
    assert second.text.split("\n")[1] == "AKRON , Ohio 1996-08-22"
    assert (second.dateline, second.published) == ("AKRON", "1996-08-22")
    assert surface(second) == [
        ("Goodyear", "ORG"),
        ("AKRON", "LOC"),
        ("Ohio", "LOC"),
        ("Goodyear Tire", "ORG"),
    ]
    assert second.meta["line"] == "25"


def test_two_column_file_without_docstart_is_one_document():
    path = DATA / "two_column.iob"
    (doc,) = read(path)
    assert doc.text == "Talks open in Geneva\nIran and the European Union met ."
    assert surface(doc) == [("Geneva", "LOC"), ("Iran", "LOC"), ("European Union", "ORG")]
    assert doc.source == f"{path}#1"
    assert doc.meta == {"reader": "conll", "columns": "2", "line": "1"}  # no split in the name
    assert doc.language is None  # no POS column: the pipeline detects the language
    assert doc.title == "" and doc.dateline is None and doc.published is None
    assert read(path, language="de")[0].language == "de"


def test_bad_lines_reject_their_document_and_the_rest_goes_on():
    path = DATA / "bad_tags.conll"
    items = read(path)
    docs = [i for i in items if isinstance(i, Document)]
    rejections = [i for i in items if isinstance(i, Rejection)]
    assert [d.text for d in docs] == ["Paris talks"]
    assert [(r.source, r.reason, r.item) for r in rejections] == [
        (str(path), "unparseable", "line 8"),
        (str(path), "unparseable", "line 14"),
        (str(path), "empty", "line 16"),
        (str(path), "unparseable", "line 22"),
    ]
    messages = [r.message for r in rejections]
    assert messages[0] == (
        f"{path}:8: invalid tag 'B_LOC'; tags must be O, B-LABEL or I-LABEL (IOB2), in the "
        "last column (document 2, which is skipped)"
    )
    assert messages[1].startswith(f"{path}:14: one column ('talks');")
    assert messages[2] == (f"{path}:16: document 4 has no tokens; remove the extra -DOCSTART- line")
    assert messages[3].startswith(f"{path}:22: 2 columns where line 20 has 4;")
    assert all("\n" not in m for m in messages)


@pytest.mark.parametrize("tag", ["B_PER", "E-PER", "S-LOC", "B-", "o", "PER"])
def test_invalid_tags(tag):
    (item,) = read(Path("x.conll"), f"Paris {tag}\n")
    assert isinstance(item, Rejection)
    assert item.message.startswith(f"x.conll:1: invalid tag '{tag}';")


def test_iob1_is_read_like_conlleval_and_counted():
    text = "Bill I-PER\nGates I-PER\nand O\nSteve I-PER\nB-ORG O\nMicrosoft I-ORG\n"
    (doc,) = read(Path("iob1.txt"), text)
    assert surface(doc) == [("Bill Gates", "PER"), ("Steve", "PER"), ("Microsoft", "ORG")]
    assert doc.meta["iob_repaired"] == "3"  # I-PER at 1, I-PER at 4, I-ORG at 6


def test_iob1_is_rejected_when_strict():
    text = "-DOCSTART- O\n\nBill B-PER\nGates I-PER\n\nand O\nSteve I-ORG\n"
    (rej,) = read(Path("iob1.txt"), text, strict=True)
    assert isinstance(rej, Rejection)
    assert rej.item == "line 7"
    assert rej.message.startswith(
        "iob1.txt:7: tag I-ORG after O does not continue an entity, which IOB2 does not allow "
        "(document 1, which is skipped); make it B-ORG"
    )


def test_entities_do_not_cross_sentences():
    (doc,) = read(Path("x.txt"), "New B-LOC\nYork I-LOC\n\nCity I-LOC\n")
    assert surface(doc) == [("New York", "LOC"), ("City", "LOC")]


def test_blank_lines_and_trailing_spaces_are_tolerated():
    text = "\n\n-DOCSTART- -X- -X- O\n\n\n\nParis\tB-LOC  \n\n\n"
    (doc,) = read(Path("x.conll"), text)
    assert doc.text == "Paris"
    assert surface(doc) == [("Paris", "LOC")]


@pytest.mark.parametrize(
    ("name", "split"),
    [
        ("train.txt", "train"),
        ("train_part2.conll", "train"),
        ("valid.txt", "validation"),
        ("validation.iob", "validation"),
        ("dev.txt", "validation"),
        ("test.txt", "test"),
        ("eng.train", None),  # the original CoNLL-2003 names: only testa/testb are recognised
        ("eng.testa", "validation"),
        ("eng.testb", "test"),
        ("news.conll", None),
    ],
)
def test_split_from_name(name, split):
    assert split_from_name(Path("/data") / name) == split


@pytest.mark.parametrize(
    ("sentences", "expected"),
    [
        (["HEADLINE .", "LONDON 1996-08-30", "Text ."], ("LONDON", "1996-08-30")),
        (["H .", "NEW YORK 1996-08-29"], ("NEW YORK", "1996-08-29")),
        (["H .", "AL-AIN , United Arab Emirates 1996-12-06"], ("AL-AIN", "1996-12-06")),
        (["H .", "LAS CRUCES , N.M. 1996-08-22"], ("LAS CRUCES", "1996-08-22")),
        (["H .", "Peter Blackburn", "BRUSSELS 1996-08-22"], ("BRUSSELS", "1996-08-22")),
        (["H .", "MONTGOMERY , Ala .", "1996-08-22", "x"], ("MONTGOMERY", "1996-08-22")),
        (["H .", "MEXICO CITY", "Mexican stocks fell ."], None),
        (["H .", "LONDON 1996-13-45"], None),  # not a date
        (["H .", "London 1996-08-30"], None),  # datelines are upper case
        (["H .", "LONDON , 1996-08-30"], None),  # a comma but no region
        (["LONDON 1996-08-30"], None),  # a first sentence is a title, never a dateline
        (["H .", "The talks , held on 1996-08-30"], None),
    ],
)
def test_find_dateline(sentences, expected):
    found = find_dateline([s.split() for s in sentences])
    assert (found[:2] if found else None) == expected


# --------------------------------------------------------------------------- detection


def test_sniff():
    conll = (DATA / "train_sample.txt").read_text(encoding="utf-8")
    two = (DATA / "two_column.iob").read_text(encoding="utf-8")
    assert READER.sniff(Path("a.txt"), conll)
    assert READER.sniff(Path("a.txt"), two)
    assert READER.sniff(Path("a.conll"), "anything")
    assert not READER.sniff(Path("a.txt"), "MOSCOW, March 31. /TASS/. Talks began.\n\nMore.\n")
    assert not READER.sniff(Path("a.txt"), "Fell O\nbut the rest is prose\nand more prose\n")
    assert not READER.sniff(Path("a.txt"), "Talks\n\nThe -DOCSTART- line starts documents.\n")
    assert READER.sniff(Path("a.txt"), "Paris B-LOC\nRome B-LOC")
    assert detect(Path("a.txt"), conll) is READERS["conll"]
    assert detect(Path("a.txt"), two) is READERS["conll"]


# --------------------------------------------------------------------------- round trips

LABELS = ("PER", "ORG", "LOC", "MISC")
token_st = st.text(st.characters(blacklist_categories=("Z", "C")), min_size=1, max_size=6).filter(
    lambda t: t != "-DOCSTART-"
)


@st.composite
def iob2_sentence(draw) -> list[tuple[str, str]]:
    n = draw(st.integers(1, 8))
    tags, prev = [], "O"
    for _ in range(n):
        choices = ["O", *(f"B-{lab}" for lab in LABELS)]
        if prev != "O":
            choices.append("I-" + prev[2:])
        prev = draw(st.sampled_from(choices))
        tags.append(prev)
    return [(draw(token_st), tag) for tag in tags]


documents_st = st.lists(st.lists(iob2_sentence(), min_size=1, max_size=4), min_size=1, max_size=3)


def to_conll(docs: list[list[list[tuple[str, str]]]], columns: int) -> str:
    lines = []
    for doc in docs:
        lines += ["-DOCSTART- -X- -X- O", ""]
        for sentence in doc:
            middle = " NN B-NP" if columns == 4 else ""
            lines += [f"{token}{middle} {tag}" for token, tag in sentence]
            lines.append("")
    return "\n".join(lines) + "\n"


@settings(max_examples=100, deadline=None)
@given(documents_st, st.sampled_from([2, 4]))
def test_iob2_round_trip(docs, columns):
    items = read(Path("random.conll"), to_conll(docs, columns))
    assert all(isinstance(i, Document) for i in items)
    assert len(items) == len(docs)
    for doc, sentences in zip(items, docs, strict=True):
        tokens = [token for sentence in sentences for token, _ in sentence]
        tags = [tag for sentence in sentences for _, tag in sentence]
        offsets = word_offsets(doc.text)
        assert [doc.text[a:b] for a, b in offsets] == tokens
        spans = [(e.start, e.end, e.label) for e in doc.entities]
        assert spans_to_iob2(offsets, spans) == tags
        doc.validate()


@pytest.mark.shared_data
def test_conll2003_valid_round_trip_through_the_goldwire_tokenizer(shared_data):
    path = shared_data / "conll2003" / "valid.txt"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    text = path.read_text(encoding="utf-8")
    # the file's own documents, parsed here independently of the reader
    file_docs: list[list[list[tuple[str, str]]]] = []
    for block in re.split(r"^-DOCSTART-.*$", text, flags=re.M)[1:]:
        sentences = [
            [tuple(line.split()[::3]) for line in chunk.split("\n")]
            for chunk in re.split(r"\n\s*\n", block.strip())
            if chunk.strip()
        ]
        file_docs.append(sentences)
    docs = read(path, text)
    assert len(docs) == len(file_docs) == 216
    entities = survived = tokens = reproduced = 0
    for doc, sentences in zip(docs, file_docs, strict=True):
        assert isinstance(doc, Document)
        words = word_offsets(doc.text)
        flat = [tok for sentence in sentences for tok, _ in sentence]
        assert [doc.text[a:b] for a, b in words] == flat
        # the file's entities as token index ranges, sentence by sentence
        expected, base = [], 0
        for sentence in sentences:
            expected += [(a + base, b + base, lab) for a, b, lab in
                         iob2_to_token_spans([tag for _, tag in sentence])]  # fmt: skip
            base += len(sentence)
        # through the goldwire tokenizer and back to the file's tokens
        offsets = token_offsets(doc.text)
        tags = spans_to_iob2(offsets, [(e.start, e.end, e.label) for e in doc.entities])
        starts = {a: i for i, (a, _) in enumerate(words)}
        ends = {b: i + 1 for i, (_, b) in enumerate(words)}
        got = [
            (starts[offsets[a][0]], ends[offsets[b - 1][1]], lab)
            for a, b, lab in iob2_to_token_spans(tags)
        ]
        assert got == expected, doc.source
        entities += len(expected)
        survived += sum(1 for span in got if span in expected)
        tokens += len(words)
        reproduced += len(set(words) & set(offsets))
    assert entities == survived == 5942
    # 50,625 of 51,362 (98.6%) at the time of writing: "--", "3.", "M.", "61st", "C$" differ
    assert reproduced / tokens > 0.98, f"only {reproduced} of {tokens} tokens reproduced"
