"""The goldwire document schema, used by every stage.

A document's ``text`` is the exact string annotators see. Every offset is a Python code-point
offset into ``text`` (end exclusive), after Unicode NFC and ``\\n`` line endings. Every stored
span keeps its surface text, and loading checks ``text[start:end] == span.text``.

Three representations:

* :class:`Document` (dataclasses) in memory, checked by :meth:`Document.validate`;
* JSON lines (``to_json`` / ``from_json``): labels as strings, ``meta`` as an object. Reading
  JSON is :mod:`goldwire.parse`'s (the one parser, which also reads predictions against the
  gold); ``from_json`` is its strict mode followed by ``validate``;
* dataset rows (``to_row`` / ``from_row``): the typed features of :func:`features`, labels as
  ``ClassLabel`` from the :class:`LabelSchema`, ``meta`` as a list of key/value pairs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldwire import SCHEMA_VERSION
from goldwire.errors import SchemaError, SpanError
from goldwire.provenance import (
    ITEM_DEFAULTS,
    Annotation,
    Suggested,
    Vote,
    item_provenance_json,
)

PARAGRAPH_KINDS = ("title", "lead", "body")

DEFAULT_ENTITY_LABELS = ("PER", "ORG", "GPE", "LOC", "NORP", "EVENT", "MISC")
DEFAULT_STANCE_LABELS = ("SUPPORT", "OPPOSE", "NEUTRAL")
DEFAULT_DOC_STANCE_LABELS = ("SUPPORT", "OPPOSE", "NEUTRAL")


# --------------------------------------------------------------------------- label schema


@dataclass(frozen=True)
class LabelInfo:
    name: str
    description: str = ""
    color: str = "#888888"
    key: str = ""


@dataclass(frozen=True)
class LabelSchema:
    """The label sets of a corpus: entity labels, stance labels, document-stance labels."""

    entities: tuple[LabelInfo, ...]
    stances: tuple[LabelInfo, ...]
    doc_stances: tuple[LabelInfo, ...]
    doc_stance_targets: tuple[str, ...] = ()

    @property
    def entity_labels(self) -> list[str]:
        return [label.name for label in self.entities]

    @property
    def stance_labels(self) -> list[str]:
        return [label.name for label in self.stances]

    @property
    def doc_stance_labels(self) -> list[str]:
        return [label.name for label in self.doc_stances]

    @classmethod
    def default(cls) -> LabelSchema:
        return cls.from_toml(Path(__file__).with_name("labels.toml"))

    @classmethod
    def from_names(
        cls,
        entities: Iterable[str] = DEFAULT_ENTITY_LABELS,
        stances: Iterable[str] = DEFAULT_STANCE_LABELS,
        doc_stances: Iterable[str] = DEFAULT_DOC_STANCE_LABELS,
    ) -> LabelSchema:
        return cls(
            tuple(LabelInfo(n) for n in entities),
            tuple(LabelInfo(n) for n in stances),
            tuple(LabelInfo(n) for n in doc_stances),
        )

    @classmethod
    def from_toml(cls, path: str | Path) -> LabelSchema:
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SchemaError(f"{path}: cannot read the label schema ({exc})") from exc
        return cls.from_dict(data, origin=str(path))

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str = "label schema") -> LabelSchema:
        def infos(section: str, required: bool) -> tuple[LabelInfo, ...]:
            items = data.get(section, [])
            if required and not items:
                raise SchemaError(f"{origin}: section [[{section}]] needs at least one label")
            out = []
            for item in items:
                if isinstance(item, str):
                    item = {"name": item}
                if "name" not in item:
                    raise SchemaError(f"{origin}: a label in [[{section}]] has no name")
                out.append(
                    LabelInfo(
                        str(item["name"]),
                        str(item.get("description", "")),
                        str(item.get("color", "#888888")),
                        str(item.get("key", "")),
                    )
                )
            names = [i.name for i in out]
            if len(set(names)) != len(names):
                raise SchemaError(f"{origin}: duplicate label names in [[{section}]]: {names}")
            return tuple(out)

        return cls(
            infos("entities", True),
            infos("stances", False),
            infos("doc_stances", False),
            tuple(str(t) for t in data.get("doc_stance_targets", [])),
        )

    def to_dict(self) -> dict[str, Any]:
        def dump(items: tuple[LabelInfo, ...]) -> list[dict[str, str]]:
            return [
                {"name": i.name, "description": i.description, "color": i.color, "key": i.key}
                for i in items
            ]

        return {
            "entities": dump(self.entities),
            "stances": dump(self.stances),
            "doc_stances": dump(self.doc_stances),
            "doc_stance_targets": list(self.doc_stance_targets),
        }


# --------------------------------------------------------------------------- annotations


@dataclass(slots=True)
class Entity:
    id: str
    start: int
    end: int
    label: str
    text: str
    annotators: list[str] = field(default_factory=list)
    score: float | None = None
    provenance: str = ""  # see goldwire.provenance
    suggested: Suggested | None = None
    votes: list[Vote] = field(default_factory=list)
    adjudicated_by: str = ""


@dataclass(slots=True)
class Mention:
    """A stance endpoint: a marked mention (entity id and/or offsets) or a name only."""

    text: str
    start: int | None = None
    end: int | None = None
    entity: str | None = None

    @property
    def has_span(self) -> bool:
        return self.start is not None and self.end is not None


@dataclass(slots=True)
class Stance:
    holder: Mention
    target: Mention
    label: str
    annotators: list[str] = field(default_factory=list)
    score: float | None = None
    provenance: str = ""
    suggested: Suggested | None = None
    votes: list[Vote] = field(default_factory=list)
    adjudicated_by: str = ""


@dataclass(slots=True)
class DocStance:
    target: str
    label: str
    annotators: list[str] = field(default_factory=list)
    score: float | None = None
    provenance: str = ""
    suggested: Suggested | None = None
    votes: list[Vote] = field(default_factory=list)
    adjudicated_by: str = ""


@dataclass(slots=True)
class Paragraph:
    kind: str
    start: int
    end: int


@dataclass(slots=True)
class Document:
    id: str
    text: str
    source: str = ""
    agency: str | None = None
    dateline: str | None = None
    published: str | None = None
    published_raw: str | None = None
    title: str = ""
    lead: str = ""
    paragraphs: list[Paragraph] = field(default_factory=list)
    language: str | None = None
    text_sha256: str = ""
    meta: dict[str, str] = field(default_factory=dict)
    entities: list[Entity] = field(default_factory=list)
    stances: list[Stance] = field(default_factory=list)
    doc_stances: list[DocStance] = field(default_factory=list)
    # who annotated each layer; the default says nobody did (see goldwire.provenance)
    annotation: Annotation = field(default_factory=Annotation)

    def __post_init__(self) -> None:
        if not self.text_sha256:
            self.text_sha256 = text_sha256(self.text)

    # ---- validation

    def validate(self, labels: LabelSchema | None = None) -> None:
        """Check every span against ``text`` and every label against ``labels``.

        Raises :class:`SpanError` / :class:`SchemaError` naming the document and span.
        """
        if self.text_sha256 != text_sha256(self.text):
            raise SchemaError(
                f"document {self.id}: text_sha256 does not match its text; "
                "the text was changed after the hash was taken"
            )
        n = len(self.text)
        for p in self.paragraphs:
            _check_range(self, "paragraph", p.start, p.end, n)
            if p.kind not in PARAGRAPH_KINDS:
                raise SchemaError(
                    f"document {self.id}: paragraph kind {p.kind!r} is not one of "
                    f"{', '.join(PARAGRAPH_KINDS)}"
                )
        ids = set()
        text = self.text
        for e in self.entities:
            start, end = e.start, e.end  # the error text is made only for a bad span
            if not (start.__class__ is int and end.__class__ is int and 0 <= start < end <= n
                    and text[start:end] == e.text):  # fmt: skip
                check_span(self, start, end, e.text, what=f"entity {e.id}")
            if e.id in ids:
                raise SchemaError(f"document {self.id}: entity id {e.id!r} is used twice")
            ids.add(e.id)
            if labels is not None and e.label not in labels.entity_labels:
                raise SchemaError(
                    f"document {self.id}: entity {e.id} [{e.start}:{e.end}] has label "
                    f"{e.label!r}, which is not in the label schema "
                    f"({', '.join(labels.entity_labels)})"
                )
        by_id = {e.id: e for e in self.entities}
        for i, s in enumerate(self.stances):
            for role, m in (("holder", s.holder), ("target", s.target)):
                self._check_mention(i, role, m, by_id)
            if labels is not None and s.label not in labels.stance_labels:
                raise SchemaError(
                    f"document {self.id}: stance {i} has label {s.label!r}, which is not in "
                    f"the label schema ({', '.join(labels.stance_labels)})"
                )
        for i, d in enumerate(self.doc_stances):
            if labels is not None and d.label not in labels.doc_stance_labels:
                raise SchemaError(
                    f"document {self.id}: document stance {i} has label {d.label!r}, which is "
                    f"not in the label schema ({', '.join(labels.doc_stance_labels)})"
                )

    def _check_mention(self, i: int, role: str, m: Mention, by_id: dict[str, Entity]) -> None:
        what = f"stance {i} {role}"
        if m.entity is not None:
            ent = by_id.get(m.entity)
            if ent is None:
                raise SchemaError(
                    f"document {self.id}: {what} refers to entity {m.entity!r}, which the "
                    "document does not have"
                )
            if m.has_span and (m.start, m.end) != (ent.start, ent.end):
                raise SpanError(
                    f"document {self.id}: {what} [{m.start}:{m.end}] disagrees with the offsets "
                    f"of entity {m.entity} [{ent.start}:{ent.end}]"
                )
        if m.has_span:
            check_span(self, m.start, m.end, m.text, what=what)  # type: ignore[arg-type]
        elif (m.start is None) != (m.end is None):
            raise SpanError(f"document {self.id}: {what} has only one of start/end")
        elif m.entity is None and not m.text:
            raise SchemaError(f"document {self.id}: {what} has neither offsets nor a name")

    def resolve(self, m: Mention) -> Mention:
        """Fill a mention's offsets and text from the entity it names."""
        if m.entity is not None and not m.has_span:
            for e in self.entities:
                if e.id == m.entity:
                    return Mention(e.text, e.start, e.end, e.id)
        return m

    # ---- JSON lines

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "agency": self.agency,
            "dateline": self.dateline,
            "published": self.published,
            "published_raw": self.published_raw,
            "title": self.title,
            "lead": self.lead,
            "text": self.text,
            "paragraphs": [_para_dict(p) for p in self.paragraphs],
            "language": self.language,
            "text_sha256": self.text_sha256,
            "meta": dict(self.meta),
            "entities": [_entity_dict(e) for e in self.entities],
            "stances": [_stance_dict(s) for s in self.stances],
            "doc_stances": [_docstance_dict(d) for d in self.doc_stances],
            "annotation": self.annotation.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], where: str = "", unknown: Any = None) -> Document:
        """Build a document from a JSON object (goldwire JSONL), checking every span
        (:func:`goldwire.parse.parse_document`; ``unknown``: a
        :class:`goldwire.foreign.UnknownKeys` counting the keys goldwire does not read)."""
        from goldwire.parse import parse_document

        return parse_document(data, where, unknown)

    # ---- dataset rows

    def to_row(self) -> dict[str, Any]:
        row = self.to_json()
        row["meta"] = [{"key": k, "value": v} for k, v in self.meta.items()]
        for key in ("entities", "stances", "doc_stances"):  # every feature's key, set or not
            row[key] = [{**ITEM_DEFAULTS, **item} for item in row[key]]
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any], labels: LabelSchema | None = None) -> Document:
        """Inverse of :meth:`to_row`; ClassLabel integers are mapped back through ``labels``."""
        data = dict(row)
        data["meta"] = {kv["key"]: kv["value"] for kv in row.get("meta") or []}
        data["paragraphs"] = [
            {**p, "kind": _label_name(p["kind"], list(PARAGRAPH_KINDS))}
            for p in row.get("paragraphs") or []
        ]
        if labels is not None:
            data["entities"] = [
                {**e, "label": _label_name(e["label"], labels.entity_labels)}
                for e in row.get("entities") or []
            ]
            data["stances"] = [
                {**s, "label": _label_name(s["label"], labels.stance_labels)}
                for s in row.get("stances") or []
            ]
            data["doc_stances"] = [
                {**d, "label": _label_name(d["label"], labels.doc_stance_labels)}
                for d in row.get("doc_stances") or []
            ]
        return cls.from_json(data, where=f"document {row.get('id')}")


