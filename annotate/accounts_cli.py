"""``goldwire annotate users`` and ``goldwire annotate members``: accounts and project members.

Thin Typer wrappers over :mod:`~goldwire.annotate.accounts` and
:mod:`~goldwire.annotate.membership`; the login options are those of the other annotate
commands (the admin's). A new account's password is never an argument: it comes from
standard input (``--new-password-stdin``, one line per name), from
``GOLDWIRE_DOCCANO_NEW_PASSWORD``, or is generated and shown once on the terminal (never in
``--json``, never saved).
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from typing import Annotated

import typer

from goldwire.annotate.cli_common import Echo, json_option
from goldwire.annotate.members import ROLES
from goldwire.errors import UsageError

ENV_NEW_PASSWORD = "GOLDWIRE_DOCCANO_NEW_PASSWORD"

users_app = typer.Typer(
    name="users",
    help="Doccano accounts: create them (a staff login) and keep their API tokens.\n\n"
    "Example: goldwire annotate users add alice bob",
    no_args_is_help=True,
)
members_app = typer.Typer(
    name="members",
    help="Project members: add with a role, remove (never losing unpulled work), list.\n\n"
    "Example: goldwire annotate members add --project seed alice bob",
    no_args_is_help=True,
)


#: doccano's roles (:data:`~goldwire.annotate.members.ROLES`), as the choices of --role.
Role = Enum("Role", {role: role for role in ROLES}, type=str)


NamesArgument = Annotated[
    list[str], typer.Argument(help="Doccano usernames.", metavar="NAME", show_default=False)
]
NewPasswordStdinOption = Annotated[
    bool,
    typer.Option(
        "--new-password-stdin",
        help="Read the new accounts' passwords from standard input, one line per NAME in "
        "order (after the admin's line when --password-stdin is also given). Default: "
        f"{ENV_NEW_PASSWORD} (one password for every NAME), else generated and shown once.",
    ),
]
RoleOption = Annotated[Role, typer.Option("--role", help="The members' role in the project.")]
UsersJsonOption = json_option("the report (never a password)")
AccountsJsonOption = json_option("the accounts")
ChangesJsonOption = json_option("the changes")
MembersJsonOption = json_option("the members")
ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Remove even members whose work no pull has taken (doccano then leaves it out "
        "of every export: it is lost to goldwire).",
    ),
]


def _session(url: str | None, username: str | None, password_stdin: bool):
    from goldwire.annotate.http import connect
    from goldwire.annotate.settings import resolve_connection

    password = _stdin_password(password_stdin)
    return connect(resolve_connection(url, username, password))


def _new_passwords(names: list[str], from_stdin: bool) -> dict[str, str] | None:
    """One password per name: standard input, else the environment variable, else None."""
    if from_stdin:
        lines = [sys.stdin.readline().rstrip("\r\n") for _ in names]
        empty = [n for n, line in zip(names, lines, strict=True) if not line]
        if empty:
            raise UsageError(
                f"--new-password-stdin read no password for {', '.join(empty)}; give one line "
                "per NAME, in order"
            )
        return dict(zip(names, lines, strict=True))
    shared = os.environ.get(ENV_NEW_PASSWORD, "")
    return {n: shared for n in names} if shared else None


@users_app.command("add")
def users_add_cli(
    names: NamesArgument,
    *,
    new_password_stdin: NewPasswordStdinOption = False,
    url: UrlOption = None,
    username: UsernameOption = None,
    password_stdin: PasswordStdinOption = False,
    json_out: UsersJsonOption = None,
) -> None:
    """Create doccano accounts (a staff login) and keep each one's API token (0600).

    An existing account is left as it is; with its password given, its token is saved again.
    Every check runs before the first account is created. Generated passwords are shown once
    here and saved nowhere: hand them to their users.

    Example: pass show team/alice | goldwire annotate users add alice --new-password-stdin
    """
    from goldwire.annotate.accounts import add_users

    with _session(url, username, password_stdin) as session:
        passwords = _new_passwords(list(names), new_password_stdin)
        report = add_users(session, names, passwords)
    echo = Echo(json_out)
    echo.json(report.to_dict())
    for user in report.users:
        status = "created" if user.created else "exists"
        token = "token saved" if user.token_saved else "no token saved"
        note = f"; {user.note}" if user.note else ""
        echo(f"{user.username}: {status}, {token}{note}")
    for name, password in report.generated_passwords().items():
        echo(f"password of {name} (shown once, saved nowhere): {password}")
    echo(f"tokens: {report.tokens}")


@users_app.command("list")
def users_list_cli(
    *,
    url: UrlOption = None,
    username: UsernameOption = None,
    password_stdin: PasswordStdinOption = False,
    json_out: AccountsJsonOption = None,
) -> None:
    """List the server's accounts: staff, superuser, and whether goldwire keeps a token.

    Example: goldwire annotate users list --json -
    """
    from goldwire.annotate.accounts import list_users

    with _session(url, username, password_stdin) as session:
        accounts = list_users(session)
    echo = Echo(json_out)
    echo.json([a.to_dict() for a in accounts])
    for a in accounts:
        rights = ", ".join(r for r, on in (("staff", a.staff), ("superuser", a.superuser)) if on)
        token = "token saved" if a.token_saved else "no token"
        echo(f"{a.username}{f' ({rights})' if rights else ''}: {token}")


def _echo_members(report, echo: Echo) -> None:
    echo.json(report.to_dict())
    for change in report.changes:
        echo(str(change))
    for user, counts in report.lost.items():
        echo(f"lost: {user}'s {counts.describe()} in {report.project} (never pulled)", err=True)
    for note in getattr(report, "notes", ()):
        echo(f"note: {note}", err=True)


@members_app.command("add")
def members_add_cli(
    names: NamesArgument,
    *,
    project: ProjectOption,
    role: RoleOption = Role.annotator,
    url: UrlOption = None,
    username: UsernameOption = None,
    password_stdin: PasswordStdinOption = False,
    json_out: ChangesJsonOption = None,
) -> None:
    """Make accounts members of PROJECT (and PROJECT-docstance) with a role.

    A member with that role is left unchanged; one with another role gets the new role.

    Example: goldwire annotate members add --project seed alice bob --role annotator
    """
    from goldwire.annotate.membership import add_members

    with _session(url, username, password_stdin) as session:
        report = add_members(session, project, names, role.value)
    _echo_members(report, Echo(json_out))


@members_app.command("remove")
def members_remove_cli(
    names: NamesArgument,
    *,
    project: ProjectOption,
    force: ForceOption = False,
    url: UrlOption = None,
    username: UsernameOption = None,
    password_stdin: PasswordStdinOption = False,
    json_out: ChangesJsonOption = None,
) -> None:
    """Remove members from PROJECT (and PROJECT-docstance).

    Refused, before any change, while a named member has work that no pull has taken
    (doccano leaves a removed member's work out of its exports): pull first, or --force.

    Example: goldwire annotate members remove --project seed carol
    """
    from goldwire.annotate.membership import remove_members

    with _session(url, username, password_stdin) as session:
        report = remove_members(session, project, names, force=force)
    _echo_members(report, Echo(json_out))


@members_app.command("list")
def members_list_cli(
    *,
    project: ProjectOption,
    url: UrlOption = None,
    username: UsernameOption = None,
    password_stdin: PasswordStdinOption = False,
    json_out: MembersJsonOption = None,
) -> None:
    """List the members of PROJECT (and PROJECT-docstance) with their roles.

    Example: goldwire annotate members list --project seed
    """
    from goldwire.annotate.membership import list_project_members

    with _session(url, username, password_stdin) as session:
        rows = list_project_members(session, project)
    echo = Echo(json_out)
    echo.json([{"project": r.project, "username": r.username, "role": r.role} for r in rows])
    for r in rows:
        echo(f"{r.project}: {r.username} ({r.role})")


# Last, since goldwire.annotate.cli mounts the two apps above when it is imported: the login
# options are those of every annotate command (Typer reads the annotations when it builds the
# CLI, so they may be bound after the functions), whichever module is imported first.
from goldwire.annotate.cli import (  # noqa: E402
    PasswordStdinOption,
    ProjectOption,
    UrlOption,
    UsernameOption,
    _stdin_password,
)

__all__ = ["Role", "members_app", "users_app"]
