"""The suggestion record: which spans, relations and categories a push created as suggestions,
kept on the server in each example's metadata, and how a pull tells suggestion from decision.

**The record.** The meta key ``goldwire_suggestions`` of every example goldwire uploads holds a
JSON string (empty when the example has no suggestions): ``{owner: record}``, one record per
Doccano user who owns suggestions on the example. A record (:class:`OwnerRecord`) names its
``source`` (the model or predictions file) and lists its ``spans`` (``[start, end, label]``,
offsets in the project's unit), ``relations`` (``[head, tail, type]``, head and tail indices
into ``spans``) and ``categories`` (``[name]``), each followed by its Doccano id and votes
when known (short lists: the record rides in every upload line and export record). goldwire
knows the ids of suggestions created through the API (``--as-user``, documents already in the
project, review candidates) are written first without ids, created, then written again with
their ids; suggestions that arrive with the import line have none (Doccano's importer returns
no ids), and are found by position. Review candidates also list the annotators who chose
them (``votes``). Because the record lives on the server, a pull on another machine
classifies alike.

**Classifying** (:func:`classify`), one annotator's labels on one example against their
record, with Doccano 1.8.4's UI in mind (a relabel is a PATCH that keeps the span's id and
owner; the UI cannot move a boundary, it deletes the span, and its relations with it, and
creates another):

* a suggestion still there as it was: ``suggestion-accepted`` when the example is confirmed,
  else ``suggestion-unreviewed``;
* a suggestion relabelled, or deleted and overlapped by a new span of the same annotator:
  ``suggestion-edited`` (what was suggested is kept);
* a suggestion deleted with nothing in its place: ``suggestion-rejected`` (counted);
* a suggested relation that vanished because one of its spans was deleted: counted apart
  (``orphaned``), not a rejection;
* everything else: ``human``.

A span is matched to its suggestion by id, else by offsets and label, else by offsets (a
relabel), else by the largest overlap (a redrawn boundary); a relation by id, else by its two
matched spans; a category by name, else by its target (``target:label``, another label).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from goldwire.provenance import Provenance

META_SUGGESTIONS = "goldwire_suggestions"
META_VOTES = "goldwire_votes"  # review projects: who chose what, for the reviewer to read


# --------------------------------------------------------------------------- the record


def _tail(ident: int | None, votes: list[str]) -> list[Any]:
    """The optional end of an item's list: its id, then its votes (only what is known)."""
    if votes:
        return [ident, list(votes)]
    return [] if ident is None else [ident]


def _ident(rest: list[Any]) -> int | None:
    return None if not rest or rest[0] is None else int(rest[0])


def _voters(rest: list[Any]) -> list[str]:
    return [str(v) for v in rest[1]] if len(rest) > 1 else []


@dataclass
class SpanRecord:
    start: int  # the project's unit
    end: int
    label: str
    id: int | None = None
    votes: list[str] = field(default_factory=list)

    def to_json(self) -> list[Any]:
        return [self.start, self.end, self.label, *_tail(self.id, self.votes)]

    @classmethod
    def from_json(cls, item: list[Any]) -> SpanRecord:
        start, end, label, *rest = item
        return cls(int(start), int(end), str(label), _ident(rest), _voters(rest))


@dataclass
class RelationRecord:
    head: int  # index into the record's spans
    tail: int
    type: str
    id: int | None = None
    votes: list[str] = field(default_factory=list)

    def to_json(self) -> list[Any]:
        return [self.head, self.tail, self.type, *_tail(self.id, self.votes)]

    @classmethod
    def from_json(cls, item: list[Any]) -> RelationRecord:
        head, tail, type_, *rest = item
        return cls(int(head), int(tail), str(type_), _ident(rest), _voters(rest))


@dataclass
class CategoryRecord:
    label: str
    id: int | None = None
    votes: list[str] = field(default_factory=list)

    def to_json(self) -> list[Any]:
        return [self.label, *_tail(self.id, self.votes)]

    @classmethod
    def from_json(cls, item: list[Any]) -> CategoryRecord:
        label, *rest = item
        return cls(str(label), _ident(rest), _voters(rest))


