"""Gold coverage: documents with gold per split and layer, and documents by status."""

from __future__ import annotations

from goldwire.corpus.coverage import Coverage, corpus_coverage, count, coverage_rows, status_text


def _annotation(entities="none", stances="none", doc_stances="none") -> dict[str, str]:
    return {"entities": entities, "stances": stances, "doc_stances": doc_stances}


def test_counts_documents_with_gold_per_layer_and_by_status():
    cov = count([
        _annotation("adjudicated", "adjudicated"),
        _annotation("reader:conll"),
        _annotation("unconfirmed", "annotated"),
        _annotation(),
        _annotation(""),
    ])  # fmt: skip
    assert cov.documents == 5 and cov.with_gold == 3
    assert (cov.gold("entities"), cov.gold("stances"), cov.gold("doc_stances")) == (2, 2, 0)
    assert cov.to_json()["layers"]["entities"] == {
        "with_gold": 2,
        "statuses": {"": 1, "adjudicated": 1, "none": 1, "reader:conll": 1, "unconfirmed": 1},
    }
    assert Coverage.from_json(cov.to_json()).to_json() == cov.to_json()


def test_coverages_add_up():
    a = count([_annotation("annotated")])
    b = count([_annotation(), _annotation(stances="reader:basil")])
    total = a + b
    assert (total.documents, total.with_gold) == (3, 2)
    assert total.statuses["entities"] == {"annotated": 1, "none": 2}
    assert (Coverage() + Coverage()).to_json() == Coverage().to_json()


def test_a_dataset_s_coverage_and_its_table_rows():
    from datasets import Dataset, DatasetDict

    dd = DatasetDict({
        "train": Dataset.from_dict({"annotation": [_annotation("adjudicated"), _annotation()]}),
        "test": Dataset.from_dict({"annotation": []}),
    })  # fmt: skip
    cov = corpus_coverage(dd)
    assert cov["total"]["documents"] == 2 and cov["splits"]["test"]["documents"] == 0
    assert coverage_rows(cov) == [  # an empty split has no rows
        ("train", "entities", 1, 2, "adjudicated 1, none 1"),
        ("train", "stances", 0, 2, "none 2"),
        ("train", "doc_stances", 0, 2, "none 2"),
    ]
    assert status_text({}) == "-" and status_text({"": 2}) == "(empty) 2"
