"""Plain functions over a :class:`DoccanoSession`: projects, label types, examples, imports,
exports, and annotations created as the logged-in user (users and members live in
:mod:`~goldwire.annotate.members`, waiting for tasks in :mod:`~goldwire.annotate.tasks`; both
are re-exported here).

Every function takes a logged-in session first, returns plain data and never prints. What
doccano 1.8.4 does that shapes them (read from its source and checked against a live server):

* The search parameter is ``q`` (doccano sets DRF's ``SEARCH_PARAM``); an unknown parameter
  such as ``search`` is ignored silently.
* ``GET /v1/projects/{id}/examples`` honours any ``limit`` (no maximum), but its serializer
  runs about three queries per example (confirmation state, comment count, project): a
  10,000-example listing takes 25-30 s. Goldwire lists a whole project through the **export**
  API instead (:func:`export_project`, a few seconds for 10,000) and uses the examples API only
  for counts (:func:`example_count`; ``q`` matches the upload id in ``filename``).
* An import (``/v1/fp/process/`` + ``/v1/projects/{id}/upload`` + ``/v1/tasks/status/{id}``)
  is a celery task retried three times on any exception, **without a transaction**: every
  failed attempt leaves its examples behind. Uploading the same file twice duplicates every
  example. Overlapping or empty spans are dropped silently (the error list stays empty), and a
  relation that points at a dropped span fails the task (and so duplicates it). Callers
  validate what they upload and verify what arrived.
* The importer guesses the file encoding with chardet; goldwire uploads ASCII-only JSONL
  (``ensure_ascii=True``) and names the encoding, so text arrives byte-exact.
  ``POST /v1/projects/{id}/examples`` strips surrounding whitespace: goldwire never uses it.
* Every key of an upload line except ``text`` and the label columns becomes the example's
  ``meta``; the export writes ``{"id": <example id>, "text": ..., **meta}``, so meta keys must
  not be ``id`` or ``text``; lines of one file need the same keys (pandas fills gaps with NaN).
* Listing spans, relations or categories through the API shows only the caller's own in a
  project without collaborative annotation; the export holds one ``<username>.jsonl`` per
  current member, each with every example and that member's labels.
* ``DELETE /v1/projects/{id}/examples`` with an empty id list deletes **every** example:
  :func:`delete_examples` refuses an empty list.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from goldwire.annotate.http import DoccanoSession
from goldwire.annotate.members import (  # noqa: F401 (re-exported: client.add_member, ...)
    ROLE_ADMIN,
    ROLE_ANNOTATOR,
    ROLE_APPROVER,
    Member,
    add_member,
    create_user,
    find_user,
    list_members,
    remove_members,
    roles,
)
from goldwire.annotate.offsets import Unit
from goldwire.annotate.tasks import TaskStatus, task_status, wait_task  # noqa: F401 (re-exported)
from goldwire.errors import ServerError, UsageError
from goldwire.schema import LabelInfo

SEQUENCE_LABELING = "SequenceLabeling"
DOCUMENT_CLASSIFICATION = "DocumentClassification"
RESOURCE_TYPES = {
    SEQUENCE_LABELING: "SequenceLabelingProject",
    DOCUMENT_CLASSIFICATION: "TextClassificationProject",
}
#: The import task names: relations need the relation-extraction importer.
IMPORT_TASKS = {
    (SEQUENCE_LABELING, True): "RelationExtraction",
    (SEQUENCE_LABELING, False): SEQUENCE_LABELING,
    (DOCUMENT_CLASSIFICATION, False): DOCUMENT_CLASSIFICATION,
}
UPLOAD_HINT = (
    "the server cannot store uploads; if it is the managed server, restart it with "
    "`goldwire annotate server stop` and `goldwire annotate server start` (newer settings)"
)


class UploadTooLarge(ServerError):
    """The server (or a proxy in front of it) refused an upload as too large (413)."""


class LabelKind(str, Enum):
    """A kind of label type and its URL segment."""

    span = "span-types"
    relation = "relation-types"
    category = "category-types"


#: The metrics endpoint that counts each kind's labels per user.
DISTRIBUTIONS = {
    LabelKind.span: "span-distribution",
    LabelKind.relation: "relation-distribution",
    LabelKind.category: "category-distribution",
}


# --------------------------------------------------------------------------- projects


@dataclass(frozen=True)
class Project:
    id: int
    name: str
    project_type: str
    guideline: str = field(default="", repr=False)
    collaborative: bool = False
    grapheme_mode: bool = False
    use_relation: bool = False
    allow_overlapping: bool = False
    random_order: bool = False
    created_at: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Project:
        return cls(
            id=int(data["id"]),
            name=str(data["name"]),
            project_type=str(data["project_type"]),
            guideline=str(data.get("guideline") or ""),
            collaborative=bool(data.get("collaborative_annotation")),
            grapheme_mode=bool(data.get("grapheme_mode")),
            use_relation=bool(data.get("use_relation")),
            allow_overlapping=bool(data.get("allow_overlapping")),
            random_order=bool(data.get("random_order")),
            created_at=str(data.get("created_at") or ""),
        )

    @property
    def unit(self) -> Unit:
        """What this project's offsets count: graphemes, or UTF-16 code units (the browser's)."""
        return Unit.grapheme if self.grapheme_mode else Unit.utf16

    @property
    def import_task(self) -> str:
        return IMPORT_TASKS[(self.project_type, self.use_relation)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "project_type": self.project_type,
            "collaborative_annotation": self.collaborative,
            "grapheme_mode": self.grapheme_mode,
            "use_relation": self.use_relation,
            "offsets": self.unit.value if self.project_type == SEQUENCE_LABELING else None,
        }


def find_project(session: DoccanoSession, name: str) -> Project | None:
    """The project called exactly ``name`` among those the user is a member of, or None."""
    found: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = session.json(
            "GET", "/v1/projects", params={"q": name, "limit": 100, "offset": offset}
        )
        found += [p for p in page["results"] if p["name"] == name]
        offset += len(page["results"])
        if not page.get("next") or not page["results"]:
            break
    if len(found) > 1:
        ids = ", ".join(str(p["id"]) for p in found)
        raise UsageError(
            f"doccano has {len(found)} projects called {name!r} (ids {ids}); rename all but one "
            "in doccano or pick another --project name"
        )
    return Project.from_json(found[0]) if found else None


def get_project(session: DoccanoSession, project_id: int) -> Project:
    return Project.from_json(session.json("GET", f"/v1/projects/{project_id}"))


def create_project(
    session: DoccanoSession,
    name: str,
    project_type: str,
    *,
    guideline: str = "",
    description: str = "",
    use_relation: bool = False,
    grapheme_mode: bool = False,
    allow_overlapping: bool = False,
) -> Project:
    """Create a project with annotations kept per annotator (``collaborative_annotation`` off);
    ``allow_overlapping`` lets one user's spans overlap (review projects)."""
    body: dict[str, Any] = {
        "name": name,
        "description": description or name,
        "guideline": guideline,
        "project_type": project_type,
        "resourcetype": RESOURCE_TYPES[project_type],
        "collaborative_annotation": False,
        "random_order": False,
    }
    if project_type == SEQUENCE_LABELING:
        body.update(
            use_relation=use_relation,
            grapheme_mode=grapheme_mode,
            allow_overlapping=allow_overlapping,
        )
    return Project.from_json(session.json("POST", "/v1/projects", json=body))


