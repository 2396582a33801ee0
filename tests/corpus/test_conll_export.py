from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goldwire.corpus.conll_export import document_to_conll, documents_to_conll
from goldwire.corpus.readers import ReadOptions, Rejection
from goldwire.corpus.readers.conll import ConllReader
from goldwire.errors import SpanError
from goldwire.schema import Document, Entity
from goldwire.tokenize import tokenize


def make_doc(text: str, spans: list[tuple[str, str]], doc_id: str = "d1") -> Document:
    """A document with entities given as (surface, label), found left to right in text."""
    entities, pos = [], 0
    for i, (surface, label) in enumerate(spans, 1):
        start = text.index(surface, pos)
        pos = start + len(surface)
        entities.append(Entity(f"e{i}", start, pos, label, surface))
    return Document(id=doc_id, text=text, entities=entities)


def test_exact_lines():
    doc = make_doc(
        "Lavrov met Mirzoyan\n\nMOSCOW, March 31. /TASS/. Sergey Lavrov's talks in U.S. ended.",
        [("Lavrov", "PER"), ("Mirzoyan", "PER"), ("MOSCOW", "GPE"), ("TASS", "ORG"),
         ("Sergey Lavrov", "PER"), ("U.S.", "GPE")],
    )  # fmt: skip
    plain = Document(id="d2", text="One line.")
    lines = list(documents_to_conll([doc, plain]))
    assert lines == [
        "-DOCSTART- -X- -X- O",
        "",
        "Lavrov _ _ B-PER",
        "met _ _ O",
        "Mirzoyan _ _ B-PER",
        "",  # the blank line of the text is skipped: one sentence break only
        "MOSCOW _ _ B-GPE",
        ", _ _ O",
        "March _ _ O",
        "31 _ _ O",
        ". _ _ O",
        "/ _ _ O",
        "TASS _ _ B-ORG",
        "/ _ _ O",
        ". _ _ O",
        "Sergey _ _ B-PER",
        "Lavrov _ _ I-PER",
        "'s _ _ O",
        "talks _ _ O",
        "in _ _ O",
        "U.S. _ _ B-GPE",
        "ended _ _ O",
        ". _ _ O",
        "",
        "-DOCSTART- -X- -X- O",
        "",
        "One _ _ O",
        "line _ _ O",
        ". _ _ O",
        "",
    ]


def test_a_document_without_entity_gold_has_no_tag_column():
    doc = make_doc("Lavrov met\nMirzoyan.", [("Lavrov", "PER")])
    assert document_to_conll(doc, tagged=False) == [
        "-DOCSTART- -X- -X- O", "", "Lavrov", "met", "", "Mirzoyan", ".", "",
    ]  # fmt: skip


def test_readers_of_conll_refuse_untagged_tokens_rather_than_read_o(tmp_path):
    """What the module docstring promises: goldwire's corpus reader rejects the untagged
    document and keeps the tagged one; evaluate's reader stops at the first untagged line."""
    from goldwire.errors import ParseError
    from goldwire.evaluate.conll import read_conll

    tagged = make_doc("Lavrov met Mirzoyan", [("Lavrov", "PER")])
    untagged = make_doc("Talks ended .", [], doc_id="d2")
    lines = [*document_to_conll(tagged), *document_to_conll(untagged, tagged=False)]
    path = tmp_path / "all.conll"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = list(ConllReader().read(path, path.read_text(encoding="utf-8"), ReadOptions()))
    doc, rejection = items
    assert isinstance(doc, Document) and [e.text for e in doc.entities] == ["Lavrov"]
    assert isinstance(rejection, Rejection)
    assert rejection.message == (
        f"{path}:9: one column ('Talks'); a token line needs the token and its tag separated "
        "by whitespace ('token TAG' or 'token POS chunk TAG') (document 2, which is skipped)"
    )
    with pytest.raises(ParseError) as err:
        read_conll(path)
    assert str(err.value) == (
        f"{path}:9: expected a token and a tag separated by whitespace, got 'Talks'"
    )


def test_adjacent_entities_of_one_label_stay_apart():
    doc = make_doc("Russia Armenia", [("Russia", "GPE"), ("Armenia", "GPE")])
    assert list(documents_to_conll([doc]))[2:4] == ["Russia _ _ B-GPE", "Armenia _ _ B-GPE"]


