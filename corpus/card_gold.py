"""The data card's annotation sections: where the gold came from and how it was made.

Filled from what goldwire knows, never left as a prompt when it knows it:

* **coverage** (always): per split and layer, the documents whose layer carries gold, of all,
  and the documents by status (from the data, :mod:`goldwire.corpus.coverage`);
* **reader gold**: layers whose status is ``reader:<format>`` came with a public corpus;
* **attached gold** (``meta["gold"]``, written by ``goldwire corpus attach-gold``): tool and
  version, guidelines file and hash, annotators per document, adjudication strategy, review,
  the share of gold items that were model suggestions accepted unchanged, the agreement
  figures with their definitions, and per annotator the suggestions they accepted, edited
  and rejected when the agreement report has them.

Only gold whose making goldwire cannot know (a status such as ``annotated`` without an
attach record, e.g. goldwire JSONL read as input) keeps the prompt about the annotation
process; the annotators' background is always a prompt.
"""

from __future__ import annotations

import json
from typing import Any

from goldwire.corpus.card_hub import shown_input
from goldwire.corpus.coverage import coverage_rows
from goldwire.provenance import LAYERS, READER, has_gold

PROMPT = "[TO FILL: {}]"
LAYER_NAMES = {"entities": "entities", "stances": "stances", "doc_stances": "document stances"}
#: how the card names the agreement summary's figures (others are shown by their key)
AGREEMENT_LABELS = {
    "span_f1_exact": "span F1, exact",
    "span_f1_overlap": "span F1, overlap",
    "token_kappa": "token Cohen's kappa (mean over pairs)",
    "token_alpha": "token Krippendorff's alpha (nominal)",
    "stance_f1_mention": "stance F1, mention",
    "stance_f1_mention_relaxed": "stance F1, mention relaxed",
    "stance_f1_triple": "stance F1, entity triples",
    "suggestion_acceptance_rate": "suggestions accepted unchanged, of those reviewed",
    "suggestions_reviewed": "suggestions reviewed (accepted, edited or rejected)",
    "documents_left_out": "documents left out of the agreement",
    "layers_left_out": "annotators' layers left out of the agreement",
    "unreviewed_suggestions_removed": "unreviewed suggestions removed before counting",
}
AGREEMENT_COUNTS = ("annotators", "documents", "documents_multiply_annotated")


def fmt(value: Any) -> str:
    """A figure as the card shows it: three decimals, ``n/a`` for None."""
    if value is None:
        return "n/a"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _share(part: int, whole: int) -> str:
    return f"{part} of {whole} ({100 * part / whole:.1f}%)" if whole else f"{part} of 0"


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{k} ({v})" for k, v in counter.items()) or "n/a"


# --------------------------------------------------------------------------- coverage


def coverage_text(coverage: dict[str, Any] | None) -> str:
    """The coverage sentence and table (split, layer, with gold, documents, statuses)."""
    if not coverage:
        return ""
    total = coverage["total"]
    lines = [
        f"{total['with_gold']} of {total['documents']} documents carry gold on at least one "
        "layer. Per split and layer, the documents whose layer carries gold and the documents "
        "by status (each document's `annotation` records the status of its layers; `none`: "
        "nobody annotated the layer, so its empty list means unknown, not nothing):",
        "",
        "| split | layer | with gold | documents | statuses |",
        "|---|---|---:|---:|---|",
    ]
    lines += [f"| {split} | {layer} | {gold} | {n} | {statuses} |"
              for split, layer, gold, n, statuses in coverage_rows(coverage)]  # fmt: skip
    return "\n".join(lines)


def reader_text(coverage: dict[str, Any] | None) -> str:
    """Which layers' gold came with a public corpus (``reader:<format>`` statuses)."""
    if not coverage:
        return ""
    parts = []
    for layer in LAYERS:
        for status, n in coverage["total"]["layers"][layer]["statuses"].items():
            if status.startswith(f"{READER}:") and n:
                parts.append(f"the {LAYER_NAMES[layer]} of {n} documents (status `{status}`: "
                             f"goldwire's `{status.split(':', 1)[1]}` reader)")  # fmt: skip
    if not parts:
        return ""
    return (
        "Gold from the readers: "
        + "; ".join(parts)
        + ". This gold came with the public corpus those readers read: it is that corpus's "
        "annotation, made by its authors under their guidelines, not annotated for this corpus."
    )


def _unexplained_gold(coverage: dict[str, Any] | None) -> bool:
    """Whether some layer carries gold that neither a reader nor an attach record explains."""
    if not coverage:
        return False
    return any(
        has_gold(status) and not status.startswith(f"{READER}:") and n
        for layer in LAYERS
        for status, n in coverage["total"]["layers"][layer]["statuses"].items()
    )


# --------------------------------------------------------------------------- attached gold


def _annotators_per_document(gold: dict[str, Any]) -> str:
    dist = gold.get("annotators_per_document")
    if not dist:
        return "not recorded"
    return "; ".join(f"{n} annotator{'s' if n != '1' else ''}: {docs} document"
                     f"{'s' if docs != 1 else ''}" for n, docs in dist.items())  # fmt: skip


def _review(gold: dict[str, Any]) -> str:
    reviewed = gold.get("reviewed_documents")
    if reviewed is None:
        return "not recorded"
    if not reviewed:
        return "no document was reviewed after adjudication"
    return f"{reviewed} documents reviewed, by {_counts(gold.get('reviewers') or {})}"


