"""The review round: disputed documents go to a named reviewer in their own Doccano project,
every annotator's candidate spans, stances and document stances pre-loaded as suggestions.

:func:`review_push` adjudicates a pull folder (the same strategy and options as
``goldwire annotate adjudicate``), picks the documents with items left for review, and
pushes them into the review project (``NAME``, with ``NAME-docstance`` when the label schema
has document-stance targets) with :func:`goldwire.annotate.push.push`:

* the project allows overlapping spans (candidates that disagree sit at the same offsets);
* every distinct candidate (:func:`candidates`: an entity's offsets and label, a stance's
  holder, target and label, a document stance's target and label) becomes one suggestion,
  created through the API **as the reviewer** (the reviewer's own login, like ``--as-user``),
  so that the reviewer sees them; the suggestion record lists who chose each candidate, and
  the example's metadata ``goldwire_votes`` says it in words for the reviewer to read;
* a candidate label outside the label schema is added to the review project's labels, so
  that no candidate is lost.

The reviewer deletes what is wrong, relabels or redraws, leaves no two spans overlapping and
marks each example done. ``goldwire annotate pull`` of the review project then brings the
reviewer's decisions back as a pull folder, and ``goldwire annotate adjudicate FOLDER
--review REVIEW_FOLDER`` merges them (:mod:`goldwire.annotate.review_merge`): disputed items
decided by the reviewer carry ``adjudicated_by`` and the original votes; overlaps still there
are reported as unresolved, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldwire.annotate.adjudicate import adjudicate_set
from goldwire.annotate.annotations import judged_copy, load_annotations
from goldwire.annotate.ballots import (
    Ballot,
    Ballots,
    cast,
    doc_stance_ballots,
    entity_ballots,
    voters,
    votes,
)
from goldwire.annotate.http import DoccanoSession, connect
from goldwire.annotate.push import PushOptions, PushReport, label_schema_for, push
from goldwire.annotate.records import GUIDELINES, entity_mention
from goldwire.annotate.settings import ENV_REVIEWER_PASSWORD, resolve_connection, server_url
from goldwire.progress import Progress, no_progress
from goldwire.provenance import LAYERS
from goldwire.schema import DocStance, Document, Entity, LabelInfo, LabelSchema, Stance

REVIEW_GUIDELINE = """\
# Review round (goldwire)

Each example holds every annotator's candidates for a document the annotators disagreed on.
The example's metadata (goldwire_votes) lists who chose each span, stance and document
stance.

1. Delete every candidate that is wrong; relabel or redraw where needed; add what all missed.
2. Leave no two spans overlapping and no two stances between the same spans: what still
   overlaps is reported as unresolved and does not enter the gold.
3. Mark the example done. Examples not marked done keep the plain adjudication.

The annotation guidelines follow.

"""


# --------------------------------------------------------------------------- candidates


def _chosen(ballot: Ballot, label: str) -> dict[str, Any]:
    """Who chose ``label`` in ``ballot``: the annotators and their votes."""
    return {"annotators": voters(ballot, label),
            "votes": [v for v in votes(ballot) if v.label == label]}  # fmt: skip


def candidates(copies: Mapping[str, Document]) -> Document:
    """One document holding every distinct candidate of the annotators' ``copies`` (what is
    a judgement of them: :func:`~goldwire.annotate.annotations.judged_copy`; an unreviewed
    suggestion is no candidate), each with the votes of the annotators who chose it.
    Entities are ``C1``, ``C2``, ... in (start, end, label) order; a stance links the
    candidate entities of its annotator's own labels."""
    copies = {who: judged_copy(doc, frozenset(LAYERS))[0] for who, doc in copies.items()}
    base = next(iter(copies.values()))
    spans = entity_ballots(copies)
    keys = sorted((start, end, label) for (start, end), ballot in spans.items()
                  for label in ballot)  # fmt: skip
    entities = {
        (a, b, label): Entity(f"C{i}", a, b, label, base.text[a:b],
                              **_chosen(spans[(a, b)], label))
        for i, (a, b, label) in enumerate(keys, 1)
    }  # fmt: skip
    return Document(
        id=base.id,
        text=base.text,
        text_sha256=base.text_sha256,
        entities=list(entities.values()),
        stances=_stance_candidates(copies, entities),
        doc_stances=[
            DocStance(target, label, **_chosen(ballot, label))
            for target, ballot in sorted(doc_stance_ballots(copies).items())
            for label in sorted(ballot)
        ],
    )


def _stance_candidates(
    copies: Mapping[str, Document], entities: Mapping[tuple[int, int, str], Entity]
) -> list[Stance]:
    pairs: Ballots = {}
    for who, doc in copies.items():
        labels = {(e.start, e.end): e.label for e in doc.entities}
        for s in doc.stances:
            h, t = doc.resolve(s.holder), doc.resolve(s.target)
            if not (h.has_span and t.has_span):
                continue  # a name-only endpoint cannot be a Doccano relation
            ends = [entities.get((m.start, m.end, labels.get((m.start, m.end), "")))
                    for m in (h, t)]  # fmt: skip
            if ends[0] is None or ends[1] is None:
                continue  # its span was not a candidate (an unreviewed suggestion)
            cast(pairs, (ends[0].id, ends[1].id), s.label, who, s.provenance)
    by_id = {e.id: e for e in entities.values()}
    return [
        Stance(entity_mention(by_id[h]), entity_mention(by_id[t]), label, **_chosen(ballot, label))
        for (h, t), ballot in sorted(pairs.items())
        for label in sorted(ballot)
    ]