def test_entity_off_token_boundaries_raises_before_its_lines():
    good = make_doc("Talks ended.", [])
    bad = make_doc("Lavrov met Mirzoyan", [("Lavr", "PER")], doc_id="bad1")
    out = []
    with pytest.raises(SpanError, match=r"^document bad1: span \[0:4\] PER does not fall on"):
        for line in documents_to_conll([good, bad]):
            out.append(line)
    assert out == list(documents_to_conll([good]))  # nothing of the bad document


def test_entity_across_a_line_break_raises():
    text = "Nagorno\nKarabakh talks"
    doc = Document(id="x1", text=text, entities=[Entity("e1", 0, 16, "GPE", text[:16])])
    with pytest.raises(SpanError) as err:
        list(documents_to_conll([doc]))
    assert str(err.value) == (
        "document x1: an entity GPE runs across a line break before 'Karabakh' at 8; CoNLL "
        "sentences are the text's lines, so split the entity or join the lines"
    )


def test_overlapping_entities_raise():
    text = "New York City"
    doc = Document(
        id="o",
        text=text,
        entities=[Entity("e1", 0, 8, "GPE", text[:8]), Entity("e2", 4, 13, "GPE", text[4:])],
    )
    with pytest.raises(SpanError, match="overlaps another span"):
        list(documents_to_conll([doc]))


def test_conll2003_documents_export_back_to_the_same_lines():
    path = Path(__file__).resolve().parents[1] / "data" / "readers" / "train_sample.txt"
    source = path.read_text(encoding="utf-8")
    docs = list(ConllReader().read(path, source, ReadOptions()))
    exported = list(documents_to_conll(docs))
    # same tokens, tags and sentence breaks as the file (POS and chunk columns become "_")
    expected = []
    for line in source.rstrip("\n").split("\n"):
        cols = line.split()
        expected.append(" ".join([cols[0], "_", "_", cols[-1]]) if len(cols) == 4 else line)
    expected = [line.replace("-DOCSTART- _ _ O", "-DOCSTART- -X- -X- O") for line in expected]
    assert exported == [*expected, ""]


# --------------------------------------------------------------------------- round trip

text_st = st.text(st.sampled_from("abcXYZ019.,'-/ \n"), min_size=1, max_size=60)


@st.composite
def annotated(draw) -> Document:
    text = draw(text_st)
    tokens = tokenize(text)
    entities, i = [], 0
    while i < len(tokens):
        if draw(st.booleans()):
            j = i + 1  # extend within the line
            while j < len(tokens) and draw(st.booleans()):
                if "\n" in text[tokens[j - 1].end : tokens[j].start]:
                    break
                j += 1
            start, end = tokens[i].start, tokens[j - 1].end
            label = draw(st.sampled_from(["PER", "ORG", "GPE"]))
            entities.append(Entity(f"e{len(entities) + 1}", start, end, label, text[start:end]))
            i = j + draw(st.integers(0, 1))
        else:
            i += 1
    return Document(id="r", text=text, entities=entities)


def token_view(doc: Document) -> list[tuple[str, tuple[str, ...]]]:
    """Entities as (label, their tokens): what CoNLL keeps of a document."""
    return [
        (e.label, tuple(t.text for t in tokenize(doc.text) if e.start <= t.start < e.end))
        for e in doc.entities
    ]


@settings(max_examples=100, deadline=None)
@given(st.lists(annotated(), min_size=1, max_size=3))
def test_export_then_read_keeps_every_entity(docs):
    lines = list(documents_to_conll(docs))
    items = list(ConllReader().read(Path("r.conll"), "\n".join(lines) + "\n", ReadOptions()))
    read_back = [d for d in items if isinstance(d, Document)]
    assert len(items) == len(docs)
    for original, back in zip(docs, items, strict=True):
        if not tokenize(original.text):
            assert back.reason == "empty"  # nothing to write but the -DOCSTART- line
            continue
        assert isinstance(back, Document)
        sentences = [" ".join(t.text for t in tokenize(line)) for line in original.text.split("\n")]
        assert back.text == "\n".join(s for s in sentences if s)
        assert token_view(back) == token_view(original)
    assert all(d.meta["columns"] == "4" for d in read_back)


def test_variation_selector_and_flags_are_never_tokens_of_their_own():
    heart, flag = "\u2764\ufe0f", "\U0001f1fa\U0001f1f8"
    doc = make_doc(f"I {heart} New York {flag}", [("New York", "GPE")])
    assert document_to_conll(doc) == [
        "-DOCSTART- -X- -X- O",
        "",
        "I _ _ O",
        f"{heart} _ _ O",
        "New _ _ B-GPE",
        "York _ _ I-GPE",
        f"{flag} _ _ O",
        "",
    ]
