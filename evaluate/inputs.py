"""Reading gold and predictions for scoring.

Gold is a goldwire dataset directory (a ``DatasetDict`` saved with ``save_to_disk``, the label
schema under ``label_schema`` in ``goldwire.json`` at its root; read with the corpus stage's
:func:`goldwire.corpus.dataset.open_source`) and a split, or a goldwire JSONL file. Which of
its documents hold gold on which layer is decided once, by
:func:`goldwire.evaluate.selection.select`, and kept on the :class:`GoldSet`: a split without
gold on any layer is an error (unless ``include_unannotated``).

Predictions are goldwire JSONL lines (``id``, ``text`` or ``text_sha256``, ``entities``,
``stances``, ``doc_stances``), read tolerantly against the gold: ``text`` may be left out when
``text_sha256`` matches the gold text, entity ids and surface texts are optional, and every
span is checked against the gold text. This module aligns each line with its gold document
(ids, one line per document, the same text: :func:`goldwire.parse.check_reference`); the
annotations are read by the one parser of goldwire JSON, :class:`goldwire.parse.ItemParser`
in its tolerant mode. A problem is one :class:`~goldwire.errors.SchemaError` line naming the
file, line, document and span; with ``lenient`` it becomes a recorded skip (the span, stance
or whole document is left out) instead. A file in a foreign format (a Doccano or Prodigy
export, ...) is refused with the format's name, never read as predictions of nothing; keys
goldwire does not read make one warning line in ``notes`` (:mod:`goldwire.foreign`). A
prediction for a gold document left out (no gold on any layer) is not read: its id is
counted in :attr:`PredictionSet.without_gold`.

Both loaders pause the cyclic garbage collector while they build documents
(:func:`gc_paused`): the objects they make hold no cycles, and the collector's passes over a
heap of hundreds of thousands of entities cost as much as the parsing itself; the loaded
objects then join the oldest generation, so the scoring that follows does not pay for the
passes instead.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldwire.errors import InputError, SchemaError, UsageError
from goldwire.evaluate.selection import Coverage, select, status_words
from goldwire.foreign import UnknownKeys, refuse_foreign, refuse_foreign_file
from goldwire.parse import ItemParser, Mode, check_reference
from goldwire.schema import Document, LabelSchema, read_jsonl


@dataclass
class GoldSet:
    """Gold documents in order, with the label schema when the source has one, and which of
    them hold gold per layer (``coverage``; without it every document on every layer)."""

    docs: list[Document]
    labels: LabelSchema | None
    source: str
    split: str | None = None
    coverage: Coverage | None = None  # None: every document on every layer (set below)
    notes: list[str] = field(default_factory=list)  # e.g. keys of the JSONL not read

    def __post_init__(self) -> None:
        if self.coverage is None:
            self.coverage = Coverage.everything(len(self.docs))
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


def load_gold(
    path: str | Path, split: str = "test", *, include_unannotated: bool = False
) -> GoldSet:
    """Gold from a goldwire dataset directory (one split) or a goldwire JSONL file (which
    has no splits: ``split`` is not used), with the documents that hold gold per layer
    (every document on every layer with ``include_unannotated``)."""
    from goldwire.corpus.dataset import open_source

    path = Path(path)
    if not path.exists():
        raise InputError(
            f"{path}: no such file or directory; give a goldwire dataset directory or a "
            "goldwire JSONL file as --gold"
        )
    source = open_source(path)
    if source.is_corpus and split not in source.splits:
        raise UsageError(
            f"{path}: has no split {split!r} (it has {', '.join(source.splits)}); pass --split"
        )
    notes: list[str] = []
    with gc_paused():
        docs = source.read(split).docs if source.is_corpus else list(read_jsonl(path, notes=notes))
    coverage = select(docs, include_unannotated=include_unannotated)
    if source.is_corpus:
        gold = GoldSet(docs, source.labels, str(path), split, coverage)
    else:
        gold = GoldSet(docs, None, str(path), None, coverage, notes)
    if docs and len(coverage.left_out) == len(docs):
        raise InputError(no_gold_message(gold.where, coverage.without_gold))
    return gold


def no_gold_message(where: str, statuses: dict[str, int], what: str = "gold on any layer") -> str:
    """The one line said when no document of a split has ``what``."""
    n = sum(statuses.values())
    return (
        f"{where}: none of its {n} documents has {what} ({status_words(statuses)}); "
        "attach gold with `goldwire corpus attach-gold`, or pass --include-unannotated to "
        "use them as gold with no labels"
    )


# --------------------------------------------------------------------------- predictions


@dataclass
class PredictionSet:
    """Predicted documents aligned with the gold (None where a gold document has none)."""

    path: str
    docs: list[Document | None]
    skipped: list[str] = field(default_factory=list)
    without_gold: list[str] = field(default_factory=list)  # ids of left-out gold documents
    notes: list[str] = field(default_factory=list)  # e.g. keys of the file not read
    strings: dict[str, str] = field(default_factory=dict, repr=False)  # shared while loading

    @property
    def missing(self) -> list[int]:
        return [i for i, d in enumerate(self.docs) if d is None]


def load_predictions(path: str | Path, gold: GoldSet, *, lenient: bool = False) -> PredictionSet:
    """Read a predictions JSONL file against ``gold`` (see the module docstring)."""
    path = Path(path)
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"{path}: cannot open ({exc.strerror}); give a predictions JSONL file"
        ) from exc
    refuse_foreign_file(path)
    out = PredictionSet(str(path), [None] * len(gold.docs))
    unknown = UnknownKeys()
    parser = ItemParser(Mode.TOLERANT, gold.labels, out.strings)
    skip = (lambda exc: out.skipped.append(str(exc))) if lenient else None
    seen: dict[str, int] = {}
    left_out = gold.coverage.left_out
    with handle, gc_paused():
        for lineno, line in _lines(handle, path):
            where = f"{path}:{lineno}"
            try:
                data, doc_index = _aligned(line, where, gold, seen, lineno)
                unknown.see(data)
                gdoc = gold.docs[doc_index]
                if doc_index in left_out:  # no gold on any layer: not scored, not read
                    out.without_gold.append(gdoc.id)
                    continue
                where = f"{where}: document {gdoc.id}"
                check_reference(data, gdoc, where)
            except SchemaError as exc:
                if not lenient:
                    raise
                out.skipped.append(str(exc))
                continue
            entities, stances, doc_stances = parser.items(data, gdoc.text, where, skip)
            out.docs[doc_index] = Document(
                id=gdoc.id,
                text=gdoc.text,
                text_sha256=gdoc.text_sha256,
                entities=entities,
                stances=stances,
                doc_stances=doc_stances,
            )
    out.strings.clear()
    unknown.tell(path, out.notes)
    return out


def _lines(handle, path: Path) -> Iterator[tuple[int, str]]:
    try:
        for lineno, line in enumerate(handle, 1):
            if line.strip():
                yield lineno, line
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8") from exc


def _aligned(
    line: str, where: str, gold: GoldSet, seen: dict[str, int], lineno: int
) -> tuple[dict[str, Any], int]:
    """A prediction line's JSON object and the index of its gold document."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise SchemaError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    refuse_foreign(data, where)
    if not isinstance(data, dict) or "id" not in data:
        raise SchemaError(
            f"{where}: a prediction must be a JSON object with the gold document's 'id'"
        )
    doc_id = str(data["id"])
    if doc_id not in gold.index:
        raise SchemaError(
            f"{where}: document {doc_id} is not in the gold ({gold.where}); predictions must "
            "use the gold document ids (wrong --split?)"
        )
    if doc_id in seen:
        raise SchemaError(
            f"{where}: document {doc_id} was already predicted on line "
            f"{seen[doc_id]}; give one line per document"
        )
    seen[doc_id] = lineno
    return data, gold.index[doc_id]


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a loader builds many small objects that hold no
    cycles (the collector would walk the growing heap again and again).

    Afterwards the new objects are handed to the oldest generation without a pass over them
    (``gc.freeze`` then ``gc.unfreeze``: two list splices), so the first collections after
    loading, inside the scoring, do not walk them either; skipped when something else keeps
    objects frozen or the collector was off to begin with."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()