@dataclass
class OwnerRecord:
    """The suggestions one user owns on one example. On the wire each item is a short list
    (``[start, end, label]``, ``[head, tail, type]``, ``[name]``, then its id and votes when
    known): the record travels in every upload line and every export record."""

    source: str = ""
    spans: list[SpanRecord] = field(default_factory=list)
    relations: list[RelationRecord] = field(default_factory=list)
    categories: list[CategoryRecord] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.spans or self.relations or self.categories)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source}
        for key in ("spans", "relations", "categories"):
            if getattr(self, key):
                out[key] = [item.to_json() for item in getattr(self, key)]
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OwnerRecord:
        return cls(
            str(data.get("source") or ""),
            [SpanRecord.from_json(s) for s in data.get("spans") or []],
            [RelationRecord.from_json(r) for r in data.get("relations") or []],
            [CategoryRecord.from_json(c) for c in data.get("categories") or []],
        )


def encode(records: dict[str, OwnerRecord]) -> str:
    """The meta value for ``{owner: record}`` (empty records left out; "" when none)."""
    kept = {owner: r.to_json() for owner, r in sorted(records.items()) if r}
    return json.dumps(kept, ensure_ascii=False, separators=(",", ":")) if kept else ""


def decode(value: Any) -> dict[str, OwnerRecord]:
    """``{owner: record}`` from a meta value; ValueError when it cannot be read."""
    if value in (None, ""):
        return {}
    try:
        data = json.loads(value) if isinstance(value, str) else value
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return {str(owner): OwnerRecord.from_json(r) for owner, r in data.items()}
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
        raise ValueError(f"the {META_SUGGESTIONS} record cannot be read ({exc})") from None


# --------------------------------------------------------------------------- classifying


@dataclass
class Verdict:
    """The provenance of one current label and the suggestion it came from (if any)."""

    provenance: str
    suggested: Any = None  # SpanRecord | RelationRecord | CategoryRecord


@dataclass
class Classified:
    """One annotator's labels on one example, classified against their record."""

    spans: dict[int, Verdict] = field(default_factory=dict)  # by current span id
    relations: dict[int, Verdict] = field(default_factory=dict)  # by current relation id
    categories: dict[str, Verdict] = field(default_factory=dict)  # by category name
    rejected: list[Any] = field(default_factory=list)  # records deleted by the annotator
    orphaned: list[RelationRecord] = field(default_factory=list)


def _unchanged(confirmed: bool) -> str:
    return Provenance.ACCEPTED if confirmed else Provenance.UNREVIEWED


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


class _SpanMatch:
    """Suggested spans matched to current spans (see the module docstring)."""

    def __init__(self, suggested: list[SpanRecord], current: list[dict[str, Any]]) -> None:
        self.current = {int(c["id"]): c for c in current}
        self.matched: list[int | None] = [None] * len(suggested)
        self.deleted = [False] * len(suggested)  # the suggested span itself is gone
        claimed: set[int] = set()

        def claim(i: int, cid: int) -> None:
            self.matched[i] = cid
            claimed.add(cid)

        for i, s in enumerate(suggested):
            if s.id is not None and s.id in self.current:
                claim(i, s.id)
        for same in (_same_span_and_label, _same_span):
            for i, s in enumerate(suggested):
                if self.matched[i] is None:
                    found = next((cid for cid, c in self.current.items()
                                  if cid not in claimed and same(s, c)), None)  # fmt: skip
                    if found is not None:
                        claim(i, found)
                        self.deleted[i] = s.id is not None  # recreated: the old id is gone
        for i, s in enumerate(suggested):
            if self.matched[i] is None:
                self.deleted[i] = True
                best = max(
                    ((_overlap((s.start, s.end), _offsets(c)), cid)
                     for cid, c in self.current.items() if cid not in claimed),
                    default=(0, None),
                )  # fmt: skip
                if best[0] > 0 and best[1] is not None:
                    claim(i, best[1])
        self.claimed = claimed


def _offsets(c: dict[str, Any]) -> tuple[int, int]:
    return int(c["start_offset"]), int(c["end_offset"])


