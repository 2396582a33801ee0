"""attach-gold: a new corpus version carrying adjudicated gold, layer by layer; reports of what
did not match; goldwire.json (coverage, statuses, annotators, tools, guidelines, review,
suggestions) and the data card refreshed; atomic output; the CLI command."""

from __future__ import annotations

import errno
import json
import shutil
from pathlib import Path

import pytest

from goldwire.annotate.adjudicate import adjudicate, write_adjudication
from goldwire.annotate.agreement import agreement
from goldwire.corpus import attach as attach_mod
from goldwire.corpus.attach import attach_gold
from goldwire.corpus.build import BuildConfig, build_corpus
from goldwire.corpus.dataset import iter_documents, load_corpus
from goldwire.corpus.split import SplitRatios
from goldwire.errors import DiskFullError, InputError, OutputError, SchemaError, UsageError
from goldwire.provenance import Annotation, Provenance, Vote
from goldwire.schema import Document, Entity, Mention, Stance, read_jsonl, write_jsonl
from gwtest import SEED_ARTICLES, SEED_GOLD, tass_article


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The seed article plus three synthetic TASS articles."""
    root = tmp_path_factory.mktemp("attach")
    src = root / "in"
    shutil.copytree(SEED_ARTICLES, src)
    for i in range(3):
        (src / f"syn{i}.txt").write_text(tass_article(100 + i), encoding="utf-8")
    build_corpus(BuildConfig(inputs=(src,), out=root / "corpus", minhash=None))
    return root / "corpus"


@pytest.fixture(scope="module")
def pulled(tmp_path_factory) -> Path:
    """Two annotators of the seed document: alice = the seed gold; bob drops two entities and
    relabels one."""
    folder = tmp_path_factory.mktemp("pull")
    (seed,) = read_jsonl(SEED_GOLD / "seed.jsonl")
    write_jsonl([seed], folder / "annotators" / "alice.jsonl")
    (bob,) = read_jsonl(SEED_GOLD / "seed.jsonl")
    dropped = {bob.entities[5].id, bob.entities[7].id}
    bob.entities = [e for e in bob.entities if e.id not in dropped]
    bob.entities[0].label = "GPE"  # CSTO in the title
    bob.stances = [s for s in bob.stances if not {s.holder.entity, s.target.entity} & dropped]
    write_jsonl([bob], folder / "annotators" / "bob.jsonl")
    return folder


@pytest.fixture(scope="module")
def gold_file(pulled, corpus, tmp_path_factory) -> Path:
    """prefer:alice gold for the seed, an unknown id, and a corpus id with another text."""
    out = tmp_path_factory.mktemp("gold") / "gold.jsonl"
    docs = adjudicate(pulled, "prefer:alice").documents
    other = next(d for d in iter_documents(corpus) if d.id != docs[0].id)
    docs.append(Document(id="nosuchid", text="Not in the corpus."))
    docs.append(Document(id=other.id, text="Edited after the push.",
                         entities=[Entity("T1", 0, 6, "MISC", "Edited")]))  # fmt: skip
    write_jsonl(docs, out)
    return out


@pytest.fixture(scope="module")
def attached(corpus, gold_file, pulled, tmp_path_factory):
    root = tmp_path_factory.mktemp("out")
    ag = root / "agreement.json"
    ag.write_text(json.dumps(agreement(pulled).to_json()), encoding="utf-8")
    report = attach_gold(corpus, gold_file, root / "v2", ag, card_path=root / "cards" / "README.md")
    return report, root


def test_gold_documents_carry_the_gold_and_others_are_unchanged(corpus, gold_file, attached):
    report, root = attached
    gold = {d.id: d for d in read_jsonl(gold_file)}
    before = {d.id: d for d in iter_documents(corpus)}
    after = {d.id: d for d in iter_documents(root / "v2")}
    assert set(after) == set(before)
    seed_id = next(iter(gold))
    new = after[seed_id]
    assert new.entities == gold[seed_id].entities
    assert new.stances == gold[seed_id].stances
    assert len(new.entities) == 43  # prefer:alice keeps all of the seed gold
    assert new.text == before[seed_id].text and new.source == before[seed_id].source
    # who annotated: the gold's record (this gold predates it: its meta keys say it)
    assert new.annotation.annotators == ["alice", "bob"]
    assert new.annotation.adjudication == "prefer:alice"
    for layer in ("entities", "stances", "doc_stances"):
        assert new.annotation.status(layer) == gold[seed_id].annotation.status(layer)
    assert new.meta == before[seed_id].meta  # the corpus meta, kept as it is
    for doc_id, doc in before.items():
        if doc_id != seed_id:
            assert after[doc_id] == doc  # includes the one whose gold text differs
    assert before[seed_id].entities == []  # the source corpus is untouched
    assert report.attached == 1 and report.gold_documents == 3


def test_unknown_ids_and_text_mismatches_are_reported(attached, gold_file):
    report, root = attached
    other_id = list(read_jsonl(gold_file))[2].id
    assert report.unknown_ids == ["nosuchid"]
    assert [m["id"] for m in report.text_mismatches] == [other_id]
    meta = json.loads((root / "v2" / "goldwire.json").read_text(encoding="utf-8"))
    assert meta["gold"]["unknown_ids"] == ["nosuchid"]
    assert meta["gold"]["text_mismatches"][0]["id"] == other_id


def test_goldwire_json_has_annotator_counts_and_agreement(attached, gold_file, pulled, corpus):
    report, root = attached
    meta = json.loads((root / "v2" / "goldwire.json").read_text(encoding="utf-8"))
    (seed,) = [d for d in read_jsonl(gold_file)][:1]
    expected = {
        name: {
            "documents": 1,
            "entities": sum(name in e.annotators for e in seed.entities),
            "stances": sum(name in s.annotators for s in seed.stances),
        }
        for name in ("alice", "bob")
    }
    assert meta["gold"]["annotators"] == expected
    assert expected["bob"]["entities"] == 43 - 3  # bob dropped two, relabelled one
    agreement_json = json.loads((root / "agreement.json").read_text(encoding="utf-8"))
    assert meta["gold"]["agreement"] == agreement_json["summary"]
    assert meta["gold"]["agreement_definitions"] == agreement_json["definitions"]
    assert meta["gold"]["adjudication"] == {"prefer:alice": 1}
    assert meta["gold"]["annotators_per_document"] == {"2": 1}
    _, _, old_meta = load_corpus(corpus)
    assert meta["label_schema"] == old_meta["label_schema"]
    assert (root / "v2" / "manifest.jsonl").read_bytes() == (corpus / "manifest.jsonl").read_bytes()


def _card_figure(value) -> str:
    """How the card writes an agreement figure: a ratio with three decimals, a count as it
    is, n/a when undefined."""
    if value is None:
        return "n/a"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def test_card_shows_gold_counts_and_agreement(attached):
    report, root = attached
    card = (root / "cards" / "README.md").read_text(encoding="utf-8")
    assert card == (root / "v2" / "README.md").read_text(encoding="utf-8")
    bob = json.loads((root / "v2" / "goldwire.json").read_text())["gold"]["annotators"]["bob"]
    assert f"| bob | 1 | {bob['entities']} |" in card
    assert "| GPE | 20 |" in card  # entity label counts now come from the gold
    assert "Gold annotations for 1 documents" in card
    assert "- **Annotators per document:** 2 annotators: 1 document" in card
    assert "- **Adjudication:** prefer:alice (1)" in card
    assert "[TO FILL: how entities and stances were annotated" not in card  # goldwire knows
    assert "[TO FILL: the annotators' background" in card  # goldwire cannot know


def test_every_agreement_figure_in_the_card_is_the_agreement_jsons(attached):
    _, root = attached
    card = (root / "v2" / "README.md").read_text(encoding="utf-8")
    data = json.loads((root / "agreement.json").read_text(encoding="utf-8"))
    counts = ("annotators", "documents", "documents_multiply_annotated")
    figures = {k: v for k, v in data["summary"].items() if k not in counts}
    assert len(figures) >= 7
    for key, value in figures.items():
        assert f"| `{key}` | {_card_figure(value)} |" in card, key
    assert data["summary"]["span_f1_exact"] is not None  # two annotators: defined
    s = data["summary"]
    assert (f"({s['annotators']} annotators, {s['documents_multiply_annotated']} of "
            f"{s['documents']} documents annotated by two or more") in card  # fmt: skip
    for name, definition in data["definitions"].items():
        assert f"- **{name}**: {definition}" in card


def test_no_match_is_an_error_and_writes_nothing(corpus, tmp_path):
    gold = tmp_path / "gold.jsonl"
    write_jsonl([Document(id="zz", text="Elsewhere.")], gold)
    with pytest.raises(InputError) as err:
        attach_gold(corpus, gold, tmp_path / "v2")
    assert str(err.value) == (
        f"{gold}: none of its 1 documents is in {corpus} (1 unknown ids, 0 with another "
        "text, 0 without gold on any layer); attach gold to the corpus its documents were "
        "pushed from"
    )
    assert not (tmp_path / "v2").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["gold.jsonl"]


def test_label_outside_the_schema_names_file_and_fix(corpus, tmp_path):
    (seed,) = read_jsonl(SEED_GOLD / "seed.jsonl")
    seed.entities[0].label = "WEAPON"
    gold = tmp_path / "gold.jsonl"
    write_jsonl([seed], gold)
    with pytest.raises(SchemaError) as err:
        attach_gold(corpus, gold, tmp_path / "v2")
    msg = str(err.value)
    assert msg.startswith(f"{gold}: document {seed.id}: entity T1 [0:4] has label 'WEAPON'")
    assert msg.endswith("relabel it or add the label to the corpus label schema and rebuild")


def test_out_must_be_a_new_folder(corpus):
    with pytest.raises(UsageError, match="--out must differ from the corpus"):
        attach_gold(corpus, SEED_GOLD / "seed.jsonl", corpus)


def test_failed_write_keeps_the_old_version(corpus, tmp_path, monkeypatch):
    out = tmp_path / "v2"
    attach_gold(corpus, SEED_GOLD / "seed.jsonl", out)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(attach_mod, "_write_version", boom)
    with pytest.raises(RuntimeError):
        attach_gold(corpus, SEED_GOLD / "seed.jsonl", out)
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert [p.name for p in tmp_path.iterdir()] == ["v2"]  # no temporary folder left


def test_out_holding_the_gold_file_is_refused_and_the_gold_kept(corpus, tmp_path):
    folder = tmp_path / "pull"
    folder.mkdir()
    gold = folder / "gold.jsonl"
    shutil.copyfile(SEED_GOLD / "seed.jsonl", gold)
    before = gold.read_bytes()
    with pytest.raises(OutputError) as err:
        attach_gold(corpus, gold, folder)
    assert str(err.value) == (
        f"the gold file {gold} is inside --out {folder}; writing --out would replace it: pick "
        "another --out"
    )
    assert gold.read_bytes() == before and sorted(p.name for p in folder.iterdir()) == [
        "gold.jsonl"
    ]


def test_out_foreign_or_inside_the_corpus_is_refused_before_reading(corpus, tmp_path):
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("{not json\n", encoding="utf-8")  # never read: the checks come first
    with pytest.raises(OutputError) as err:
        attach_gold(corpus, garbage, corpus / "v2")
    assert str(err.value) == (
        f"--out {corpus / 'v2'} is inside the corpus {corpus}; pick an --out outside the inputs"
    )
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.md").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match=f"^{mine}: the folder is not empty and not a goldwire "
                       "corpus .* pick another folder or empty it$"):  # fmt: skip
        attach_gold(corpus, garbage, mine)
    assert (mine / "notes.md").read_text(encoding="utf-8") == "mine"


def test_a_full_disk_keeps_the_old_version(corpus, tmp_path, monkeypatch):
    out = tmp_path / "v2"
    attach_gold(corpus, SEED_GOLD / "seed.jsonl", out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(attach_mod, "_write_version", full)
    with pytest.raises(DiskFullError) as err:
        attach_gold(corpus, SEED_GOLD / "seed.jsonl", out)
    assert str(err.value) == (
        f"no space left on device while writing {out}; free space or choose another --out"
    )
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["v2"]  # no staging left


def test_cli_refuses_an_out_holding_the_gold(cli, corpus, tmp_path):
    gold = tmp_path / "gold.jsonl"
    shutil.copyfile(SEED_GOLD / "seed.jsonl", gold)
    result = cli("corpus", "attach-gold", corpus, gold, "--out", tmp_path)
    assert result.exit_code == 2
    assert result.output == (
        f"error: the gold file {gold} is inside --out {tmp_path}; writing --out would replace "
        "it: pick another --out\n"
    )
    assert gold.read_bytes() == (SEED_GOLD / "seed.jsonl").read_bytes()


def test_agreement_file_must_be_an_agreement_report(corpus, tmp_path):
    bad = tmp_path / "a.json"
    bad.write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match="not an agreement report"):
        attach_gold(corpus, SEED_GOLD / "seed.jsonl", tmp_path / "v2", bad)


def test_cli(cli, corpus, gold_file, tmp_path):
    out, report = tmp_path / "v2", tmp_path / "report.json"
    result = cli("corpus", "attach-gold", corpus, gold_file, "--out", out,
                 "--card-dir", tmp_path / "cards", "--json", report)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "not in the corpus: nosuchid" in result.output
    assert (tmp_path / "cards" / "v2" / "README.md").is_file()
    assert json.loads(report.read_text(encoding="utf-8"))["documents"] == 1
    help_text = cli("corpus", "attach-gold", "--help").output
    assert "Example:" in help_text

    result = cli("corpus", "attach-gold", corpus, gold_file, "--out", corpus)
    assert result.exit_code == 2
    assert result.output == (
        f"error: {corpus}: --out must differ from the corpus; attach-gold writes a new corpus "
        "version and leaves the old one as it is\n"
    )


def test_adjudicated_gold_round_trips_through_attach(pulled, corpus, tmp_path):
    gold, _ = write_adjudication(adjudicate(pulled, "majority"), tmp_path / "g" / "gold.jsonl")
    report = attach_gold(corpus, gold, tmp_path / "v2")
    (doc,) = [d for d in iter_documents(tmp_path / "v2") if d.entities]
    assert len(doc.entities) == 43 - 3  # two ties and one label conflict stay out
    assert all(e.annotators == ["alice", "bob"] for e in doc.entities)
    assert report.tally.strategies == {"majority": 1}
    assert doc.annotation.adjudication == "majority" and doc.annotation.annotators == [
        "alice", "bob",
    ]  # fmt: skip


# --------------------------------------------------------------------------- layer by layer

CONLL = (
    "-DOCSTART- -X- -X- O\n\nLavrov NNP B-NP B-PER\nmet VBD B-VP O\nMirzoyan NNP B-NP B-PER\n"
    "in IN B-PP O\nMoscow NNP B-NP B-LOC\n. . O O\n\n"
    "-DOCSTART- -X- -X- O\n\nAliyev NNP B-NP B-PER\nvisited VBD B-VP O\nAnkara NNP B-NP B-LOC\n"
    ". . O O\n\n"
    "-DOCSTART- -X- -X- O\n\nTokayev NNP B-NP B-PER\nspoke VBD B-VP O\n. . O O\n\n"
)
RECORD = {"annotators": ["ann1", "ann2"], "adjudication": "majority", "reviewers": ["rev"],
          "reviewed_at": "2026-03-01T10:00:00+00:00", "tool": "doccano 1.8.4",
          "guidelines": "annotate/guidelines.md sha256:" + "ab" * 32}  # fmt: skip


@pytest.fixture(scope="module")
def conll_corpus(tmp_path_factory) -> Path:
    """Three CoNLL-2003 documents (entities: reader:conll), all in train."""
    root = tmp_path_factory.mktemp("conll")
    (root / "news.conll").write_text(CONLL, encoding="utf-8")
    build_corpus(BuildConfig(inputs=(root / "news.conll",), out=root / "corpus", minhash=None,
                             ratios=SplitRatios(1.0, 0.0, 0.0)))  # fmt: skip
    return root / "corpus"


def _by_text(corpus: Path) -> dict[str, Document]:
    return {d.text.split()[0]: d for d in iter_documents(corpus)}


def _votes(label: str, *provenances: str) -> list[Vote]:
    return [Vote(f"ann{i}", label, p) for i, p in enumerate(provenances, 1)]


def _layered_gold(corpus: Path) -> list[Document]:
    """Lavrov: stances only (its endpoints are the gold's own entities, one of them on a span
    CoNLL has no entity on); Aliyev: entities only; Tokayev: nothing confirmed."""
    docs = _by_text(corpus)
    lav, ali, tok = docs["Lavrov"], docs["Aliyev"], docs["Tokayev"]
    lav_ents = [Entity("T1", 0, 6, "PER", "Lavrov"), Entity("T2", 7, 10, "MISC", "met")]
    support = Stance(Mention("Lavrov", 0, 6, "T1"), Mention("met", 7, 10, "T2"), "SUPPORT",
                     ["ann1", "ann2"], provenance=Provenance.ADJUDICATED,
                     votes=_votes("SUPPORT", Provenance.ACCEPTED, Provenance.ACCEPTED))  # fmt: skip
    lavrov = Document(id=lav.id, text=lav.text, entities=lav_ents, stances=[support],
                      annotation=Annotation("none", "adjudicated", "none", **RECORD))  # fmt: skip
    ali_ents = [
        Entity("T1", 0, 6, "PER", "Aliyev", ["ann1", "ann2"],
               votes=_votes("PER", Provenance.ACCEPTED, Provenance.HUMAN)),
        Entity("T2", 15, 21, "GPE", "Ankara", ["ann1"], provenance=Provenance.ACCEPTED),
        Entity("T3", 7, 14, "MISC", "visited", ["ann1", "ann2"],
               votes=[*_votes("MISC", Provenance.HUMAN),
                      *_votes("EVENT", Provenance.ACCEPTED)]),
    ]  # fmt: skip
    aliyev = Document(id=ali.id, text=ali.text, entities=ali_ents,
                      annotation=Annotation("adjudicated", "none", "none",
                                            annotators=["ann1"], tool="doccano 1.8.4"))  # fmt: skip
    tokayev = Document(id=tok.id, text=tok.text, entities=[Entity("T1", 0, 7, "PER", "Tokayev")],
                       annotation=Annotation("unconfirmed", "none", "none"))  # fmt: skip
    return [lavrov, aliyev, tokayev]


@pytest.fixture(scope="module")
def layered(conll_corpus, tmp_path_factory):
    root = tmp_path_factory.mktemp("layered")
    write_jsonl(_layered_gold(conll_corpus), root / "gold.jsonl")
    report = attach_gold(conll_corpus, root / "gold.jsonl", root / "v2",
                         card_path=root / "card.md")  # fmt: skip
    return report, root


def test_a_layer_without_gold_in_the_gold_keeps_the_corpus_items(conll_corpus, layered):
    _, root = layered
    before, after = _by_text(conll_corpus), _by_text(root / "v2")
    lavrov = after["Lavrov"]  # the gold brings stances only: the CoNLL entities stay
    assert lavrov.entities == before["Lavrov"].entities
    assert [(e.text, e.label) for e in lavrov.entities] == [
        ("Lavrov", "PER"), ("Mirzoyan", "PER"), ("Moscow", "LOC"),
    ]  # fmt: skip
    (stance,) = lavrov.stances
    # the holder is bound to the CoNLL entity on its span; the target ("met") has none there
    assert stance.holder == Mention("Lavrov", 0, 6, lavrov.entities[0].id)
    assert stance.target == Mention("met", 7, 10, None)
    assert stance.label == "SUPPORT" and stance.provenance == "adjudicated"
    a = lavrov.annotation
    assert (a.entities, a.stances, a.doc_stances) == ("reader:conll", "adjudicated", "none")
    assert {k: a.to_json()[k] for k in RECORD} == RECORD  # the gold's document-level record
    aliyev = after["Aliyev"]  # the gold brings entities only: they replace CoNLL's
    assert [(e.text, e.label) for e in aliyev.entities] == [
        ("Aliyev", "PER"), ("Ankara", "GPE"), ("visited", "MISC"),
    ]  # fmt: skip
    assert aliyev.annotation.entities == "adjudicated" and aliyev.annotation.reviewers == []
    assert after["Tokayev"] == before["Tokayev"]  # unconfirmed: not attached


def test_report_counts_what_the_gold_is_made_of(layered):
    report, root = layered
    assert report.attached == 2 and report.without_gold == [_by_id_of(root, "Tokayev")]
    gold = json.loads((root / "v2" / "goldwire.json").read_text(encoding="utf-8"))["gold"]
    assert gold == report.to_json()
    # the items the gold brought: Lavrov's stance, Aliyev's three entities
    assert (gold["entities"], gold["stances"], gold["doc_stances"]) == (3, 1, 0)
    assert gold["statuses"] == {
        "entities": {"adjudicated": 1, "reader:conll": 1},
        "stances": {"adjudicated": 1, "none": 1},
        "doc_stances": {"none": 2},
    }
    assert gold["annotators_per_document"] == {"1": 1, "2": 1}
    assert gold["tools"] == {"doccano 1.8.4": 2}
    assert gold["guidelines"] == {RECORD["guidelines"]: 1, "not recorded": 1}
    assert gold["adjudication"] == {"majority": 1, "not recorded": 1}
    assert gold["reviewers"] == {"rev": 1} and gold["reviewed_documents"] == 1
    items = gold["suggested_items"]
    # entities: Aliyev (one vote accepted, one typed), Ankara (no votes, accepted), visited
    # (the vote for the gold label typed; another label's vote accepted)
    assert items["entities"] == {"items": 3, "accepted_unchanged": 1, "with_accepted_vote": 2,
                                 "accepted_unchanged_share": 1 / 3,
                                 "with_accepted_vote_share": 2 / 3}  # fmt: skip
    assert items["stances"]["accepted_unchanged"] == items["stances"]["items"] == 1
    assert items["doc_stances"]["accepted_unchanged_share"] is None  # no items: undefined
    assert items["total"]["items"] == 4 and items["total"]["accepted_unchanged"] == 2
    assert gold["annotators"]["ann1"] == {"documents": 2, "entities": 3, "stances": 1}


def _by_id_of(root: Path, first_word: str) -> str:
    return _by_text(root / "v2")[first_word].id


def test_report_coverage_is_per_split_and_layer(layered):
    report, _ = layered
    train = report.coverage["splits"]["train"]
    assert train["documents"] == 3 and train["with_gold"] == 3  # every CoNLL doc: entities
    assert train["layers"]["entities"] == {
        "with_gold": 3, "statuses": {"adjudicated": 1, "reader:conll": 2},
    }  # fmt: skip
    assert train["layers"]["stances"] == {"with_gold": 1, "statuses": {"adjudicated": 1,
                                                                       "none": 2}}  # fmt: skip
    assert report.coverage["splits"]["test"]["documents"] == 0
    assert report.coverage["total"]["with_gold"] == 3


def test_card_of_layered_gold_says_how_and_where_from(layered):
    _, root = layered
    card = (root / "card.md").read_text(encoding="utf-8")
    assert "- **Tool:** doccano 1.8.4 (2)" in card
    assert f"- **Guidelines:** {RECORD['guidelines']} (1), not recorded (1)" in card
    assert "- **Review:** 1 documents reviewed, by rev (1)" in card
    assert "2 of 4 (50.0%) gold items were model suggestions" in card
    assert "| train | entities | 3 | 3 | reader:conll 2, adjudicated 1 |" in card
    assert "| train | stances | 1 | 3 | none 2, adjudicated 1 |" in card
    assert "(status `reader:conll`: goldwire's `conll` reader)" in card
    assert "[TO FILL: how entities and stances were annotated" not in card


def test_gold_without_any_gold_layer_is_reported_not_attached(conll_corpus, tmp_path):
    *_, tokayev = _layered_gold(conll_corpus)
    write_jsonl([tokayev], tmp_path / "gold.jsonl")
    with pytest.raises(InputError) as err:
        attach_gold(conll_corpus, tmp_path / "gold.jsonl", tmp_path / "v2")
    assert str(err.value) == (
        f"{tmp_path / 'gold.jsonl'}: none of its 1 documents is in {conll_corpus} (0 unknown "
        "ids, 0 with another text, 1 without gold on any layer); attach gold to the corpus its "
        "documents were pushed from"
    )


def test_agreement_suggestions_per_annotator_go_into_the_card(corpus, tmp_path):
    agreement_json = {
        "summary": {"annotators": 2, "documents": 1, "documents_multiply_annotated": 1,
                    "span_f1_exact": 0.5},
        "definitions": {"exact": "same offsets and label"},
        "suggestions": {
            "by_annotator": {"alice": {"accepted": 3, "edited": 1, "rejected": 4,
                                       "acceptance_rate": 0.375}},
            "pooled": {"accepted": 3, "edited": 1, "rejected": 4, "acceptance_rate": 0.375},
        },
    }  # fmt: skip
    (tmp_path / "ag.json").write_text(json.dumps(agreement_json), encoding="utf-8")
    report = attach_gold(corpus, SEED_GOLD / "seed.jsonl", tmp_path / "v2", tmp_path / "ag.json")
    assert report.suggestions_by_annotator == agreement_json["suggestions"]
    card = (tmp_path / "v2" / "README.md").read_text(encoding="utf-8")
    assert "| annotator | accepted | edited | rejected | acceptance_rate |" in card
    assert "| alice | 3 | 1 | 4 | 0.375 |" in card
    assert "| all (pooled) | 3 | 1 | 4 | 0.375 |" in card
    assert "| span F1, exact | `span_f1_exact` | 0.500 |" in card
    assert "- **exact**: same offsets and label" in card


# --------------------------------------------------------------------------- issue 11


def test_gold_for_5_of_30_documents_end_to_end(cli, tmp_path):
    """Gold for 5 of 30 documents: info says 5 of 30, CoNLL export writes the 5 (not 25
    all-O documents), the card says how the gold was made."""
    src = tmp_path / "in"
    src.mkdir()
    for i in range(30):
        (src / f"a{i:02d}.txt").write_text(tass_article(700 + i), encoding="utf-8")
    build_corpus(BuildConfig(inputs=(src,), out=tmp_path / "c", minhash=None,
                             ratios=SplitRatios(1.0, 0.0, 0.0)))  # fmt: skip
    docs = list(iter_documents(tmp_path / "c"))[:5]
    record = {"annotators": ["alice", "bob"], "adjudication": "majority",
              "tool": "doccano 1.8.4",
              "guidelines": "annotate/guidelines.md sha256:00"}  # fmt: skip
    gold = []
    for d in docs:
        city = d.dateline or d.text.split("\n\n")[2].split(",")[0]
        start = d.text.index(city)
        gold.append(Document(id=d.id, text=d.text, paragraphs=d.paragraphs,
                             entities=[Entity("T1", start, start + len(city), "GPE", city)],
                             annotation=Annotation.all("adjudicated", **record)))  # fmt: skip
    write_jsonl(gold, tmp_path / "gold.jsonl")
    result = cli("corpus", "attach-gold", tmp_path / "c", tmp_path / "gold.jsonl", "--out",
                 tmp_path / "v2", "--card-dir", tmp_path / "cards")  # fmt: skip
    assert result.exit_code == 0, result.output
    result = cli("corpus", "info", tmp_path / "v2", "--json", tmp_path / "info.json")
    assert result.exit_code == 0 and "gold: 5 of 30 documents on at least one layer" in (
        result.output.replace("\n", " ")
    )
    info = json.loads((tmp_path / "info.json").read_text(encoding="utf-8"))
    assert info["coverage"]["splits"]["train"]["layers"]["entities"] == {
        "with_gold": 5, "statuses": {"adjudicated": 5, "none": 25},
    }  # fmt: skip
    result = cli("corpus", "export", tmp_path / "v2", "--format", "conll", "--out", tmp_path / "e")
    assert result.exit_code == 0
    assert result.output.startswith(
        "train: 5 documents written, 25 left out (entities status none: 25)\n"
    )
    conll = (tmp_path / "e" / "train.conll").read_text(encoding="utf-8")
    assert conll.count("-DOCSTART-") == 5 and conll.count("B-GPE") == 5
    card = (tmp_path / "cards" / "v2" / "README.md").read_text(encoding="utf-8")
    assert "5 of 30 documents carry gold on at least one layer." in card
    assert "- **Tool:** doccano 1.8.4 (5)" in card
    assert "- **Guidelines:** annotate/guidelines.md sha256:00 (5)" in card
    assert "- **Annotators per document:** 2 annotators: 5 documents" in card
    assert "[TO FILL: how entities and stances were annotated" not in card
