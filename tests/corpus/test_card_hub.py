"""The data card's Hub metadata (huggingface_hub's DatasetCardData), its licence options, the
copy to --card-dir that never replaces another corpus's card, the corpus name from --out, and
the committed seed card kept equal to what a build writes today."""

from __future__ import annotations

import re
import shutil

import pytest
import yaml

from goldwire.corpus.card_hub import (
    CardLicense,
    annotations_creators,
    corpus_id,
    source_datasets,
    tasks,
)
from goldwire.errors import SettingError
from gwtest import REPO, SEED_ARTICLES, TEST_DATA


def _yaml(path) -> dict:
    """The card's YAML block, read by huggingface_hub (and checked against a plain YAML read)."""
    from huggingface_hub import DatasetCard, DatasetCardData

    text = path.read_text(encoding="utf-8")
    data = DatasetCard(text).data.to_dict()
    front = yaml.safe_load(text.split("---\n")[1])
    assert data == front
    assert DatasetCardData(**data).to_dict() == data  # the round trip keeps every field
    return data


def _articles(tmp_path, name="in"):
    src = tmp_path / name
    shutil.copytree(SEED_ARTICLES, src)
    return src


# --------------------------------------------------------------------------- the copy


def test_no_copy_unless_card_dir_is_given(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("corpus", "build", _articles(tmp_path), "--out", tmp_path / "c")
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "data_cards").exists()
    assert (tmp_path / "c" / "README.md").is_file()
    said = result.output.replace("\n", "")  # the console wraps long paths
    assert said.endswith(f"data card: {tmp_path / 'c' / 'README.md'}")


def test_the_name_defaults_to_the_out_folder(cli, tmp_path):
    src = _articles(tmp_path, "articles")
    result = cli("corpus", "build", src, "--out", tmp_path / "runs" / "mycorpus",
                 "--card-dir", tmp_path / "cards")  # fmt: skip
    assert result.exit_code == 0, result.output
    card = tmp_path / "cards" / "mycorpus" / "README.md"
    assert _yaml(card)["pretty_name"] == "mycorpus"
    assert "# Dataset Card for mycorpus\n" in card.read_text(encoding="utf-8")


def test_a_card_of_another_corpus_of_the_same_name_is_not_replaced(cli, tmp_path):
    cards = tmp_path / "cards"
    first, second = tmp_path / "one" / "news", tmp_path / "two" / "news"
    result = cli("corpus", "build", _articles(tmp_path, "a"), "--out", first, "--card-dir", cards)
    assert result.exit_code == 0, result.output
    card = cards / "news" / "README.md"
    before = card.read_text(encoding="utf-8")
    assert _yaml(card)["goldwire_corpus_id"] == corpus_id(first)

    result = cli("corpus", "build", _articles(tmp_path, "b"), "--out", second, "--card-dir", cards)
    assert result.exit_code == 2
    assert result.output == (
        f"error: {card} is the card of another corpus named 'news' (goldwire_corpus_id "
        f"{corpus_id(first)}); the card of 'news' (in {second}, goldwire_corpus_id "
        f"{corpus_id(second)}) does not replace it: choose another --card-dir or --name, or "
        "remove that card\n"
    )
    assert not second.exists()  # refused before any work
    assert card.read_text(encoding="utf-8") == before

    # the same corpus, built again with another licence: its own card is replaced
    result = cli("corpus", "build", _articles(tmp_path, "a2"), "--out", first, "--card-dir",
                 cards, "--license", "mit")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _yaml(card)["license"] == "mit"


def test_a_file_that_is_no_goldwire_card_is_not_replaced(cli, tmp_path):
    card = tmp_path / "cards" / "c" / "README.md"
    card.parent.mkdir(parents=True)
    card.write_text("# my notes\n", encoding="utf-8")
    result = cli("corpus", "build", _articles(tmp_path), "--out", tmp_path / "c", "--card-dir",
                 tmp_path / "cards")  # fmt: skip
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {card} is not the data card of a goldwire corpus;")
    assert card.read_text(encoding="utf-8") == "# my notes\n"


def test_attach_gold_refuses_another_corpus_card_before_writing(tmp_path):
    from goldwire.corpus.attach import attach_gold
    from goldwire.corpus.build import BuildConfig, build_corpus
    from goldwire.errors import OutputError
    from gwtest import SEED_GOLD

    build_corpus(BuildConfig(inputs=(_articles(tmp_path),), out=tmp_path / "c"))
    card = tmp_path / "cards" / "v2" / "README.md"
    card.parent.mkdir(parents=True)
    shutil.copyfile(tmp_path / "c" / "README.md", card)  # the card of corpus c, not of v2
    with pytest.raises(OutputError, match="is the card of another corpus named 'c'"):
        attach_gold(tmp_path / "c", SEED_GOLD / "seed.jsonl", tmp_path / "v2", card_path=card)
    assert not (tmp_path / "v2").exists()


