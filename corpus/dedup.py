"""Exact and near-duplicate detection.

* Per document (pure, runs in workers): :func:`signature` gives a MinHash signature
  (``num_perm`` unsigned 32-bit values, computed by ``rensa``) over lower-cased word
  ``shingle``-grams of the text.
* Global (main process, over signatures only): :func:`near_duplicate_pairs` bands the
  signature matrix (LSH), groups equal band hashes with a sort (no per-document Python
  objects), and verifies each candidate pair by its estimated Jaccard similarity, which must
  reach the threshold. :class:`UnionFind` turns pairs into clusters.

Memory of the global step per document: the signature (4 bytes x num_perm) plus one
8-byte band hash per band during the sort of that band.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from goldwire.errors import SettingError

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class MinHashConfig:
    num_perm: int = 128
    shingle: int = 5
    threshold: float = 0.8
    seed: int = 1

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise SettingError(f"near-duplicate threshold must be in (0, 1], got {self.threshold}")
        if self.num_perm < 16 or self.shingle < 1:
            raise SettingError("num_perm must be >= 16 and shingle >= 1")

    @property
    def bands(self) -> tuple[int, int]:
        return optimal_bands(self.threshold, self.num_perm)


def shingles(text: str, n: int) -> list[str]:
    """The lower-cased word ``n``-grams of a text, as strings (the definition the signature's
    token hashes follow; the signature itself never builds them)."""
    words = _WORD.findall(text.lower())
    if len(words) <= n:
        return [" ".join(words)] if words else [""]
    return list(map(" ".join, zip(*(words[i:] for i in range(n)), strict=False)))


def signature(text: str, config: MinHashConfig) -> np.ndarray:
    """The MinHash signature of a text: ``config.num_perm`` values, dtype uint32, over the
    hashes of its :func:`shingles` (:func:`shingle_hashes`)."""
    from rensa import RMinHash

    hashes = shingle_hashes(text, config.shingle)
    offsets = np.array([0, hashes.shape[0]], dtype=np.uint64)
    digest = RMinHash.digest_matrix_from_flat_token_hashes(
        hashes, offsets, config.num_perm, config.seed
    )
    return np.asarray(digest.to_rows()[0], dtype=np.uint32)


# --------------------------------------------------------------------------- shingle hashes
#
# One 64-bit hash per shingle of :func:`shingles`, without building the shingle strings: the
# lower-cased ``\\w+`` words (for ASCII text by one ``bytes.translate`` and ``split``, else
# one ``findall``), rensa's own hash of each word's UTF-8 bytes, and each n-gram's hash mixed
# from its words' hashes, each multiplied by its position's odd constant, in numpy. Equal
# shingles get equal hashes, so the signature sees the same sets as before.

_POSITION = np.random.default_rng(20240615).integers(1, 2**63, size=64, dtype=np.uint64) | 1
_EMPTY = np.array([0x9E3779B97F4A7C15], dtype=np.uint64)  # the one shingle of a text without words
_ASCII_WORDS = (
    bytes(
        (c | 0x20 if 0x41 <= c <= 0x5A else c) if chr(c).isalnum() or c == 0x5F else 0x20
        for c in range(128)
    )
    + b" " * 128
)  # lower-cased word characters; everything else a space


def words(text: str) -> list[str] | list[bytes]:
    """The lower-cased ``\\w+`` words of a text (as bytes when the text is ASCII)."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_WORDS).split()
    return _WORD.findall(text.lower())


def _mix(h: np.ndarray) -> np.ndarray:
    """The 64-bit finaliser of MurmurHash3 (fmix64), in place."""
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB93FE1A85A53)
    h ^= h >> np.uint64(33)
    return h


