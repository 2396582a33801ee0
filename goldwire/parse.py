"""JSON to goldwire documents: the one parser of a document's annotations.

Every reader of goldwire JSON goes through :class:`ItemParser`, which reads the entities,
stances (holder and target mentions) and document stances of one JSON document against its
reference text, in one of two :class:`Mode`\\ s:

* ``STRICT``, for goldwire JSONL and dataset rows (:func:`parse_document`, behind
  :meth:`goldwire.schema.Document.from_json`): every entity has its offsets, label and
  surface text (an entity without an id gets the first of ``T1``, ``T2``, ... that no entity
  of the document was given, in order); values are converted as given (a missing key or a
  value that does not convert is a "malformed field"), mentions stay as written, and
  :meth:`~goldwire.schema.Document.validate` checks the whole document afterwards (its own
  text is the reference).
* ``TOLERANT``, for predictions read against the gold (the scoring loader's fast path,
  :func:`goldwire.evaluate.inputs.load_predictions`): ids and surface texts are optional;
  each span is checked against the reference (gold) text as it is read and takes its
  surface text from it; labels are checked against the label schema; a mention naming an
  entity takes that entity's offsets; equal strings are shared (one object each, to keep
  memory down). A problem is a :class:`~goldwire.errors.SchemaError` (a
  :class:`~goldwire.errors.SpanError` for offsets) naming the item; given a ``skip``
  handler, the parser hands the error to it and leaves the item out instead.

:func:`check_reference` checks that a JSON document was made on its reference text (its
``text``, else its ``text_sha256``).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from goldwire.errors import SchemaError, SpanError
from goldwire.foreign import UnknownKeys, refuse_foreign
from goldwire.provenance import ITEM_DEFAULTS, Annotation, item_provenance
from goldwire.schema import DocStance, Document, Entity, LabelSchema, Mention, Paragraph, Stance

Skip = Callable[[SchemaError], None]
# the keys :func:`goldwire.provenance.item_provenance` reads (absent: the items' defaults)
PROVENANCE_KEYS = frozenset(ITEM_DEFAULTS)
_PLAIN_KEYS = frozenset(("id", "start", "end", "label", "text", "annotators", "score"))


class Mode(str, Enum):
    STRICT = "strict"
    TOLERANT = "tolerant"


class ItemParser:
    """Reads the annotations of JSON documents, one document per :meth:`items` call.

    ``labels`` (TOLERANT) are the names items are checked against; ``strings`` is the table
    of shared strings, kept by the caller across documents."""

    def __init__(
        self,
        mode: Mode = Mode.STRICT,
        labels: LabelSchema | None = None,
        strings: dict[str, str] | None = None,
    ) -> None:
        self.strict = mode is Mode.STRICT
        self.allowed = (
            (None, None, None)
            if labels is None
            else (
                labels.entity_labels or None,
                labels.stance_labels or None,
                labels.doc_stance_labels or None,
            )
        )
        self.share = (strings if strings is not None else {}).setdefault
        self.text = self.where = ""
        self.entities: dict[str, Entity] = {}
        self.taken: set[str] = set()  # STRICT: the entity ids given, which new ids avoid
        self.last = 0  # STRICT: the number of the last id assigned (T1, T2, ...)

    def items(
        self, data: dict[str, Any], text: str, where: str = "", skip: Skip | None = None
    ) -> tuple[list[Entity], list[Stance], list[DocStance]]:
        """The entities, stances and document stances of ``data``, read against ``text``;
        ``where`` starts every error message (TOLERANT)."""
        self.text, self.where, self.entities = text, where, {}
        if self.strict:
            self.last = 0
            self.taken = {str(e["id"]) for e in data.get("entities") or []
                          if isinstance(e, dict) and e.get("id") is not None}  # fmt: skip
        if self.strict:
            entities = self._strict_entities(data.get("entities"), skip)
        else:
            entities = self._tolerant_entities(data.get("entities"), skip)
            if data.get("stances"):  # mentions may name the entities
                self.entities = {e.id: e for e in entities}
        return (
            entities,
            self._each(self.stance, data.get("stances"), skip),
            self._each(self.doc_stance, data.get("doc_stances"), skip),
        )

    def _each(self, parse: Callable[[int, Any], Any], items: Any, skip: Skip | None) -> list:
        if skip is None:
            return [parse(i, item) for i, item in enumerate(items or [])]
        kept = []
        for i, item in enumerate(items or []):
            try:
                kept.append(parse(i, item))
            except SchemaError as exc:
                skip(exc)
        return kept

    def _strict_entities(self, items: Any, skip: Skip | None) -> list[Entity]:
        """STRICT entities: an item with an id and only the plain keys, each of its exact
        type, is built inline (what :meth:`entity` makes of it, with no conversions); any
        other goes through :meth:`entity`."""
        if skip is not None or not isinstance(items, list):
            return self._each(self.entity, items, skip)
        text, out = self.text, []
        for i, item in enumerate(items):
            if item.__class__ is dict and _PLAIN_KEYS.issuperset(item):
                ident, start, end = item.get("id"), item.get("start"), item.get("end")
                label, surface = item.get("label"), item.get("text")
                if (ident.__class__ is str and start.__class__ is int and end.__class__ is int
                        and label.__class__ is str):  # fmt: skip
                    out.append(Entity(ident, start, end, label,
                        text[start:end] if surface is None else surface,
                        list(item.get("annotators") or []), item.get("score"),
                    ))  # fmt: skip
                    continue
            out.append(self.entity(i, item))
        return out

    def _tolerant_entities(self, items: Any, skip: Skip | None) -> list[Entity]:
        """TOLERANT entities: an item that passes every check of :meth:`entity` is built
        inline (no error text is formatted); any other goes through :meth:`entity`, which
        says what is wrong, so the results and the errors are :meth:`entity`'s."""
        if not isinstance(items, list):
            return self._each(self.entity, items, skip)
        text, n, share = self.text, len(self.text), self.share
        allowed = self.allowed[0]
        ids = _prediction_ids(len(items))
        out = []
        for i, item in enumerate(items):
            if item.__class__ is dict:
                start, end, label = item.get("start"), item.get("end"), item.get("label")
                if (start.__class__ is int and end.__class__ is int and 0 <= start < end <= n
                        and label.__class__ is str and label
                        and (not allowed or label in allowed)):  # fmt: skip
                    actual = text[start:end]
                    surface, given, score = item.get("text"), item.get("id"), item.get("score")
                    if surface is None or surface == actual:
                        ident = ids[i] if given is None else str(given or f"p{i}")
                        out.append(Entity(share(ident, ident), start, end,
                            share(label, label), share(actual, actual),
                            score=float(score) if isinstance(score, (int, float)) else None,
                        ))  # fmt: skip
                        continue
            if skip is None:
                out.append(self.entity(i, item))
                continue
            try:
                out.append(self.entity(i, item))
            except SchemaError as exc:
                skip(exc)
        return out

    def error(self, message: str, cls: type[SchemaError] = SchemaError) -> SchemaError:
        return cls(f"{self.where}: {message}")

    # ---- items

    def entity(self, i: int, item: Any) -> Entity:
        if self.strict:  # the same conversions, in the same order, as _provenance's
            given = item.get("id")
            entity = Entity(
                self._new_id() if given is None else str(given),
                (start := int(item["start"])),
                (end := int(item["end"])),
                str(item["label"]),
                self.text[start:end] if item.get("text") is None else item["text"],
                list(item.get("annotators") or []),
                item.get("score"),
            )
            if not PROVENANCE_KEYS.isdisjoint(item):  # rare: the defaults are Entity's own
                for key, value in item_provenance(item).items():
                    setattr(entity, key, value)
            return entity
        if not isinstance(item, dict):
            raise self.error(f"entity {i} must be an object with start, end, label")
        start, end, text = self._span(item, "entity", i)
        label = item.get("label")
        allowed = self.allowed[0]
        if not isinstance(label, str) or not label or (allowed and label not in allowed):
            raise self._bad_label(f"entity {i} [{start}:{end}]", label, allowed)
        score = item.get("score")
        ident = str(item.get("id") or f"p{i}")
        share = self.share  # one object per distinct string: share(s, s)
        return Entity(
            share(ident, ident),
            start,
            end,
            share(label, label),
            share(text, text),
            score=float(score) if isinstance(score, (int, float)) else None,
        )

    def _new_id(self) -> str:
        """The next of ``T1``, ``T2``, ... that no entity of the document was given."""
        while True:
            self.last += 1
            ident = f"T{self.last}"
            if ident not in self.taken:
                self.taken.add(ident)
                return ident

    def mention(self, what: str, item: Any) -> Mention:
        if isinstance(item, str) and (self.strict or item.strip()):
            return Mention(text=item)
        if self.strict:
            start, end, ref = item.get("start"), item.get("end"), item.get("entity")
            return Mention(
                item.get("text") or "",
                None if start is None else int(start),
                None if end is None else int(end),
                None if ref is None else str(ref),
            )
        if not isinstance(item, dict):
            raise self.error(f"{what} must be a name or an object with entity/start/end")
        ref = item.get("entity")
        if ref is not None:
            ent = self.entities.get(str(ref))
            if ent is None:
                raise self.error(
                    f"{what} refers to entity {ref!r}, which this prediction does not have"
                )
            return Mention(ent.text, ent.start, ent.end, ent.id)
        if item.get("start") is None and item.get("end") is None:
            text = item.get("text")
            if not isinstance(text, str) or not text.strip():
                raise self.error(f"{what} has neither offsets nor a name")
            return Mention(text=text)
        start, end, text = self._span(item, what)
        return Mention(text, start, end)

    def stance(self, i: int, item: Any) -> Stance:
        if not self.strict and (
            not isinstance(item, dict) or "holder" not in item or "target" not in item
        ):
            raise self.error(f"stance {i} needs 'holder', 'target' and 'label'")
        holder = self.mention(f"stance {i} holder", item["holder"])
        target = self.mention(f"stance {i} target", item["target"])
        if self.strict:
            return Stance(holder, target, str(item["label"]), **_provenance(item))
        return Stance(
            holder, target, self._label(f"stance {i}", item.get("label"), self.allowed[1])
        )

    def doc_stance(self, i: int, item: Any) -> DocStance:
        if self.strict:
            return DocStance(str(item["target"]), str(item["label"]), **_provenance(item))
        if not isinstance(item, dict) or not isinstance(item.get("target"), str):
            raise self.error(f"doc stance {i} needs a 'target' and a 'label'")
        return DocStance(
            item["target"], self._label(f"doc stance {i}", item.get("label"), self.allowed[2])
        )

    # ---- checked fields (TOLERANT)

    def _span(self, item: dict, what: str, i: int | None = None) -> tuple[int, int, str]:
        """Offsets checked against the reference text, and the text they cover."""
        start, end = item.get("start"), item.get("end")
        if start.__class__ is not int or end.__class__ is not int:
            if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool):
                raise self.error(f"{_name(what, i)} needs integer 'start' and 'end'")
        n = len(self.text)
        if not 0 <= start < end <= n:
            raise self.error(
                f"{_name(what, i)} [{start}:{end}] lies outside the text (length "
                f"{n}) or is empty; offsets are code points, end exclusive",
                SpanError,
            )
        actual = self.text[start:end]
        surface = item.get("text")
        if surface is not None and surface != actual:
            raise self.error(
                f"{_name(what, i)} [{start}:{end}] has text {surface!r} but the "
                f"gold text has {actual!r} there; fix the offsets (code points, "
                "end exclusive)",
                SpanError,
            )
        return start, end, actual

    def _label(self, what: str, label: Any, allowed: list[str] | None) -> str:
        if not isinstance(label, str) or not label or (allowed and label not in allowed):
            raise self._bad_label(what, label, allowed)
        return label

    def _bad_label(self, what: str, label: Any, allowed: list[str] | None) -> SchemaError:
        if not isinstance(label, str) or not label:
            return self.error(f"{what} needs a 'label'")
        return self.error(
            f"{what} has label {label!r}, which is not in the label schema "
            f"({', '.join(allowed or [])}); map it to a schema label or drop it"
        )