def _label_name(value: Any, names: list[str]) -> str:
    return names[value] if isinstance(value, int) else value


def _check_range(doc: Document, what: str, start: int, end: int, n: int) -> None:
    if not (isinstance(start, int) and isinstance(end, int)) or not 0 <= start < end <= n:
        raise SpanError(
            f"document {doc.id}: {what} [{start}:{end}] lies outside the text "
            f"(length {n}) or is empty; offsets are code points, end exclusive"
        )


def check_span(doc: Document, start: int, end: int, surface: str, what: str = "span") -> None:
    """Raise SpanError unless ``doc.text[start:end] == surface``."""
    _check_range(doc, what, start, end, len(doc.text))
    actual = doc.text[start:end]
    if actual != surface:
        raise SpanError(
            f"document {doc.id}: {what} [{start}:{end}] has text {surface!r} but the document "
            f"has {actual!r} there; fix the offsets or the text (offsets are code points)"
        )


def _para_dict(p: Paragraph) -> dict[str, Any]:
    return {"kind": p.kind, "start": p.start, "end": p.end}


def _entity_dict(e: Entity) -> dict[str, Any]:
    return {
        "id": e.id,
        "start": e.start,
        "end": e.end,
        "label": e.label,
        "text": e.text,
        "annotators": list(e.annotators),
        "score": e.score,
        **item_provenance_json(e),
    }


