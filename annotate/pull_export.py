"""Reading doccano's exports for a pull (:mod:`~goldwire.annotate.pull`): per project, the
export of everything and (unless nobody confirmed anything) the export of confirmed examples
only, into an :class:`Export`: per user, the copies of each document they labelled,
confirmed or own suggestions on; which examples they confirmed; labelled examples without a
goldwire id."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from goldwire.annotate import client
from goldwire.annotate.client import Project
from goldwire.annotate.http import DoccanoSession
from goldwire.annotate.records import META_ID, Example, example, has_labels
from goldwire.annotate.suggestion_record import META_SUGGESTIONS, decode
from goldwire.progress import Progress


@dataclass
class Export:
    """One project's export: per user, the copies of each document they labelled or
    confirmed; which examples they confirmed; labelled examples without a goldwire id."""

    by_user: dict[str, dict[str, list[Example]]] = field(default_factory=dict)
    confirmed: dict[str, set[int]] = field(default_factory=dict)
    foreign: dict[str, int] = field(default_factory=dict)
    gids: set[str] = field(default_factory=set)


def read_exports(
    session: DoccanoSession, tasks: list[tuple[Project, str, str | None]], with_ds: bool,
    progress: Progress,
) -> tuple[Export, Export]:  # fmt: skip
    """The started exports, read; the ``-docstance`` one is empty without that project."""
    exports = [read_export(session, *task, progress) for task in tasks]
    return exports[0], exports[1] if with_ds else Export()


def read_export(
    session: DoccanoSession,
    project: Project,
    everything: str,
    confirmed: str | None,
    progress: Progress,
) -> Export:
    """Read the export tasks ``everything`` and ``confirmed`` (None: nobody confirmed
    anything) of ``project``."""
    phase = f"exporting {project.name}"
    progress(phase, 0, 2)
    files = client.fetch_export(session, project.id, everything)
    progress(phase, 1, 2)
    confirmed_files = (
        {} if confirmed is None else client.fetch_export(session, project.id, confirmed)
    )
    progress(phase, 2, 2)
    out = Export()
    out.confirmed = {
        user: {int(r["id"]) for r in client.export_lines(data)}
        for user, data in confirmed_files.items()
    }
    categories = project.project_type == client.DOCUMENT_CLASSIFICATION
    for user, data in files.items():
        examples = out.by_user.setdefault(user, {})
        done = out.confirmed.get(user, set())
        for record in client.export_lines(data):
            gid = record.get(META_ID)
            labelled = has_labels(record)
            if gid is None:
                out.foreign[user] = out.foreign.get(user, 0) + int(labelled)
                continue
            out.gids.add(str(gid))
            if labelled or int(record["id"]) in done or owns_suggestions(record, user):
                examples.setdefault(str(gid), []).append(example(record, categories))
    return out


def owns_suggestions(record: dict, user: str) -> bool:
    """Whether ``user`` owns suggestions on this example (even if they deleted them all)."""
    value = record.get(META_SUGGESTIONS)
    if not value or json.dumps(user) not in value:  # cheap first look
        return False
    try:
        return user in decode(value)
    except ValueError:
        return True  # unreadable: the conversion reports it
