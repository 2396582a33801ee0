"""The Doccano edge: goldwire documents <-> Doccano examples, in both directions, in one place.

Up (push): every example carries the meta keys ``goldwire_id`` and ``goldwire_sha256``. A
document's entities and stances become spans and relations in the project's offset unit
(:func:`span_suggestions`, UTF-16 code units or graphemes through
:class:`~goldwire.annotate.offsets.OffsetMap`); its document stances become categories
``target:label`` of the ``NAME-docstance`` classification project
(:func:`category_suggestions`, :func:`category_name`). :func:`upload_line` makes the JSONL
record doccano's importer reads, :func:`encode_line` its bytes.

Down (pull): a record of doccano's JSONL export (one per example and member: ``id``,
``text``, the meta keys, ``entities`` with ``id``/``start_offset``/``end_offset``/``label``,
``relations`` with ``from_id``/``to_id``/``type`` naming those span ids, or ``label`` for
categories) becomes an :class:`Example` (:func:`example`), and a :class:`Converter` turns its
labels into goldwire entities, stances and document stances in code points
(:func:`parse_category` reads a category name back).

Every example also carries the suggestion record (meta key ``goldwire_suggestions``, see
:mod:`goldwire.annotate.suggestion_record`): up, :func:`upload_line` writes the record of the
suggestions in the line; down, :meth:`Converter.verdicts` classifies each label as ``human``
or as a suggestion accepted, edited or left unreviewed, and counts the suggestions the
annotator deleted, so that every pulled item carries its provenance.

Whatever cannot be converted is reported as a :class:`~goldwire.annotate.problems.Problem`,
never dropped or moved silently.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldwire.annotate import client
from goldwire.annotate import suggestion_record as sr
from goldwire.annotate.client import Project
from goldwire.annotate.offsets import OffsetError, OffsetMap, Unit
from goldwire.annotate.problems import Problem
from goldwire.provenance import Provenance, Suggested
from goldwire.schema import DocStance, Document, Entity, LabelInfo, LabelSchema, Mention, Stance

META_ID = "goldwire_id"
META_SHA = "goldwire_sha256"
GUIDELINES = Path(__file__).with_name("guidelines.md")
DOCSTANCE_SUFFIX = "-docstance"
#: The keys of an export record that hold labels (spans, relations; categories or spans).
LABEL_KEYS = ("entities", "relations", "label")


def guideline_ref(text: str) -> str:
    """Which guidelines a project shows: goldwire's ``annotate/guidelines.md`` or the
    project's own text, with the SHA-256 of the text (what the data card names)."""
    text = text.strip()  # the server strips it (DRF trims text fields)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    own = GUIDELINES.read_text(encoding="utf-8").strip()
    name = "annotate/guidelines.md (goldwire)" if text == own else "the project's guideline"
    return f"{name} sha256:{digest}" if text else "none (the project has no guideline)"


def docstance_project(name: str) -> str:
    """The name of the document-stance companion of project ``name``."""
    return name + DOCSTANCE_SUFFIX


# --------------------------------------------------------------------------- categories


def category_name(target: str, label: str) -> str:
    """The category of a document stance: ``target:label``."""
    return f"{target}:{label}"


def parse_category(name: str) -> tuple[str, str] | None:
    """``(target, label)`` of a category name (the label follows the last colon; a target may
    hold colons), or None when ``name`` is not ``target:label``."""
    target, sep, label = name.rpartition(":")
    if not sep or not target or not label:
        return None
    return target, label


def category_labels(labels: LabelSchema) -> list[LabelInfo]:
    """The categories of the ``-docstance`` project: every target with every stance label."""
    return [
        LabelInfo(category_name(target, info.name), info.description, info.color, "")
        for target in labels.doc_stance_targets
        for info in labels.doc_stances
    ]


# --------------------------------------------------------------------------- up: suggestions


