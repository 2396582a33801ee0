"""Upload batching: how many documents, bytes and spans one batch may hold. (The batches'
check against the server is in test_push.py.)"""

from __future__ import annotations

from collections import Counter

from goldwire.annotate.upload import make_batches
from goldwire.schema import Document


def test_batches_hold_at_most_the_documents_bytes_and_labels_allowed():
    docs = [Document(id=str(i), text=f"text {i}") for i in range(10)]
    lines = [b"x" * 100] * 10
    counts = [Counter({"span:PER": 4000, "relation:SUPPORT": 9}) for i in range(10)]
    sizes = [len(b.docs) for b in make_batches(docs, lines, counts, max_docs=4)]
    assert sizes == [4, 4, 2]
    sizes = [len(b.docs) for b in make_batches(docs, lines, counts, max_bytes=250)]
    assert sizes == [2] * 5
    heavy = [Counter({"span:PER": 12_000, "relation:OPPOSE": 50_000})] * 3
    sizes = [len(b.docs) for b in make_batches(docs[:3], lines[:3], heavy)]
    assert sizes == [1, 1, 1]


def test_a_batch_splits_in_two_halves_in_order():
    docs = [Document(id=str(i), text=f"text {i}") for i in range(5)]
    (batch,) = make_batches(docs, [b"x"] * 5, [Counter()] * 5)
    halves = batch.split()
    assert [[d.id for d in h.docs] for h in halves] == [["0", "1"], ["2", "3", "4"]]
    assert [len(h.lines) for h in halves] == [2, 3]
