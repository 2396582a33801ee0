"""Opening gold once and scoring prediction files against it (what the commands call)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from goldwire.errors import InputError, UsageError
from goldwire.evaluate.conll import ConllFile, is_conll_path, read_conll
from goldwire.evaluate.inputs import GoldSet, load_gold, load_predictions
from goldwire.evaluate.scoring import ScoreOptions, ScoreResult, score_conll, score_documents


class Format(str, Enum):
    AUTO = "auto"
    GOLDWIRE = "goldwire"
    CONLL = "conll"


@dataclass
class Gold:
    """Gold of either format, read once."""

    format: Format
    path: str
    docs: GoldSet | None = None
    conll: ConllFile | None = None


def detect_format(gold: str | Path, preds: list[str | Path], fmt: Format | str) -> Format:
    fmt = Format(fmt)
    if fmt is not Format.AUTO:
        return fmt
    if Path(gold).is_dir():
        return Format.GOLDWIRE
    if is_conll_path(gold) or any(is_conll_path(p) for p in preds):
        return Format.CONLL
    return Format.GOLDWIRE


def open_gold(
    path: str | Path,
    *,
    split: str = "test",
    fmt: Format | str = Format.AUTO,
    preds: list[str | Path] | None = None,
    include_unannotated: bool = False,
) -> Gold:
    """Read the gold (dataset directory, JSONL or CoNLL) in the format given or detected.

    Goldwire gold is scored layer by layer on the documents with gold on the layer
    (:mod:`goldwire.evaluate.selection`); ``include_unannotated`` scores every document on
    every layer. CoNLL gold carries no statuses: all of it is gold."""
    fmt = detect_format(path, preds or [], fmt)
    if fmt is Format.CONLL:
        if Path(path).is_dir():
            raise UsageError(f"{path} is a directory; --format conll needs a CoNLL file as --gold")
        return Gold(fmt, str(path), conll=read_conll(path))
    return Gold(
        fmt, str(path), docs=load_gold(path, split=split, include_unannotated=include_unannotated)
    )


def score_run(
    gold: Gold, pred: str | Path, *, lenient: bool = False, options: ScoreOptions | None = None
) -> ScoreResult:
    """Score one predictions file against opened gold."""
    if not Path(pred).is_file():
        raise InputError(f"{pred}: no such file; give the predictions file to score")
    if gold.conll is not None:
        result = score_conll(gold.conll, read_conll(pred), options)
    else:
        assert gold.docs is not None
        preds = load_predictions(pred, gold.docs, lenient=lenient)
        result = score_documents(gold.docs, preds, options)
    docs = result.documents
    if not docs.get("gold"):  # scored like nervaluate and seqeval: zero counts, said once
        unit = docs.get("unit", "document")
        docs.setdefault("notes", []).append(
            f"the gold holds no {unit}s: nothing was scored, every count is zero; check --gold"
        )
    return result


def parse_run(spec: str) -> tuple[str, str]:
    """``name=path`` or ``path`` (named after the file) -> (name, path)."""
    name, sep, path = spec.partition("=")
    if sep and name and path and not Path(spec).exists():
        return name, path
    return Path(spec).stem, spec