def _suggested_items(gold: dict[str, Any]) -> str:
    items = gold.get("suggested_items")
    if not items:
        return "not recorded"
    total = items["total"]
    per_layer = ", ".join(
        f"{LAYER_NAMES[layer]} {items[layer]['accepted_unchanged']} of {items[layer]['items']}"
        for layer in LAYERS
    )
    return (
        f"{_share(total['accepted_unchanged'], total['items'])} gold items were model "
        f"suggestions every annotator who gave the gold label accepted unchanged ({per_layer}); "
        f"{_share(total['with_accepted_vote'], total['items'])} had at least one annotator "
        "accept the suggestion unchanged"
    )


def attached_text(gold: dict[str, Any]) -> str:
    """How the attached gold was made: counts, tool, guidelines, annotators, adjudication,
    review, suggestions, agreement."""
    head = (
        f"Gold annotations for {gold['documents']} documents were attached by `goldwire "
        f"corpus attach-gold` from `{shown_input(gold['source'])}`: "
        f"{gold.get('entities', 0)} entities, {gold.get('stances', 0)} stances and "
        f"{gold.get('doc_stances', 0)} document stances; "
        "each item lists the annotators who marked it and, when recorded, its provenance "
        "(typed by hand, a model suggestion accepted or edited, adjudicated, reviewed)."
    )
    bullets = [
        f"- **Tool:** {_counts(gold.get('tools') or {'not recorded': gold['documents']})}",
        "- **Guidelines:** "
        + _counts(gold.get("guidelines") or {"not recorded": gold["documents"]}),
        f"- **Annotators per document:** {_annotators_per_document(gold)}",
        f"- **Adjudication:** {_counts(gold.get('adjudication') or {})}",
        f"- **Review:** {_review(gold)}",
        f"- **Model suggestions:** {_suggested_items(gold)}",
    ]
    parts = [head, "\n".join(bullets)]
    if gold.get("agreement"):
        parts.append(agreement_text(gold["agreement"], gold.get("agreement_definitions")))
    if gold.get("suggestions_by_annotator"):
        parts.append(suggestions_text(gold["suggestions_by_annotator"]))
    return "\n\n".join(parts)


def agreement_text(summary: dict[str, Any], definitions: dict[str, Any] | None) -> str:
    """The agreement figures, each with its key in the agreement JSON, and the definitions."""
    lines = [
        f"Inter-annotator agreement ({summary.get('annotators')} annotators, "
        f"{summary.get('documents_multiply_annotated')} of {summary.get('documents')} documents "
        "annotated by two or more; `goldwire annotate agreement`):",
        "",
        "| measure | figure | value |",
        "|---|---|---:|",
    ]
    lines += [f"| {AGREEMENT_LABELS.get(key, key)} | `{key}` | {fmt(value)} |"
              for key, value in summary.items() if key not in AGREEMENT_COUNTS]  # fmt: skip
    if definitions:
        lines += ["", "Definitions (from the agreement report):", ""]
        lines += [f"- **{key}**: {value}" for key, value in definitions.items()]
    return "\n".join(lines)


def suggestions_text(data: Any) -> str:
    """Per annotator, the model suggestions they accepted, edited and rejected, and their
    acceptance rate (the agreement report's ``suggestions``: ``by_annotator`` and ``pooled``):
    a table of figures per annotator; another shape is shown as its JSON."""
    rows = data.get("by_annotator") if isinstance(data, dict) else None
    head = "Model suggestions per annotator (from the agreement report):"
    if not isinstance(rows, dict) or not all(isinstance(v, dict) for v in rows.values()):
        return f"{head}\n\n```json\n{json.dumps(data, indent=2, ensure_ascii=False)}\n```"
    if isinstance(data.get("pooled"), dict):
        rows = {**rows, "all (pooled)": data["pooled"]}
    columns = list(dict.fromkeys(k for v in rows.values() for k in v))
    lines = [head, "", "| annotator | " + " | ".join(columns) + " |",
             "|---|" + "---:|" * len(columns)]  # fmt: skip
    lines += [f"| {name} | " + " | ".join(fmt(v.get(c)) for c in columns) + " |"
              for name, v in rows.items()]  # fmt: skip
    return "\n".join(lines)


# --------------------------------------------------------------------------- the sections


def annotation_process(coverage: dict[str, Any] | None, gold: dict[str, Any] | None) -> str:
    """The card's "Annotation process" text."""
    parts = [coverage_text(coverage), reader_text(coverage)]
    if gold:
        parts.append(attached_text(gold))
    elif _unexplained_gold(coverage):
        parts.append(PROMPT.format("how entities and stances were annotated (guidelines, tool)"))
    elif coverage and not coverage["total"]["with_gold"]:
        parts.append("No document carries gold yet; attach annotations with `goldwire corpus "
                     "attach-gold`.")  # fmt: skip
    return "\n\n".join(p for p in parts if p)


def annotators_text(gold: dict[str, Any] | None) -> str:
    """The card's "Who are the annotators?" text."""
    prompt = PROMPT.format("the annotators' background (expertise, languages, training)")
    if not gold or not gold.get("annotators"):
        return prompt
    rows = ["| annotator | documents | entities | stances |", "|---|---:|---:|---:|"]
    rows += [f"| {name} | {c['documents']} | {c['entities']} | {c['stances']} |"
             for name, c in gold["annotators"].items()]  # fmt: skip
    return "\n".join(rows) + "\n\n" + prompt


__all__ = [
    "AGREEMENT_LABELS",
    "agreement_text",
    "annotation_process",
    "annotators_text",
    "attached_text",
    "coverage_text",
    "fmt",
    "reader_text",
    "suggestions_text",
]