def shingle_hashes(text: str, n: int) -> np.ndarray:
    """One uint64 hash per item of ``shingles(text, n)``, in the same order."""
    from rensa import RMinHash

    tokens = words(text)
    if not tokens:
        return _EMPTY.copy()
    hashed = np.array(RMinHash.hash_token_sets([tokens])[0], dtype=np.uint64)
    width = min(n, len(tokens))  # a text of at most n words is one shingle of them all
    grams = len(tokens) - width + 1
    h = np.zeros(grams, dtype=np.uint64)
    for j in range(width):
        h += hashed[j : j + grams] * _POSITION[j % _POSITION.shape[0]]  # wraps modulo 2**64
    h ^= np.uint64(width)
    return _mix(h)


def optimal_bands(
    threshold: float, num_perm: int, fp_weight: float = 0.05, fn_weight: float = 0.95
) -> tuple[int, int]:
    """(bands, rows) minimising weighted false positives + false negatives of the banding.

    Every candidate pair is verified against the threshold afterwards, so a false positive of
    the banding costs only a comparison while a false negative loses a duplicate: the weights
    favour recall (for 128 permutations at 0.8: 16 bands of 8 rows).
    """

    def area(f, lo: float, hi: float, steps: int = 200) -> float:
        step = (hi - lo) / steps
        return sum(f(lo + (i + 0.5) * step) for i in range(steps)) * step

    best, best_err = (1, num_perm), math.inf
    for b in range(1, num_perm + 1):
        r = num_perm // b
        if r < 1 or b * r != num_perm and b * r < num_perm // 2:
            continue
        fp = area(lambda s, b=b, r=r: 1 - (1 - s**r) ** b, 0.0, threshold)
        fn = area(lambda s, b=b, r=r: (1 - s**r) ** b, threshold, 1.0)
        err = fp_weight * fp + fn_weight * fn
        if err < best_err:
            best, best_err = (b, r), err
    return best


def estimated_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """The MinHash estimate of two documents' Jaccard similarity: agreeing signature slots."""
    return float(np.count_nonzero(a == b)) / a.shape[0]


def near_duplicate_pairs(
    sigs: np.ndarray, config: MinHashConfig, rows: np.ndarray | None = None
) -> list[tuple[int, int, float]]:
    """Verified pairs ``(i, j, similarity)`` with i < j among the rows of ``sigs`` or, given
    ``rows``, among ``sigs[rows]`` (i and j index ``rows``; the matrix is never copied whole,
    only one band at a time)."""
    n = sigs.shape[0] if rows is None else len(rows)
    if n < 2:
        return []
    bands, width = config.bands
    rng = np.random.default_rng(12345)
    mult = rng.integers(1, 2**61, size=width, dtype=np.uint64) | np.uint64(1)
    candidates: set[tuple[int, int]] = set()
    for b in range(bands):
        band = sigs[:, b * width : (b + 1) * width]
        block = (band if rows is None else band[rows]).astype(np.uint64)
        keys = (block * mult).sum(axis=1)  # wraps modulo 2**64: a hash of the band
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        same = np.flatnonzero(sorted_keys[1:] == sorted_keys[:-1])
        if same.size == 0:
            continue
        # runs of equal keys: pair every member with the run's first member
        starts = np.ones(n, dtype=bool)
        starts[same + 1] = False
        run_first = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
        for pos in same + 1:
            i, j = int(order[run_first[pos]]), int(order[pos])
            candidates.add((min(i, j), max(i, j)))
    pairs = []
    for i, j in sorted(candidates):
        ri, rj = (i, j) if rows is None else (rows[i], rows[j])
        sim = estimated_jaccard(sigs[ri], sigs[rj])
        if sim >= config.threshold:
            pairs.append((i, j, sim))
    return pairs


class UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = np.arange(n)

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return int(root)

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            # the smaller index becomes the root, so roots are the earliest member
            if ri < rj:
                self.parent[rj] = ri
            else:
                self.parent[ri] = rj

    def clusters(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for i in range(len(self.parent)):
            out.setdefault(self.find(i), []).append(i)
        return out
