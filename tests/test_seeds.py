"""The seed article and its gold: gold lives apart from the articles and matches the corpus."""

from __future__ import annotations

from goldwire.corpus.build import BuildConfig, build_corpus
from goldwire.corpus.dataset import iter_documents
from goldwire.schema import LabelSchema, read_jsonl
from gwtest import SEED_ARTICLES, SEED_GOLD


def test_seed_article_is_the_users_file_unchanged():
    shared = SEED_ARTICLES.parent.parent.parent / "shared" / "seeds" / "000_cb2353d6230e5346.txt"
    ours = SEED_ARTICLES / "000_cb2353d6230e5346.txt"
    if shared.exists():
        assert ours.read_bytes() == shared.read_bytes()
    assert [p.name for p in SEED_ARTICLES.iterdir()] == ["000_cb2353d6230e5346.txt"]


def test_gold_matches_the_built_corpus(tmp_path):
    build_corpus(BuildConfig(inputs=(SEED_ARTICLES,), out=tmp_path / "seed"))
    (doc,) = iter_documents(tmp_path / "seed")
    (gold,) = read_jsonl(SEED_GOLD / "seed.jsonl")
    gold.validate(LabelSchema.default())
    assert (gold.id, gold.text, gold.text_sha256) == (doc.id, doc.text, doc.text_sha256)
    # the source is relative to the input root (seeds/articles): never a path of a machine
    assert gold.source == doc.source == "articles/000_cb2353d6230e5346.txt"
    # the guidelines' anchors: the title stance and the article's own stance via TASS
    title_end = doc.paragraphs[0].end
    assert any(
        s.holder.text == "CSTO"
        and s.target.text == "Armenia"
        and s.label == "SUPPORT"
        and s.holder.end <= title_end
        for s in gold.stances
    )
    assert any(s.holder.text == "TASS" for s in gold.stances)
    assert doc.text[gold.stances[0].holder.start : gold.stances[0].holder.end]
