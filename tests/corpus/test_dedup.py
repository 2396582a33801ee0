from __future__ import annotations

import random
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goldwire.corpus.dedup import (
    MinHashConfig,
    UnionFind,
    near_duplicate_pairs,
    optimal_bands,
    shingle_hashes,
    shingles,
    signature,
    words,
)
from gwtest import tass_article


def _jaccard(a: str, b: str, n: int = 5) -> float:
    sa, sb = set(shingles(a, n)), set(shingles(b, n))
    return len(sa & sb) / len(sa | sb)


def test_signature_estimates_jaccard():
    cfg = MinHashConfig()
    a = tass_article(1, paragraphs=10)
    rng = random.Random(0)
    words = a.split(" ")
    for k in (5, 20, 60):
        b_words = list(words)
        for i in rng.sample(range(len(b_words)), k):
            b_words[i] = "changed"
        b = " ".join(b_words)
        est = float(np.mean(signature(a, cfg) == signature(b, cfg)))
        assert abs(est - _jaccard(a, b)) < 0.15, (k, est, _jaccard(a, b))


def test_pairs_find_reissues_and_not_unrelated_articles():
    cfg = MinHashConfig(threshold=0.8)
    texts = [tass_article(i, paragraphs=8) for i in range(40)]
    parts = texts[3].split("\n\n")
    texts.append("\n\n".join([parts[0], parts[1] + " (updated)", *parts[2:]]))  # 40 ~ 3
    parts = texts[7].split("\n\n")
    texts.append("\n\n".join([*parts[:-1], "A changed last paragraph."]))  # 41 ~ 7
    sigs = np.stack([signature(t, cfg) for t in texts])
    pairs = {(i, j) for i, j, _ in near_duplicate_pairs(sigs, cfg)}
    truth = {
        (i, j)
        for i in range(len(texts))
        for j in range(i + 1, len(texts))
        if _jaccard(texts[i], texts[j]) >= 0.8
    }
    assert truth == {(3, 40), (7, 41)}
    assert truth <= pairs
    for i, j in pairs:
        assert _jaccard(texts[i], texts[j]) > 0.6, (i, j)


@pytest.mark.parametrize("threshold", [0.5, 0.8, 0.9])
def test_bands_favour_recall(threshold):
    b, r = optimal_bands(threshold, 128)
    assert b * r <= 128
    # a pair exactly at the threshold becomes a candidate at least 90% of the time ...
    assert 1 - (1 - threshold**r) ** b >= 0.9
    # ... while a pair far below it rarely does
    assert 1 - (1 - (threshold - 0.3) ** r) ** b < 0.5


def test_union_find_roots_are_earliest_members():
    uf = UnionFind(6)
    uf.union(4, 2)
    uf.union(5, 4)
    uf.union(1, 3)
    assert uf.clusters() == {0: [0], 1: [1, 3], 2: [2, 4, 5]}


def test_bad_threshold():
    with pytest.raises(ValueError, match="threshold"):
        MinHashConfig(threshold=0)


def test_pairs_among_chosen_rows_equal_pairs_of_the_subset():
    cfg = MinHashConfig(threshold=0.8)
    texts = [tass_article(i, paragraphs=8) for i in range(30)]
    for k in (3, 11, 20):  # re-issues appended after the originals
        parts = texts[k].split("\n\n")
        texts.append("\n\n".join([parts[0], parts[1] + " (updated)", *parts[2:]]))
    sigs = np.stack([signature(t, cfg) for t in texts])
    rows = np.array([i for i in range(len(texts)) if i % 4 != 1])  # leave some out, e.g. 33
    subset = near_duplicate_pairs(np.ascontiguousarray(sigs[rows]), cfg)
    assert near_duplicate_pairs(sigs, cfg, rows) == subset
    found = {(int(rows[i]), int(rows[j])) for i, j, _ in subset}
    assert {(3, 30), (20, 32)} <= found  # 11 and 31 are in rows too: see below
    assert ((11, 31) in found) == (11 % 4 != 1 and 31 % 4 != 1)
    assert all(a % 4 != 1 and b % 4 != 1 for a, b in found)


# --------------------------------------------------------------------------- shingle hashes

_ALPHABET = st.sampled_from(list("abcAB_ 7\n\t-.,\x0b\x1fé½ÉßİΣς𝐀𝟘 ") + ["Ab", "ſ"])
_TEXTS = st.lists(_ALPHABET, max_size=60).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_words_are_the_lower_cased_regex_words(text):
    expected = re.findall(r"\w+", text.lower())
    got = [w.decode("ascii") if isinstance(w, bytes) else w for w in words(text)]
    assert got == expected


@settings(max_examples=300, deadline=None)
@given(_TEXTS, _TEXTS, st.integers(1, 5))
def test_shingle_hashes_give_the_shingle_sets(a, b, n):
    # one hash per shingle, and equal hashes exactly for equal shingles: the sets, their
    # intersection and so the Jaccard similarity MinHash estimates are those of the strings
    ha, hb = shingle_hashes(a, n).tolist(), shingle_hashes(b, n).tolist()
    sa, sb = shingles(a, n), shingles(b, n)
    assert len(ha) == len(sa) and len(hb) == len(sb)
    assert len(set(ha)) == len(set(sa)) and len(set(hb)) == len(set(sb))
    assert len(set(ha) & set(hb)) == len(set(sa) & set(sb))


def test_shingle_hashes_by_hand():
    # "A b, c" has three words: at most 5 of them make one shingle, "a b c"
    assert shingle_hashes("A b, c", 5).tolist() == shingle_hashes("a B c!", 5).tolist()
    assert len(shingle_hashes("one two three four five six", 5)) == 2
    # the word order matters, and so does where a word ends
    assert shingle_hashes("a b c", 5).tolist() != shingle_hashes("c b a", 5).tolist()
    assert shingle_hashes("ab c", 5).tolist() != shingle_hashes("a bc", 5).tolist()
    # a text without words is one shingle, the empty one; ASCII and not alike
    assert shingle_hashes("", 5).tolist() == shingle_hashes(" -- ", 5).tolist()
    assert shingle_hashes("élan vital", 5).tolist() == shingle_hashes("Élan VITAL", 5).tolist()
    assert shingle_hashes("élan vital", 5).tolist() != shingle_hashes("elan vital", 5).tolist()
