"""The manifest rules of incremental builds."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from goldwire.corpus.build import BuildConfig, build_corpus
from goldwire.corpus.dataset import iter_documents
from goldwire.corpus.dedup import MinHashConfig
from goldwire.corpus.manifest import KEPT, NEAR, Entry, Manifest, decide
from goldwire.corpus.split import SplitRatios
from gwtest import tass_article


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def _splits(out: Path) -> dict[str, str]:
    from goldwire.corpus.dataset import load_corpus

    dd, _, _ = load_corpus(out)
    return {Path(r["source"]).name: s for s in dd for r in dd[s]}


def _reissue(text: str) -> str:
    parts = text.split("\n\n")
    parts[1] += " again"
    return "\n\n".join(parts)


def test_existing_documents_keep_their_split_and_new_duplicates_join_the_cluster(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    for i in range(4):
        _write(src, f"a{i}.txt", tass_article(i, paragraphs=8))
    first = build_corpus(BuildConfig(inputs=(src,), out=out, ratios=SplitRatios(1.0, 0.0, 0.0)))
    assert first.splits["train"] == 4
    before = _splits(out)
    # more input, and ratios that would send every new document to test
    _write(src, "b_new.txt", tass_article(99, paragraphs=8))
    _write(src, "c_reissue_of_a2.txt", _reissue(tass_article(2, paragraphs=8)))
    second = build_corpus(BuildConfig(inputs=(src,), out=out, ratios=SplitRatios(0.0, 0.0, 1.0)))
    after = _splits(out)
    assert {k: after[k] for k in before} == before  # never change split
    assert after["b_new.txt"] == "test"
    assert "c_reissue_of_a2.txt" not in after  # a kept document stays kept ...
    dup = next(d for d in second.duplicates if d["source"].endswith("c_reissue_of_a2.txt"))
    a2 = next(d.id for d in iter_documents(out) if d.source.endswith("a2.txt"))
    assert dup["duplicate_of"] == a2
    assert dup["split"] == "train"  # ... and the newcomer takes the cluster's split
    assert second.incremental and second.reconciles()


def test_kept_document_stays_kept_even_when_an_earlier_file_now_duplicates_it(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    _write(src, "m.txt", tass_article(5, paragraphs=8))
    build_corpus(BuildConfig(inputs=(src,), out=out))
    # a re-issue that sorts *before* the original in input order
    _write(src, "a_reissue.txt", _reissue(tass_article(5, paragraphs=8)))
    report = build_corpus(BuildConfig(inputs=(src,), out=out))
    assert list(_splits(out)) == ["m.txt"]
    assert [Path(d["source"]).name for d in report.duplicates] == ["a_reissue.txt"]


def _sigs() -> np.ndarray:
    a = np.arange(128, dtype=np.uint32)
    c = a.copy()
    c[112:] = 1000 + np.arange(16)
    b = c.copy()
    b[96:112] = 2000 + np.arange(16)
    return np.stack([a, b, c])  # sim(a,c)=.875, sim(b,c)=.875, sim(a,b)=.75


def test_new_document_joining_clusters_in_different_splits_takes_the_earliest():
    sigs = _sigs()
    cfg = MinHashConfig(threshold=0.8)
    manifest = Manifest({"A": Entry("train", KEPT, None, 0), "B": Entry("test", KEPT, None, 1)})
    res = decide(["A", "B", "C"], sigs, [None] * 3, manifest, SplitRatios(), cfg)
    a, b, c = res.decisions
    assert (a.status, a.split, b.status, b.split) == (KEPT, "train", KEPT, "test")
    assert (c.status, c.split, c.duplicate_of) == (NEAR, "train", "A")
    assert any("different splits" in w and "C" in w for w in res.warnings)
    assert res.manifest.entries["C"].split == "train"


def test_without_manifest_a_bridged_cluster_keeps_its_first_member():
    res = decide(["A", "B", "C"], _sigs(), [None] * 3, Manifest(), SplitRatios(), MinHashConfig())
    assert [d.status for d in res.decisions] == [KEPT, NEAR, NEAR]
    assert {d.split for d in res.decisions} == {SplitRatios().assign("A")}


def test_preset_splits_are_kept_and_straddling_clusters_reported():
    sigs = np.stack([np.arange(128, dtype=np.uint32)] * 3)
    res = decide(
        ["A", "B", "C"],
        sigs,
        ["train", "test", "train"],
        Manifest(),
        SplitRatios(),
        MinHashConfig(),
    )
    a, b, c = res.decisions
    assert (a.status, a.split) == (KEPT, "train")
    assert (b.status, b.split) == (KEPT, "test")  # never moved out of its own split
    # C duplicates A inside the official train split: kept, and says what it duplicates
    assert (c.status, c.split, c.duplicate_of, c.similarity) == (KEPT, "train", "A", 1.0)
    assert any("straddle" in w for w in res.warnings)
    assert res.manifest.entries["C"].status == KEPT


def test_dedup_official_drops_near_duplicates_inside_one_official_split():
    sigs = np.stack([np.arange(128, dtype=np.uint32)] * 3)
    res = decide(["A", "B", "C"], sigs, ["train", "test", "train"], Manifest(), SplitRatios(),
                 MinHashConfig(), dedup_official=True)  # fmt: skip
    a, b, c = res.decisions
    assert (a.status, b.status) == (KEPT, KEPT)  # B is in another split: never dropped
    assert (c.status, c.split, c.duplicate_of) == (NEAR, "train", "A")


def test_manifest_round_trip(tmp_path):
    m = Manifest({"x": Entry("test", NEAR, "y", 0), "y": Entry("test", KEPT, None, 1)})
    m.save(tmp_path / "m.jsonl")
    again = Manifest.load(tmp_path / "m.jsonl")
    assert again.entries == m.entries


def test_a_duplicate_joined_through_another_member_still_gets_its_similarity():
    """A ~ B and B ~ C above the threshold, A and C below it: C joins A's cluster through B and
    its similarity to A (the kept one) is reported, not left empty."""
    rng = np.random.default_rng(7)
    a = rng.integers(0, 2**32, 128, dtype=np.uint32)
    b, c = a.copy(), a.copy()
    b[:20] += 1  # B agrees with A on 108 of 128 slots
    c[:20] += 1
    c[108:] += 1  # C agrees with B on 108 and with A on 88
    sigs = np.stack([a, b, c])
    res = decide(["A", "B", "C"], sigs, [None] * 3, Manifest(), SplitRatios(),
                 MinHashConfig(threshold=0.8))  # fmt: skip
    assert [d.status for d in res.decisions] == [KEPT, NEAR, NEAR]
    assert [d.duplicate_of for d in res.decisions[1:]] == ["A", "A"]
    assert res.decisions[1].similarity == 108 / 128
    assert res.decisions[2].similarity == 88 / 128
