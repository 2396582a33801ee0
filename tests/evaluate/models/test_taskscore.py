"""A benchmark task's view of the gold: its annotations only, its documents with gold."""

from __future__ import annotations

from goldwire.evaluate.inputs import GoldSet
from goldwire.evaluate.models.taskscore import task_gold
from goldwire.evaluate.selection import select
from goldwire.provenance import ANNOTATED, Annotation
from goldwire.schema import Document, read_jsonl
from gwtest import SEED_GOLD


def test_task_gold_keeps_one_task():
    gold = GoldSet(list(read_jsonl(SEED_GOLD / "seed.jsonl")), None, "seed")
    stances = task_gold(gold, "stances").docs[0]
    assert stances.entities == [] and len(stances.stances) == 8
    assert all(s.holder.entity is None and s.holder.has_span for s in stances.stances)
    entities = task_gold(gold, "entities").docs[0]
    assert entities.stances == [] and len(entities.entities) == 43


def test_task_gold_scores_the_documents_with_gold_on_its_layer():
    docs = [
        Document(id="a", text="a", annotation=Annotation(entities=ANNOTATED)),
        Document(id="b", text="b", annotation=Annotation(doc_stances=ANNOTATED)),
        Document(id="c", text="c"),
    ]
    gold = GoldSet(docs, None, "gold", coverage=select(docs))
    view = task_gold(gold, "doc_stances").coverage
    assert list(view.layers) == ["doc_stances"] and view.layers["doc_stances"].docs == (1,)
    assert view.left_out == frozenset({0, 2})
    assert view.notes() == [
        "2 of 3 documents left out: no gold document stances (annotation status none); "
        "--include-unannotated scores them as gold with no labels"
    ]
