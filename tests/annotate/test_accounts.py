"""``goldwire annotate users add|list`` and the token store, against the real managed Doccano.

The server is shared by the test session, so every test makes its own user names. Passwords
must never reach the token file, ``--json``, the server's logs or a command line (``ps``).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
import subprocess
import sys
import threading
import time

import pytest

from goldwire.annotate import accounts, client
from goldwire.annotate.accounts_cli import ENV_NEW_PASSWORD
from goldwire.annotate.http import DoccanoSession, connect
from goldwire.errors import ServerError, UsageError

#: A root command like ``goldwire annotate`` with only these two groups, and goldwire's
#: one-line errors (the real root mounts them as ``goldwire annotate users|members``).
ROOT = """
import typer
from goldwire.cli import _GoldwireGroup
from goldwire.annotate.accounts_cli import members_app, users_app
app = typer.Typer(cls=_GoldwireGroup, pretty_exceptions_enable=False)
app.add_typer(users_app, name="users")
app.add_typer(members_app, name="members")
app(prog_name="goldwire annotate")
"""


@pytest.fixture
def admin(doccano_server):
    with connect(doccano_server.connection) as session:
        yield session


def names(*stems: str) -> list[str]:
    tag = secrets.token_hex(3)
    return [f"{stem}-{tag}" for stem in stems]


def whoami(url: str, username: str) -> str:
    with accounts.token_session(url, username) as session:
        return session.json("GET", "/v1/me")["username"]


def logs_text(doccano_server) -> str:
    return "".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in doccano_server.paths.logs.rglob("*")
        if p.is_file()
    )


def can_log_in(url: str, username: str, password: str) -> bool:
    with DoccanoSession(url) as session:
        try:
            session.login(username, password)
        except ServerError:
            return False
        return True


SHOWN = re.compile(r"^password of (\S+) \(shown once, saved nowhere\): (\S+)$", re.M)


@pytest.mark.doccano
def test_generated_passwords_are_shown_once_and_tokens_saved_0600(run, doccano_server, tmp_path):
    alice, bob = names("alice", "bob")
    out = tmp_path / "report.json"
    result = run("users", "add", alice, bob, "--json", out)
    assert result.exit_code == 0, result.output
    shown = dict(SHOWN.findall(result.stdout))
    assert sorted(shown) == sorted([alice, bob])
    for name, password in shown.items():
        assert len(password) == 24
        assert result.stdout.count(password) == 1
        assert can_log_in(doccano_server.url, name, password)
        assert whoami(doccano_server.url, name) == name
    tokens = accounts.tokens_path()
    assert tokens == doccano_server.home / "accounts" / "tokens.json"
    assert stat.S_IMODE(tokens.stat().st_mode) == 0o600
    assert stat.S_IMODE(tokens.parent.stat().st_mode) == 0o700
    report = json.loads(out.read_text(encoding="utf-8"))
    assert [(u["username"], u["status"], u["password_generated"], u["token_saved"])
            for u in report["users"]] == [(alice, "created", True, True),
                                          (bob, "created", True, True)]  # fmt: skip
    for password in shown.values():
        for text in (out.read_text(), tokens.read_text(), logs_text(doccano_server)):
            assert password not in text


@pytest.mark.doccano
def test_env_password_is_used_for_every_name_and_never_shown(run, doccano_server, monkeypatch):
    carol, dave = names("carol", "dave")
    password = "Env-" + secrets.token_hex(8)
    monkeypatch.setenv(ENV_NEW_PASSWORD, password)
    result = run("users", "add", carol, dave, "--json", "-")
    assert result.exit_code == 0, result.stderr
    assert password not in result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert [u["password_generated"] for u in report["users"]] == [False, False]
    for name in (carol, dave):
        assert can_log_in(doccano_server.url, name, password)
        assert whoami(doccano_server.url, name) == name
    assert password not in accounts.tokens_path().read_text()
    assert password not in logs_text(doccano_server)


def _ps_args() -> str:
    return subprocess.run(
        ["ps", "-ww", "-eo", "args"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.doccano
def test_stdin_passwords_never_show_in_ps(doccano_server, tmp_path):
    erin, frank = names("erin", "frank")
    passwords = ["Stdin-" + secrets.token_hex(8), "Stdin-" + secrets.token_hex(8)]
    out = tmp_path / "report.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOLDWIRE_DOCCANO_")}
    env["GOLDWIRE_HOME"] = str(doccano_server.home)
    args = [sys.executable, "-c", ROOT, "users", "add", erin, frank, "--new-password-stdin",
            "--json", str(out)]  # fmt: skip
    snapshots: list[str] = []
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            snapshots.append(_ps_args())
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        time.sleep(1.0)  # the command logs in, then waits on standard input (held open)
        assert proc.poll() is None
        proc.stdin.write(passwords[0] + "\n")
        proc.stdin.flush()
        time.sleep(0.3)
        proc.stdin.write(passwords[1] + "\n")
        proc.stdin.flush()
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        done.set()
        watcher.join()
    assert proc.returncode == 0, stderr
    seen = [line for s in snapshots for line in s.splitlines() if "users add" in line]
    assert any(f"users add {erin} {frank}" in line for line in seen)  # ps saw the command
    for password in passwords:
        assert not any(password in s for s in snapshots)
        assert password not in stdout + stderr + out.read_text()
        assert password not in accounts.tokens_path().read_text()
        assert password not in logs_text(doccano_server)
    assert can_log_in(doccano_server.url, erin, passwords[0])
    assert can_log_in(doccano_server.url, frank, passwords[1])
    assert whoami(doccano_server.url, frank) == frank


@pytest.mark.doccano
def test_existing_account_is_left_alone_and_its_token_saved_with_its_password(run, admin):
    (gina,) = names("gina")
    password = "Gina-" + secrets.token_hex(8)
    client.create_user(admin, gina, password)
    result = run("users", "add", gina)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        f"{gina}: exists, no token saved; existing account: its password was not given, "
        "token not renewed"
    )
    assert accounts.saved_token(admin.url, gina) is None
    result = run("users", "add", gina, "--new-password-stdin", input=password + "\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"{gina}: exists, token saved"
    assert whoami(admin.url, gina) == gina


@pytest.mark.doccano
def test_a_wrong_password_for_an_existing_account_stops_before_any_creation(run, admin):
    hank, ivy = names("hank", "ivy")
    client.create_user(admin, hank, "Hank-" + secrets.token_hex(8))
    result = run("users", "add", ivy, hank, "--new-password-stdin",
                 input="Ivy-" + secrets.token_hex(8) + "\nWrong-password-1\n")  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: doccano at {admin.url} rejected the password given for {hank}; give {hank}'s "
        "current password (doccano has no API to set another user's password; its admin can "
        "change it in /admin/)\n"
    )
    assert client.find_user(admin, ivy) is None


@pytest.mark.doccano
def test_a_non_staff_login_is_refused_before_anything_is_created(run, admin):
    jo, kim, lee = names("jo", "kim", "lee")
    password = "Jo-" + secrets.token_hex(8)
    client.create_user(admin, jo, password)
    result = run("users", "add", kim, lee, "--username", jo, "--password-stdin",
                 input=password + "\n")  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: user {jo} at {admin.url} is not staff: creating accounts needs a staff "
        f"account; ask the server's admin to create {kim}, {lee} in /admin/ or to make {jo} "
        "staff\n"
    )
    assert client.find_user(admin, kim) is None and client.find_user(admin, lee) is None


@pytest.mark.doccano
def test_a_name_doccano_refuses_stops_before_any_creation(run, admin):
    (max_,) = names("max")
    result = run("users", "add", max_, "bad name")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: 'bad name' cannot be a doccano username: doccano (Django) accepts 1 to 150 "
        "letters, digits and @ . + - _; pick another name\n"
    )
    assert client.find_user(admin, max_) is None


@pytest.mark.doccano
def test_a_name_differing_only_in_case_is_refused(run, admin):
    (nia,) = names("nia")
    client.create_user(admin, nia, "Nia-" + secrets.token_hex(8))
    result = run("users", "add", nia.upper())
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: doccano at {admin.url} already has user {nia!r}, which differs from "
        f"{nia.upper()!r} only in case; use {nia!r}\n"
    )


@pytest.mark.doccano
def test_a_short_stdin_password_is_refused_before_any_creation(run, admin):
    (oli,) = names("oli")
    result = run("users", "add", oli, "--new-password-stdin", input="short\n")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: the password given for {oli} has 5 characters, not 8 to 30 (doccano's login "
        "page accepts 8 to 30 characters, not all digits); give another one\n"
    )
    assert client.find_user(admin, oli) is None


@pytest.mark.doccano
def test_report_repr_and_dict_never_hold_the_generated_password(admin):
    (pat,) = names("pat")
    report = accounts.add_users(admin, [pat])
    (password,) = report.generated_passwords().values()
    assert password not in repr(report)
    assert password not in json.dumps(report.to_dict())
    assert report.users[0].password == password


@pytest.mark.doccano
def test_token_session_without_or_with_a_refused_token(doccano_server):
    (quinn,) = names("quinn")
    url = doccano_server.url
    with pytest.raises(UsageError) as caught:
        accounts.token_session(url, quinn)
    assert str(caught.value) == (
        f"no saved API token of {quinn!r} for doccano at {url}; save one with `goldwire "
        f"annotate users add {quinn}` (it logs in once; an existing account's password comes "
        "from --new-password-stdin or GOLDWIRE_DOCCANO_NEW_PASSWORD)"
    )
    accounts.save_token(url, quinn, "0" * 40)
    with pytest.raises(ServerError) as caught:
        accounts.token_session(url, quinn)
    assert str(caught.value) == (
        f"doccano at {url} refused the saved API token of {quinn!r}; log in again with "
        f"`goldwire annotate users add {quinn} --new-password-stdin` (password on standard "
        "input; a logout in doccano's web page deletes the token)"
    )


@pytest.mark.doccano
def test_users_list_shows_rights_and_saved_tokens(run, admin):
    (rex,) = names("rex")
    accounts.add_users(admin, [rex])
    (sam,) = names("sam")
    client.create_user(admin, sam, "Sam-" + secrets.token_hex(8))
    result = run("users", "list", "--json", "-")
    assert result.exit_code == 0, result.stderr
    rows = {r["username"]: r for r in json.loads(result.stdout)}
    assert rows[rex] == {"username": rex, "staff": False, "superuser": False, "token_saved": True}
    assert rows[sam]["token_saved"] is False
    assert rows["admin"]["staff"] and rows["admin"]["superuser"]
    assert f"{rex}: token saved" in result.stderr.splitlines()


@pytest.mark.doccano
def test_a_token_session_can_annotate_without_csrf(admin):
    """The saved token authenticates writes too (no cookie, no CSRF header)."""
    (tia,) = names("tia")
    accounts.add_users(admin, [tia])
    with accounts.token_session(admin.url, tia) as session:
        assert "csrftoken" not in session.session.cookies
        response = session.request("POST", "/v1/auth/password/change/", ok=(400,),
                                   json={"new_password1": "", "new_password2": ""})  # fmt: skip
    assert response.status_code == 400  # authenticated (an anonymous POST gets 401/403)


def test_tokens_file_that_is_not_json_gives_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("GOLDWIRE_HOME", str(tmp_path))
    path = tmp_path / "accounts" / "tokens.json"
    path.parent.mkdir()
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        accounts.saved_token("http://127.0.0.1:8000", "anyone")
    assert str(caught.value) == (
        f"{path} is not a goldwire token file; delete it and save the tokens again with "
        "`goldwire annotate users add NAME... --new-password-stdin`"
    )


def test_save_token_keeps_servers_and_users_apart(monkeypatch, tmp_path):
    monkeypatch.setenv("GOLDWIRE_HOME", str(tmp_path))
    accounts.save_token("http://127.0.0.1:8000/", "ann", "t1")
    accounts.save_token("http://user:pw@127.0.0.1:8000", "bob", "t2")
    accounts.save_token("http://127.0.0.1:9000", "ann", "t3")
    accounts.save_token("http://127.0.0.1:8000", "ann", "t4")
    data = json.loads((tmp_path / "accounts" / "tokens.json").read_text(encoding="utf-8"))
    assert data == {
        "http://127.0.0.1:8000": {"ann": "t4", "bob": "t2"},
        "http://127.0.0.1:9000": {"ann": "t3"},
    }
    assert accounts.saved_token("http://127.0.0.1:8000", "bob") == "t2"
    assert accounts.saved_token("http://127.0.0.1:9000", "bob") is None


@pytest.mark.doccano
def test_admin_password_line_comes_before_the_new_passwords(run, doccano_server):
    uma, vic = names("uma", "vic")
    passwords = ["Uma-" + secrets.token_hex(8), "Vic-" + secrets.token_hex(8)]
    admin = doccano_server.connection
    lines = "".join(f"{line}\n" for line in (admin.password, *passwords))
    result = run("users", "add", uma, vic, "--username", admin.username, "--password-stdin",
                 "--new-password-stdin", input=lines)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert can_log_in(doccano_server.url, uma, passwords[0])
    assert can_log_in(doccano_server.url, vic, passwords[1])
    assert not any(p in result.output for p in (*passwords, admin.password))


@pytest.mark.doccano
def test_too_few_stdin_lines_name_the_account_without_one(run, admin):
    wes, xia = names("wes", "xia")
    result = run("users", "add", wes, xia, "--new-password-stdin", input="Wes-abcdef123\n")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --new-password-stdin read no password for {xia}; give one line per NAME, in "
        "order\n"
    )
    assert client.find_user(admin, wes) is None


@pytest.mark.doccano
def test_a_password_the_server_refuses_names_the_account_and_what_was_created(run, admin):
    yan, zoe = names("yan", "zoe")
    lines = "Yan-" + secrets.token_hex(8) + "\npassword1\n"  # in Django's common passwords
    result = run("users", "add", yan, zoe, "--new-password-stdin", input=lines)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: account {zoe} not created (created so far: {yan}): doccano at {admin.url} "
        "rejected POST /v1/users/create: 400 Bad Request (This password is too common.); fix "
        "the request\n"
    )
    assert client.find_user(admin, yan) is not None and client.find_user(admin, zoe) is None
    assert accounts.saved_token(admin.url, yan) is not None
