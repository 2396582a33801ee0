"""Suggestions (pre-annotations) of a push: made from predictions, checked once uploaded,
created through the API where the upload cannot carry them.

:meth:`Suggester.make` converts each prediction (same text as the corpus document) into the
project's spans, relations or categories (:mod:`goldwire.annotate.records`). Suggestions
uploaded with the documents belong to the pushing user; they are checked against the
server's per-user label counts once the last batch is in (:meth:`Suggester.check_uploaded`),
and a difference is tracked down document by document through the export, every dropped
span reported. Doccano shows a user only their own labels: suggestions for an annotator are
created through the API as that user (``as_user``), document by document, and only on
documents where that user has nothing yet (:meth:`Suggester.create_missing`); so are the
suggestions for documents that were already in the project.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from typing import Any

from goldwire.annotate import client
from goldwire.annotate import suggestion_record as sr
from goldwire.annotate.client import LabelKind
from goldwire.annotate.http import DoccanoSession
from goldwire.annotate.push_report import PushReport
from goldwire.annotate.push_state import Lister, Target
from goldwire.annotate.records import (
    Suggestions,
    category_suggestions,
    exported_categories,
    exported_spans,
    span_suggestions,
)
from goldwire.errors import ServerError
from goldwire.progress import Progress, no_progress
from goldwire.schema import Document, LabelSchema


@dataclass
class Suggester:
    """The suggestions of one push, owned by ``as_user`` when given, else by the session's
    user; reported into ``report``."""

    session: DoccanoSession
    report: PushReport
    lister: Lister  # lists the project again when the server's labels need a closer look
    progress: Progress = no_progress
    _: KW_ONLY
    predictions: dict[str, Document] | None
    labels: LabelSchema
    as_user: DoccanoSession | None = None
    source: str = ""  # the model or predictions file, recorded with every suggestion

    @property
    def owner(self) -> str | None:
        return self.as_user.username if self.as_user else self.session.username

    # -- from predictions ------------------------------------------------------------------

    def make(self, target: Target, docs: list[Document]) -> None:
        """The suggestions for ``docs`` in ``target``'s project, into ``target.suggestions``."""
        if not self.predictions:
            return
        spans = target.project.project_type == client.SEQUENCE_LABELING
        categories = set(target.label_ids.get("category", {}))
        for doc in docs:
            pred = self.predictions.get(doc.id)
            if pred is None:
                continue
            if pred.text_sha256 != doc.text_sha256:
                if spans:  # once, not again for the -docstance project
                    self.report.add(
                        "prediction_text_mismatch",
                        doc.id,
                        "the prediction's text differs "
                        "from the corpus text; its suggestions are left out",
                    )
                continue
            if spans:
                s = span_suggestions(
                    doc,
                    pred,
                    target.project.unit,
                    self.labels,
                    self.report.problems,
                    allow_overlap=target.project.allow_overlapping,
                )
                if not target.project.use_relation:
                    s.relations = []
            else:
                s = category_suggestions(doc, pred, categories, self.report.problems)
            if s:
                s.owner, s.source = self.owner or "", self.source
                target.suggestions[doc.id] = s

    # -- uploaded with the documents -------------------------------------------------------

    def counts_before(self, target: Target, new: list[Document]) -> Counter | None:
        """The owner's label counts before ``new`` go up with suggestions (None: nothing to
        check afterwards)."""
        if not any(doc.id in target.suggestions for doc in new):
            return None
        return self._distribution(target)

    def _distribution(self, target: Target) -> Counter:
        kinds = (
            (LabelKind.category,)
            if target.project.project_type == client.DOCUMENT_CLASSIFICATION
            else (LabelKind.span, LabelKind.relation)
            if target.project.use_relation
            else (LabelKind.span,)
        )
        out: Counter = Counter()
        for kind in kinds:
            per_user = client.label_distribution(self.session, target.project.id, kind)
            for label, n in (per_user.get(self.owner or "") or {}).items():
                out[f"{kind.name}:{label}"] += n
        return out

    def check_uploaded(self, target: Target, before: Counter, arrived: list[Document]) -> None:
        """Compare the owner's label counts with the suggestions of the documents that
        arrived; on a difference list the project and report every dropped suggestion."""
        expected: Counter = Counter()
        for doc in arrived:
            s = target.suggestions.get(doc.id)
            if s:
                expected.update(s.counts())
        delta = Counter(self._distribution(target))
        delta.subtract(before)
        target.report.uploaded_labels = _by_kind(expected)
        if +delta != +expected:
            target.report.listing += " (labels checked by export)"
            self.lister.list_by_export(target)
            self._compare_uploaded(target, arrived)
        else:
            for doc in arrived:
                if doc.id in target.suggestions:
                    target.index.mark(doc.id, self.owner or "")

    def _compare_uploaded(self, target: Target, arrived: list[Document]) -> None:
        """Report every uploaded suggestion that the server dropped."""
        for doc in arrived:
            s = target.suggestions.get(doc.id)
            there = target.index.first(doc.id)
            if not s or there is None:
                continue
            self._dropped(target, doc, s, there.own)

    def _dropped(self, target: Target, doc: Document, s: Suggestions, own: dict) -> None:
        got, cats = exported_spans(own), exported_categories(own)
        dropped = [
            ("span_dropped", f"the server dropped the suggested {label} span", label, cs, ce)
            for start, end, label, cs, ce in s.spans
            if (start, end, label) not in got
        ]
        dropped += [
            ("category_dropped", f"the server dropped category {name}", name, None, None)
            for name in s.categories
            if name not in cats
        ]
        for kind, detail, label, start, end in dropped:
            self.report.add(
                kind, doc.id, detail, project=target.name, start=start, end=end, label=label
            )
        there = target.index.first(doc.id)
        if dropped and there is not None and there.id is not None:
            record = _arrived(s.record(), got, cats, len(own.get("relations", [])))
            RecordWriter(self.session, target.project.id, there.id, self.owner or "").write(
                record, None
            )
        n_rel = len(own.get("relations", []))
        if n_rel < len(s.relations):
            self.report.add(
                "relation_dropped",
                doc.id,
                f"{len(s.relations) - n_rel} suggested relation(s) missing after the import",
                project=target.name,
            )

    # -- through the API -------------------------------------------------------------------

    def create_missing(
        self, target: Target, docs: list[Document], uploaded: list[Document]
    ) -> None:
        """Create suggestions through the API where the owner has nothing yet: documents
        already in doccano, or all of them when suggesting as another user."""
        todo = self._missing(target, docs, uploaded)
        if not todo:
            return
        todo = self._with_example_ids(target, todo)
        owner_session = self.as_user or self.session
        if self.as_user is not None:
            self._ensure_member(target)
        created: Counter = Counter()
        phase = f"{target.name}: suggestions as {self.owner}"
        for i, doc in enumerate(todo, 1):
            example = target.index.first(doc.id)
            assert example is not None and example.id is not None
            created.update(self._create(owner_session, target, doc, example.id))
            target.index.mark(doc.id, self.owner or "")
            self.progress(phase, i, len(todo))
        target.report.suggestions_created = _by_kind(created)

    def _missing(
        self, target: Target, docs: list[Document], uploaded: list[Document]
    ) -> list[Document]:
        """The documents with suggestions that the owner does not have on the server (the
        documents just uploaded carry theirs, unless suggesting as another user)."""
        fresh = {d.id for d in uploaded} if self.as_user is None else set()
        return [
            d
            for d in docs
            if d.id in target.suggestions
            and d.id not in fresh
            and (ex := target.index.first(d.id)) is not None
            and ex.sha == d.text_sha256
            and self.owner not in ex.users
        ]

    def _with_example_ids(self, target: Target, todo: list[Document]) -> list[Document]:
        """``todo`` once their example ids are known: when some are not, the project is listed
        through the export, and documents the owner has labels on by now are dropped."""
        if target.index.complete_ids and not any(_no_id(target, d) for d in todo):
            return todo
        self.lister.list_by_export(target)
        return [
            d
            for d in todo
            if (ex := target.index.first(d.id)) is not None and self.owner not in ex.users
        ]

    def _ensure_member(self, target: Target) -> None:
        members = {m.username for m in client.list_members(self.session, target.project.id)}
        if self.owner not in members:
            client.add_member(self.session, target.project.id, self.owner or "")
            self.report.notes.append(
                f"{target.name}: added {self.owner} as annotator (to own the suggestions)"
            )

    def _create(
        self, session: DoccanoSession, target: Target, doc: Document, example_id: int
    ) -> Counter:
        """One document's suggestions, created as ``session``'s user; failures reported."""
        s = target.suggestions[doc.id]
        pid = target.project.id
        ids = target.label_ids
        attempt = _Attempts(self.report, target, doc)
        writer = RecordWriter(self.session, pid, example_id, self.owner or "")
        record = s.record()
        writer.write(record, votes_text(doc, s))  # first without ids: found by position
        span_ids = [
            attempt(
                f"span:{label}",
                lambda a=a, b=b, label=label: client.create_span(
                    session, pid, example_id, a, b, ids["span"][label]
                ),
                start=cs,
                end=ce,
            )
            for a, b, label, cs, ce in s.spans
        ]
        relation_ids = [
            attempt(
                f"relation:{label}",
                lambda h=span_ids[h], t=span_ids[t], label=label: client.create_relation(
                    session, pid, example_id, h, t, ids["relation"][label]
                ),
            )
            if span_ids[h] is not None and span_ids[t] is not None
            else None
            for h, t, label in s.relations
        ]
        category_ids = [
            attempt(
                f"category:{name}",
                lambda name=name: client.create_category(
                    session, pid, example_id, ids["category"][name]
                ),
            )
            for name in s.categories
        ]
        writer.write(_with_ids(record, span_ids, relation_ids, category_ids), None)
        return attempt.created


