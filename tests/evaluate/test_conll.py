"""CoNLL input: reading, alignment errors, and figures identical to seqeval 1.2.2 and
nervaluate 1.2 (list loader) on the same tag sequences."""

from __future__ import annotations

import random

import pytest
from evalgen import run_seqeval
from hypothesis import given, settings
from hypothesis import strategies as st

from goldwire.bio import iob2_to_token_spans
from goldwire.errors import InputError, ParseError
from goldwire.evaluate.conll import ConllFile, FlatTags, Sentence, check_aligned, read_conll
from goldwire.evaluate.matching import NERVALUATE_NAMES, SCHEMES
from goldwire.evaluate.scoring import ScoreOptions, score_conll

TAGS = ("O", "O", "O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "I-MISC")
SEQUENCES = st.lists(
    st.lists(st.sampled_from(TAGS), min_size=1, max_size=12), min_size=1, max_size=5
)


def conll_of(sequences, name: str) -> ConllFile:
    out = ConllFile(name)
    for i, tags in enumerate(sequences):
        out.sentences.append(Sentence([f"w{j}" for j in range(len(tags))], list(tags), 1, i))
    return out


def _score(gold_tags, pred_tags):
    return score_conll(
        conll_of(gold_tags, "g"),
        conll_of(pred_tags, "p"),
        ScoreOptions(resamples=0, analysis=False),
    )


def assert_same_as_seqeval(section, ref: dict) -> None:
    counts = section.counts()
    for label in section.labels:
        row = ref[label]
        for ours, theirs in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score")):
            assert section.figures[f"label.{label}.{ours}"].value == row[theirs], (label, ours)
        assert counts[label].possible == row["support"]
    assert sorted(k for k in ref if not k.endswith(" avg")) == section.labels
    averages = ("micro", "macro", "weighted") if section.labels else ("micro",)
    for avg in averages:
        row = ref[f"{avg} avg"]
        for ours, theirs in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score")):
            assert section.figures[f"{avg}.{ours}"].value == row[theirs], (avg, ours)
        assert counts["micro"].possible == row["support"]


@settings(max_examples=200, deadline=None)
@given(SEQUENCES, st.randoms(use_true_random=False))
def test_conlleval_and_strict_iob2_views_are_seqeval(gold, rnd):
    pred = [[t if rnd.random() < 0.6 else rnd.choice(TAGS) for t in seq] for seq in gold]
    result = _score(gold, pred)
    assert_same_as_seqeval(result.sections["conll.conlleval"], run_seqeval(gold, pred))
    assert_same_as_seqeval(
        result.sections["conll.iob2_strict"], run_seqeval(gold, pred, strict=True)
    )


@settings(max_examples=200, deadline=None)
@given(SEQUENCES, st.randoms(use_true_random=False))
def test_semeval_schemas_on_tags_are_nervaluate_list_loader(gold, rnd):
    from nervaluate import Evaluator

    pred = [[t if rnd.random() < 0.6 else rnd.choice(TAGS) for t in seq] for seq in gold]
    labels = sorted({t[2:] for t in TAGS if t != "O"})
    ref = Evaluator(gold, pred, tags=labels, loader="list").evaluate()
    result = _score(gold, pred)
    for scheme in SCHEMES:
        name = NERVALUATE_NAMES[scheme]
        section = result.sections[f"entities.{scheme.value}"]
        c, r = section.counts()["micro"], ref["overall"][name]
        assert (c.cor, c.inc, c.par, c.mis, c.spu) == (
            r.correct,
            r.incorrect,
            r.partial,
            r.missed,
            r.spurious,
        )
        assert section.figures["micro.f1"].value == r.f1
        for label in section.labels:
            c, r = section.counts()[label], ref["entities"][label][name]
            assert (c.cor, c.inc, c.par, c.mis, c.spu) == (
                r.correct,
                r.incorrect,
                r.partial,
                r.missed,
                r.spurious,
            )


def strict_reference(tags: list[str]) -> list[tuple[int, int, str]]:
    """Strict IOB2 with a plain loop: B-X starts an entity, following I-X continue it."""
    out, i = [], 0
    while i < len(tags):
        if tags[i].startswith("B-"):
            j = i + 1
            while j < len(tags) and tags[j] == "I-" + tags[i][2:]:
                j += 1
            out.append((i, j, tags[i][2:]))
            i = j
        else:
            i += 1
    return out


def _per_sentence(arrays, labels, n):
    out = [[] for _ in range(n)]
    for u, a, b, lab in zip(arrays.unit, arrays.start, arrays.end, arrays.label, strict=True):
        out[u].append((int(a), int(b), labels[lab]))
    return out


@settings(max_examples=200, deadline=None)
@given(SEQUENCES)
def test_whole_file_readings_equal_sentence_by_sentence_readings(sequences):
    flat = FlatTags.of(conll_of(sequences, "g"))
    labels = sorted(flat.labels())
    code = {lab: i for i, lab in enumerate(labels)}
    assert _per_sentence(flat.conlleval_spans(code), labels, len(sequences)) == [
        iob2_to_token_spans(tags) for tags in sequences
    ]
    assert _per_sentence(flat.strict_spans(code), labels, len(sequences)) == [
        strict_reference(tags) for tags in sequences
    ]


def test_strict_iob2_reading_ignores_stray_inside_tags():
    tags = ["I-PER", "B-PER", "I-PER", "I-LOC", "B-LOC", "B-LOC", "I-LOC", "O", "I-ORG"]
    flat = FlatTags.of(conll_of([tags], "g"))
    code = {"LOC": 0, "ORG": 1, "PER": 2}
    spans = flat.strict_spans(code)
    assert list(
        zip(spans.start.tolist(), spans.end.tolist(), spans.label.tolist(), strict=True)
    ) == [(1, 3, 2), (4, 5, 0), (5, 7, 0)]


# --------------------------------------------------------------------------- files


def _write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


GOLD = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER

-DOCSTART- -X- -X- O

BRUSSELS NNP B-NP B-LOC
1996-08-22 CD I-NP O
"""


def test_read_conll_sentences_documents_and_last_column(tmp_path):
    conll = read_conll(_write(tmp_path / "g.conll", GOLD))
    assert [s.tokens for s in conll.sentences] == [
        ["EU", "rejects", "German", "call"],
        ["Peter", "Blackburn"],
        ["BRUSSELS", "1996-08-22"],
    ]
    assert [s.doc for s in conll.sentences] == [0, 0, 1]
    assert conll.sentences[1].tags == ["B-PER", "I-PER"]
    assert conll.sentences[2].line == 13
    assert conll.has_docstart and conll.n_docs == 2


def test_bootstrap_resamples_documents_when_the_file_has_them(tmp_path):
    gold = read_conll(_write(tmp_path / "g.conll", GOLD))
    result = score_conll(gold, gold, ScoreOptions(resamples=50))
    assert result.documents["unit"] == "document"
    assert result.documents["gold"] == 2 and result.documents["sentences"] == 3
    assert result.sections["conll.conlleval"].block.counts.shape[0] == 2
    f1 = result.sections["conll.conlleval"].figures["micro.f1"]
    assert (f1.value, f1.low, f1.high) == (1.0, 1.0, 1.0)


def test_bad_tag_names_its_line(tmp_path):
    path = _write(tmp_path / "bad.conll", "EU B-ORG\nrejects S-PER\n")
    with pytest.raises(ParseError) as err:
        read_conll(path)
    assert str(err.value) == (
        f"{path}:2: tag 'S-PER' is not an IOB tag (O, B-X or I-X); "
        "convert IOBES/BILOU tags to IOB2 first"
    )


def test_line_without_tag_names_its_line(tmp_path):
    path = _write(tmp_path / "bad.conll", "EU B-ORG\nrejects\n")
    with pytest.raises(
        ParseError,
        match=r"bad.conll:2: expected a token and a tag separated "
        r"by whitespace, got 'rejects'",
    ):
        read_conll(path)


def test_token_mismatch_names_both_lines(tmp_path):
    gold = read_conll(_write(tmp_path / "g.conll", GOLD))
    pred = read_conll(_write(tmp_path / "p.conll", GOLD.replace("Blackburn", "Blackbum")))
    with pytest.raises(InputError) as err:
        check_aligned(gold, pred)
    assert str(err.value) == (
        f"{tmp_path / 'p.conll'}:9: token 'Blackbum' does not match {tmp_path / 'g.conll'}:9 "
        "token 'Blackburn'; both files must hold the same tokens in the same order"
    )


def test_missing_sentence_is_named(tmp_path):
    gold = read_conll(_write(tmp_path / "g.conll", GOLD))
    pred = read_conll(_write(tmp_path / "p.conll", GOLD.split("-DOCSTART- -X- -X- O\n\nBRUS")[0]))
    with pytest.raises(InputError) as err:
        check_aligned(gold, pred)
    assert str(err.value).startswith(
        f"{tmp_path / 'g.conll'}:13: {tmp_path / 'g.conll'} continues with a sentence here but "
        f"{tmp_path / 'p.conll'} has ended (3 gold sentences, 2 predicted)"
    )


@pytest.mark.shared_data
def test_conll2003_test_set_against_seqeval(shared_data):
    gold = read_conll(shared_data / "conll2003" / "test.txt")
    rng = random.Random(3)
    tags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC"]
    pred = ConllFile("pred", has_docstart=True)
    for s in gold.sentences:
        pred.sentences.append(
            Sentence(
                s.tokens,
                [t if rng.random() < 0.9 else rng.choice(tags) for t in s.tags],
                s.line,
                s.doc,
            )
        )
    result = score_conll(gold, pred, ScoreOptions(resamples=0, analysis=False))
    g_tags = [s.tags for s in gold.sentences]
    p_tags = [s.tags for s in pred.sentences]
    assert gold.n_docs == 231
    assert_same_as_seqeval(result.sections["conll.conlleval"], run_seqeval(g_tags, p_tags))
    assert_same_as_seqeval(
        result.sections["conll.iob2_strict"], run_seqeval(g_tags, p_tags, strict=True)
    )