def _mention_dict(m: Mention) -> dict[str, Any]:
    return {"entity": m.entity, "start": m.start, "end": m.end, "text": m.text}


def _stance_dict(s: Stance) -> dict[str, Any]:
    return {
        "holder": _mention_dict(s.holder),
        "target": _mention_dict(s.target),
        "label": s.label,
        "annotators": list(s.annotators),
        "score": s.score,
        **item_provenance_json(s),
    }


def _docstance_dict(d: DocStance) -> dict[str, Any]:
    return {
        "target": d.target,
        "label": d.label,
        "annotators": list(d.annotators),
        "score": d.score,
        **item_provenance_json(d),
    }


# --------------------------------------------------------------------------- helpers


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def document_id(text: str) -> str:
    """The stable id of a document: the first 16 hex digits of its text's SHA-256.

    Derived from the normalised text only, so rebuilding from the same input (in any order,
    from any path) gives the same id, and exact duplicates share their id.
    """
    return text_sha256(text)[:16]


# --------------------------------------------------------------------------- JSON lines


def read_jsonl(
    path: str | Path, *, strict: bool = True, notes: list[str] | None = None
) -> Iterator[Document]:
    """Yield the documents of a goldwire JSONL file, checking every span.

    With ``strict=False`` a bad line is skipped and reported through the yielded
    :class:`SchemaError` being collected by the caller: use :func:`read_jsonl_report`.
    """
    for item in read_jsonl_report(path, notes):
        if isinstance(item, SchemaError):
            if strict:
                raise item
            continue
        yield item