_IDS: list[str] = []  # "p0", "p1", ...: the ids of predicted entities given none


def _prediction_ids(n: int) -> list[str]:
    """The ids ``p0`` ... ``p{n-1}``, made once and shared by every document."""
    if len(_IDS) < n:
        _IDS.extend(f"p{i}" for i in range(len(_IDS), n))
    return _IDS


def _name(what: str, i: int | None) -> str:
    return what if i is None else f"{what} {i}"


def _provenance(item: dict[str, Any]) -> dict[str, Any]:
    """Who made a STRICT item, its score and where it came from, as given."""
    return {
        "annotators": list(item.get("annotators") or []),
        "score": item.get("score"),
        **item_provenance(item),
    }


# --------------------------------------------------------------------------- documents


def parse_document(data: Any, where: str = "", unknown: UnknownKeys | None = None) -> Document:
    """A goldwire JSON object as a :class:`Document` (STRICT), every span checked. An object
    in a foreign format (:func:`goldwire.foreign.foreign_format`) raises InputError naming
    it; ``unknown`` counts the keys goldwire does not read."""
    where = where or "document"
    refuse_foreign(data, where)
    if unknown is not None and isinstance(data, dict):
        unknown.see(data)
    if not isinstance(data, dict):
        raise SchemaError(f"{where}: expected a JSON object, got {type(data).__name__}")
    if "id" not in data or "text" not in data:
        raise SchemaError(f"{where}: a goldwire document needs 'id' and 'text'")
    try:
        head = {
            "id": str(data["id"]),
            "text": data["text"],
            "source": data.get("source") or "",
            "agency": data.get("agency"),
            "dateline": data.get("dateline"),
            "published": data.get("published"),
            "published_raw": data.get("published_raw"),
            "title": data.get("title") or "",
            "lead": data.get("lead") or "",
            "paragraphs": [Paragraph(**p) for p in data.get("paragraphs") or []],
            "language": data.get("language"),
            "text_sha256": data.get("text_sha256") or "",
            "meta": {str(k): str(v) for k, v in (data.get("meta") or {}).items()},
            # no "annotation" key: fully annotated (goldwire JSONL from before the statuses)
            "annotation": Annotation.from_json(data.get("annotation")),
        }
        entities, stances, doc_stances = ItemParser().items(data, data["text"], where)
        doc = Document(**head, entities=entities, stances=stances, doc_stances=doc_stances)
    except (TypeError, KeyError, ValueError, AttributeError) as exc:
        raise SchemaError(f"{where} (id {data.get('id')}): malformed field: {exc}") from exc
    doc.validate()
    return doc


def check_reference(data: dict[str, Any], reference: Document, where: str) -> None:
    """Raise SchemaError unless ``data`` was made on ``reference``'s text: its ``text`` is
    that text, or (without ``text``) its ``text_sha256`` is that text's."""
    text = data.get("text")
    if text is not None:
        if text != reference.text:
            at = next(
                (i for i, (a, b) in enumerate(zip(text, reference.text, strict=False)) if a != b),
                min(len(text), len(reference.text)),
            )
            raise SchemaError(
                f"{where}: text differs from the gold text at offset {at}; "
                "predict on the gold text, or leave 'text' out and give "
                "'text_sha256'"
            )
        return
    sha = data.get("text_sha256")
    if not sha:
        raise SchemaError(
            f"{where}: has neither 'text' nor 'text_sha256', so its offsets "
            "cannot be checked against the gold text; add one of them"
        )
    if sha != reference.text_sha256:
        raise SchemaError(
            f"{where}: text_sha256 does not match the gold text's; the "
            "prediction was made on another version of the document"
        )


__all__ = ["ItemParser", "Mode", "Skip", "check_reference", "parse_document"]