class _Attempts:
    """Creates one suggestion at a time, counting what was made and reporting failures."""

    def __init__(self, report: PushReport, target: Target, doc: Document) -> None:
        self.report, self.target, self.doc = report, target, doc
        self.created: Counter = Counter()

    def __call__(self, key: str, make: Callable[[], int], **where: Any) -> int | None:
        try:
            made = make()
        except ServerError as exc:
            kind, label = key.split(":", 1)
            self.report.add(
                f"{kind}_dropped",
                self.doc.id,
                f"creating the suggested {kind} failed: {exc}",
                project=self.target.name,
                label=label,
                **where,
            )
            return None
        self.created[key] += 1
        return made


# --------------------------------------------------------------------------- the record


@dataclass
class RecordWriter:
    """Writes one owner's suggestion record into an example's metadata (as the pushing
    session, a project admin: annotators cannot change examples)."""

    session: DoccanoSession
    project_id: int
    example_id: int
    owner: str

    def write(self, record: sr.OwnerRecord, votes: str | None) -> None:
        """Merge ``record`` (and, when given, the ``goldwire_votes`` text) into the meta."""
        meta = client.example_meta(self.session, self.project_id, self.example_id)
        try:
            records = sr.decode(meta.get(sr.META_SUGGESTIONS))
        except ValueError:
            records = {}  # unreadable: replaced by what goldwire knows now
        records[self.owner] = record
        meta[sr.META_SUGGESTIONS] = sr.encode(records)
        if votes is not None:
            meta[sr.META_VOTES] = votes
        client.update_example_meta(self.session, self.project_id, self.example_id, meta)


