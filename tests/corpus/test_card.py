from __future__ import annotations

from goldwire.corpus.build import BuildConfig, build_corpus
from goldwire.corpus.card import render_card, size_category, write_card
from gwtest import SEED_ARTICLES, TEST_DATA


def test_card_is_readable_by_huggingface_hub_and_filled_from_data(tmp_path):
    from huggingface_hub import DatasetCard

    build_corpus(BuildConfig(inputs=(SEED_ARTICLES, TEST_DATA / "bad_inputs"), out=tmp_path / "c"))
    path = write_card(tmp_path / "c", tmp_path / "cards" / "c" / "README.md")
    card = DatasetCard.load(path)
    data = card.data.to_dict()
    for key in ("pretty_name", "license", "language", "task_categories", "task_ids", "tags",
                "size_categories", "configs", "dataset_info"):  # fmt: skip
        assert key in data, key
    assert set(data["language"]) == {"en", "ru"}
    assert "stance-detection" in data["tags"]
    assert data["size_categories"] == ["n<1K"]
    assert sum(s["num_examples"] for s in data["dataset_info"]["splits"]) == 5
    text = card.text
    assert "| TASS | 5 |" in text  # agencies table from the data
    assert "7 files rejected" in text
    assert "code-point offsets" in text
    assert "[TO FILL:" in text  # questions that cannot be computed stay marked
    assert (tmp_path / "c" / "README.md").read_text(encoding="utf-8") == path.read_text(
        encoding="utf-8"
    )


def test_size_categories():
    assert [size_category(n) for n in (0, 999, 1000, 20_000, 5_000_000)] == [
        "n<1K", "n<1K", "1K<n<10K", "10K<n<100K", "1M<n<10M",
    ]  # fmt: skip


def _render(meta):
    from goldwire.schema import LabelSchema

    stats = {"splits": {"train": {"num_examples": 1, "num_bytes": 10}}, "bytes": 10,
             "num_examples": 1, "languages": {"en": 1}, "readers": {}, "agencies": {},
             "entity_labels": {}, "stance_labels": {}, "doc_stance_labels": {},
             "date_range": None}  # fmt: skip
    return render_card("g", stats, LabelSchema.default(), None, meta)


def test_gold_sections_are_rendered_from_meta():
    gold = {"documents": 2, "source": "gold.jsonl", "adjudication": {"majority": 2},
            "entities": 7, "stances": 3, "doc_stances": 0, "agreement": None,
            "annotators": {"ann": {"documents": 2, "entities": 7, "stances": 3}}}  # fmt: skip
    plain, with_gold = _render({}), _render({"gold": gold})
    process = ("#### Annotation process\n\nGold annotations for 2 documents were attached by "
               "`goldwire corpus attach-gold` from `gold.jsonl` (adjudication: majority (2)): "
               "7 entities, 3 stances and 0 document stances; each annotation lists the "
               "annotators who marked it.\n\n[TO FILL: how entities")  # fmt: skip
    assert process in with_gold and process not in plain
    table = ("#### Who are the annotators?\n\n| annotator | documents | entities | stances |\n"
             "|---|---:|---:|---:|\n| ann | 2 | 7 | 3 |\n\n[TO FILL: annotators")  # fmt: skip
    assert table in with_gold
    assert "#### Who are the annotators?\n\n[TO FILL: annotators" in plain
    assert "Inter-annotator agreement" not in with_gold  # no agreement file given
