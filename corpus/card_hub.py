"""The data card's Hub metadata, its licence, and where a copy of it may go.

* :class:`CardLicense`: the licence the card declares (``--license`` a Hub licence id such as
  ``cc-by-4.0``; ``--license-name`` and ``--license-link`` for ``license: other``); the build
  records it in ``goldwire.json`` (``license``) and later versions keep it.
* :func:`hub_metadata`: the YAML block as ``huggingface_hub``'s :class:`DatasetCardData`:
  ``language`` only for languages detected in the corpus (none: no key, never a guess),
  ``multilinguality`` from them, ``annotations_creators`` from the gold coverage and the attach
  record, ``source_datasets`` from the readers, the tasks the gold is for, and
  ``configs``/``dataset_info`` so that ``datasets.load_dataset(<corpus folder>)`` works.
* :func:`corpus_id`: the marker (``goldwire_corpus_id``) that says which corpus folder a card
  belongs to, a hash of the folder's resolved path (so no path of the building machine goes
  into the card); :func:`check_card_copy` refuses to put a card where the card of another
  corpus is (``--card-dir``), and lets a corpus replace its own card.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from goldwire.errors import OutputError, SettingError
from goldwire.provenance import LAYERS, READER, has_gold

ID_KEY = "goldwire_corpus_id"
LICENSES_URL = "https://huggingface.co/docs/hub/repositories-licenses"
_LICENSE_ID = re.compile(r"[a-z0-9][a-z0-9.+-]*\Z")
_LICENSE_NAME = re.compile(r"[a-z0-9][a-z0-9.-]*\Z")  # the Hub's: lowercase, dashes
#: readers of public corpora that have an id on the Hub (``source_datasets``)
SOURCE_DATASETS = {"conll": "conll2003", "reuters": "reuters21578"}
#: what ``annotations_creators`` says for gold of each kind
FOUND, EXPERT, MACHINE, NO_ANNOTATION = "found", "expert-generated", "machine-generated", "no-annotation"  # fmt: skip  # noqa: E501


@dataclass(frozen=True)
class CardLicense:
    """The licence a card declares: a Hub licence id, or ``other`` with a name and a link;
    ``other`` alone means nobody said (the card asks for it)."""

    id: str = "other"
    name: str | None = None
    link: str | None = None

    @classmethod
    def from_options(cls, license: str | None = None, name: str | None = None,
                     link: str | None = None) -> CardLicense:  # fmt: skip
        """From ``--license``, ``--license-name`` and ``--license-link``; SettingError when
        they do not fit together or are not in the Hub's form."""
        lid = (license or "other").strip().lower()  # SPDX ids (CC-BY-4.0) as the Hub spells them
        if not _LICENSE_ID.match(lid):
            raise SettingError(f"--license {license!r}: give a Hub licence id such as cc-by-4.0, "
                               f"mit or apache-2.0 (list: {LICENSES_URL}), or --license-name and "
                               "--license-link for another licence")  # fmt: skip
        if (name is None) != (link is None):
            raise SettingError("--license-name and --license-link go together: give both (the "
                               "licence's short name and where its text is)")  # fmt: skip
        if name is None:
            return cls(lid)
        if lid != "other":
            raise SettingError(f"--license {lid} is a Hub licence id; --license-name and "
                               "--license-link are for a licence the Hub does not list "
                               "(license: other): give one or the other")  # fmt: skip
        if not _LICENSE_NAME.match(name):
            raise SettingError(f"--license-name {name!r}: the Hub wants a short lowercase name "
                               "with dashes, e.g. tass-terms-2024")  # fmt: skip
        if not link.strip() or any(ch.isspace() for ch in link):
            raise SettingError(f"--license-link {link!r}: give the URL (or the file in the "
                               "corpus folder) of the licence text, without spaces")  # fmt: skip
        return cls("other", name, link)

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> CardLicense:
        """The licence ``goldwire.json`` records (``other`` when it records none)."""
        data = meta.get("license") or {}
        return cls(data.get("id", "other"), data.get("name"), data.get("link"))

    @property
    def unset(self) -> bool:
        return self.id == "other" and self.name is None

    def to_json(self) -> dict[str, str]:
        return {k: v for k, v in (("id", self.id), ("name", self.name), ("link", self.link))
                if v is not None}  # fmt: skip

    def yaml(self) -> dict[str, str]:
        data = {"license": self.id}
        if self.name is not None:
            data.update(license_name=self.name, license_link=self.link)
        return data

    def text(self) -> str:
        """The card body's licence line."""
        if self.name is not None:
            return f"other: [{self.name}]({self.link})"
        if not self.unset:
            return self.id
        return (
            "other [TO FILL: the licence of the source articles; set it with `goldwire "
            "corpus build --license <Hub licence id>` (e.g. `cc-by-4.0`; list: "
            f"{LICENSES_URL}), or `--license-name` and `--license-link` for a licence the "
            "Hub does not list]"
        )