def _same_span_and_label(s: SpanRecord, c: dict[str, Any]) -> bool:
    return _offsets(c) == (s.start, s.end) and str(c["label"]) == s.label


def _same_span(s: SpanRecord, c: dict[str, Any]) -> bool:
    return _offsets(c) == (s.start, s.end)


def classify(
    record: OwnerRecord | None,
    spans: list[dict[str, Any]],
    relations: list[dict[str, Any]],
    categories: list[str],
    *,
    confirmed: bool,
) -> Classified:
    """Classify an annotator's current ``spans`` / ``relations`` (export records with ids) or
    ``categories`` (names) on one example against their suggestion ``record`` (None: they own
    no suggestions there, so everything is ``human``)."""
    out = Classified()
    record = record or OwnerRecord()
    match = _SpanMatch(record.spans, spans)
    for i, s in enumerate(record.spans):
        cid = match.matched[i]
        if cid is None:
            out.rejected.append(s)
            continue
        c = match.current[cid]
        same = _same_span_and_label(s, c)
        out.spans[cid] = Verdict(_unchanged(confirmed) if same else Provenance.EDITED, s)
    for cid in match.current:
        out.spans.setdefault(cid, Verdict(Provenance.HUMAN))
    _classify_relations(record, relations, match, out, confirmed)
    _classify_categories(record, categories, out, confirmed)
    return out


def _classify_relations(record: OwnerRecord, relations: list[dict[str, Any]],
                        match: _SpanMatch, out: Classified, confirmed: bool) -> None:  # fmt: skip
    current = {int(r["id"]): r for r in relations}
    claimed: set[int] = set()
    for r in record.relations:
        found = r.id if r.id is not None and r.id in current else None
        head, tail = _endpoint(match, r.head), _endpoint(match, r.tail)
        if found is None and head is not None and tail is not None:
            found = next(
                (rid for rid, c in current.items()
                 if rid not in claimed and _ends(c) == (head, tail)), None
            )  # fmt: skip
        if found is None:
            gone = _deleted(match, r.head) or _deleted(match, r.tail)
            (out.orphaned if gone else out.rejected).append(r)
            continue
        claimed.add(found)
        # unchanged: the same type between the suggested spans themselves (a relabelled span
        # is the same span; a redrawn one is not, and took the suggested relation with it)
        same = str(current[found]["type"]) == r.type and not (
            _deleted(match, r.head) or _deleted(match, r.tail)
        )
        out.relations[found] = Verdict(_unchanged(confirmed) if same else Provenance.EDITED, r)
    for rid in current:
        out.relations.setdefault(rid, Verdict(Provenance.HUMAN))


def _ends(relation: dict[str, Any]) -> tuple[int, int]:
    return int(relation["from_id"]), int(relation["to_id"])


def _endpoint(match: _SpanMatch, index: int) -> int | None:
    return match.matched[index] if 0 <= index < len(match.matched) else None


def _deleted(match: _SpanMatch, index: int) -> bool:
    return not 0 <= index < len(match.deleted) or match.deleted[index]


def _classify_categories(record: OwnerRecord, categories: list[str], out: Classified,
                         confirmed: bool) -> None:  # fmt: skip
    left = list(dict.fromkeys(categories))
    pending = []
    for c in record.categories:
        if c.label in left:
            left.remove(c.label)
            out.categories[c.label] = Verdict(_unchanged(confirmed), c)
        else:
            pending.append(c)
    for c in pending:
        target = c.label.rpartition(":")[0]
        other = next((name for name in left if name.rpartition(":")[0] == target), None)
        if other is None:
            out.rejected.append(c)
        else:
            left.remove(other)
            out.categories[other] = Verdict(Provenance.EDITED, c)
    for name in left:
        out.categories[name] = Verdict(Provenance.HUMAN)


__all__ = [
    "META_SUGGESTIONS",
    "META_VOTES",
    "CategoryRecord",
    "Classified",
    "OwnerRecord",
    "RelationRecord",
    "SpanRecord",
    "Verdict",
    "classify",
    "decode",
    "encode",
]
