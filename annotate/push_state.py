"""What a push knows about one Doccano project.

* :func:`project_name_lock`: pushes to one project name at one server take turns, from
  before the project is looked up (or created) to the end.
* :class:`PushState`, the local record in ``GOLDWIRE_HOME/annotate/push/``: which goldwire
  ids the project held after the last push (with their text hashes and who has labels on
  them), trusted only while the server's example count and newest example are what that push
  saw; and the journal of batches still in flight, which a rerun waits for.
* :class:`ServerIndex`: the project's examples by goldwire id, listed through the export
  (:func:`index_from_export`, example ids included) or taken from the local record
  (:func:`index_from_state`); :class:`Lister` picks the way (a re-push of an unchanged
  corpus costs two requests instead of an export) and deletes duplicate examples the server
  made.
* :class:`Target`: one project of a push with its label ids, this push's suggestions for it,
  the record, the index and the report, handed from step to step.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Any

from goldwire import files
from goldwire.annotate import client, file_lock
from goldwire.annotate.client import Project
from goldwire.annotate.http import DoccanoSession
from goldwire.annotate.push_report import PushReport, TargetReport
from goldwire.annotate.records import META_ID, Suggestions, has_labels, own_labels
from goldwire.annotate.settings import display_url, goldwire_home
from goldwire.errors import UsageError
from goldwire.progress import Progress, no_progress
from goldwire.schema import text_sha256

# --------------------------------------------------------------------------- local record


def _state_dir() -> Path:
    return goldwire_home() / "annotate" / "push"


class PushState:
    """What the last push saw in one project (ids, hashes, who has labels on each) and the
    batches still in flight. Trusted only while the server's count and newest example match.
    """

    def __init__(self, url: str, project: Project, folder: Path | None = None) -> None:
        folder = folder or _state_dir()
        key = hashlib.sha1(display_url(url).encode()).hexdigest()[:12]
        self.path = folder / f"{key}-{project.id}.json"
        self.journal = folder / f"{key}-{project.id}.pending.json"
        self.lock_path = folder / f"{key}-{project.id}.lock"
        self.identity = {
            "url": display_url(url),
            "project": project.id,
            "created_at": project.created_at,
        }
        self.docs: dict[str, dict[str, Any]] = {}  # gid -> {"sha": ..., "users": [...]}
        self.foreign = 0  # examples without a goldwire id
        self.marker: dict[str, Any] | None = None
        self.pending: list[dict[str, Any]] = []
        self._lock: Any = None

    def load(self) -> PushState:
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data["identity"] == self.identity:
                self.docs, self.marker = data["docs"], data["marker"]
                self.foreign = int(data.get("foreign", 0))
        with contextlib.suppress(OSError, ValueError, TypeError):
            pending = json.loads(self.journal.read_text(encoding="utf-8"))
            if isinstance(pending, list):
                self.pending = pending
        return self

    def lock(self) -> None:
        import fcntl

        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.lock_path, "a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise UsageError(
                f"another goldwire push to project {self.identity['project']} at "
                f"{self.identity['url']} is running; wait for it to finish"
            ) from None
        self._lock = handle

    def unlock(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def valid(self, count: int, newest: dict[str, Any] | None) -> bool:
        return self.marker is not None and self.marker == _marker(count, newest)

    def save(self, count: int, newest: dict[str, Any] | None) -> None:
        self.marker = _marker(count, newest)
        data = {
            "identity": self.identity,
            "marker": self.marker,
            "foreign": self.foreign,
            "docs": self.docs,
        }
        files.write_json(self.path, data, indent=None)

    def forget(self) -> None:
        self.marker = None
        self.path.unlink(missing_ok=True)

    def save_journal(self) -> None:
        if self.pending:
            files.write_json(self.journal, self.pending, indent=None)
        else:
            self.journal.unlink(missing_ok=True)


NAME_LOCK_WAIT = 1800.0  # seconds a push waits for another push to the same project name


@contextlib.contextmanager
def project_name_lock(
    url: str, names: list[str], folder: Path | None = None, timeout: float = NAME_LOCK_WAIT
) -> Iterator[float]:
    """Hold the locks of project ``names`` at ``url`` (in a fixed order) while the block runs:
    pushes to one project name take turns *before* they look the project up, so two of them
    never both create it. Yields the seconds waited; a push still waiting after ``timeout``
    seconds stops with one line."""
    folder = folder or _state_dir()
    where = display_url(url)
    key = hashlib.sha1(where.encode()).hexdigest()[:12]
    waited = 0.0
    with contextlib.ExitStack() as stack:
        for name in sorted(set(names)):
            digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:12]
            busy = (
                f"another goldwire push to project {name!r} at {where} has been running for "
                f"{timeout:.0f} s; wait for it to finish (or stop it) and push again"
            )
            lock = file_lock.held(folder / f"{key}-name-{digest}.lock", timeout, busy)
            waited += stack.enter_context(lock)
        yield waited


def _marker(count: int, newest: dict[str, Any] | None) -> dict[str, Any]:
    if newest is None:
        return {"count": count}
    meta = newest.get("meta") or {}
    return {
        "count": count,
        "id": newest["id"],
        "gid": meta.get(META_ID),
        "file": newest.get("filename"),
    }


# --------------------------------------------------------------------------- server index


@dataclass
class ServerExample:
    id: int | None  # None when known from the local record only
    sha: str
    users: set[str] = field(default_factory=set)  # members with labels on it
    own: dict[str, Any] = field(default_factory=dict)  # the suggesting user's labels


@dataclass
class ServerIndex:
    by_gid: dict[str, list[ServerExample]] = field(default_factory=dict)
    foreign: int = 0
    complete_ids: bool = False  # example ids known (listed through the export)

    def add(self, gid: str, example: ServerExample) -> None:
        self.by_gid.setdefault(gid, []).append(example)

    def first(self, gid: str) -> ServerExample | None:
        found = self.by_gid.get(gid)
        return found[0] if found else None

    def mark(self, gid: str, user: str) -> None:
        """``user`` has labels on the examples of ``gid`` now."""
        for example in self.by_gid.get(gid, []):
            example.users.add(user)


def index_from_export(export: dict[str, bytes], user: str | None) -> ServerIndex:
    """Every example of an export, by goldwire id (ids ascending), with who has labels."""
    index = ServerIndex(complete_ids=True)
    seen: dict[int, ServerExample] = {}
    order: list[tuple[int, str | None]] = []
    for username, data in sorted(export.items()):
        for record in client.export_lines(data):
            eid = int(record["id"])
            example = seen.get(eid)
            if example is None:
                example = ServerExample(eid, text_sha256(record.get("text") or ""))
                seen[eid] = example
                order.append((eid, record.get(META_ID)))
            if has_labels(record):
                example.users.add(username)
            if username == user:
                example.own = own_labels(record)
    for eid, gid in sorted(order, key=lambda pair: pair[0]):
        if gid is None:
            index.foreign += 1
        else:
            index.add(str(gid), seen[eid])
    return index


def index_from_state(state: PushState) -> ServerIndex:
    index = ServerIndex(foreign=state.foreign)
    for gid, info in state.docs.items():
        index.add(gid, ServerExample(None, info["sha"], set(info.get("users") or ())))
    return index


@dataclass
class Lister:
    """Lists what a project holds into its target's index: nothing for a new project, the
    local record while it is valid, else the export (deleting the server's duplicates)."""

    session: DoccanoSession
    report: PushReport
    owner: str | None  # whose labels the index keeps as ``own``
    progress: Progress = no_progress
    _: KW_ONLY
    trust_local_record: bool = True

    def list_project(self, target: Target) -> None:
        count, newest = client.newest_example(self.session, target.project.id)
        target.report.examples_before = count
        if count == 0:
            target.index, target.report.listing = ServerIndex(complete_ids=True), "new"
        elif self.trust_local_record and target.record.valid(count, newest):
            target.index, target.report.listing = index_from_state(target.record), "local record"
        else:
            self.list_by_export(target)

    def list_by_export(self, target: Target) -> None:
        phase = f"{target.name}: listing the project (export)"
        self.progress(phase, 0, 1)
        export = client.export_project(self.session, target.project.id)
        target.index = index_from_export(export, self.owner)
        target.report.listing = "export"
        target.report.foreign_examples = target.index.foreign
        self._remove_duplicates(target)
        self.progress(phase, 1, 1)

    def _remove_duplicates(self, target: Target) -> None:
        """Keep the lowest example id per goldwire id; delete extras that hold no labels and
        the same text, report the others."""
        extras: list[int] = []
        for gid, examples in target.index.by_gid.items():
            if len(examples) < 2:
                continue
            keep = examples[0]
            for extra in examples[1:]:
                if extra.sha == keep.sha and not extra.users:
                    extras.append(extra.id)  # type: ignore[arg-type]
                else:
                    who = ", ".join(sorted(extra.users)) or "nobody"
                    self.report.add(
                        "duplicate_example",
                        gid,
                        f"examples {keep.id} and {extra.id} share "
                        f"this goldwire id (labels on {extra.id} by {who}); not deleted, "
                        "resolve in doccano",
                        project=target.name,
                    )
            target.index.by_gid[gid] = [keep] + [e for e in examples[1:] if e.id not in extras]
        if extras:
            for i in range(0, len(extras), 500):
                client.delete_examples(self.session, target.project.id, extras[i : i + 500])
            target.report.duplicates_removed += len(extras)
            self.report.notes.append(
                f"{target.name}: deleted {len(extras)} duplicate example(s) the server had "
                "created (kept the lowest example id per goldwire id)"
            )


# --------------------------------------------------------------------------- targets


@dataclass
class Target:
    """One project to push to, with its label ids and the suggestions per document."""

    project: Project
    report: TargetReport
    label_ids: dict[str, dict[str, int]]  # kind name -> label -> id
    suggestions: dict[str, Suggestions] = field(default_factory=dict)
    state: PushState | None = None
    index: ServerIndex = field(default_factory=ServerIndex)

    @property
    def name(self) -> str:
        return self.project.name

    @property
    def record(self) -> PushState:
        """The local record (set once the push works on this project)."""
        assert self.state is not None
        return self.state
