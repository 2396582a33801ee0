"""Doccano users and project members: find and create accounts, add and remove members.

Plain functions over a logged-in :class:`~goldwire.annotate.http.DoccanoSession`, re-exported
by :mod:`goldwire.annotate.client` (``client.add_member``, ...). Creating an account needs a
staff login; its password travels in the request body only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from goldwire.annotate.http import DoccanoSession
from goldwire.errors import UsageError

ROLE_ADMIN = "project_admin"
ROLE_ANNOTATOR = "annotator"
ROLE_APPROVER = "annotation_approver"


@dataclass(frozen=True)
class Member:
    id: int
    user: int
    username: str
    role: str


def roles(session: DoccanoSession) -> dict[str, int]:
    return {r["name"]: int(r["id"]) for r in session.json("GET", "/v1/roles")}


def find_user(session: DoccanoSession, username: str) -> dict[str, Any] | None:
    users = session.json("GET", "/v1/users", params={"q": username})
    return next((u for u in users if u["username"] == username), None)


def create_user(
    session: DoccanoSession, username: str, password: str, *, email: str = ""
) -> dict[str, Any]:
    """Create a (non-staff) account; needs a staff login. The password travels in the body."""
    body = {
        "username": username,
        "email": email or f"{username}@example.invalid",
        "password1": password,
        "password2": password,
    }
    return session.json("POST", "/v1/users/create", json=body)


def list_members(session: DoccanoSession, project_id: int) -> list[Member]:
    data = session.json("GET", f"/v1/projects/{project_id}/members")
    return [Member(int(m["id"]), int(m["user"]), m["username"], m["rolename"]) for m in data]


def add_member(
    session: DoccanoSession, project_id: int, username: str, role: str = ROLE_ANNOTATOR
) -> Member:
    user = find_user(session, username)
    if user is None:
        raise UsageError(
            f"doccano at {session.url} has no user {username!r}; create the account first "
            "(doccano's admin page, /admin/)"
        )
    role_ids = roles(session)
    body = {"user": user["id"], "role": role_ids[role]}
    m = session.json("POST", f"/v1/projects/{project_id}/members", json=body)
    return Member(int(m["id"]), int(m["user"]), m["username"], m["rolename"])


def remove_members(session: DoccanoSession, project_id: int, member_ids: Sequence[int]) -> None:
    if member_ids:
        session.request(
            "DELETE", f"/v1/projects/{project_id}/members", json={"ids": list(member_ids)}
        )