# --------------------------------------------------------------------------- licence


def test_license_option_goes_into_the_yaml(cli, tmp_path):
    out = tmp_path / "c"
    result = cli("corpus", "build", _articles(tmp_path), "--out", out, "--license", "CC-BY-4.0")
    assert result.exit_code == 0, result.output
    data = _yaml(out / "README.md")
    assert data["license"] == "cc-by-4.0"
    assert "license_name" not in data
    text = (out / "README.md").read_text(encoding="utf-8")
    assert "- **License:** cc-by-4.0\n" in text
    assert "[TO FILL: the licence" not in text


def test_license_name_and_link_make_license_other(cli, tmp_path):
    out = tmp_path / "c"
    result = cli("corpus", "build", _articles(tmp_path), "--out", out, "--license-name",
                 "tass-terms", "--license-link", "https://tass.com/terms")  # fmt: skip
    assert result.exit_code == 0, result.output
    data = _yaml(out / "README.md")
    assert (data["license"], data["license_name"], data["license_link"]) == (
        "other", "tass-terms", "https://tass.com/terms")  # fmt: skip
    assert "- **License:** other: [tass-terms](https://tass.com/terms)\n" in (
        out / "README.md"
    ).read_text(encoding="utf-8")


def test_without_a_license_the_card_says_how_to_set_it(cli, tmp_path):
    out = tmp_path / "c"
    assert cli("corpus", "build", _articles(tmp_path), "--out", out).exit_code == 0
    assert _yaml(out / "README.md")["license"] == "other"
    assert ("- **License:** other [TO FILL: the licence of the source articles; set it with "
            "`goldwire corpus build --license <Hub licence id>`") in (out / "README.md").read_text(
        encoding="utf-8")  # fmt: skip


def test_license_options_that_do_not_fit_are_one_line(cli, tmp_path):
    result = cli("corpus", "build", _articles(tmp_path), "--out", tmp_path / "c",
                 "--license-name", "x")  # fmt: skip
    assert result.exit_code == 2
    assert result.output == (
        "error: --license-name and --license-link go together: give both (the licence's short "
        "name and where its text is)\n"
    )
    assert not (tmp_path / "c").exists()
    with pytest.raises(SettingError, match="--license mit is a Hub licence id"):
        CardLicense.from_options("mit", "x", "https://x")
    with pytest.raises(SettingError, match="give a Hub licence id"):
        CardLicense.from_options("CC BY 4.0")
    with pytest.raises(SettingError, match="short lowercase name"):
        CardLicense.from_options(None, "My Licence", "https://x")
    assert CardLicense.from_options().unset


def test_attach_gold_keeps_the_corpus_license(tmp_path):
    from goldwire.corpus.attach import attach_gold
    from goldwire.corpus.build import BuildConfig, build_corpus
    from gwtest import SEED_GOLD

    build_corpus(BuildConfig(inputs=(_articles(tmp_path),), out=tmp_path / "c",
                             license=CardLicense("cc-by-sa-4.0")))  # fmt: skip
    attach_gold(tmp_path / "c", SEED_GOLD / "seed.jsonl", tmp_path / "v2")
    data = _yaml(tmp_path / "v2" / "README.md")
    assert data["license"] == "cc-by-sa-4.0"
    assert data["annotations_creators"] == ["expert-generated"]  # attached, no reader gold
    assert data["goldwire_corpus_id"] == corpus_id(tmp_path / "v2")
    text = (tmp_path / "v2" / "README.md").read_text(encoding="utf-8")
    assert "attached by `goldwire corpus attach-gold` from `seed.jsonl`:" in text  # not its path
    assert str(REPO) not in text and str(tmp_path) not in text


# --------------------------------------------------------------------------- languages, paths


