"""Duplicate clusters of a real Reuters-21578 slice, checked against the source, not the code.

Two files (``reut2-000.sgm``, ``reut2-001.sgm``: about 2,000 stories, exact copies within and
across the files, near-duplicate re-issues) are built with near-duplicate detection on. The
checks use only the written dataset, ``build_report.json`` and the SGML itself:

* the counts reconcile with the stories and bodies counted in the raw files;
* every duplicate lands in the split of the document it duplicates (looked up in the dataset);
* exact duplicates: the kept text hashes to the id, as many stories carry that very text as the
  report says, and their raw ``<TITLE>``/``<DATELINE>``/``<BODY>`` are the same;
* near duplicates: the reported similarity reaches the threshold, and the true word 5-gram
  Jaccard similarity (computed here) is within MinHash's estimation error of it.

The whole collection is measured by ``bench/reuters_build.py`` (see ``docs/reuters.md``).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter, defaultdict

import pytest

from goldwire.corpus.build import BuildConfig, build_corpus
from goldwire.corpus.dataset import load_corpus
from goldwire.corpus.normalize import normalize_text
from goldwire.corpus.readers import ReadOptions
from goldwire.corpus.readers.reuters import ReutersReader
from goldwire.schema import Document

pytestmark = pytest.mark.shared_data

FILES = ("reut2-000.sgm", "reut2-001.sgm")
_STORY = re.compile(r"<REUTERS\b[^>]*\bNEWID=\"(\d+)\"[^>]*>(.*?)</REUTERS>", re.S)
_REF = re.compile(r"&#\d+;")
_SIGNOFF = re.compile(r"(?:\s+(?:Reuter|REUTER|Reuters|REUTERS))+$")


def _sha16(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _field(name: str, story: str) -> str:
    m = re.search(rf"<{name}>(.*?)</{name}>", story, re.S)
    return " ".join(_REF.sub("", m.group(1)).split()) if m else ""


def _grams(text: str, n: int = 5) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1))}


def _jaccard(a: str, b: str) -> float:
    ga, gb = _grams(a), _grams(b)
    return len(ga & gb) / len(ga | gb)


@pytest.fixture(scope="module")
def built(shared_data, tmp_path_factory):
    paths = [shared_data / "reuters21578" / f for f in FILES]
    out = tmp_path_factory.mktemp("reuters") / "dataset"
    build_corpus(BuildConfig(inputs=tuple(paths), out=out, format="reuters", fresh=True))
    report = json.loads((out / "build_report.json").read_text(encoding="utf-8"))
    dd, _labels, meta = load_corpus(out)
    kept = {row["id"]: (split, row["text"]) for split in dd for row in dd[split]}
    raw = {}  # NEWID -> raw story SGML, parsed here
    for p in paths:
        raw.update(_STORY.findall(p.read_bytes().decode("latin-1")))
    reader = ReutersReader()  # the texts of the duplicates, which the dataset does not hold
    by_hash: dict[str, list[Document]] = defaultdict(list)
    for p in paths:
        text = normalize_text(p.read_bytes().decode("latin-1"))
        for doc in reader.read(p, text, ReadOptions()):
            if isinstance(doc, Document):
                by_hash[_sha16(doc.text)].append(doc)
    return report, kept, meta["build"]["near_duplicates"], raw, by_hash


def test_counts_reconcile_with_the_raw_files(built):
    report, kept, _nd, raw, _by_hash = built
    docs, dups = report["documents"], report["duplicates"]
    with_body = sum(bool(_field("BODY", story)) for story in raw.values())
    assert docs["seen"] == len(raw)
    assert docs["kept"] + docs["exact_duplicates"] + docs["near_duplicates"] == with_body
    assert docs["rejected"] == len(raw) - with_body
    assert docs["kept"] == len(kept) == sum(report["splits"].values())
    kinds = Counter(d["kind"] for d in dups)
    assert (kinds["exact"], kinds["near"]) == (docs["exact_duplicates"], docs["near_duplicates"])
    assert kinds["exact"] > 0 and kinds["near"] > 0  # the slice exercises both
    assert report["reconciles"]


def test_every_duplicate_is_in_the_split_of_the_document_it_duplicates(built):
    report, kept, _nd, _raw, _by_hash = built
    near = {d["id"]: d for d in report["duplicates"] if d["kind"] == "near"}
    for d in report["duplicates"]:
        of = d["duplicate_of"]
        # an exact copy of a near duplicate names that near duplicate, which was not written
        split = kept[of][0] if of in kept else near[of]["split"]
        assert d["split"] == split, d
        if d["kind"] == "near":
            assert d["id"] not in kept and near[d["id"]]["duplicate_of"] in kept, d


def test_exact_duplicates_have_identical_text(built):
    report, kept, _nd, raw, by_hash = built
    exact = Counter(d["id"] for d in report["duplicates"] if d["kind"] == "exact")
    for d in report["duplicates"]:
        if d["kind"] == "exact":
            assert d["duplicate_of"] == d["id"] and d["similarity"] == 1.0
    # every text carried by several stories is reported, once less than it occurs
    repeated = {h: len(docs) - 1 for h, docs in by_hash.items() if len(docs) > 1}
    assert repeated == dict(exact)
    for doc_id, n in exact.items():
        if doc_id in kept:
            assert _sha16(kept[doc_id][1]) == doc_id
            assert [doc.text for doc in by_hash[doc_id]] == [kept[doc_id][1]] * (n + 1)
        stories = [raw[doc.meta["newid"]] for doc in by_hash[doc_id]]
        for name in ("TITLE", "DATELINE"):
            assert len({_field(name, s) for s in stories}) == 1, (doc_id, name)
        # bodies may differ in the removed sign-off only ("Reuter" / "REUTER")
        assert len({_SIGNOFF.sub("", _field("BODY", s)) for s in stories}) == 1, doc_id


def test_near_duplicates_reach_the_threshold(built):
    report, kept, nd, _raw, by_hash = built
    threshold, num_perm = nd["threshold"], nd["num_perm"]
    # MinHash estimates Jaccard with a standard error of sqrt(J(1-J)/num_perm)
    slack = 4 * math.sqrt(threshold * (1 - threshold) / num_perm)
    clusters: dict[str, list[str]] = defaultdict(list)
    near = [d for d in report["duplicates"] if d["kind"] == "near"]
    for d in near:
        clusters[d["duplicate_of"]].append(by_hash[d["id"]][0].text)
    for d in near:
        assert d["duplicate_of"] in kept
        text, kept_text = by_hash[d["id"]][0].text, kept[d["duplicate_of"]][1]
        assert text != kept_text
        if d["similarity"] is not None:
            assert d["similarity"] >= threshold, d
            assert _jaccard(text, kept_text) >= threshold - slack, d
        else:  # joined through another member of the cluster
            others = [kept_text, *(t for t in clusters[d["duplicate_of"]] if t != text)]
            assert max(_jaccard(text, t) for t in others) >= threshold - slack, d