def read_jsonl_report(
    path: str | Path, notes: list[str] | None = None
) -> Iterator[Document | SchemaError]:
    """Yield each line's Document, or the SchemaError that line raised (naming file and line).
    A file in a foreign format raises InputError naming it; unknown keys make one warning
    line, in ``notes`` (:mod:`goldwire.foreign`)."""
    from goldwire.foreign import UnknownKeys, refuse_foreign_file

    path = Path(path)
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise SchemaError(f"{path}: cannot open ({exc.strerror})") from exc
    refuse_foreign_file(path)
    unknown = UnknownKeys()
    with handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                yield SchemaError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})")
                continue
            try:
                yield Document.from_json(data, where=where, unknown=unknown)
            except SchemaError as exc:
                msg = str(exc)
                yield type(exc)(msg if msg.startswith(where) else f"{where}: {msg}")
    unknown.tell(path, notes)


def write_jsonl(docs: Iterable[Document], path: str | Path) -> int:
    """Write documents as goldwire JSONL (UTF-8, one object per line, atomically); returns
    the count."""
    from goldwire.files import write_jsonl as write_lines

    return write_lines(path, (doc.to_json() for doc in docs))


__all__ = [
    "SCHEMA_VERSION",
    "Annotation",
    "DocStance",
    "Document",
    "Entity",
    "LabelInfo",
    "LabelSchema",
    "Mention",
    "Paragraph",
    "Stance",
    "check_span",
    "document_id",
    "read_jsonl",
    "read_jsonl_report",
    "text_sha256",
    "write_jsonl",
]
