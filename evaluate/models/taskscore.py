"""Scoring a benchmark task by task (:func:`goldwire.evaluate.models.run.benchmark`).

* :func:`task_gold`: the gold as one task sees it: that layer's annotations only, scored on
  the documents with gold on that layer (:meth:`goldwire.evaluate.selection.Coverage.only`);
* :func:`caveats`: what the benchmark says before any figure (few documents, stance models
  given the gold mentions);
* :func:`score_and_report`: each task's runs scored with the evaluate stage and written as
  its report (``out/reports/<task>/``); what each task left out of the gold joins the
  benchmark's caveats.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goldwire.evaluate.inputs import GoldSet
from goldwire.evaluate.models.base import Task
from goldwire.evaluate.selection import status_words
from goldwire.progress import Progress
from goldwire.schema import Document, Mention, Stance

if TYPE_CHECKING:
    from goldwire.evaluate.models.run import ModelRun

FEW_DOCUMENTS = 30


def caveats(gold: GoldSet, runs: Sequence[ModelRun]) -> list[str]:
    """What holds for every task: how few documents with gold there are, and that stance
    models read the gold entity mentions."""
    n = len(gold.coverage.used)
    out = []
    if n == 1:
        out.append(
            "One document gives no confidence: these figures describe this one document, "
            "not the models. The bootstrap resamples documents, so with one document "
            "every interval collapses to the point; benchmark on a corpus with a test "
            "split of hundreds of documents before drawing any conclusion."
        )
    elif n < FEW_DOCUMENTS:
        out.append(
            f"Only {n} documents: the confidence intervals are wide and unreliable "
            "(the bootstrap resamples documents); do not compare models on this gold."
        )
    if any(r.task == Task.STANCES.value for r in runs) and any(d.entities for d in gold.docs):
        out.append(
            "Stance models were given the gold entity mentions (they read `entities`), "
            "so their stance figures assume perfect mention detection."
        )
    return out


def task_gold(gold: GoldSet, task: str) -> GoldSet:
    """The gold restricted to one task's annotations (so a report ranks by that task),
    scored on the documents with gold on that task's layer."""

    def plain(doc: Document, m: Mention) -> Mention:
        r = doc.resolve(m)
        return Mention(r.text, r.start, r.end)

    docs = []
    for d in gold.docs:
        if task == Task.ENTITIES.value:
            docs.append(dataclasses.replace(d, stances=[], doc_stances=[]))
        elif task == Task.STANCES.value:
            stances = [Stance(plain(d, s.holder), plain(d, s.target), s.label) for s in d.stances]
            docs.append(dataclasses.replace(d, entities=[], stances=stances, doc_stances=[]))
        else:
            docs.append(dataclasses.replace(d, entities=[], stances=[]))
    return GoldSet(docs, gold.labels, gold.source, gold.split, gold.coverage.only(task))


def _unscorable(gold: GoldSet, task: str, members: Sequence[ModelRun]) -> str | None:
    """Why a task cannot be scored on this gold, or None."""
    names = ", ".join(r.name for r in members)
    layer = gold.coverage.layers[task]
    if not layer.docs:
        return (
            f"No document of the gold has gold {layer.noun} "
            f"({status_words(layer.without_gold)}): {names} could not be scored."
        )
    if not any(getattr(gold.docs[i], task) for i in layer.docs):
        return f"The gold has no {task}: {names} could not be scored."
    return None


def score_and_report(
    gold: GoldSet,
    runs: Sequence[ModelRun],
    out: Path,
    options: Any,
    said: list[str],
    progress: Progress,
) -> dict[str, list[str]]:
    """Score each task's runs on its view of the gold and write its report; ``said`` (the
    benchmark's caveats) gains what each task left out of the gold and what it could not
    score."""
    from goldwire.evaluate.inputs import load_predictions
    from goldwire.evaluate.models.summary import headline_figures
    from goldwire.evaluate.report import build_report, write_report
    from goldwire.evaluate.scoring import score_documents

    common = list(said)
    reports: dict[str, list[str]] = {}
    for task in dict.fromkeys(r.task for r in runs):
        members = [r for r in runs if r.task == task]
        why = _unscorable(gold, task, members)
        if why is not None:
            said.append(why)
            continue
        view = task_gold(gold, task)
        said += [f"{task}: {note}" for note in view.coverage.notes()]
        scored = []
        for k, r in enumerate(members):
            progress(f"scoring {task}", k, len(members))
            preds = load_predictions(r.predicted["out"], view)
            result = score_documents(view, preds, options)
            r.figures = headline_figures(result, task)
            scored.append((r.name, result))
        progress(f"scoring {task}", len(members), len(members))
        report = build_report(scored, caveats=common)
        reports[task] = [str(p) for p in write_report(report, out / "reports" / task)]
    return reports
