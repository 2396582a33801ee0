"""attach-gold: a new corpus version carrying adjudicated gold, reports of what did not match,
goldwire.json and the data card refreshed, atomic output, the CLI command."""

from __future__ import annotations

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
from goldwire.errors import InputError, SchemaError, UsageError
from goldwire.schema import Document, Entity, read_jsonl, write_jsonl
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
    assert new.meta["annotators"] == "alice,bob" and new.meta["adjudication"] == "prefer:alice"
    assert new.meta["reader"] == before[seed_id].meta["reader"]  # corpus meta kept
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
    summary = json.loads((root / "agreement.json").read_text(encoding="utf-8"))["summary"]
    assert meta["gold"]["agreement"] == summary
    assert meta["gold"]["adjudication"] == {"prefer:alice": 1}
    _, _, old_meta = load_corpus(corpus)
    assert meta["label_schema"] == old_meta["label_schema"]
    assert (root / "v2" / "manifest.jsonl").read_bytes() == (corpus / "manifest.jsonl").read_bytes()


def test_card_shows_gold_counts_and_agreement(attached):
    report, root = attached
    card = (root / "cards" / "README.md").read_text(encoding="utf-8")
    assert card == (root / "v2" / "README.md").read_text(encoding="utf-8")
    summary = json.loads((root / "agreement.json").read_text(encoding="utf-8"))["summary"]
    assert f"| span F1, exact | {summary['span_f1_exact']:.3f} |" in card
    assert f"| token Cohen's kappa (mean over pairs) | {summary['token_kappa']:.3f} |" in card
    assert f"| bob | 1 | {report.annotators['bob']['entities']} |" in card
    assert "| GPE | 20 |" in card  # entity label counts now come from the gold
    assert "Gold annotations for 1 documents" in card


def test_no_match_is_an_error_and_writes_nothing(corpus, tmp_path):
    gold = tmp_path / "gold.jsonl"
    write_jsonl([Document(id="zz", text="Elsewhere.")], gold)
    with pytest.raises(InputError) as err:
        attach_gold(corpus, gold, tmp_path / "v2")
    assert str(err.value) == (
        f"{gold}: none of its 1 documents is in {corpus} (1 unknown ids, 0 with another "
        "text); attach gold to the corpus its documents were pushed from"
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
    assert report.strategies == {"majority": 1}
