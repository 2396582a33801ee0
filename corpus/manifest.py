"""The manifest and the global step: duplicate decisions and splits that later builds honour.

The manifest (``manifest.jsonl`` in the dataset folder) records, for every document id a build
has seen, its split, whether it was kept or is a duplicate (and of which id). A later build with
more input honours it:

* an existing document never changes split;
* a kept document stays kept;
* a new document that joins a cluster takes that cluster's split (and is the duplicate);
* a new document that would join clusters in different splits takes the split of the earliest
  cluster (first in the manifest) and is reported;
* documents whose reader brings its own split (CoNLL-2003) keep it; clusters that straddle
  splits are reported, both kept;
* such official documents are all kept by default, even a near-duplicate of another one of
  the same split: its decision is ``kept`` with ``duplicate_of`` (and the similarity) set, so
  the build reports it (``official_duplicates`` in ``build_report.json``) and never drops it;
  with ``dedup_official`` (``--dedup-official``) they are resolved within one split like any
  other document. Two documents of identical text share one id (the id is the text's hash),
  so an exact duplicate is one row whatever the split: it is always dropped and reported.

The global step sees only ids, text hashes, signatures and preset splits, never texts.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from goldwire.corpus.dedup import (
    MinHashConfig,
    UnionFind,
    estimated_jaccard,
    near_duplicate_pairs,
)
from goldwire.corpus.split import SplitRatios
from goldwire.errors import DatasetError
from goldwire.files import atomic_open

KEPT, EXACT, NEAR = "kept", "exact-duplicate", "near-duplicate"


@dataclass(slots=True)
class Entry:
    split: str
    status: str  # kept | exact-duplicate | near-duplicate
    duplicate_of: str | None = None
    order: int = 0


@dataclass
class Manifest:
    entries: dict[str, Entry] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Manifest:
        manifest = cls()
        if not path.exists():
            return manifest
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    manifest.entries[row["id"]] = Entry(
                        row["split"], row["status"], row.get("duplicate_of"), len(manifest.entries)
                    )
                except (json.JSONDecodeError, KeyError) as exc:
                    raise DatasetError(
                        f"{path}:{lineno}: broken manifest line ({exc}); restore the file or "
                        "rebuild with --fresh"
                    ) from exc
        return manifest

    def save(self, path: Path) -> None:
        with atomic_open(path) as fh:
            for doc_id, e in sorted(self.entries.items(), key=lambda kv: kv[1].order):
                row = {"id": doc_id, "split": e.split, "status": e.status}
                if e.duplicate_of:
                    row["duplicate_of"] = e.duplicate_of
                fh.write(json.dumps(row) + "\n")


@dataclass(slots=True)
class Decision:
    status: str
    split: str
    duplicate_of: str | None = None
    similarity: float | None = None


@dataclass
class GlobalResult:
    decisions: list[Decision]
    manifest: Manifest
    warnings: list[str]
    clusters: int  # near-duplicate clusters with more than one member
    pairs_seconds: float = 0.0  # of it, near_duplicate_pairs (LSH banding and checks)


def decide(
    ids: Sequence[str],
    sigs: np.ndarray,
    preset: Sequence[str | None],
    manifest: Manifest,
    ratios: SplitRatios,
    minhash: MinHashConfig | None,
    dedup_official: bool = False,
) -> GlobalResult:
    """Duplicate decisions and splits for documents in input order (see module docstring);
    ``dedup_official``: near-duplicates among documents of a reader's own split are dropped
    too (by default they are kept, with ``duplicate_of`` set)."""
    n = len(ids)
    decisions: list[Decision | None] = [None] * n
    warnings: list[str] = []
    first_of: dict[str, int] = {}
    unique: list[int] = []
    for i, doc_id in enumerate(ids):
        if doc_id in first_of:
            decisions[i] = Decision(EXACT, "", doc_id, 1.0)
        else:
            first_of[doc_id] = i
            unique.append(i)
    uf = UnionFind(len(unique))
    sims: dict[tuple[int, int], float] = {}
    pairs_seconds = 0.0
    if minhash is not None and len(unique) > 1:
        rows = None if len(unique) == n else np.asarray(unique)  # never a copy of the matrix
        started = time.perf_counter()
        pairs = near_duplicate_pairs(sigs, minhash, rows)
        pairs_seconds = time.perf_counter() - started
        for a, b, sim in pairs:
            ra, rb = unique[a], unique[b]
            if preset[ra] != preset[rb]:
                warnings.append(
                    f"near-duplicates {ids[ra]} ({preset[ra]}) and {ids[rb]} ({preset[rb]}) "
                    "straddle the reader's own splits; both kept"
                )
                continue
            uf.union(a, b)
            sims[(ra, rb)] = sims[(rb, ra)] = sim
    clusters = 0
    for members in uf.clusters().values():
        rows = [unique[m] for m in members]
        clusters += len(rows) > 1
        _decide_cluster(rows, ids, preset, manifest, ratios, decisions, warnings,
                        keep_official=not dedup_official)  # fmt: skip
        for r in rows:
            d = decisions[r]
            if d.status != EXACT and d.duplicate_of in first_of:
                k = first_of[d.duplicate_of]
                d.similarity = sims.get((r, k))
                if d.similarity is None:  # joined through another member: estimate directly
                    d.similarity = estimated_jaccard(sigs[r], sigs[k])
    for i, d in enumerate(decisions):
        if d.status == EXACT:
            d.split = decisions[first_of[ids[i]]].split
    new_manifest = _updated(manifest, ids, decisions)  # type: ignore[arg-type]
    return GlobalResult(decisions, new_manifest, warnings, clusters,  # type: ignore[arg-type]
                        pairs_seconds)  # fmt: skip


def _updated(manifest: Manifest, ids: Sequence[str], decisions: list[Decision]) -> Manifest:
    """The manifest with this build's decisions: old entries keep their order, new ones
    follow in input order; exact duplicates are not recorded (their id is)."""
    new_manifest = Manifest(dict(manifest.entries))
    order = len(new_manifest.entries)
    for i, d in enumerate(decisions):
        if d.status == EXACT:
            continue
        old = new_manifest.entries.get(ids[i])
        if old is None:
            new_manifest.entries[ids[i]] = Entry(d.split, d.status, d.duplicate_of, order)
            order += 1
        else:
            new_manifest.entries[ids[i]] = Entry(d.split, d.status, d.duplicate_of, old.order)
    return new_manifest


def _decide_cluster(
    rows: list[int],
    ids: Sequence[str],
    preset: Sequence[str | None],
    manifest: Manifest,
    ratios: SplitRatios,
    decisions: list,
    warnings: list[str],
    keep_official: bool = True,
) -> None:
    entries = manifest.entries
    old = sorted((r for r in rows if ids[r] in entries), key=lambda r: entries[ids[r]].order)
    old_kept = [r for r in old if entries[ids[r]].status == KEPT]
    if old_kept:
        keepers = old_kept
    else:
        keepers = [old[0] if old else min(rows)]
    if len(rows) == 1:
        r = rows[0]
        split = preset[r] or (entries[ids[r]].split if ids[r] in entries else ratios.assign(ids[r]))
        decisions[r] = Decision(KEPT, split)
        return
    first = keepers[0]
    cluster_split = preset[first] or (
        entries[ids[first]].split if ids[first] in entries else ratios.assign(ids[first])
    )
    kept_splits = {entries[ids[k]].split for k in keepers if ids[k] in entries}
    for k in keepers:
        split = preset[k] or (entries[ids[k]].split if ids[k] in entries else cluster_split)
        decisions[k] = Decision(KEPT, split)
    for r in rows:
        if decisions[r] is not None:
            continue
        doc_id = ids[r]
        if keep_official and preset[r] is not None:  # an official document: kept, reported
            decisions[r] = Decision(KEPT, preset[r], ids[first])
            continue
        if doc_id in entries:  # an old duplicate stays what it was
            e = entries[doc_id]
            decisions[r] = Decision(e.status, e.split, e.duplicate_of)
            continue
        decisions[r] = Decision(NEAR, preset[r] or cluster_split, ids[first])
        if len(kept_splits) > 1:
            warnings.append(
                f"document {doc_id} is a near-duplicate of clusters in different splits "
                f"({', '.join(sorted(kept_splits))}); it takes the split of the earliest, "
                f"{cluster_split} (cluster of {ids[first]})"
            )
