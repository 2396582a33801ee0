"""What the last pull took from each project, per member: the guard of ``members remove``.

Doccano drops a removed member's work from its exports, so goldwire remembers, per server and
project, the counts of every member's work at the last pull that took it, in
``<GOLDWIRE_HOME>/pulls/ledger.json`` (mode 0600, atomic writes, under a lock)::

    {"http://127.0.0.1:8000": {"12": {"alice": {"spans": 12, "relations": 3,
                                                "categories": 1, "confirmed": 2}}}}

Counts come from Doccano's metrics endpoints (no export needed): ``live_counts`` before a pull
starts exporting, ``record_pull`` once the pull folder is written. A member whose live counts
differ from the recorded ones has work that no pull has taken.

The same counts, as ``status`` and ``pull`` see them, give each member's last activity
(:func:`observe`, in ``<GOLDWIRE_HOME>/campaigns/activity.json``): doccano keeps no times.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from goldwire import files
from goldwire.annotate import client, members
from goldwire.annotate.file_lock import held
from goldwire.annotate.http import DoccanoSession
from goldwire.annotate.settings import display_url, goldwire_home
from goldwire.errors import ServerError, UsageError

LOCK_SECONDS = 30.0

#: How each count reads in a message (singular, plural).
_WORDS = {
    "spans": ("span", "spans"),
    "relations": ("stance", "stances"),
    "categories": ("document stance", "document stances"),
    "confirmed": ("confirmed example", "confirmed examples"),
}


@dataclass(frozen=True)
class WorkCounts:
    """One member's work in a project and its ``-docstance`` companion: spans and relations
    (stances) of the project, categories (document stances) of the companion, examples
    marked done in either."""

    spans: int = 0
    relations: int = 0
    categories: int = 0
    confirmed: int = 0

    def has_work(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def started(self, suggested: int = 0) -> bool:
        """Whether this member has begun: anything confirmed, or label counts that differ from
        the ``suggested`` labels made as them (suggestions alone are no work)."""
        return bool(self.confirmed) or self.spans + self.relations + self.categories != suggested

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WorkCounts:
        return cls(**{f.name: int(data.get(f.name, 0)) for f in fields(cls)})

    def describe(self) -> str:
        """``12 spans, 3 stances, 2 confirmed examples`` (zero counts left out)."""
        parts = []
        for name, (one, many) in _WORDS.items():
            n = getattr(self, name)
            if n:
                parts.append(f"{n} {one if n == 1 else many}")
        return ", ".join(parts) or "no work"


def ledger_path() -> Path:
    return goldwire_home() / "pulls" / "ledger.json"


def _distribution_totals(
    session: DoccanoSession, project_id: int, kind: client.LabelKind, main_id: int
) -> dict[str, int]:
    endpoint = client.DISTRIBUTIONS[kind]
    path = f"/v1/projects/{project_id}/metrics/{endpoint}"
    response = session.request("GET", path, ok=(500,))
    if response.status_code == 500:
        raise ServerError(_broken_metrics(session, main_id, endpoint))
    data = response.json()
    return {user: sum(int(n) for n in (labels or {}).values()) for user, labels in data.items()}


def _broken_metrics(session: DoccanoSession, project_id: int, endpoint: str) -> str:
    """Doccano 1.8.4 counts labels per *current* member: the labels of a removed member make
    its distribution endpoints fail (KeyError, 500) until that user is a member again.
    ``project_id`` is the main project (the ledger's key; the companion shares members)."""
    name = client.get_project(session, project_id).name
    current = {m.username for m in members.list_members(session, project_id)}
    removed = sorted(set(last_pulled(session.url, project_id)) - current)
    who = " ".join(removed) if removed else "NAME"
    known = f" ({', '.join(removed)} had pulled work there)" if removed else ""
    return (
        f"doccano at {display_url(session.url)} cannot count the labels of project {name} "
        f"({endpoint} answers 500): doccano 1.8.4 fails so while a removed member's labels "
        f"remain{known}; add them back to count again: goldwire annotate members add "
        f"--project {name} {who}"
    )


def _done(session: DoccanoSession, project_id: int) -> dict[str, int]:
    data = session.json("GET", f"/v1/projects/{project_id}/metrics/member-progress")
    return {str(p["user"]): int(p["done"]) for p in data.get("progress", []) if p.get("user")}


def live_counts(
    session: DoccanoSession, project_id: int, docstance_id: int | None = None
) -> dict[str, WorkCounts]:
    """Every member's work now, from the metrics endpoints (no export): spans, relations,
    categories and examples done in the project, plus the categories and examples done in its
    ``-docstance`` companion ``docstance_id``. Called with a companion's id alone, it counts
    that companion's categories. Needs a project admin."""
    spans = _distribution_totals(session, project_id, client.LabelKind.span, project_id)
    relations = _distribution_totals(session, project_id, client.LabelKind.relation, project_id)
    categories = _distribution_totals(session, project_id, client.LabelKind.category, project_id)
    done = _done(session, project_id)
    if docstance_id is not None:
        kind = client.LabelKind.category
        for user, n in _distribution_totals(session, docstance_id, kind, project_id).items():
            categories[user] = categories.get(user, 0) + n
        for user, n in _done(session, docstance_id).items():
            done[user] = done.get(user, 0) + n
    users = set(spans) | set(relations) | set(categories) | set(done)
    return {
        user: WorkCounts(
            spans.get(user, 0), relations.get(user, 0), categories.get(user, 0), done.get(user, 0)
        )
        for user in sorted(users)
    }


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise UsageError(
            f"{path} is not a goldwire pull ledger ({exc}); delete it (the next pull of each "
            "project writes it again)"
        ) from None
    if not isinstance(data, dict):
        raise UsageError(
            f"{path} is not a goldwire pull ledger (not a JSON object); delete it (the next "
            "pull of each project writes it again)"
        )
    return data


def record_pull(url: str, project_id: int, counts: Mapping[str, WorkCounts]) -> Path:
    """Remember ``counts`` (taken by ``live_counts`` before the pull exported) as what the
    pull of ``project_id`` took; members not in ``counts`` keep their earlier entry."""
    path = ledger_path()
    busy = f"another goldwire command is writing {path}; wait for it and try again"
    with held(path.with_name(".ledger.lock"), LOCK_SECONDS, busy):
        data = _read(path)
        project = data.setdefault(display_url(url), {}).setdefault(str(project_id), {})
        project.update({user: c.to_dict() for user, c in counts.items()})
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        return files.write_json(path, data, private=True)


def last_pulled(url: str, project_id: int) -> dict[str, WorkCounts]:
    """Each member's counts at the last pull of ``project_id`` that took their work."""
    project = _read(ledger_path()).get(display_url(url), {}).get(str(project_id), {})
    return {user: WorkCounts.from_dict(c) for user, c in project.items()}


def unpulled(
    live: Mapping[str, WorkCounts], last: Mapping[str, WorkCounts], names: list[str]
) -> dict[str, WorkCounts]:
    """Of ``names``, those with work whose live counts differ from the last pull's."""
    return {
        n: live[n] for n in names if n in live and live[n].has_work() and live[n] != last.get(n)
    }


def record_sources(url: str, sources: Sequence[Any]) -> None:
    """Note what each pulled project's members had when the pull exported them (the
    :class:`~goldwire.annotate.pull.ProjectSource` s of a pull; ``annotate members remove``
    refuses to drop work no pull has taken), and their activity as seen now."""
    for source in sources:
        if source.counts is not None:
            record_pull(url, source.project.id, source.counts)
            for user, counts in source.counts.items():
                suggested = source.suggested if user == source.only else 0
                observe(url, source.project.id, user, counts, counts.started(suggested))


# --------------------------------------------------------------------------- activity


def activity_path() -> Path:
    return goldwire_home() / "campaigns" / "activity.json"


def observe(url: str, project_id: int, user: str, counts: WorkCounts, started: bool) -> str | None:
    """The time of the first observation that saw ``user``'s counts in this project (and its
    companion) change; None while they have done nothing. Records what was seen now."""
    path = activity_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    key = f"{display_url(url)} {project_id}"
    seen = data.setdefault(key, {}).get(user, {})
    changed = seen.get("changed_at")
    if counts.to_dict() != seen.get("counts") and (started or seen):
        changed = datetime.now(timezone.utc).isoformat(timespec="seconds")
    data[key][user] = {"counts": counts.to_dict(), "changed_at": changed}
    files.write_json(path, data)
    return changed


__all__ = [
    "WorkCounts",
    "last_pulled",
    "ledger_path",
    "activity_path",
    "live_counts",
    "observe",
    "record_pull",
    "record_sources",
    "unpulled",
]
