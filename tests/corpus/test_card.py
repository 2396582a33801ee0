from __future__ import annotations

from goldwire.corpus.build import BuildConfig, build_corpus
from goldwire.corpus.card import size_category, write_card
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
