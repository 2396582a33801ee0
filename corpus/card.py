"""Data cards following the Hugging Face dataset card template.

YAML metadata built with ``huggingface_hub``'s ``DatasetCardData`` (``pretty_name``,
``license``, ``language`` where detected, ``annotations_creators``, ``multilinguality``,
``source_datasets``, ``task_categories``, ``task_ids``, ``tags``, ``size_categories``,
``configs``, ``dataset_info``, the corpus marker; :mod:`goldwire.corpus.card_hub`) and
sections filled from the data; the Datasheets-for-Datasets questions that cannot be computed
are left as clearly marked prompts (``[TO FILL: ...]``). The annotation sections
(:mod:`goldwire.corpus.card_gold`) say how much of the corpus carries gold, per split and
layer, and where it came from: a public corpus's reader, or gold attached by ``goldwire corpus
attach-gold`` (``meta["gold"]``: tool, guidelines, annotators, adjudication, review,
suggestions, agreement with definitions).

:func:`render_card` renders the text from the data (one function per section),
:func:`card_text` from a dataset folder, :func:`write_card` writes it (through
:mod:`goldwire.files`); the build, ``attach-gold`` and ``migrate`` write it into every version
they make, and copy it to ``--card-dir`` only when asked (never over another corpus's card).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from goldwire.corpus.card_hub import CardLicense, detected_languages, shown_input
from goldwire.files import write_text
from goldwire.schema import LabelSchema

PROMPT = "[TO FILL: {}]"


def corpus_stats(dd, labels: LabelSchema) -> dict[str, Any]:
    """Counts per split, labels, agencies, languages, sources, the date range, and the gold
    coverage per split and layer (:func:`goldwire.corpus.coverage.corpus_coverage`)."""
    from goldwire.corpus.coverage import corpus_coverage

    stats: dict[str, Any] = {"splits": {}, "bytes": 0}
    agencies: Counter = Counter()
    languages: Counter = Counter()
    readers: Counter = Counter()
    entity_labels: Counter = Counter()
    stance_labels: Counter = Counter()
    doc_stance_labels: Counter = Counter()
    dates: list[str] = []
    for split, ds in dd.items():
        stats["splits"][split] = {"num_examples": ds.num_rows, "num_bytes": ds.data.nbytes}
        stats["bytes"] += ds.data.nbytes
        cols = ds.select_columns(
            ["agency", "language", "published", "meta", "entities", "stances", "doc_stances"]
        )
        for row in cols.iter(batch_size=1000):
            agencies.update(a or "(none)" for a in row["agency"])
            languages.update(lang or "(unknown)" for lang in row["language"])
            dates.extend(d for d in row["published"] if d)
            for meta in row["meta"]:
                readers.update(kv["value"] for kv in meta if kv["key"] == "reader")
            for ents in row["entities"]:
                entity_labels.update(labels.entity_labels[e["label"]] for e in ents)
            for sts in row["stances"]:
                stance_labels.update(labels.stance_labels[s["label"]] for s in sts)
            for dss in row["doc_stances"]:
                doc_stance_labels.update(labels.doc_stance_labels[s["label"]] for s in dss)
    stats.update(
        num_examples=sum(s["num_examples"] for s in stats["splits"].values()),
        agencies=dict(agencies.most_common()),
        languages=dict(languages.most_common()),
        readers=dict(readers.most_common()),
        entity_labels=dict(entity_labels.most_common()),
        stance_labels=dict(stance_labels.most_common()),
        doc_stance_labels=dict(doc_stance_labels.most_common()),
        date_range=[min(dates), max(dates)] if dates else None,
        coverage=corpus_coverage(dd),
    )
    return stats


def size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                        (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):  # fmt: skip
        if n < limit:
            return name
    return "n>10M"


def _table(counter: dict[str, int], header: str) -> str:
    if not counter:
        return "_none_\n"
    lines = [f"| {header} | count |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in counter.items()]
    return "\n".join(lines) + "\n"


def render_card(
    name: str,
    stats: dict[str, Any],
    labels: LabelSchema,
    report: dict[str, Any] | None,
    meta: dict[str, Any],
    license: CardLicense | None = None,
) -> str:
    """The card's text: the Hub metadata (:func:`goldwire.corpus.card_hub.hub_metadata`),
    then the sections (the gold annotations, when ``meta["gold"]`` has them, in the annotation
    sections). ``license`` defaults to the one ``goldwire.json`` records."""
    from huggingface_hub import DatasetCard

    from goldwire.corpus.card_hub import hub_metadata

    license = license or CardLicense.from_meta(meta)
    languages = detected_languages(stats)
    data = hub_metadata(name, stats, labels, meta, license)
    sections = [
        f"# Dataset Card for {name}",
        _description(stats, meta, languages, license),
        _sources(stats, meta),
        _structure(stats, labels),
        _creation(report, meta, stats.get("coverage")),
        "## Bias, Risks, and Limitations\n\n"
        + PROMPT.format("whose viewpoints the agencies represent; known biases")
        + "\n\n### Recommendations\n\n"
        + PROMPT.format("how users should account for those limitations"),
        "## Uses\n\n### Direct Use\n\nNamed-entity recognition and stance detection on news.\n\n"
        "### Out-of-Scope Use\n\n" + PROMPT.format("uses this corpus is not fit for"),
        "## Citation\n\n" + PROMPT.format("how to cite the corpus and its sources"),
        "## Dataset Card Contact\n\n" + PROMPT.format("who to contact"),
    ]
    body = "\n\n".join(sections) + "\n"
    return str(DatasetCard(f"---\n{data.to_yaml()}\n---\n\n{body}"))


def _description(stats, meta, languages, license: CardLicense) -> str:
    return (
        "## Dataset Description\n\n"
        f"A corpus of {stats['num_examples']} wire-service news articles built with goldwire "
        f"{meta.get('goldwire_version', '')} (schema version {meta.get('schema_version')}).\n\n"
        f"- **Curated by:** {PROMPT.format('who collected and built this corpus')}\n"
        f"- **Language(s):** {', '.join(languages) or 'none detected'}\n"
        f"- **License:** {license.text()}"
    )


def _sources(stats, meta) -> str:
    dr = stats["date_range"]
    readers = ", ".join(f"{k} ({v})" for k, v in stats["readers"].items()) or "n/a"
    return (
        "## Dataset Sources\n\n"
        f"- **Inputs:** {', '.join(map(shown_input, meta.get('build', {}).get('inputs', [])))}\n"
        f"- **Readers:** {readers}\n"
        f"- **Agencies:**\n\n{_table(stats['agencies'], 'agency')}\n"
        f"- **Date range:** {f'{dr[0]} to {dr[1]}' if dr else 'unknown (no dates with a year)'}"
    )


def _structure(stats, labels: LabelSchema) -> str:
    return (
        "## Dataset Structure\n\n"
        "Each example is one article. `text` is the exact string annotators see: the title, a "
        "blank line, the lead, a blank line, then the body with its dateline line kept. "
        "**Offsets** of `paragraphs`, `entities` and `stances` are Python code-point offsets "
        "into `text` (Unicode NFC, `\\n` line endings), end exclusive; every span keeps its "
        "surface `text`. `annotation` records, per layer (`entities`, `stances`, "
        "`doc_stances`), whether it carries gold and where from (its status: `none`, "
        "`reader:<format>`, `annotated`, `unconfirmed`, `adjudicated`), and who annotated it "
        "with which tool and guidelines; each item may carry its `provenance`, the model "
        "suggestion it came from (`suggested`) and the annotators' `votes`.\n\n"
        + _table({s: v["num_examples"] for s, v in stats["splits"].items()}, "split")
        + "\n### Labels\n\n"
        + f"Entity labels: {', '.join(labels.entity_labels)}.\n\n"
        + _table(stats["entity_labels"], "entity label")
        + f"\nStance labels: {', '.join(labels.stance_labels)}.\n\n"
        + _table(stats["stance_labels"], "stance label")
        + "\nDocument-stance labels: "
        + f"{', '.join(labels.doc_stance_labels)}.\n\n"
        + _table(stats["doc_stance_labels"], "document-stance label")
    )


def _creation(report: dict[str, Any] | None, meta: dict[str, Any],
              coverage: dict[str, Any] | None) -> str:  # fmt: skip
    from goldwire.corpus.card_gold import annotation_process, annotators_text

    docs = (report or {}).get("documents", {})
    files = (report or {}).get("files", {})
    gold = meta.get("gold")
    return (
        "## Dataset Creation\n\n### Curation Rationale\n\n"
        + PROMPT.format("why this corpus was created")
        + "\n\n### Source Data\n\n#### Data Collection and Processing\n\n"
        f"Built by `goldwire corpus build`: {docs.get('seen', 'n/a')} documents seen, "
        f"{docs.get('kept', 'n/a')} kept, {docs.get('exact_duplicates', 0)} exact and "
        f"{docs.get('near_duplicates', 0)} near-duplicates removed (MinHash LSH, "
        f"{json.dumps(meta.get('build', {}).get('near_duplicates'))}), "
        f"{docs.get('rejected', 0)} documents and {files.get('rejected', 0)} "
        f"files rejected and {files.get('skipped', 0)} skipped (hidden, links not followed; "
        "see `build_report.json`). Splits are assigned from a hash of the "
        "document id and recorded in `manifest.jsonl`."
        + _migrated(meta)
        + "\n\n#### Who are the source data producers?\n\n"
        + PROMPT.format("the agencies and authors of the articles")
        + "\n\n### Annotations\n\n#### Annotation process\n\n"
        + annotation_process(coverage, gold)
        + "\n\n#### Who are the annotators?\n\n"
        + annotators_text(gold)
        + "\n\n#### Personal and Sensitive Information\n\n"
        + PROMPT.format("names of private persons or other sensitive data in the articles")
    )


def _migrated(meta: dict[str, Any]) -> str:
    version = meta.get("migrated_from")
    if version is None:
        return ""
    return (
        f" Written by schema version {version} and migrated to version "
        f"{meta.get('schema_version')} (`goldwire corpus migrate`): each document's annotation "
        "status was derived from what that version recorded (an attach-gold record, the reader, "
        "or whether a layer held items)."
    )


def card_text(dataset_dir: Path, license: CardLicense | None = None) -> str:
    """The data card of the built dataset in ``dataset_dir``, from its data, ``goldwire.json``
    and ``build_report.json``; ``license`` defaults to the one ``goldwire.json`` records."""
    from goldwire.corpus.dataset import REPORT, load_corpus

    dd, labels, meta = load_corpus(dataset_dir)
    report_file = dataset_dir / REPORT
    report = json.loads(report_file.read_text(encoding="utf-8")) if report_file.exists() else None
    return render_card(meta.get("name", dataset_dir.name), corpus_stats(dd, labels), labels,
                       report, meta, license)  # fmt: skip


def write_card(dataset_dir: Path, card_path: Path | None = None,
               license: CardLicense | None = None) -> Path:  # fmt: skip
    """Write the data card of a built dataset into the dataset folder and, if given, to
    ``card_path`` (OutputError, before writing anything, when that holds the card of another
    corpus); returns ``card_path`` (else the dataset folder's card)."""
    from goldwire.corpus.card_hub import check_card_copy, text_marker
    from goldwire.corpus.dataset import CARD

    text = card_text(dataset_dir, license)
    if card_path is not None:
        check_card_copy(card_path, *text_marker(text))
    write_text(dataset_dir / CARD, text)
    return write_text(card_path, text) if card_path is not None else dataset_dir / CARD
