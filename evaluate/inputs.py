"""Reading gold and predictions for scoring.

Gold is a goldwire dataset directory (a ``DatasetDict`` saved with ``save_to_disk``, the label
schema under ``label_schema`` in ``goldwire.json`` at its root; read with the corpus stage's
:func:`goldwire.corpus.dataset.open_source`) and a split, or a goldwire JSONL file.

Predictions are goldwire JSONL lines (``id``, ``text`` or ``text_sha256``, ``entities``,
``stances``, ``doc_stances``), read tolerantly against the gold: ``text`` may be left out when
``text_sha256`` matches the gold text, entity ids and surface texts are optional, and every
span is checked against the gold text. A problem is one :class:`~goldwire.errors.SchemaError`
line naming the file, line, document and span; with ``lenient`` it becomes a recorded skip
(the span, stance or whole document is left out) instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldwire.errors import InputError, SchemaError, SpanError, UsageError
from goldwire.schema import (
    DocStance,
    Document,
    Entity,
    LabelSchema,
    Mention,
    Stance,
)


@dataclass
class GoldSet:
    """Gold documents in order, with the label schema when the source has one."""

    docs: list[Document]
    labels: LabelSchema | None
    source: str
    split: str | None = None

    def __post_init__(self) -> None:
        self.index = {d.id: i for i, d in enumerate(self.docs)}
        if len(self.index) != len(self.docs):
            seen: set[str] = set()
            for d in self.docs:
                if d.id in seen:
                    raise SchemaError(f"{self.source}: document id {d.id} occurs twice in the gold")
                seen.add(d.id)

    @property
    def where(self) -> str:
        return f"{self.source} [{self.split}]" if self.split else self.source


def load_gold(path: str | Path, split: str = "test") -> GoldSet:
    """Gold from a goldwire dataset directory (one split) or a goldwire JSONL file (which
    has no splits: ``split`` is not used)."""
    from goldwire.corpus.dataset import open_source

    path = Path(path)
    if not path.exists():
        raise InputError(
            f"{path}: no such file or directory; give a goldwire dataset directory or a "
            "goldwire JSONL file as --gold"
        )
    source = open_source(path)
    if not source.is_corpus:
        return GoldSet(source.read().docs, None, str(path))
    if split not in source.splits:
        raise UsageError(
            f"{path}: has no split {split!r} (it has {', '.join(source.splits)}); pass --split"
        )
    return GoldSet(source.read(split).docs, source.labels, str(path), split)


# --------------------------------------------------------------------------- predictions


@dataclass
class PredictionSet:
    """Predicted documents aligned with the gold (None where a gold document has none)."""

    path: str
    docs: list[Document | None]
    skipped: list[str] = field(default_factory=list)
    strings: dict[str, str] = field(default_factory=dict, repr=False)  # shared while loading

    @property
    def missing(self) -> list[int]:
        return [i for i, d in enumerate(self.docs) if d is None]


class _Skip(Exception):
    """One item (span, stance, document) of a prediction cannot be used."""

    def __init__(self, message: str, error: type[SchemaError] = SchemaError):
        super().__init__(message)
        self.error = error


def load_predictions(path: str | Path, gold: GoldSet, *, lenient: bool = False) -> PredictionSet:
    """Read a predictions JSONL file against ``gold`` (see the module docstring)."""
    path = Path(path)
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"{path}: cannot open ({exc.strerror}); give a predictions JSONL file"
        ) from exc
    out = PredictionSet(str(path), [None] * len(gold.docs))
    seen: dict[str, int] = {}
    with handle:
        for lineno, line in _lines(handle, path):
            where = f"{path}:{lineno}"
            try:
                doc_index, doc = _parse_line(line, where, gold, seen, lineno, out, lenient)
            except _Skip as exc:
                if not lenient:
                    raise exc.error(str(exc)) from None
                out.skipped.append(str(exc))
                continue
            out.docs[doc_index] = doc
    out.strings.clear()
    return out


def _lines(handle, path: Path) -> Iterator[tuple[int, str]]:
    try:
        for lineno, line in enumerate(handle, 1):
            if line.strip():
                yield lineno, line
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8") from exc


def _parse_line(line: str, where: str, gold: GoldSet, seen: dict[str, int], lineno: int,
                out: PredictionSet, lenient: bool) -> tuple[int, Document]:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _Skip(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(data, dict) or "id" not in data:
        raise _Skip(f"{where}: a prediction must be a JSON object with the gold document's 'id'")
    doc_id = str(data["id"])
    if doc_id not in gold.index:
        raise _Skip(
            f"{where}: document {doc_id} is not in the gold ({gold.where}); predictions must "
            "use the gold document ids (wrong --split?)"
        )
    if doc_id in seen:
        raise _Skip(f"{where}: document {doc_id} was already predicted on line "
                    f"{seen[doc_id]}; give one line per document")
    seen[doc_id] = lineno
    gdoc = gold.docs[gold.index[doc_id]]
    where = f"{where}: document {doc_id}"
    _check_text(data, gdoc, where)
    skips: list[str] = []

    def keep(item_parser, items):
        kept = []
        for i, item in enumerate(items or []):
            try:
                kept.append(item_parser(i, item))
            except _Skip as exc:
                if not lenient:
                    raise
                skips.append(str(exc))
        return kept

    ctx = _Context(where, gdoc, gold.labels, strings=out.strings)
    entities = keep(ctx.entity, data.get("entities"))
    ctx.entities = {e.id: e for e in entities}
    stances = keep(ctx.stance, data.get("stances"))
    doc_stances = keep(ctx.doc_stance, data.get("doc_stances"))
    out.skipped.extend(skips)
    doc = Document(id=gdoc.id, text=gdoc.text, text_sha256=gdoc.text_sha256,
                   entities=entities, stances=stances, doc_stances=doc_stances)
    return gold.index[doc_id], doc


def _check_text(data: dict, gdoc: Document, where: str) -> None:
    text = data.get("text")
    if text is not None:
        if text != gdoc.text:
            at = next((i for i, (a, b) in enumerate(zip(text, gdoc.text, strict=False))
                       if a != b),
                      min(len(text), len(gdoc.text)))
            raise _Skip(f"{where}: text differs from the gold text at offset {at}; predict on "
                        "the gold text, or leave 'text' out and give 'text_sha256'")
        return
    sha = data.get("text_sha256")
    if not sha:
        raise _Skip(f"{where}: has neither 'text' nor 'text_sha256', so its offsets cannot be "
                    "checked against the gold text; add one of them")
    if sha != gdoc.text_sha256:
        raise _Skip(f"{where}: text_sha256 does not match the gold text's; the prediction was "
                    "made on another version of the document")


@dataclass
class _Context:
    where: str
    doc: Document
    labels: LabelSchema | None
    entities: dict[str, Entity] = field(default_factory=dict)
    strings: dict[str, str] = field(default_factory=dict)  # one object per distinct string

    def share(self, text: str) -> str:
        return self.strings.setdefault(text, text)

    def _span(self, what: str, item: dict) -> tuple[int, int, str]:
        start, end = item.get("start"), item.get("end")
        if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool):
            raise _Skip(f"{self.where}: {what} needs integer 'start' and 'end'")
        n = len(self.doc.text)
        if not 0 <= start < end <= n:
            raise _Skip(f"{self.where}: {what} [{start}:{end}] lies outside the text (length "
                        f"{n}) or is empty; offsets are code points, end exclusive", SpanError)
        actual = self.doc.text[start:end]
        surface = item.get("text")
        if surface is not None and surface != actual:
            raise _Skip(f"{self.where}: {what} [{start}:{end}] has text {surface!r} but the gold "
                        f"text has {actual!r} there; fix the offsets (code points, end exclusive)",
                        SpanError)
        return start, end, actual

    def _label(self, what: str, label: Any, allowed: list[str] | None) -> str:
        if not isinstance(label, str) or not label:
            raise _Skip(f"{self.where}: {what} needs a 'label'")
        if allowed and label not in allowed:
            raise _Skip(f"{self.where}: {what} has label {label!r}, which is not in the label "
                        f"schema ({', '.join(allowed)}); map it to a schema label or drop it")
        return label

    def entity(self, i: int, item: Any) -> Entity:
        if not isinstance(item, dict):
            raise _Skip(f"{self.where}: entity {i} must be an object with start, end, label")
        start, end, text = self._span(f"entity {i}", item)
        allowed = self.labels.entity_labels if self.labels else None
        label = self._label(f"entity {i} [{start}:{end}]", item.get("label"), allowed)
        score = item.get("score")
        return Entity(self.share(str(item.get("id") or f"p{i}")), start, end, self.share(label),
                      self.share(text),
                      score=float(score) if isinstance(score, (int, float)) else None)

    def mention(self, what: str, item: Any) -> Mention:
        if isinstance(item, str) and item.strip():
            return Mention(text=item)
        if not isinstance(item, dict):
            raise _Skip(f"{self.where}: {what} must be a name or an object with entity/start/end")
        ref = item.get("entity")
        if ref is not None:
            ent = self.entities.get(str(ref))
            if ent is None:
                raise _Skip(f"{self.where}: {what} refers to entity {ref!r}, which this "
                            "prediction does not have")
            return Mention(ent.text, ent.start, ent.end, ent.id)
        if item.get("start") is None and item.get("end") is None:
            text = item.get("text")
            if not isinstance(text, str) or not text.strip():
                raise _Skip(f"{self.where}: {what} has neither offsets nor a name")
            return Mention(text=text)
        start, end, text = self._span(what, item)
        return Mention(text, start, end)

    def stance(self, i: int, item: Any) -> Stance:
        if not isinstance(item, dict) or "holder" not in item or "target" not in item:
            raise _Skip(f"{self.where}: stance {i} needs 'holder', 'target' and 'label'")
        holder = self.mention(f"stance {i} holder", item["holder"])
        target = self.mention(f"stance {i} target", item["target"])
        allowed = self.labels.stance_labels if self.labels else None
        return Stance(holder, target, self._label(f"stance {i}", item.get("label"), allowed))

    def doc_stance(self, i: int, item: Any) -> DocStance:
        if not isinstance(item, dict) or not isinstance(item.get("target"), str):
            raise _Skip(f"{self.where}: doc stance {i} needs a 'target' and a 'label'")
        allowed = self.labels.doc_stance_labels if self.labels else None
        return DocStance(item["target"], self._label(f"doc stance {i}", item.get("label"), allowed))