def corpus_id(folder: Path) -> str:
    """The marker of the corpus in ``folder``: a hash of its resolved path (the path itself
    stays on the building machine)."""
    return hashlib.sha256(str(Path(folder).resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:16]  # fmt: skip  # noqa: E501


def shown_input(path: str) -> str:
    """A file or folder as the card names it: as recorded when relative, by its name when
    absolute (a path of the building machine says nothing to a reader of the card)."""
    p = Path(path)
    return p.name if p.is_absolute() else path


# --------------------------------------------------------------------------- metadata


def detected_languages(stats: dict[str, Any]) -> list[str]:
    """The languages detected in (or declared for) the documents; never a default."""
    return [lang for lang in stats["languages"] if lang and lang != "(unknown)"]


def _gold_statuses(coverage: dict[str, Any] | None) -> dict[str, set[str]]:
    """Per layer, the statuses of its documents that carry gold."""
    layers = (coverage or {}).get("total", {}).get("layers", {})
    return {layer: {s for s, n in layers.get(layer, {}).get("statuses", {}).items()
                    if n and has_gold(s)} for layer in LAYERS}  # fmt: skip


def annotations_creators(coverage: dict[str, Any] | None, gold: dict[str, Any] | None) -> list[str]:  # fmt: skip  # noqa: E501
    """``found`` for a reader's gold (a public corpus's own), ``expert-generated`` for gold
    people annotated, ``machine-generated`` too when the attach record says some gold items are
    model suggestions accepted unchanged; ``no-annotation`` when no layer carries gold."""
    statuses = set().union(*_gold_statuses(coverage).values())
    creators = []
    if any(s.startswith(f"{READER}:") for s in statuses):
        creators.append(FOUND)
    if any(not s.startswith(f"{READER}:") for s in statuses):
        creators.append(EXPERT)
        suggested = ((gold or {}).get("suggested_items") or {}).get("total") or {}
        if suggested.get("accepted_unchanged"):
            creators.append(MACHINE)
    return creators or [NO_ANNOTATION]


def tasks(coverage: dict[str, Any] | None) -> tuple[list[str], list[str]]:
    """``task_categories`` and ``task_ids``: those of the layers that carry gold (all of them
    while nothing does: the corpus is made for both)."""
    gold = _gold_statuses(coverage)
    none = not any(gold.values())
    categories, ids = [], []
    if none or gold["entities"]:
        categories.append("token-classification")
        ids.append("named-entity-recognition")
    if none or gold["stances"] or gold["doc_stances"]:
        categories.append("text-classification")
    return categories, ids


def source_datasets(readers: dict[str, int]) -> list[str]:
    """``extended|<id>`` for each public corpus with a Hub id whose reader read documents,
    ``original`` for documents read from articles."""
    known = [f"extended|{SOURCE_DATASETS[r]}" for r in readers if r in SOURCE_DATASETS]
    public = {"basil", "fnc1", *SOURCE_DATASETS}
    return (["original"] if any(r not in public for r in readers) else []) + known


def hub_metadata(name: str, stats: dict[str, Any], labels, meta: dict[str, Any],
                 license: CardLicense):  # fmt: skip
    """The card's YAML block as a :class:`huggingface_hub.DatasetCardData`."""
    from huggingface_hub import DatasetCardData

    from goldwire.corpus.card import size_category

    languages = detected_languages(stats)
    categories, ids = tasks(stats.get("coverage"))
    extra = {ID_KEY: meta["corpus_id"]} if meta.get("corpus_id") else {}
    lic = license.yaml()
    return DatasetCardData(
        pretty_name=name,
        license=lic.pop("license"),
        language=languages or None,
        multilinguality=(
            ["multilingual" if len(languages) > 1 else "monolingual"] if languages else None
        ),  # fmt: skip
        annotations_creators=annotations_creators(stats.get("coverage"), meta.get("gold")),
        source_datasets=source_datasets(stats["readers"]) or None,
        task_categories=categories,
        task_ids=ids or None,
        size_categories=[size_category(stats["num_examples"])],
        **lic,
        tags=["news", "wire-service", "stance-detection", "goldwire"],
        configs=[{"config_name": "default", "data_files": _data_files(stats, meta)}],
        dataset_info=_dataset_info(stats, labels),
        **extra,
    )


def _data_files(stats: dict[str, Any], meta: dict[str, Any]) -> list[dict[str, str]]:
    from goldwire.corpus.layout import get_layout

    layout = get_layout(meta.get("layout", "arrow"))
    return [{"split": s, "path": layout.data_files(s)}
            for s, v in stats["splits"].items()
            if v["num_examples"]]  # fmt: skip  # an empty split has no files to find


def _dataset_info(stats: dict[str, Any], labels) -> dict[str, Any]:
    from goldwire.features import features

    return {
        # all of them: `load_dataset(<folder>)` casts the data to these features
        "features": features(labels)._to_yaml_list(),
        "splits": [
            {"name": s, "num_examples": v["num_examples"], "num_bytes": v["num_bytes"]}
            for s, v in stats["splits"].items()
            if v["num_examples"]  # as in configs: `datasets` expects every split listed
        ],
        "dataset_size": stats["bytes"],
    }


# --------------------------------------------------------------------------- the copy


def _card_marker(text: str) -> tuple[str | None, str | None]:
    """The corpus id and name a card's YAML holds (None, None when it has no YAML)."""
    from huggingface_hub import DatasetCard

    if not text.startswith("---\n"):  # no YAML block (huggingface_hub would log a warning)
        return None, None
    try:
        data = DatasetCard(text, ignore_metadata_errors=True).data.to_dict()
    except (ValueError, TypeError):
        return None, None
    return data.get(ID_KEY), data.get("pretty_name")


def check_card_copy(path: Path, new_id: str, new_name: str, folder: Path | None = None) -> None:
    """Raise OutputError if ``path`` holds a data card of a corpus other than the one whose
    marker is ``new_id`` (named ``new_name``, in ``folder``), or a file that is no goldwire
    card; the same corpus's card may be replaced."""
    path = Path(path)
    if not path.exists():
        return
    try:
        old = path.read_text(encoding="utf-8") if path.is_file() else None
    except (OSError, UnicodeDecodeError):
        old = None
    old_id, old_name = _card_marker(old) if old is not None else (None, None)
    if old_id == new_id:
        return
    whose = (f"the card of another corpus named {old_name!r} ({ID_KEY} {old_id})" if old_id
             else "not the data card of a goldwire corpus")  # fmt: skip
    where = f"in {folder}, " if folder is not None else ""
    raise OutputError(f"{path} is {whose}; the card of {new_name!r} ({where}{ID_KEY} {new_id}) "
                      "does not replace it: choose another --card-dir or --name, or remove "
                      "that card")  # fmt: skip


def text_marker(text: str) -> tuple[str, str]:
    """The corpus id and name of a card goldwire rendered."""
    cid, name = _card_marker(text)
    return cid or "", name or ""


__all__ = [
    "CardLicense",
    "ID_KEY",
    "annotations_creators",
    "check_card_copy",
    "corpus_id",
    "detected_languages",
    "hub_metadata",
    "shown_input",
    "source_datasets",
    "tasks",
    "text_marker",
]
