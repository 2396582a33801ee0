"""Project members of a campaign: add, change role, remove (never losing unpulled work), list.

A project ``P`` may have a companion ``P-docstance`` (document stances); members are added to
and removed from both. Doccano drops a removed member's work from its exports, so
:func:`remove_members` refuses, before any change, while a named member has work that no pull
has taken (:mod:`~goldwire.annotate.pull_ledger`), unless forced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from goldwire.annotate import client, members
from goldwire.annotate.http import DoccanoSession
from goldwire.annotate.pull_ledger import WorkCounts, last_pulled, live_counts, unpulled
from goldwire.annotate.records import docstance_project
from goldwire.annotate.settings import display_url
from goldwire.errors import UsageError


@dataclass(frozen=True)
class MemberChange:
    """One member of one project: ``added``, ``unchanged``, ``role changed``, ``removed``."""

    project: str
    username: str
    action: str
    role: str
    old_role: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "username": self.username,
            "action": self.action,
            "role": self.role,
            "old_role": self.old_role or None,
        }

    def __str__(self) -> str:
        if self.action == "role changed":
            return f"{self.username} in {self.project}: role changed {self.old_role} -> {self.role}"
        return f"{self.username} in {self.project}: {self.action} ({self.role})"


@dataclass
class MembersReport:
    url: str
    project: str
    changes: list[MemberChange] = field(default_factory=list)
    #: With ``force``: the removed members' work that no pull had taken.
    lost: dict[str, WorkCounts] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "project": self.project,
            "changes": [c.to_dict() for c in self.changes],
            "lost": {user: c.to_dict() for user, c in self.lost.items()},
            "notes": list(self.notes),
        }


def projects(session: DoccanoSession, name: str) -> list[client.Project]:
    """Project ``name`` and its ``-docstance`` companion when there is one."""
    main = client.find_project(session, name)
    if main is None:
        raise UsageError(
            f"doccano at {display_url(session.url)} has no project {name!r} that "
            f"{session.username} is a member of; check --project, or create it with "
            f"`goldwire annotate push CORPUS --project {name}`"
        )
    companion = client.find_project(session, docstance_project(name))
    return [main] + ([companion] if companion else [])


def require_users(session: DoccanoSession, names: Sequence[str]) -> None:
    """Every one of ``names`` has an account, or one line naming the missing and the fix."""
    missing = [n for n in names if members.find_user(session, n) is None]
    if missing:
        shown = " ".join(missing)
        raise UsageError(
            f"doccano at {display_url(session.url)} has no user {', '.join(missing)}; create "
            f"the account(s) first with `goldwire annotate users add {shown}`"
        )


def _check_role(role: str) -> None:
    if role not in members.ROLES:
        raise UsageError(
            f"--role {role!r} is not a doccano role; use one of {', '.join(members.ROLES)}"
        )


def _check_names(names: Sequence[str]) -> list[str]:
    if not names:
        raise UsageError("no member name given; name at least one user")
    return list(dict.fromkeys(names))


def add_members(
    session: DoccanoSession, project: str, names: Sequence[str], role: str = members.ROLE_ANNOTATOR
) -> MembersReport:
    """Make ``names`` members of ``project`` (and its companion) with ``role``: a member with
    that role is left unchanged, one with another role gets ``role``."""
    _check_role(role)
    names = _check_names(names)
    targets = projects(session, project)
    require_users(session, names)
    report = MembersReport(display_url(session.url), project)
    for target in targets:
        current = {m.username: m for m in members.list_members(session, target.id)}
        for name in names:
            member = current.get(name)
            if member is None:
                members.add_member(session, target.id, name, role)
                report.changes.append(MemberChange(target.name, name, "added", role))
            elif member.role == role:
                report.changes.append(MemberChange(target.name, name, "unchanged", role))
            else:
                members.set_role(session, target.id, member, role)
                change = MemberChange(target.name, name, "role changed", role, member.role)
                report.changes.append(change)
    return report


def unpulled_message(project: str, work: dict[str, WorkCounts]) -> str:
    who = "; ".join(f"{user} has {counts.describe()}" for user, counts in work.items())
    return (
        f"{who} in project {project} that no pull has taken (doccano drops a removed member's "
        f"work from its exports); pull first: goldwire annotate pull --project {project} --out "
        "DIR, or pass --force to remove anyway and lose that work"
    )


def remove_members(
    session: DoccanoSession, project: str, names: Sequence[str], *, force: bool = False
) -> MembersReport:
    """Remove ``names`` from ``project`` and its companion. Refuses, before any change, a
    name that is not a member, the logged-in user (doccano keeps it silently), and, unless
    ``force``, a member whose work no pull has taken (then listed in the report's ``lost``)."""
    names = _check_names(names)
    targets = projects(session, project)
    current = {t.id: {m.username: m for m in members.list_members(session, t.id)} for t in targets}
    if session.username in names:
        raise UsageError(
            f"{session.username} is the logged-in user, whom doccano does not let remove "
            f"themselves from {project}; log in as another project admin (--username)"
        )
    strangers = [n for n in names if not any(n in m for m in current.values())]
    if strangers:
        raise UsageError(
            f"{', '.join(strangers)} is not a member of {' or '.join(t.name for t in targets)}; "
            f"see `goldwire annotate members list --project {project}`"
        )
    main, companion = targets[0], (targets[1] if len(targets) > 1 else None)
    live = live_counts(session, main.id, companion.id if companion else None)
    work = unpulled(live, last_pulled(session.url, main.id), names)
    if work and not force:
        raise UsageError(unpulled_message(project, work))
    report = MembersReport(display_url(session.url), project, lost=work)
    for target in targets:
        gone = [current[target.id][n] for n in names if n in current[target.id]]
        members.remove_members(session, target.id, [m.id for m in gone])
        report.changes += [MemberChange(target.name, m.username, "removed", m.role) for m in gone]
    _check_removed(session, targets, names)
    with_work = [n for n in names if n in live and live[n].has_work()]
    if with_work:
        report.notes.append(
            f"doccano 1.8.4 cannot count labels in {project} while a removed member's labels "
            f"remain ({', '.join(with_work)}): `status` and `members remove` on it fail until "
            f"they are members again (`goldwire annotate members add --project {project} "
            f"{' '.join(with_work)}`)"
        )
    return report


def _check_removed(
    session: DoccanoSession, targets: list[client.Project], names: list[str]
) -> None:
    for target in targets:
        left = [m.username for m in members.list_members(session, target.id) if m.username in names]
        if left:
            raise UsageError(
                f"doccano at {display_url(session.url)} kept {', '.join(left)} in {target.name} "
                "after the removal; check that the login is a project admin there"
            )


def list_project_members(session: DoccanoSession, project: str) -> list[MemberChange]:
    """Every member of ``project`` and its companion (``action`` is ``member``)."""
    return [
        MemberChange(t.name, m.username, "member", m.role)
        for t in projects(session, project)
        for m in sorted(members.list_members(session, t.id), key=lambda m: m.username)
    ]


__all__ = [
    "MemberChange",
    "MembersReport",
    "add_members",
    "list_project_members",
    "projects",
    "remove_members",
    "unpulled_message",
]
