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
#: The roles a project member can have, least rights first.
ROLES = (ROLE_ANNOTATOR, ROLE_APPROVER, ROLE_ADMIN)


@dataclass(frozen=True)
class Member:
    id: int
    user: int
    username: str
    role: str


def roles(session: DoccanoSession) -> dict[str, int]:
    return {r["name"]: int(r["id"]) for r in session.json("GET", "/v1/roles")}


def me(session: DoccanoSession) -> dict[str, Any]:
    """The logged-in user: ``{"id", "username", "is_superuser", "is_staff"}``."""
    return session.json("GET", "/v1/me")


def list_users(session: DoccanoSession, search: str = "") -> list[dict[str, Any]]:
    """Every account (``search``: those whose name contains it), as ``/v1/me`` shows one."""
    params = {"q": search} if search else None
    return list(session.json("GET", "/v1/users", params=params))


def find_user(session: DoccanoSession, username: str) -> dict[str, Any] | None:
    users = list_users(session, username)
    return next((u for u in users if u["username"] == username), None)


def find_user_any_case(session: DoccanoSession, username: str) -> dict[str, Any] | None:
    """The account whose name equals ``username`` ignoring case (doccano refuses a new name
    that differs from an existing one only in case), the exact one first."""
    users = [u for u in list_users(session, username) if u["username"].lower() == username.lower()]
    users.sort(key=lambda u: u["username"] != username)
    return users[0] if users else None


def create_user(
    session: DoccanoSession, username: str, password: str, *, email: str = ""
) -> dict[str, Any]:
    """Create a (non-staff) account; needs a staff login. The password travels in the body."""
    session.add_secret(password)
    body = {
        "username": username,
        "email": email or f"{username.replace('@', '.at.')}@example.invalid",
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
            f"with `goldwire annotate users add {username}` (or in doccano's admin page, /admin/)"
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


def set_role(session: DoccanoSession, project_id: int, member: Member, role: str) -> Member:
    """Give an existing member another role (doccano keeps at least one project admin)."""
    body = {"role": roles(session)[role]}
    m = session.json("PATCH", f"/v1/projects/{project_id}/members/{member.id}", json=body)
    return Member(int(m["id"]), int(m["user"]), m["username"], m["rolename"])
