"""Pull folders built by hand, in the format ``goldwire annotate pull`` writes (schema 2):
per document an ``annotation`` with each layer's status, tool, guidelines and the counts of
deleted suggestions; per item ``annotators``, ``provenance`` and, for a suggestion,
``suggested``. The JSON is written directly (no goldwire writer), as a pull would."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

TOOL = "doccano 1.8.4"
GUIDELINES = "annotate/guidelines.md sha256:" + "ab" * 32
SOURCE = "predictions/gliner.jsonl"
HUMAN, ACCEPTED, EDITED, UNREVIEWED = (
    "human",
    "suggestion-accepted",
    "suggestion-edited",
    "suggestion-unreviewed",
)


def pulled(
    doc_id: str,
    text: str,
    user: str,
    *,
    entities: tuple = (),
    stances: tuple = (),
    doc_stances: tuple = (),
    confirmed: bool = True,
    docstance: str = "none",
    rejected: int = 0,
    orphaned: int = 0,
    tool: str = TOOL,
) -> dict[str, Any]:
    """One annotator's pulled document.

    ``entities``: ``(start, end, label[, provenance[, suggested label]])``; ``stances``:
    ``(holder index, target index, label[, provenance])`` into ``entities``; ``doc_stances``:
    ``(target, label[, provenance])``; ``docstance``: the status of the document-stance layer.
    """
    status = "annotated" if confirmed else "unconfirmed"
    ents = [_entity(i, text, user, *e) for i, e in enumerate(entities, 1)]
    return {
        "id": doc_id,
        "source": "hand",
        "text": text,
        "text_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "language": "en",
        "meta": {"doccano_example": "7", "doccano_confirmed": "true" if confirmed else "false"},
        "entities": ents,
        "stances": [_stance(ents, user, *s) for s in stances],
        "doc_stances": [_doc_stance(user, *d) for d in doc_stances],
        "annotation": {
            "entities": status,
            "stances": status,
            "doc_stances": docstance,
            "annotators": [user],
            "tool": tool,
            "guidelines": GUIDELINES,
            "rejected_suggestions": rejected,
            "orphaned_suggestions": orphaned,
        },
    }


def _entity(i: int, text: str, user: str, start: int, end: int, label: str,
            provenance: str = HUMAN, suggested: str | None = None) -> dict[str, Any]:  # fmt: skip
    item = {"id": f"s{i}", "start": start, "end": end, "label": label, "text": text[start:end],
            "annotators": [user], "provenance": provenance}  # fmt: skip
    if provenance != HUMAN:
        item["suggested"] = {"label": suggested or label, "start": start, "end": end,
                             "source": SOURCE}  # fmt: skip
    return item


def _stance(ents: list[dict], user: str, h: int, t: int, label: str,
            provenance: str = HUMAN) -> dict[str, Any]:  # fmt: skip
    def mention(e: dict) -> dict[str, Any]:
        return {"entity": e["id"], "start": e["start"], "end": e["end"], "text": e["text"]}

    item = {"holder": mention(ents[h]), "target": mention(ents[t]), "label": label,
            "annotators": [user], "provenance": provenance}  # fmt: skip
    if provenance != HUMAN:
        item["suggested"] = {"label": label, "start": None, "end": None, "source": SOURCE}
    return item


def _doc_stance(user: str, target: str, label: str, provenance: str = HUMAN) -> dict[str, Any]:
    item = {"target": target, "label": label, "annotators": [user], "provenance": provenance}
    if provenance != HUMAN:
        item["suggested"] = {"label": label, "start": None, "end": None, "source": SOURCE}
    return item


def write_pull(folder: Path, user: str, docs: list[dict[str, Any]],
               pulled_at: str | None = None) -> Path:  # fmt: skip
    """``folder/annotators/<user>.jsonl`` (and ``summary.json`` with ``pulled_at``)."""
    path = folder / "annotators" / f"{user}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    if pulled_at is not None:
        summary = {"project": {"name": "review"}, "pulled_at": pulled_at, "annotators": {}}
        (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return path


SUGGESTION_TEXT = "CSTO backs Armenia against Baku in Yerevan talks."


def write_suggestion_folder(folder: Path) -> None:
    """A pull folder of two annotators who used model suggestions (the counts the tests
    derive by hand):

    * alice d1 (confirmed): ORG accepted, GPE edited (suggested LOC), GPE human, the stance
      accepted; 1 suggestion rejected, 1 relation orphaned;
    * alice d2 (unconfirmed): ORG accepted, GPE unreviewed; 2 rejected;
    * bob d1 (confirmed): ORG accepted, GPE and LOC human; 3 rejected.
    """
    text = SUGGESTION_TEXT
    write_pull(folder, "alice", [
        pulled("d1", text, "alice", entities=((0, 4, "ORG", ACCEPTED),
                                              (11, 18, "GPE", EDITED, "LOC"), (27, 31, "GPE")),
               stances=((0, 1, "SUPPORT", ACCEPTED),), rejected=1, orphaned=1),
        pulled("d2", text, "alice", entities=((0, 4, "ORG", ACCEPTED),
                                              (27, 31, "GPE", UNREVIEWED)),
               confirmed=False, rejected=2),
    ])  # fmt: skip
    write_pull(folder, "bob", [
        pulled("d1", text, "bob", entities=((0, 4, "ORG", ACCEPTED), (11, 18, "GPE", HUMAN),
                                            (27, 31, "LOC")), rejected=3),
    ])  # fmt: skip