def review_labels(labels: LabelSchema, docs: Iterable[Document]) -> LabelSchema:
    """``labels`` plus every candidate label and document-stance target it lacks."""
    docs = list(docs)
    entity = {e.label for d in docs for e in d.entities} - set(labels.entity_labels)
    stance = {s.label for d in docs for s in d.stances} - set(labels.stance_labels)
    doc_label = {x.label for d in docs for x in d.doc_stances} - set(labels.doc_stance_labels)
    targets = sorted({x.target for d in docs for x in d.doc_stances}
                     - set(labels.doc_stance_targets))  # fmt: skip
    return LabelSchema(
        labels.entities + tuple(LabelInfo(n) for n in sorted(entity)),
        labels.stances + tuple(LabelInfo(n) for n in sorted(stance)),
        labels.doc_stances + tuple(LabelInfo(n) for n in sorted(doc_label)),
        labels.doc_stance_targets + tuple(targets),
    )


# --------------------------------------------------------------------------- the push


@dataclass
class ReviewPushReport:
    """What a review push did: the documents sent for review and the push's own report."""

    folder: str
    project: str
    reviewer: str
    strategy: str
    documents: int = 0  # documents in the pull folder
    disputed: list[str] = field(default_factory=list)
    candidates: dict[str, int] = field(default_factory=dict)
    push: PushReport | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "folder": self.folder,
            "project": self.project,
            "reviewer": self.reviewer,
            "strategy": self.strategy,
            "documents": self.documents,
            "disputed": len(self.disputed),
            "disputed_ids": list(self.disputed),
            "candidates": dict(self.candidates),
            "push": self.push.to_dict() if self.push else None,
        }


def review_documents(
    copies_by_doc: Mapping[str, Mapping[str, Document]], disputed: Iterable[str]
) -> tuple[list[Document], dict[str, Document]]:
    """The disputed documents (text and metadata of the first copy, no labels) and their
    candidates, by id."""
    docs, preds = [], {}
    for doc_id in disputed:
        copies = copies_by_doc.get(doc_id)
        if not copies:
            continue
        base = next(iter(copies.values()))
        docs.append(Document(id=base.id, text=base.text, source=base.source, title=base.title,
                             lead=base.lead, paragraphs=list(base.paragraphs),
                             language=base.language, meta=dict(base.meta)))  # fmt: skip
        preds[doc_id] = candidates(copies)
    return docs, preds


def push_review(
    session: DoccanoSession,
    reviewer_session: DoccanoSession,
    docs: list[Document],
    preds: dict[str, Document],
    *,
    project: str,
    labels: LabelSchema,
    source: str,
    progress: Progress = no_progress,
) -> PushReport:
    """Push ``docs`` into the review project with ``preds`` as the reviewer's suggestions."""
    guideline = REVIEW_GUIDELINE + GUIDELINES.read_text(encoding="utf-8")
    options = PushOptions(
        project=project,
        labels=review_labels(labels, preds.values()),
        predictions=preds,
        as_user=reviewer_session,
        source=source,
        guideline=guideline,
        allow_overlapping=True,
    )
    return push(session, docs, options, progress)


@dataclass
class ReviewRequest:
    """What ``goldwire annotate review`` is asked: the pull folder and how to adjudicate it,
    the review project and its reviewer (password from the environment), the server."""

    folder: Path
    project: str
    reviewer: str
    strategy: str = "majority"
    min_agree: int = 1
    include_unconfirmed: bool = False
    labels: Path | None = None  # label schema TOML; default: goldwire's
    url: str | None = None
    username: str | None = None
    password: str | None = None


def review(request: ReviewRequest, progress: Progress = no_progress) -> ReviewPushReport:
    """Adjudicate the pull folder, then push its documents with items left for review into
    the review project, every candidate a suggestion of the reviewer."""
    from goldwire.annotate.accounts import login_for

    reviewer = login_for(server_url(request.url), request.reviewer, ENV_REVIEWER_PASSWORD,
                         "--reviewer")  # fmt: skip
    labels = label_schema_for({}, request.labels)
    annotations = load_annotations(request.folder, include_unconfirmed=request.include_unconfirmed)
    result = adjudicate_set(annotations, request.strategy, min_agree=request.min_agree)
    disputed = list(dict.fromkeys(
        c["document"] for c in result.conflicts if c.get("decision") == "review"
    ))  # fmt: skip
    report = ReviewPushReport(str(request.folder), request.project, request.reviewer,
                              result.strategy, len(result.documents), disputed)  # fmt: skip
    docs, preds = review_documents({i: annotations.copies(i) for i in disputed}, disputed)
    report.candidates = {
        kind: sum(len(getattr(p, kind)) for p in preds.values())
        for kind in ("entities", "stances", "doc_stances")
    }
    if not docs:
        return report
    source = f"review of {Path(request.folder).name} ({', '.join(result.annotators)})"
    connection = resolve_connection(request.url, request.username, request.password)
    with connect(connection) as admin, reviewer() as own:
        report.push = push_review(admin, own, docs, preds, project=request.project,
                                  labels=labels, source=source, progress=progress)  # fmt: skip
    return report


__all__ = ["REVIEW_GUIDELINE", "ReviewPushReport", "ReviewRequest", "candidates", "review",
           "review_documents", "review_labels", "push_review"]  # fmt: skip
