"""Doccano accounts for an annotation campaign: create them, keep their API tokens.

Doccano 1.8.4 creates accounts only for a staff login (``POST /v1/users/create``) and has no
API to delete an account or set another user's password, so :func:`add_users` checks the
login's rights and every name before it changes anything. For each account it logs in once
and keeps the API token the login answers (tokens do not expire) in
``<GOLDWIRE_HOME>/accounts/tokens.json`` (folder 0700, file 0600, atomic writes)::

    {"http://127.0.0.1:8000": {"alice": "<token>"}}

Passwords are never stored: a generated one is held only in the report's
:attr:`UserOutcome.password` (left out of its ``repr`` and ``to_dict``) for the CLI to show
once. Logging out of doccano's web page deletes that user's token; ``users add`` with the
user's password saves a new one.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldwire import files
from goldwire.annotate import members
from goldwire.annotate.file_lock import held
from goldwire.annotate.http import DoccanoSession, connect, connect_token
from goldwire.annotate.settings import (
    Connection,
    display_url,
    generate_password,
    goldwire_home,
)
from goldwire.errors import ServerError, UsageError

#: Django's username rule (``UnicodeUsernameValidator``) and length, which doccano applies.
USERNAME_RE = re.compile(r"[\w.@+-]+\Z")
USERNAME_MAX = 150
USERNAME_RULE = "1 to 150 letters, digits and @ . + - _"
#: Doccano's login page refuses longer passwords; Django refuses shorter ones.
PASSWORD_MIN, PASSWORD_MAX = 8, 30
LOCK_SECONDS = 30.0


# --------------------------------------------------------------------------- token store


def tokens_path() -> Path:
    return goldwire_home() / "accounts" / "tokens.json"


def _read_tokens(path: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError:
        data = None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise UsageError(
            f"{path} is not a goldwire token file; delete it and save the tokens again with "
            "`goldwire annotate users add NAME... --new-password-stdin`"
        )
    return data


def save_token(url: str, username: str, token: str) -> Path:
    """Keep ``username``'s API token for the server at ``url`` (replacing an older one)."""
    path = tokens_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    busy = f"another goldwire command is writing {path}; wait for it and try again"
    with held(path.with_name(".tokens.lock"), LOCK_SECONDS, busy):
        data = _read_tokens(path)
        data.setdefault(display_url(url), {})[username] = token
        return files.write_json(path, data, private=True)


def saved_token(url: str, username: str) -> str | None:
    return _read_tokens(tokens_path()).get(display_url(url), {}).get(username)


def token_session(url: str, username: str) -> DoccanoSession:
    """A session authenticated by ``username``'s saved token (checked with ``/v1/me``)."""
    token = saved_token(url, username)
    if token is None:
        raise UsageError(
            f"no saved API token of {username!r} for doccano at {display_url(url)}; save one "
            f"with `goldwire annotate users add {username}` (it logs in once; an existing "
            "account's password comes from --new-password-stdin or GOLDWIRE_DOCCANO_NEW_PASSWORD)"
        )
    return connect_token(url, username, token)


def login_for(url: str, username: str, env_name: str, what: str) -> Callable[[], DoccanoSession]:
    """How to log in as ``username``, another account than the command's own (``--as-user``,
    ``--reviewer``): its password from ``env_name``, else the API token saved for it. Checked
    now (before any work), used later: the returned function opens the session."""
    password = os.environ.get(env_name, "")
    if password:
        return lambda: connect(Connection(url, username, password))
    token = saved_token(url, username)
    if token:
        return lambda: connect_token(url, username, token)
    raise UsageError(
        f"{what} {username} needs that user's password in {env_name} or the API token "
        f"`goldwire annotate users add {username}` saves"
    )


# --------------------------------------------------------------------------- checks


def require_staff(session: DoccanoSession, doing: str, admin_fix: str = "") -> dict[str, Any]:
    """``/v1/me`` of the login; a UsageError saying what the admin has to do unless staff."""
    me = members.me(session)
    if me.get("is_staff"):  # IsAdminUser: is_staff, whatever is_superuser says
        return me
    user = me.get("username") or session.username
    fix = f"{admin_fix} or to make {user} staff" if admin_fix else f"make {user} staff"
    raise UsageError(
        f"user {user} at {display_url(session.url)} is not staff: {doing} needs a staff "
        f"account; ask the server's admin to {fix}"
    )


def check_username(name: str) -> None:
    if not (len(name) <= USERNAME_MAX and USERNAME_RE.match(name)):
        raise UsageError(
            f"{name!r} cannot be a doccano username: doccano (Django) accepts {USERNAME_RULE}; "
            "pick another name"
        )


def check_password(name: str, password: str) -> None:
    """The rules goldwire can check before any change (the server also refuses common ones
    and ones like the username)."""
    problem = None
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        problem = f"has {len(password)} characters, not {PASSWORD_MIN} to {PASSWORD_MAX}"
    elif password.isdigit():
        problem = "is all digits"
    if problem:
        raise UsageError(
            f"the password given for {name} {problem} (doccano's login page accepts "
            f"{PASSWORD_MIN} to {PASSWORD_MAX} characters, not all digits); give another one"
        )