def update_project(session: DoccanoSession, project: Project, **fields: Any) -> Project:
    body = {"resourcetype": RESOURCE_TYPES[project.project_type], **fields}
    return Project.from_json(session.json("PATCH", f"/v1/projects/{project.id}", json=body))


# --------------------------------------------------------------------------- label types


@dataclass(frozen=True)
class LabelType:
    id: int
    text: str
    background_color: str = ""
    suffix_key: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LabelType:
        return cls(
            int(data["id"]),
            str(data["text"]),
            data.get("background_color") or "",
            data.get("suffix_key") or None,
        )


@dataclass
class LabelSync:
    """What syncing one kind of label types did."""

    kind: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # on the server, not in the schema
    key_conflicts: list[str] = field(default_factory=list)  # shortcut taken by another label
    ids: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "ids"}


def text_color(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (#rrggbb)."""
    try:
        r, g, b = (int(background[i : i + 2], 16) for i in (1, 3, 5))
    except (ValueError, IndexError):
        return "#000000"
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#ffffff"


def list_label_types(session: DoccanoSession, project_id: int, kind: LabelKind) -> list[LabelType]:
    data = session.json("GET", f"/v1/projects/{project_id}/{kind.value}")
    return [LabelType.from_json(item) for item in data]


def sync_label_types(
    session: DoccanoSession, project_id: int, kind: LabelKind, wanted: Sequence[LabelInfo]
) -> LabelSync:
    """Create missing label types by name; bring colour and shortcut key of existing ones in
    line with ``wanted``. Labels only on the server are kept and listed in ``extra``."""
    sync = LabelSync(kind.name)
    existing = {t.text: t for t in list_label_types(session, project_id, kind)}
    names = {info.name for info in wanted}
    sync.extra = sorted(set(existing) - names)
    keys_taken = {t.suffix_key: t.text for t in existing.values() if t.suffix_key}
    base = f"/v1/projects/{project_id}/{kind.value}"
    for info in wanted:
        key = (info.key or "").lower()[:1] or None
        owner = keys_taken.get(key) if key else None
        if key and owner not in (None, info.name):
            sync.key_conflicts.append(f"{info.name} ({key!r} is {owner}'s)")
            key = None
        body = {
            "text": info.name,
            "background_color": info.color,
            "text_color": text_color(info.color),
            "suffix_key": key,
            "prefix_key": None,
        }
        current = existing.get(info.name)
        if current is None:
            created = LabelType.from_json(session.json("POST", base, json=body))
            sync.created.append(info.name)
            sync.ids[info.name] = created.id
        else:
            sync.ids[info.name] = current.id
            if (current.background_color.lower(), current.suffix_key) == (info.color.lower(), key):
                sync.unchanged.append(info.name)
            else:
                session.json("PATCH", f"{base}/{current.id}", json=body)
                sync.updated.append(info.name)
        if key:
            keys_taken[key] = info.name
    for name in sync.extra:
        sync.ids[name] = existing[name].id
    return sync


def label_distribution(
    session: DoccanoSession, project_id: int, kind: LabelKind
) -> dict[str, dict[str, int]]:
    """``{username: {label: count}}`` for every member: one grouped query on the server."""
    return session.json("GET", f"/v1/projects/{project_id}/metrics/{DISTRIBUTIONS[kind]}")


# --------------------------------------------------------------------------- examples


def example_count(session: DoccanoSession, project_id: int, *, search: str | None = None) -> int:
    params: dict[str, Any] = {"limit": 1}
    if search:
        params["q"] = search
    return int(session.json("GET", f"/v1/projects/{project_id}/examples", params=params)["count"])


def newest_example(session: DoccanoSession, project_id: int) -> tuple[int, dict[str, Any] | None]:
    """``(count, newest example)``: one cheap request (ordering by creation time)."""
    page = session.json(
        "GET",
        f"/v1/projects/{project_id}/examples",
        params={"limit": 1, "ordering": "-created_at"},
    )
    return int(page["count"]), (page["results"][0] if page["results"] else None)


def list_examples(
    session: DoccanoSession, project_id: int, *, search: str | None = None, page: int = 500
) -> Iterator[dict[str, Any]]:
    """Every example (matching ``search``), oldest first. Slow: a few ms per example on the
    server; use :func:`export_project` for whole projects."""
    offset = 0
    while True:
        params: dict[str, Any] = {"limit": page, "offset": offset, "ordering": "created_at"}
        if search:
            params["q"] = search
        data = session.json("GET", f"/v1/projects/{project_id}/examples", params=params)
        yield from data["results"]
        offset += len(data["results"])
        if not data.get("next") or not data["results"]:
            return


def delete_examples(session: DoccanoSession, project_id: int, ids: Sequence[int]) -> None:
    """Delete these examples (and their annotations). Never called with no ids: the server
    would delete every example of the project."""
    ids = [int(i) for i in ids]
    if not ids:
        raise ValueError("delete_examples needs at least one id (an empty list deletes all)")
    session.request("DELETE", f"/v1/projects/{project_id}/examples", json={"ids": ids})


# --------------------------------------------------------------------------- import


def upload_file(session: DoccanoSession, data: bytes, filename: str) -> str:
    """Store ``data`` as a temporary upload (``/v1/fp/process/``); returns its upload id."""
    response = session.request(
        "POST",
        "/v1/fp/process/",
        files={"filepond": (filename, data, "application/octet-stream")},
        headers={"Accept": "text/plain"},
        ok=(413, 500),
        timeout=max(session.timeout, 120.0),
    )
    if response.status_code == 413:
        raise UploadTooLarge(
            f"doccano at {session.url} refused an upload of {len(data)} bytes as too large "
            "(413); upload smaller batches (--batch-size) or raise the proxy's body size limit"
        )
    if response.status_code == 500:
        raise ServerError(
            f"doccano at {session.url} answered 500 to POST /v1/fp/process/ "
            f"({response.text.strip()[:120]}); {UPLOAD_HINT}"
        )
    upload_id = response.text.strip()
    if not upload_id or len(upload_id) > 64 or not upload_id.isalnum():
        raise ServerError(
            f"doccano at {session.url} answered the upload with {upload_id[:60]!r} instead of "
            "an upload id; check that the URL is a doccano 1.8 server"
        )
    return upload_id


def start_import(
    session: DoccanoSession, project: Project, upload_id: str, *, column_label: str = "label"
) -> str:
    """Start importing an uploaded UTF-8 JSONL file; returns the celery task id."""
    body = {
        "uploadIds": [upload_id],
        "format": "JSONL",
        "task": project.import_task,
        "column_data": "text",
        "column_label": column_label,
        "encoding": "utf_8",
        "delimiter": ",",
    }
    return str(session.json("POST", f"/v1/projects/{project.id}/upload", json=body)["task_id"])


# --------------------------------------------------------------------------- export


def export_project(
    session: DoccanoSession,
    project_id: int,
    *,
    confirmed_only: bool = False,
    timeout: float | None = None,
) -> dict[str, bytes]:
    """Export a project as JSONL: ``{file stem: bytes}`` from the zip the server builds.

    Without collaborative annotation there is one file per current member (``<username>``),
    each with every example (with ``confirmed_only``, only those the member confirmed) and
    that member's labels; with it, one ``all`` file.
    """
    task_id = start_export(session, project_id, confirmed_only=confirmed_only)
    return fetch_export(session, project_id, task_id, timeout=timeout)


def start_export(session: DoccanoSession, project_id: int, *, confirmed_only: bool = False) -> str:
    """Start an export task (several can queue: the worker runs them back to back)."""
    body = {"format": "JSONL", "exportApproved": confirmed_only}
    return str(session.json("POST", f"/v1/projects/{project_id}/download", json=body)["task_id"])


def fetch_export(
    session: DoccanoSession, project_id: int, task_id: str, *, timeout: float | None = None
) -> dict[str, bytes]:
    """Wait for an export task (at most ``timeout`` s, default a bound scaled to the
    project's size: :func:`~goldwire.annotate.tasks.task_wait_bound`) and download its zip:
    ``{file stem: bytes}``."""
    examples = example_count(session, project_id) if timeout is None else None
    status = wait_task(session, task_id, examples=examples, timeout=timeout)
    if status.error:
        raise ServerError(
            f"doccano at {session.url} failed to export project {project_id} ({status.error}); "
            "see the server's worker log"
        )
    response = session.request(
        "GET",
        f"/v1/projects/{project_id}/download",
        params={"taskId": task_id},
        headers={"Accept": "*/*"},
        timeout=max(session.timeout, 300.0),
    )
    try:
        archive = zipfile.ZipFile(io.BytesIO(response.content))
    except zipfile.BadZipFile:
        raise ServerError(
            f"doccano at {session.url} sent something that is not a zip for the export of "
            f"project {project_id}; check the server's worker log"
        ) from None
    files = {}
    for name in archive.namelist():
        stem = name.rsplit("/", 1)[-1]
        if stem.endswith(".jsonl"):
            files[stem[: -len(".jsonl")]] = archive.read(name)
    return files


def export_lines(data: bytes) -> Iterator[dict[str, Any]]:
    """The records of an exported JSONL file (split on ``\\n`` only: texts may hold U+2028)."""
    for line in data.split(b"\n"):
        if line.strip():
            yield json.loads(line)


# --------------------------------------------------------------------------- annotations


def _example(project_id: int, example_id: int) -> str:
    return f"/v1/projects/{project_id}/examples/{example_id}"


def list_own(
    session: DoccanoSession, project_id: int, example_id: int, what: str
) -> list[dict[str, Any]]:
    """The caller's own ``spans``, ``relations`` or ``categories`` on one example."""
    return session.json("GET", f"{_example(project_id, example_id)}/{what}")


def create_span(
    session: DoccanoSession, project_id: int, example_id: int, start: int, end: int, label: int
) -> int:
    """Create a span as the logged-in user (offsets in the project's unit); returns its id."""
    body = {"start_offset": start, "end_offset": end, "label": label, "prob": 0.0}
    return int(session.json("POST", f"{_example(project_id, example_id)}/spans", json=body)["id"])


def create_relation(
    session: DoccanoSession, project_id: int, example_id: int, from_id: int, to_id: int, type_: int
) -> int:
    body = {"from_id": from_id, "to_id": to_id, "type": type_, "prob": 0.0}
    path = f"{_example(project_id, example_id)}/relations"
    return int(session.json("POST", path, json=body)["id"])


def create_category(session: DoccanoSession, project_id: int, example_id: int, label: int) -> int:
    body = {"label": label, "prob": 0.0}
    path = f"{_example(project_id, example_id)}/categories"
    return int(session.json("POST", path, json=body)["id"])


def confirm_example(session: DoccanoSession, project_id: int, example_id: int) -> None:
    """Mark an example done for the logged-in user (the server toggles: check first)."""
    path = f"{_example(project_id, example_id)}/states"
    if not session.json("GET", path).get("count", 0):
        session.json("POST", path, json={})


def example_meta(session: DoccanoSession, project_id: int, example_id: int) -> dict[str, Any]:
    """An example's metadata (what the import line carried beside the text)."""
    return dict(session.json("GET", _example(project_id, example_id)).get("meta") or {})


def update_example_meta(
    session: DoccanoSession, project_id: int, example_id: int, meta: dict[str, Any]
) -> None:
    """Replace an example's metadata (a project admin's request; the text is not touched)."""
    session.json("PATCH", _example(project_id, example_id), json={"meta": meta})