@dataclass
class Suggestions:
    """One document's suggestions, in the project's offset unit.

    ``spans``: (start, end, label, code-point start, code-point end); ``relations``: (index of
    the holder span, index of the target span, label); ``categories``: names. ``owner`` is
    the Doccano user the suggestions are created as, ``source`` the model or file they come
    from; ``votes`` (review candidates) the annotators who chose each span, relation and
    category, in the same order."""

    spans: list[tuple[int, int, str, int, int]] = field(default_factory=list)
    relations: list[tuple[int, int, str]] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    owner: str = ""
    source: str = ""
    span_votes: list[list[str]] = field(default_factory=list)
    relation_votes: list[list[str]] = field(default_factory=list)
    category_votes: list[list[str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.spans or self.relations or self.categories)

    def record(self) -> sr.OwnerRecord:
        """The suggestion record of these suggestions (no Doccano ids yet)."""

        def votes(table: list[list[str]], i: int) -> list[str]:
            return list(table[i]) if i < len(table) else []

        return sr.OwnerRecord(
            self.source,
            [sr.SpanRecord(a, b, lab, votes=votes(self.span_votes, i))
             for i, (a, b, lab, _, _) in enumerate(self.spans)],
            [sr.RelationRecord(h, t, lab, votes=votes(self.relation_votes, i))
             for i, (h, t, lab) in enumerate(self.relations)],
            [sr.CategoryRecord(name, votes=votes(self.category_votes, i))
             for i, name in enumerate(self.categories)],
        )  # fmt: skip

    def counts(self) -> Counter:
        c: Counter = Counter(f"span:{s[2]}" for s in self.spans)
        c.update(f"relation:{r[2]}" for r in self.relations)
        c.update(f"category:{name}" for name in self.categories)
        return c


_Report = Callable[..., None]


def _reporter(doc: Document, problems: list[Problem]) -> _Report:
    def report(kind: str, detail: str, start=None, end=None, label=None) -> None:
        problems.append(Problem(kind, doc.id, detail, start=start, end=end, label=label))

    return report


def span_suggestions(
    doc: Document,
    pred: Document,
    unit: Unit,
    labels: LabelSchema,
    problems: list[Problem],
    *,
    allow_overlap: bool = False,
) -> Suggestions:
    """Entities and stances of ``pred`` as spans and relations of ``doc`` (same text).

    Reported and left out: unknown labels, overlapping spans (doccano would drop them
    silently; kept with ``allow_overlap``, for a project that allows them), stances whose
    holder or target is not one of the uploaded spans. The annotators of each item's
    ``votes`` go into the suggestions' votes."""
    out = Suggestions()
    report = _reporter(doc, problems)
    by_id, by_span = _spans(out, pred, OffsetMap(doc.text, unit), labels, report, allow_overlap)
    _relations(out, pred, by_id, by_span, labels, report)
    return out


def _spans(
    out: Suggestions,
    pred: Document,
    offsets: OffsetMap,
    labels: LabelSchema,
    report: _Report,
    allow_overlap: bool = False,
) -> tuple[dict[str, int], dict[tuple[int, int], int]]:
    """Add ``pred``'s entities to ``out.spans``; returns the span index by entity id and by
    code-point offsets."""
    by_id: dict[str, int] = {}
    by_span: dict[tuple[int, int], int] = {}
    last_end = -1
    known = set(labels.entity_labels)
    for ent in sorted(pred.entities, key=lambda e: (e.start, -e.end)):
        where = (ent.start, ent.end, ent.label)
        if ent.label not in known:
            detail = f"entity label {ent.label!r} is not in the label schema; suggestion left out"
            report("unknown_label", detail, *where)
            continue
        if ent.start < last_end and not allow_overlap:
            detail = (
                "overlaps an earlier suggested entity; doccano keeps no overlapping spans, left out"
            )
            report("overlapping_suggestion", detail, *where)
            continue
        try:
            start, end = offsets.span_to_units(ent.start, ent.end)
        except OffsetError as exc:
            report("unmappable_suggestion", str(exc), *where)
            continue
        by_id[ent.id] = by_span[(ent.start, ent.end)] = len(out.spans)
        out.spans.append((start, end, ent.label, ent.start, ent.end))
        out.span_votes.append(sorted({v.annotator for v in ent.votes}))
        last_end = max(last_end, ent.end)
    return by_id, by_span


def _relations(
    out: Suggestions,
    pred: Document,
    by_id: dict[str, int],
    by_span: dict[tuple[int, int], int],
    labels: LabelSchema,
    report: _Report,
) -> None:
    """Add ``pred``'s stances between suggested spans to ``out.relations``."""
    stance_labels = set(labels.stance_labels)
    for i, stance in enumerate(pred.stances):
        ends = []
        for mention in (stance.holder, stance.target):
            found = by_id.get(mention.entity) if mention.entity else None
            if found is None and mention.has_span:
                found = by_span.get((mention.start, mention.end))
            ends.append(found)
        if stance.label not in stance_labels:
            detail = f"stance {i} label {stance.label!r} is not in the label schema; left out"
            report("unknown_label", detail, label=stance.label)
        elif None in ends:
            detail = (
                f"stance {i} ({stance.label}): holder or target is not an uploaded entity "
                "span; doccano relations join spans, left out"
            )
            report("unlinked_stance", detail, label=stance.label)
        else:
            out.relations.append((ends[0], ends[1], stance.label))  # type: ignore[arg-type]
            out.relation_votes.append(sorted({v.annotator for v in stance.votes}))


def category_suggestions(
    doc: Document, pred: Document, categories: set[str], problems: list[Problem]
) -> Suggestions:
    """Document stances of ``pred`` as categories of ``doc`` (each once); those that are not
    one of ``categories`` are reported and left out."""
    out = Suggestions()
    for ds in pred.doc_stances:
        name = category_name(ds.target, ds.label)
        if name not in categories:
            problems.append(
                Problem(
                    "unknown_label",
                    doc.id,
                    f"document stance {name!r} is not a category of the "
                    "label schema (doc_stance_targets x doc_stances); left out",
                    label=name,
                )
            )
        elif name not in out.categories:
            out.categories.append(name)
            out.category_votes.append(sorted({v.annotator for v in ds.votes}))
    return out


def upload_line(doc: Document, project: Project, suggestions: Suggestions | None) -> dict:
    """One JSONL record for doccano's importer; every record has the same keys (#2229),
    the suggestion record among them (empty without suggestions)."""
    s = suggestions or Suggestions()
    record = sr.encode({s.owner: s.record()}) if s else ""
    line: dict[str, Any] = {
        "text": doc.text,
        META_ID: doc.id,
        META_SHA: doc.text_sha256,
        sr.META_SUGGESTIONS: record,
    }
    if project.project_type == client.DOCUMENT_CLASSIFICATION:
        line["label"] = list(s.categories)
    elif project.use_relation:
        line["entities"] = [
            {"id": i, "start_offset": a, "end_offset": b, "label": lab}
            for i, (a, b, lab, _, _) in enumerate(s.spans)
        ]
        line["relations"] = [
            {"id": i, "from_id": h, "to_id": t, "type": lab}
            for i, (h, t, lab) in enumerate(s.relations)
        ]
    else:
        line["label"] = [[a, b, lab] for a, b, lab, _, _ in s.spans]
    return line


def encode_line(line: dict) -> bytes:
    """ASCII-only JSON (the importer guesses encodings; ASCII reads the same in all)."""
    return (json.dumps(line, ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii")


# --------------------------------------------------------------------------- down: export


def has_labels(record: dict[str, Any]) -> bool:
    """Whether an export record holds any label of its member."""
    return any(record.get(k) for k in LABEL_KEYS)


def own_labels(record: dict[str, Any]) -> dict[str, list]:
    """An export record's labels by key (``entities``, ``relations``, ``label``)."""
    return {k: record.get(k) or [] for k in LABEL_KEYS}


def exported_spans(labels: dict[str, list]) -> set[tuple[int, int, str]]:
    """``(start, end, label)`` in the project's unit of the spans in :func:`own_labels`
    (``entities`` of a project with relations, ``[start, end, label]`` lists without)."""
    spans = {(e["start_offset"], e["end_offset"], e["label"]) for e in labels.get("entities", [])}
    return spans | {tuple(x) for x in labels.get("label", []) if isinstance(x, list)}


def exported_categories(labels: dict[str, list]) -> set[str]:
    """The category names in :func:`own_labels` of a classification project."""
    return {x for x in labels.get("label", []) if isinstance(x, str)}


@dataclass
class Example:
    """One example as exported for one annotator."""

    id: int
    gid: str
    text: str
    meta_sha: str | None
    entities: list[dict[str, Any]]
    relations: list[dict[str, Any]]
    categories: list[str]
    suggestions: Any = None  # the suggestion record's meta value; None: no such key

    @property
    def labelled(self) -> bool:
        return bool(self.entities or self.relations or self.categories)


def example(record: dict[str, Any], categories: bool) -> Example:
    """An export record with a goldwire id as an :class:`Example`; ``categories``: the record
    comes from a classification project (its ``label`` holds category names)."""
    return Example(
        id=int(record["id"]),
        gid=str(record[META_ID]),
        text=record.get("text") or "",
        meta_sha=record.get(META_SHA),
        entities=list(record.get("entities") or []),
        relations=list(record.get("relations") or []),
        categories=[str(c) for c in record.get("label") or []] if categories else [],
        suggestions=record.get(sr.META_SUGGESTIONS),
    )


class Converter:
    """Doccano labels of one project's examples -> goldwire entities, stances and document
    stances in code points; what cannot be converted goes to ``problems``."""

    def __init__(self, project: Project, problems: list[Problem]) -> None:
        self.project = project
        self.problems = problems
        self._maps: dict[int, OffsetMap] = {}
        self._unrecorded: set[str] = set()  # users told that a record is missing

    def _map(self, example: Example) -> OffsetMap:
        found = self._maps.get(example.id)
        if found is None:
            found = self._maps[example.id] = OffsetMap(example.text, self.project.unit)
        return found

    def report(self, kind: str, ex: Example, user: str, detail: str, **where: Any) -> None:
        self.problems.append(
            Problem(kind, ex.gid, detail, project=self.project.name, user=user, **where)
        )

    def verdicts(self, ex: Example, user: str, confirmed: bool) -> Verdicts:
        """How each of ``user``'s labels on ``ex`` came about (see
        :mod:`~goldwire.annotate.suggestion_record`); an unreadable record is reported and
        its labels get provenance ``unknown``."""
        if ex.suggestions is None:  # pushed before goldwire kept the record
            if user not in self._unrecorded and ex.labelled:
                self._unrecorded.add(user)
                self.report("no_suggestion_record", ex, user,
                            f"example {ex.id} (and maybe others of this project) has no "
                            f"{sr.META_SUGGESTIONS} key: pushed by a goldwire that did not "
                            "record suggestions, so suggestion and decision cannot be told "
                            "apart; provenance left empty (push into a new project to record "
                            "it)")  # fmt: skip
            return NOT_RECORDED
        try:
            records = sr.decode(ex.suggestions)
        except ValueError as exc:
            self.report("unreadable_suggestion_record", ex, user,
                        f"example {ex.id}: {exc}; provenance of the labels unknown")  # fmt: skip
            return Verdicts(None, default=Provenance.UNKNOWN)
        record = records.get(user)
        found = sr.classify(record, ex.entities, ex.relations, ex.categories, confirmed=confirmed)
        source = record.source if record else ""
        return Verdicts(found, default=Provenance.HUMAN, source=source)

    def entities(
        self, ex: Example, user: str, verdicts: Verdicts | None = None
    ) -> dict[int, Entity]:
        """The example's spans as entities ``s<span id>``, by span id, with provenance."""
        offsets = self._map(ex)
        verdicts = verdicts or NOT_RECORDED
        out: dict[int, Entity] = {}
        for span in ex.entities:
            a, b, label = span["start_offset"], span["end_offset"], str(span["label"])
            try:
                start, end = offsets.span_to_codepoints(a, b)
                if start >= end:
                    raise OffsetError(f"span [{a}:{b}] is empty once mapped to code points")
            except OffsetError as exc:
                unit = self.project.unit.value
                detail = f"{label} span at {unit} offsets [{a}:{b}] of example {ex.id}: {exc}"
                self.report(
                    "unmappable_span", ex, user, f"{detail}; left out", start=a, end=b, label=label
                )
                continue
            provenance, suggested = verdicts.span(int(span["id"]), offsets)
            out[int(span["id"])] = Entity(
                id=f"s{span['id']}",
                start=start,
                end=end,
                label=label,
                text=ex.text[start:end],
                annotators=[user],
                provenance=provenance,
                suggested=suggested,
            )
        return out

    def stances(
        self,
        ex: Example,
        user: str,
        entities: dict[int, Entity],
        verdicts: Verdicts | None = None,
    ) -> list[Stance]:
        """The example's relations between ``entities`` as stances holder -> target."""
        verdicts = verdicts or NOT_RECORDED
        out = []
        for rel in ex.relations:
            holder, target = entities.get(int(rel["from_id"])), entities.get(int(rel["to_id"]))
            if holder is None or target is None:
                self.report(
                    "unmappable_relation",
                    ex,
                    user,
                    f"{rel['type']} relation {rel['id']} joins a span that could not be "
                    "mapped; left out",
                    label=str(rel["type"]),
                )
                continue
            provenance, suggested = verdicts.relation(int(rel["id"]))
            out.append(Stance(entity_mention(holder), entity_mention(target), str(rel["type"]),
                              [user], provenance=provenance, suggested=suggested))  # fmt: skip
        return out

    def doc_stances(
        self, ex: Example, user: str, verdicts: Verdicts | None = None
    ) -> list[DocStance]:
        """The example's categories ``target:label`` as document stances."""
        verdicts = verdicts or NOT_RECORDED
        out = []
        for name in ex.categories:
            parsed = parse_category(name)
            if parsed is None:
                self.report(
                    "unmappable_category",
                    ex,
                    user,
                    f"category {name!r} is not target:label; left out",
                    label=name,
                )
                continue
            provenance, suggested = verdicts.category(name)
            out.append(DocStance(*parsed, [user], provenance=provenance, suggested=suggested))
        return out


@dataclass
class Verdicts:
    """One annotator's classified labels on one example (``found`` None: no record to go by,
    every label gets ``default``), as provenance and suggestion per label."""

    found: sr.Classified | None
    default: str
    source: str = ""

    @property
    def rejected(self) -> int:
        return len(self.found.rejected) if self.found else 0

    @property
    def orphaned(self) -> int:
        return len(self.found.orphaned) if self.found else 0

    def _get(self, table: str, key: Any) -> sr.Verdict | None:
        return getattr(self.found, table).get(key) if self.found else None

    def span(self, span_id: int, offsets: OffsetMap) -> tuple[str, Suggested | None]:
        v = self._get("spans", span_id)
        if v is None:
            return self.default, None
        if v.suggested is None:
            return v.provenance, None
        s = v.suggested
        try:
            start, end = offsets.span_to_codepoints(s.start, s.end)
        except OffsetError:
            start = end = None
        return v.provenance, Suggested(s.label, start, end, self.source)

    def relation(self, relation_id: int) -> tuple[str, Suggested | None]:
        v = self._get("relations", relation_id)
        if v is None:
            return self.default, None
        suggested = None if v.suggested is None else Suggested(v.suggested.type, source=self.source)
        return v.provenance, suggested

    def category(self, name: str) -> tuple[str, Suggested | None]:
        v = self._get("categories", name)
        if v is None:
            return self.default, None
        if v.suggested is None:
            return v.provenance, None
        parsed = parse_category(v.suggested.label)
        label = parsed[1] if parsed else v.suggested.label
        return v.provenance, Suggested(label, source=self.source)


#: Verdicts where nothing tells suggestion from decision: every label without provenance.
NOT_RECORDED = Verdicts(None, default="")


def entity_mention(e: Entity) -> Mention:
    """A stance endpoint naming entity ``e`` (its offsets, text and id)."""
    return Mention(e.text, e.start, e.end, e.id)