def _check_names(names: Sequence[str], passwords: Mapping[str, str] | None) -> None:
    if not names:
        raise UsageError("no account name given; name at least one, e.g. `users add alice`")
    seen: set[str] = set()
    for name in names:
        check_username(name)
        if name.lower() in seen:
            raise UsageError(f"{name} is named twice (doccano ignores case); name it once")
        seen.add(name.lower())
        if passwords is not None:
            if name not in passwords:
                raise UsageError(f"no password given for {name}; give one per name, in order")
            check_password(name, passwords[name])


# --------------------------------------------------------------------------- users add


@dataclass
class UserOutcome:
    """What ``users add`` did for one account. ``password`` is the generated password (None
    when one was given or the account existed); it never shows in repr or ``to_dict``."""

    username: str
    created: bool
    password_generated: bool = False
    token_saved: bool = False
    note: str = ""
    password: str | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "status": "created" if self.created else "exists",
            "password_generated": self.password_generated,
            "token_saved": self.token_saved,
            "note": self.note,
        }


@dataclass
class UsersReport:
    url: str
    users: list[UserOutcome]
    tokens: Path

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "tokens": str(self.tokens),
            "users": [u.to_dict() for u in self.users],
        }

    def generated_passwords(self) -> dict[str, str]:
        return {u.username: u.password for u in self.users if u.password}


def _login_token(url: str, name: str, password: str) -> str | None:
    """Log in once as ``name``; the API token, or None when the server answers none."""
    with DoccanoSession(url) as session:
        try:
            session.login(name, password)
        except ServerError:
            raise UsageError(
                f"doccano at {display_url(url)} rejected the password given for {name}; give "
                f"{name}'s current password (doccano has no API to set another user's password; "
                "its admin can change it in /admin/)"
            ) from None
        return session.token


def _keep_token(url: str, outcome: UserOutcome, password: str) -> UserOutcome:
    token = _login_token(url, outcome.username, password)
    if token:
        save_token(url, outcome.username, token)
        outcome.token_saved = True
    else:
        outcome.note = "the login answered no API token (token auth is off on this server)"
    return outcome


def _create(session: DoccanoSession, name: str, password: str, done: list[str]) -> None:
    try:
        members.create_user(session, name, password)
    except ServerError as exc:
        so_far = f"created so far: {', '.join(done)}" if done else "none created"
        raise ServerError(f"account {name} not created ({so_far}): {exc}") from None


def add_users(
    session: DoccanoSession, names: Sequence[str], passwords: Mapping[str, str] | None = None
) -> UsersReport:
    """Create the accounts ``names`` (password from ``passwords``, else generated) and keep
    each one's API token; an existing account is left as it is (its token saved when its
    password is given). Every check (names, passwords, staff rights, existing accounts'
    passwords) runs before the first account is created."""
    names = list(names)
    _check_names(names, passwords)
    existing = {n: members.find_user_any_case(session, n) for n in names}
    for name, user in existing.items():
        if user is not None and user["username"] != name:
            raise UsageError(
                f"doccano at {display_url(session.url)} already has user {user['username']!r}, "
                f"which differs from {name!r} only in case; use {user['username']!r}"
            )
    new = [n for n in names if existing[n] is None]
    if new:
        require_staff(session, "creating accounts", f"create {', '.join(new)} in /admin/")
    outcomes: dict[str, UserOutcome] = {}
    for name in names:
        if existing[name] is None:
            continue
        outcome = UserOutcome(name, created=False)
        if passwords is not None:
            _keep_token(session.url, outcome, passwords[name])
        else:
            outcome.token_saved = saved_token(session.url, name) is not None
            outcome.note = "existing account: its password was not given, token not renewed"
        outcomes[name] = outcome
    for name in new:
        given = passwords[name] if passwords is not None else None
        password = given or generate_password()
        _create(session, name, password, [n for n in new if n in outcomes])
        outcome = UserOutcome(name, True, given is None, password=None if given else password)
        outcomes[name] = _keep_token(session.url, outcome, password)
    return UsersReport(display_url(session.url), [outcomes[n] for n in names], tokens_path())


# --------------------------------------------------------------------------- users list


@dataclass(frozen=True)
class Account:
    username: str
    staff: bool
    superuser: bool
    token_saved: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "staff": self.staff,
            "superuser": self.superuser,
            "token_saved": self.token_saved,
        }


def list_users(session: DoccanoSession) -> list[Account]:
    """Every account of the server, with whether goldwire keeps its API token here."""
    tokens = _read_tokens(tokens_path()).get(display_url(session.url), {})
    return [
        Account(
            u["username"],
            bool(u.get("is_staff")),
            bool(u.get("is_superuser")),
            u["username"] in tokens,
        )  # fmt: skip
        for u in sorted(members.list_users(session), key=lambda u: u["username"])
    ]


__all__ = [
    "Account",
    "UserOutcome",
    "UsersReport",
    "add_users",
    "list_users",
    "require_staff",
    "save_token",
    "saved_token",
    "token_session",
    "tokens_path",
]