def test_no_language_key_when_none_was_detected(cli, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    # under 20 letters each: too short for the language detector
    (src / "a.txt").write_text("Short 1.\n\nOk 2 3.\n", encoding="utf-8")
    (src / "b.txt").write_text("Tiny 9.\n\nNo 8 7.\n", encoding="utf-8")
    out = tmp_path / "c"
    result = cli("corpus", "build", src, "--out", out, "--card-dir", tmp_path / "cards")
    assert result.exit_code == 0, result.output
    data = _yaml(out / "README.md")
    assert "language" not in data and "multilinguality" not in data
    assert data["annotations_creators"] == ["no-annotation"]
    assert data["source_datasets"] == ["original"]  # the text reader: articles, no public corpus
    assert "- **Language(s):** none detected\n" in (out / "README.md").read_text(encoding="utf-8")


def test_two_languages_make_it_multilingual(tmp_path):
    from goldwire.corpus.build import BuildConfig, build_corpus

    build_corpus(BuildConfig(inputs=(SEED_ARTICLES, TEST_DATA / "bad_inputs"), out=tmp_path / "c"))
    data = _yaml(tmp_path / "c" / "README.md")
    assert sorted(data["language"]) == ["en", "ru"]
    assert data["multilinguality"] == ["multilingual"]


def test_no_absolute_path_of_the_build_machine_in_the_card(cli, tmp_path):
    out = tmp_path / "c"
    result = cli("corpus", "build", _articles(tmp_path), "--out", out, "--card-dir",
                 tmp_path / "cards")  # fmt: skip
    assert result.exit_code == 0, result.output
    for card in (out / "README.md", tmp_path / "cards" / "c" / "README.md"):
        text = card.read_text(encoding="utf-8")
        assert str(tmp_path) not in text
        assert str(tmp_path.resolve()) not in text
        assert "- **Inputs:** in\n" in text  # the input folder by its name


# --------------------------------------------------------------------------- rules


def _coverage(**statuses: dict[str, int]) -> dict:
    layers = {layer: {"statuses": s} for layer, s in statuses.items()}
    return {"total": {"layers": layers}}


def test_annotations_creators_from_the_gold():
    none = {"none": 3}
    assert annotations_creators(_coverage(entities=none, stances=none, doc_stances=none),
                                None) == ["no-annotation"]  # fmt: skip
    conll = _coverage(entities={"reader:conll": 3}, stances=none, doc_stances=none)
    assert annotations_creators(conll, None) == ["found"]
    attached = _coverage(entities={"adjudicated": 2, "none": 1}, stances={"unconfirmed": 3},
                         doc_stances=none)  # fmt: skip
    assert annotations_creators(attached, {}) == ["expert-generated"]
    gold = {"suggested_items": {"total": {"accepted_unchanged": 4, "items": 9}}}
    assert annotations_creators(attached, gold) == ["expert-generated", "machine-generated"]
    unconfirmed_only = _coverage(entities={"unconfirmed": 3}, stances=none, doc_stances=none)
    assert annotations_creators(unconfirmed_only, gold) == ["no-annotation"]


def test_tasks_follow_the_layers_with_gold():
    none = {"none": 1}
    both = (["token-classification", "text-classification"], ["named-entity-recognition"])
    assert tasks(_coverage(entities=none, stances=none, doc_stances=none)) == both
    conll = _coverage(entities={"reader:conll": 1}, stances=none, doc_stances=none)
    assert tasks(conll) == (["token-classification"], ["named-entity-recognition"])
    fnc1 = _coverage(entities=none, stances=none, doc_stances={"reader:fnc1": 1})
    assert tasks(fnc1) == (["text-classification"], [])


def test_source_datasets_from_the_readers():
    assert source_datasets({"conll": 3}) == ["extended|conll2003"]
    assert source_datasets({"reuters": 2, "tass": 1}) == ["original", "extended|reuters21578"]
    assert source_datasets({"fnc1": 2}) == []  # a public corpus without a Hub id: not named
    assert source_datasets({}) == []


# --------------------------------------------------------------------------- the seed card


def _build_seed(cli, tmp_path, monkeypatch):
    """The seed corpus as the committed card was made: `goldwire corpus build seeds/articles
    --out <tmp>/seed --card-dir <cards>` from the repository folder."""
    monkeypatch.chdir(REPO)
    out = tmp_path / "seed"
    result = cli("corpus", "build", "seeds/articles", "--out", out, "--card-dir",
                 tmp_path / "cards")  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def test_load_dataset_works_on_a_freshly_built_seed_corpus(cli, tmp_path, monkeypatch):
    import datasets

    out = _build_seed(cli, tmp_path, monkeypatch)
    dd = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "hf"))
    assert list(dd) == ["train"]  # validation and test are empty: not listed
    assert dd["train"].num_rows == 1
    assert dd["train"][0]["agency"] == "TASS"
    declared = [f["name"] for f in _yaml(out / "README.md")["dataset_info"]["features"]]
    assert list(dd["train"].features) == declared


def _stable(text: str) -> str:
    """A card without what differs from one build to another: the corpus folder's marker and
    the goldwire version that wrote it."""
    text = re.sub(r"(?m)^goldwire_corpus_id: [0-9a-f]+\n", "", text)
    return re.sub(r"built with goldwire \S+ ", "built with goldwire X ", text)


def test_the_committed_seed_card_is_what_a_build_writes_today(cli, tmp_path, monkeypatch):
    """When this fails, regenerate it: remove data_cards/seed/README.md, then `goldwire corpus
    build seeds/articles --out /tmp/seed --card-dir data_cards` from the repository folder."""
    committed = REPO / "data_cards" / "seed" / "README.md"
    out = _build_seed(cli, tmp_path, monkeypatch)
    fresh = (tmp_path / "cards" / "seed" / "README.md").read_text(encoding="utf-8")
    assert fresh == (out / "README.md").read_text(encoding="utf-8")
    assert _stable(committed.read_text(encoding="utf-8")) == _stable(fresh)
    assert "/" + "tmp" not in committed.read_text(encoding="utf-8")
    assert str(REPO) not in committed.read_text(encoding="utf-8")
