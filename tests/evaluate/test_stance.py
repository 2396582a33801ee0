"""Stance matching at mention level and as normalised name triples; names and aliases."""

from __future__ import annotations

import json
import unicodedata

import pytest

from goldwire.errors import InputError, UsageError
from goldwire.evaluate.counts import Counts
from goldwire.evaluate.stance import (
    AliasTable,
    match_stance_tuples,
    match_stances,
    match_triples,
    normalize_name,
    stance_triples,
    stance_tuples,
)
from goldwire.schema import Document, Entity, Mention, Stance

TEXT = "Putin said Moscow backs the deal. Russia's president Putin and the Kremlin agree."
#       0    5    10   15   20   25   30   35   40   45   50   55   60   65   70   75   80


def span(text: str, occurrence: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(occurrence + 1):
        start = TEXT.index(text, start + 1)
    return start, start + len(text)


def m(text: str, occurrence: int = 0, entity: str | None = None) -> Mention:
    s, e = span(text, occurrence)
    return Mention(text, s, e, entity)


def doc(*stances: Stance, entities=()) -> Document:
    return Document(id="d", text=TEXT, entities=list(entities), stances=list(stances))


@pytest.mark.parametrize(
    "raw, want",
    [
        ("/TASS/", "tass"),
        ('"The  Kremlin"', "the kremlin"),
        ("«Gazprom»,", "gazprom"),
        ("  U.S. ", "u.s"),
        ("Straße", "strasse"),
        ("Cafe\u0301", "caf\u00e9"),
        ("'s", "s"),
        ("---", ""),
    ],
)
def test_normalize_name(raw, want):
    assert normalize_name(raw) == want
    assert unicodedata.is_normalized("NFC", normalize_name(raw))


def test_mentions_match_strictly_or_by_overlap_with_the_same_label():
    gold = doc(Stance(m("Putin"), m("the deal"), "SUPPORT"))
    exact = doc(Stance(m("Putin"), m("the deal"), "SUPPORT"))
    wider = doc(Stance(Mention("Putin said", 0, 10), m("deal"), "SUPPORT"))
    wrong = doc(Stance(m("Putin"), m("the deal"), "OPPOSE"))
    assert match_stances(gold, exact, "strict") == Counts(cor=1)
    assert match_stances(gold, wider, "strict") == Counts(mis=1, spu=1)
    assert match_stances(gold, wider, "relaxed") == Counts(cor=1)
    assert match_stances(gold, wrong, "relaxed") == Counts(mis=1, spu=1)


def test_mentions_naming_an_entity_are_resolved():
    ent = Entity("e1", *span("Putin", 1), "PER", "Putin")
    gold = doc(Stance(m("Putin", 1), m("the Kremlin"), "SUPPORT"), entities=[ent])
    pred = doc(Stance(Mention("", entity="e1"), m("the Kremlin"), "SUPPORT"), entities=[ent])
    assert match_stances(gold, pred, "strict") == Counts(cor=1)


def test_stances_without_offsets_are_excluded_at_mention_level():
    d = doc(
        Stance(Mention("Putin"), m("the deal"), "SUPPORT"),
        Stance(m("Putin"), m("the deal"), "SUPPORT"),
    )
    tuples, excluded = stance_tuples(d)
    assert excluded == 1 and tuples == [(*span("Putin"), *span("the deal"), "SUPPORT")]


def test_one_to_one_pairing_and_per_label_counts():
    g = [(0, 5, 10, 15, "SUPPORT"), (0, 5, 20, 25, "OPPOSE")]
    p = [(0, 5, 10, 15, "SUPPORT"), (0, 5, 10, 15, "SUPPORT"), (1, 4, 21, 30, "OPPOSE")]
    assert match_stance_tuples(g, p, "strict") == {
        "OPPOSE": Counts(mis=1, spu=1),
        "SUPPORT": Counts(cor=1, spu=1),
    }
    assert match_stance_tuples(g, p, "relaxed") == {
        "OPPOSE": Counts(cor=1),
        "SUPPORT": Counts(cor=1, spu=1),
    }
    with pytest.raises(UsageError, match="unknown stance matching mode 'loose'"):
        match_stance_tuples(g, p, "loose")


def test_triples_do_not_punish_another_mention_of_the_same_entity():
    gold = doc(Stance(m("Putin", 0), m("the deal"), "SUPPORT"))
    other_mention = doc(Stance(m("Putin", 1), m("the deal"), "SUPPORT"))
    assert match_stances(gold, other_mention, "strict") == Counts(mis=1, spu=1)
    triples = stance_triples(gold), stance_triples(other_mention)
    assert triples[0] == triples[1] == {("putin", "the deal", "SUPPORT")}
    assert match_triples(*triples) == {"SUPPORT": Counts(cor=1)}


def test_triples_score_name_only_corpora_through_aliases(tmp_path):
    gold = Document(
        id="d",
        text="x",
        stances=[Stance(Mention("/TASS/"), Mention("Russian Federation"), "SUPPORT")],
    )
    pred = Document(
        id="d", text="x", stances=[Stance(Mention("TASS"), Mention("Russia"), "SUPPORT")]
    )
    assert match_triples(stance_triples(gold), stance_triples(pred)) == {
        "SUPPORT": Counts(mis=1, spu=1)
    }
    table = tmp_path / "aliases.json"
    table.write_text(json.dumps({"Russia": ["Russian Federation", "RF"]}), encoding="utf-8")
    alias = AliasTable.load(table)
    assert match_triples(stance_triples(gold, alias), stance_triples(pred, alias)) == {
        "SUPPORT": Counts(cor=1)
    }


def test_alias_tables_in_json_and_tsv(tmp_path):
    js = tmp_path / "a.json"
    js.write_text(
        json.dumps({"the Kremlin": "Russian government", "Moscow": ["Kremlin", "Moskva"]}),
        encoding="utf-8",
    )
    a = AliasTable.load(js)
    assert a.canonical('"The Kremlin"') == "russian government"
    assert a.canonical("Moskva") == a.canonical("kremlin") == "moscow"
    assert a.canonical("Minsk") == "minsk"
    tsv = tmp_path / "a.tsv"
    tsv.write_text(
        "# canonical, then aliases\nRussia\tRussian Federation\tRF\n\nEU\tEuropean Union\n",
        encoding="utf-8",
    )
    t = AliasTable.load(tsv)
    assert t.canonical("rf") == "russia" and t.canonical("European Union") == "eu"
    assert len(t) == 5


def test_alias_naming_two_entities_is_an_error(tmp_path):
    tsv = tmp_path / "a.tsv"
    tsv.write_text("Russia\tRF\nFrance\trf\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        AliasTable.load(tsv)
    assert str(err.value) == (
        f"{tsv}:2: 'rf' is an alias of both 'russia' and 'france'; "
        "an alias may name one entity only"
    )
    bad = tmp_path / "b.json"
    bad.write_text('{"x": 3}', encoding="utf-8")
    with pytest.raises(InputError, match="value of 'x' must be a canonical name or a list"):
        AliasTable.load(bad)