def _keep(record: sr.OwnerRecord, spans: list[bool], relations: list[bool],
          categories: list[bool]) -> sr.OwnerRecord:  # fmt: skip
    """The items of ``record`` marked to keep (a kept relation's spans are kept)."""
    index: dict[int, int] = {}
    kept = []
    for i, (span, keep) in enumerate(zip(record.spans, spans, strict=True)):
        if keep:
            index[i] = len(kept)
            kept.append(span)
    return sr.OwnerRecord(
        record.source,
        kept,
        [dataclasses.replace(r, head=index[r.head], tail=index[r.tail])
         for r, keep in zip(record.relations, relations, strict=True) if keep],
        [c for c, keep in zip(record.categories, categories, strict=True) if keep],
    )  # fmt: skip


def _with_ids(
    record: sr.OwnerRecord,
    span_ids: list[int | None],
    relation_ids: list[int | None],
    category_ids: list[int | None],
) -> sr.OwnerRecord:
    """The record of what was created, with the Doccano ids (failed creations left out)."""
    named = sr.OwnerRecord(
        record.source,
        [dataclasses.replace(x, id=i) for x, i in zip(record.spans, span_ids, strict=True)],
        [dataclasses.replace(x, id=i) for x, i in zip(record.relations, relation_ids,
                                                      strict=True)],
        [dataclasses.replace(x, id=i) for x, i in zip(record.categories, category_ids,
                                                      strict=True)],
    )  # fmt: skip
    made = [[i is not None for i in ids] for ids in (span_ids, relation_ids, category_ids)]
    return _keep(named, *made)


def _arrived(record: sr.OwnerRecord, spans: set, categories: set[str],
             relations: int) -> sr.OwnerRecord:  # fmt: skip
    """The record without what the importer dropped (spans and categories not there; all
    relations when fewer arrived than were sent: which ones is not known)."""
    kept = [(s.start, s.end, s.label) in spans for s in record.spans]
    all_relations = relations >= len(record.relations)
    return _keep(
        record,
        kept,
        [all_relations and kept[r.head] and kept[r.tail] for r in record.relations],
        [c.label in categories for c in record.categories],
    )


def votes_text(doc: Document, s: Suggestions) -> str | None:
    """Who chose what, one line per candidate, for the reviewer to read in Doccano's metadata
    panel (None when no candidate has votes)."""
    if not any(s.span_votes) and not any(s.relation_votes) and not any(s.category_votes):
        return None
    lines = []
    for (_, _, label, cs, ce), who in zip(s.spans, s.span_votes, strict=False):
        lines.append(f"{doc.text[cs:ce]!r} [{cs}:{ce}] {label}: {', '.join(who) or '-'}")
    for (h, t, label), who in zip(s.relations, s.relation_votes, strict=False):
        holder, target = (doc.text[s.spans[i][3] : s.spans[i][4]] for i in (h, t))
        lines.append(f"{holder!r} -> {target!r} {label}: {', '.join(who) or '-'}")
    for name, who in zip(s.categories, s.category_votes, strict=False):
        lines.append(f"{name}: {', '.join(who) or '-'}")
    return "\n".join(lines)


def _no_id(target: Target, doc: Document) -> bool:
    example = target.index.first(doc.id)
    return example is None or example.id is None


def _by_kind(counts: Counter) -> dict[str, int]:
    out: Counter = Counter()
    for key, n in counts.items():
        out[key.split(":", 1)[0] + "s"] += n
    return dict(sorted(out.items()))
