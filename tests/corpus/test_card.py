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
    assert sum(s["num_examples"] for s in data["dataset_info"]["splits"]) == 7
    text = card.text
    assert "| TASS | 5 |" in text  # agencies table from the data
    assert "12 files rejected and 1 skipped (hidden, links not followed;" in text
    assert "code-point offsets" in text
    assert "[TO FILL:" in text  # questions that cannot be computed stay marked
    assert (tmp_path / "c" / "README.md").read_text(encoding="utf-8") == path.read_text(
        encoding="utf-8"
    )


def test_size_categories():
    assert [size_category(n) for n in (0, 999, 1000, 20_000, 5_000_000)] == [
        "n<1K", "n<1K", "1K<n<10K", "10K<n<100K", "1M<n<10M",
    ]  # fmt: skip


def _coverage(**statuses: dict[str, int]) -> dict:
    """Coverage JSON of one split, ``train``, from the documents by status per layer."""
    from goldwire.provenance import has_gold

    n = sum(next(iter(statuses.values())).values())
    layers = {layer: {"with_gold": sum(v for k, v in s.items() if has_gold(k)), "statuses": s}
              for layer, s in statuses.items()}  # fmt: skip
    split = {"documents": n, "with_gold": max(v["with_gold"] for v in layers.values()),
             "layers": layers}  # fmt: skip
    return {"splits": {"train": split}, "total": split}


NO_GOLD = _coverage(entities={"none": 1}, stances={"none": 1}, doc_stances={"none": 1})


def _render(meta, coverage=NO_GOLD):
    from goldwire.schema import LabelSchema

    stats = {"splits": {"train": {"num_examples": 1, "num_bytes": 10}}, "bytes": 10,
             "num_examples": 1, "languages": {"en": 1}, "readers": {}, "agencies": {},
             "entity_labels": {}, "stance_labels": {}, "doc_stance_labels": {},
             "date_range": None, "coverage": coverage}  # fmt: skip
    return render_card("g", stats, LabelSchema.default(), None, meta)


def test_a_gold_section_of_schema_version_1_is_rendered_from_meta():
    """What version 1 attach-gold wrote (a migrated corpus keeps it): no tools, guidelines or
    review recorded, and the card says so instead of asking."""
    gold = {"documents": 2, "source": "gold.jsonl", "adjudication": {"majority": 2},
            "entities": 7, "stances": 3, "doc_stances": 0, "agreement": None,
            "annotators": {"ann": {"documents": 2, "entities": 7, "stances": 3}}}  # fmt: skip
    coverage = _coverage(entities={"adjudicated": 2}, stances={"adjudicated": 2},
                         doc_stances={"adjudicated": 2})  # fmt: skip
    plain, with_gold = _render({}), _render({"gold": gold}, coverage)
    process = ("Gold annotations for 2 documents were attached by `goldwire corpus attach-gold` "
               "from `gold.jsonl`: 7 entities, 3 stances and 0 document stances;")  # fmt: skip
    assert process in with_gold and process not in plain
    assert "- **Tool:** not recorded (2)\n" in with_gold
    assert "- **Adjudication:** majority (2)\n" in with_gold
    assert "- **Review:** not recorded\n" in with_gold
    assert "- **Model suggestions:** not recorded" in with_gold
    assert "| train | entities | 2 | 2 | adjudicated 2 |" in with_gold
    table = ("#### Who are the annotators?\n\n| annotator | documents | entities | stances |\n"
             "|---|---:|---:|---:|\n| ann | 2 | 7 | 3 |\n\n[TO FILL: the annotators' "
             "background")  # fmt: skip
    assert table in with_gold
    assert "#### Who are the annotators?\n\n[TO FILL: the annotators' background" in plain
    assert "Inter-annotator agreement" not in with_gold  # no agreement file given
    assert "[TO FILL: how entities and stances were annotated" not in with_gold


def test_without_gold_the_card_says_so_instead_of_asking():
    card = _render({})
    assert "0 of 1 documents carry gold on at least one layer." in card
    assert "| train | entities | 0 | 1 | none 1 |" in card
    assert "No document carries gold yet; attach annotations with `goldwire corpus " in card
    assert "[TO FILL: how entities and stances were annotated" not in card


def test_reader_gold_says_it_came_from_the_reader():
    coverage = _coverage(entities={"reader:conll": 1}, stances={"none": 1},
                         doc_stances={"none": 1})  # fmt: skip
    card = _render({}, coverage)
    said = ("Gold from the readers: the entities of 1 documents (status `reader:conll`: "
            "goldwire's `conll` reader). This gold came with the public corpus")  # fmt: skip
    assert said in card
    assert "[TO FILL: how entities and stances were annotated" not in card


def test_gold_goldwire_cannot_explain_keeps_the_prompt():
    """Annotations read from goldwire JSONL (status annotated), never attached: goldwire does
    not know how they were made."""
    coverage = _coverage(entities={"annotated": 1}, stances={"none": 1}, doc_stances={"none": 1})
    card = _render({}, coverage)
    assert "[TO FILL: how entities and stances were annotated (guidelines, tool)]" in card


def test_a_migrated_corpus_says_so():
    card = _render({"schema_version": 2, "migrated_from": 1})
    assert "Written by schema version 1 and migrated to version 2" in card
