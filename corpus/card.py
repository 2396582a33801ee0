"""Data cards following the Hugging Face dataset card template.

YAML metadata (``pretty_name``, ``license``, ``language``, ``task_categories``, ``task_ids``,
``tags``, ``size_categories``, ``configs``, ``dataset_info``) and sections filled from the
data; the Datasheets-for-Datasets questions that cannot be computed are left as clearly marked
prompts (``[TO FILL: ...]``).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from goldwire.schema import LabelSchema

PROMPT = "[TO FILL: {}]"


def corpus_stats(dd, labels: LabelSchema) -> dict[str, Any]:
    """Counts per split, labels, agencies, languages, sources and the date range."""
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
    license: str = "other",
) -> str:
    import yaml

    from goldwire.corpus.layout import get_layout
    from goldwire.schema import features

    layout = get_layout(meta.get("layout", "arrow"))
    languages = [lang for lang in stats["languages"] if lang != "(unknown)"] or ["en"]
    front = {
        "pretty_name": name,
        "license": license,
        "language": languages,
        "task_categories": ["token-classification", "text-classification"],
        "task_ids": ["named-entity-recognition"],
        "tags": ["news", "wire-service", "stance-detection", "goldwire"],
        "size_categories": [size_category(stats["num_examples"])],
        "configs": [
            {
                "config_name": "default",
                "data_files": [
                    {"split": s, "path": layout.data_files(s)}
                    for s, v in stats["splits"].items()
                    if v["num_examples"]  # an empty split has no files to find
                ],
            }
        ],
        "dataset_info": {
            # all of them: `load_dataset(<folder>)` casts the data to these features
            "features": features(labels)._to_yaml_list(),
            "splits": [
                {"name": s, "num_examples": v["num_examples"], "num_bytes": v["num_bytes"]}
                for s, v in stats["splits"].items()
                if v["num_examples"]  # as in configs: `datasets` expects every split listed
            ],
            "dataset_size": stats["bytes"],
        },
    }
    docs = (report or {}).get("documents", {})
    dr = stats["date_range"]
    sections = [
        f"# Dataset Card for {name}",
        "## Dataset Description\n\n"
        f"A corpus of {stats['num_examples']} wire-service news articles built with goldwire "
        f"{meta.get('goldwire_version', '')} (schema version {meta.get('schema_version')}).\n\n"
        f"- **Curated by:** {PROMPT.format('who collected and built this corpus')}\n"
        f"- **Language(s):** {', '.join(languages)}\n"
        f"- **License:** {license} {PROMPT.format('the licence of the source articles') if license == 'other' else ''}",  # noqa: E501
        "## Dataset Sources\n\n"
        f"- **Inputs:** {', '.join(meta.get('build', {}).get('inputs', []))}\n"
        f"- **Readers:** {', '.join(f'{k} ({v})' for k, v in stats['readers'].items()) or 'n/a'}\n"
        f"- **Agencies:**\n\n{_table(stats['agencies'], 'agency')}\n"
        f"- **Date range:** {f'{dr[0]} to {dr[1]}' if dr else 'unknown (no dates with a year)'}",
        "## Dataset Structure\n\n"
        "Each example is one article. `text` is the exact string annotators see: the title, a "
        "blank line, the lead, a blank line, then the body with its dateline line kept. "
        "**Offsets** of `paragraphs`, `entities` and `stances` are Python code-point offsets "
        "into `text` (Unicode NFC, `\\n` line endings), end exclusive; every span keeps its "
        "surface `text`.\n\n"
        + _table({s: v["num_examples"] for s, v in stats["splits"].items()}, "split")
        + "\n### Labels\n\n"
        + f"Entity labels: {', '.join(labels.entity_labels)}.\n\n"
        + _table(stats["entity_labels"], "entity label")
        + f"\nStance labels: {', '.join(labels.stance_labels)}.\n\n"
        + _table(stats["stance_labels"], "stance label")
        + "\nDocument-stance labels: "
        + f"{', '.join(labels.doc_stance_labels)}.\n\n"
        + _table(stats["doc_stance_labels"], "document-stance label"),
        "## Dataset Creation\n\n### Curation Rationale\n\n"
        + PROMPT.format("why this corpus was created")
        + "\n\n### Source Data\n\n#### Data Collection and Processing\n\n"
        f"Built by `goldwire corpus build`: {docs.get('seen', 'n/a')} documents seen, "
        f"{docs.get('kept', 'n/a')} kept, {docs.get('exact_duplicates', 0)} exact and "
        f"{docs.get('near_duplicates', 0)} near-duplicates removed (MinHash LSH, "
        f"{json.dumps(meta.get('build', {}).get('near_duplicates'))}), "
        f"{docs.get('rejected', 0)} documents and {(report or {}).get('files', {}).get('rejected', 0)} "  # noqa: E501
        "files rejected (see `build_report.json`). Splits are assigned from a hash of the "
        "document id and recorded in `manifest.jsonl`.\n\n"
        "#### Who are the source data producers?\n\n"
        + PROMPT.format("the agencies and authors of the articles")
        + "\n\n### Annotations\n\n#### Annotation process\n\n"
        + PROMPT.format("how entities and stances were annotated (guidelines, tool)")
        + "\n\n#### Who are the annotators?\n\n"
        + PROMPT.format("annotators and their background")
        + "\n\n#### Personal and Sensitive Information\n\n"
        + PROMPT.format("names of private persons or other sensitive data in the articles"),
        "## Bias, Risks, and Limitations\n\n"
        + PROMPT.format("whose viewpoints the agencies represent; known biases")
        + "\n\n### Recommendations\n\n"
        + PROMPT.format("how users should account for those limitations"),
        "## Uses\n\n### Direct Use\n\nNamed-entity recognition and stance detection on news.\n\n"
        "### Out-of-Scope Use\n\n" + PROMPT.format("uses this corpus is not fit for"),
        "## Citation\n\n" + PROMPT.format("how to cite the corpus and its sources"),
        "## Dataset Card Contact\n\n" + PROMPT.format("who to contact"),
    ]
    return (
        "---\n"
        + yaml.safe_dump(front, sort_keys=False, allow_unicode=True)
        + "---\n\n"
        + ("\n\n".join(sections) + "\n")
    )


def write_card(dataset_dir: Path, card_path: Path, license: str = "other") -> Path:
    """Write the data card of a built dataset to ``card_path`` and into the dataset folder."""
    from goldwire.corpus.dataset import REPORT, load_corpus

    dd, labels, meta = load_corpus(dataset_dir)
    report_file = dataset_dir / REPORT
    report = json.loads(report_file.read_text(encoding="utf-8")) if report_file.exists() else None
    text = render_card(meta.get("name", dataset_dir.name), corpus_stats(dd, labels), labels,
                       report, meta, license)  # fmt: skip
    card_path.parent.mkdir(parents=True, exist_ok=True)
    card_path.write_text(text, encoding="utf-8")
    (dataset_dir / "README.md").write_text(text, encoding="utf-8")
    return card_path
