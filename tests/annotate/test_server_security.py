"""The managed server's hardening, checked over HTTP and in /proc: no web origin may read its
API, only its own host names are answered, no development origin is CSRF-trusted, goldwire's
secrets never reach its processes, its files are private; passwords never come from argv.

The session's server (``doccano_server``) is started without --public-host; the spare one
(``spare_doccano_server``) with --public-host annotate.example.org and goldwire's passwords
set in the environment it was started from.
"""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest
import requests
from spareserver import SPARE_PUBLIC_HOST, SPARE_SECRETS, group_members

from goldwire.annotate import server
from goldwire.annotate.http import connect
from goldwire.errors import UsageError

doccano = pytest.mark.doccano
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
EVIL = "https://evil.example"


def _project_body(name: str) -> dict:
    return {
        "name": name,
        "description": "d",
        "project_type": "SequenceLabeling",
        "resourcetype": "SequenceLabelingProject",
    }


# -- no cross-origin access ------------------------------------------------------------------


@doccano
def test_no_other_web_origin_may_read_the_api(doccano_server) -> None:
    url = doccano_server.url
    with connect(doccano_server.connection) as session:
        answer = session.session.get(url + "/v1/me", headers={"Origin": EVIL})
    assert answer.status_code == 200 and answer.json()["username"] == "admin"
    assert "Access-Control-Allow-Origin" not in answer.headers
    # the preflight a page of evil.example sends before a login or a token-bearing request
    for path in ("/v1/auth/login/", "/v1/me"):
        preflight = requests.options(
            url + path,
            headers={
                "Origin": EVIL,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
            timeout=30,
        )
        cors = [h for h in preflight.headers if h.lower().startswith("access-control-")]
        assert cors == [], (path, dict(preflight.headers))


@doccano
def test_only_loopback_host_names_are_answered(doccano_server) -> None:
    port = doccano_server.url.rsplit(":", 1)[1]
    # /v1/me answers 403 to an anonymous request for a host it serves, 400 for any other
    wanted = {
        f"127.0.0.1:{port}": 403,
        f"localhost:{port}": 403,
        f"[::1]:{port}": 403,
        "evil.example": 400,
        f"evil.example:{port}": 400,
        f"{SPARE_PUBLIC_HOST}:{port}": 400,  # only the spare server was given it
    }
    got = {
        host: requests.get(
            doccano_server.url + "/v1/me", headers={"Host": host}, timeout=30
        ).status_code
        for host in wanted
    }
    assert got == wanted


@doccano
def test_only_the_servers_own_origin_may_write(doccano_server) -> None:
    url = doccano_server.url
    with connect(doccano_server.connection) as session:
        token = session.session.cookies["csrftoken"]

        def post(origin: str, name: str) -> requests.Response:
            headers = {"X-CSRFToken": token, "Origin": origin}
            return session.session.post(
                url + "/v1/projects", json=_project_body(name), headers=headers, timeout=30
            )

        assert post(url, "csrf-own-origin").status_code == 201  # the browser UI's requests
        for origin in ("http://localhost:3000", "http://127.0.0.1:3000", EVIL):
            refused = post(origin, "csrf-foreign")
            assert refused.status_code == 403 and "CSRF" in refused.text, origin


@doccano
def test_a_public_host_is_answered_and_its_origins_trusted(spare_doccano_server):
    spare = spare_doccano_server
    status = server.status()
    assert status.public_hosts == [SPARE_PUBLIC_HOST]
    for host in (SPARE_PUBLIC_HOST, f"{SPARE_PUBLIC_HOST}:8443", "evil.example"):
        answer = requests.get(spare.url + "/v1/me", headers={"Host": host}, timeout=30)
        assert answer.status_code == (400 if host == "evil.example" else 403), host
    with connect(spare.connection) as session:
        token = session.session.cookies["csrftoken"]
        # requests matches cookies to the Host header: send the 127.0.0.1 ones by hand
        cookie = "; ".join(f"{c.name}={c.value}" for c in session.session.cookies)
        for origin, code in ((f"https://{SPARE_PUBLIC_HOST}", 201), (EVIL, 403)):
            # behind a TLS proxy: the request reaches gunicorn over http for the public name
            headers = {"Host": SPARE_PUBLIC_HOST, "Origin": origin, "X-CSRFToken": token}
            answer = session.session.post(
                spare.url + "/v1/projects",
                json=_project_body("public"),
                headers={**headers, "Cookie": cookie},
            )
            assert answer.status_code == code, (origin, answer.text[:200])
            assert code == 201 or "CSRF" in answer.text
            assert "Access-Control-Allow-Origin" not in answer.headers


def test_public_host_settings_add_the_name_and_its_two_origins() -> None:
    hosts, origins = server.public_host_settings(["Doccano.Example.org:8443", "lab.example"])
    assert hosts == ["127.0.0.1", "localhost", "[::1]", "doccano.example.org", "lab.example"]
    assert origins == [
        "https://doccano.example.org:8443",
        "http://doccano.example.org:8443",
        "https://lab.example",
        "http://lab.example",
    ]
    assert server.public_host_settings([]) == (["127.0.0.1", "localhost", "[::1]"], [])
    for bad in ("https://doccano.example.org", "*", "a b", "host/path", "-x.example"):
        with pytest.raises(UsageError) as caught:
            server.public_host_settings([bad])
        assert str(caught.value) == (
            f"--public-host {bad!r} is not a host name; pass the name (and port) the browser "
            "uses, like doccano.example.org or doccano.example.org:8443"
        )


def test_start_refuses_a_bad_public_host_before_doing_anything(clean_env: Path, cli) -> None:
    result = cli("annotate", "server", "start", "--public-host", "http://x.example")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --public-host 'http://x.example' is not a host name; pass the name (and port) "
        "the browser uses, like doccano.example.org or doccano.example.org:8443\n"
    )
    assert not clean_env.exists()


@doccano
def test_a_running_server_is_not_reported_started_with_other_public_hosts(doccano_server):
    with pytest.raises(UsageError) as caught:
        server.start(port=doccano_server.port, public_hosts=["lab.example"])
    assert str(caught.value) == (
        f"the managed doccano already runs at {doccano_server.url} with public hosts none; "
        "stop it with `goldwire annotate server stop` before starting it with other "
        "--public-host names"
    )


# -- secrets and file modes ------------------------------------------------------------------


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
    return dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)


@doccano
@linux_only
def test_goldwire_secrets_never_reach_the_servers_processes(spare_doccano_server):
    status = server.status()
    members = [m for pid in status.pids.values() for m in group_members(pid)]
    assert len(members) == 2 + server.WEB_WORKERS + server.TASK_CONCURRENCY
    for member in members:
        environ = _environ(member)
        assert environ["DJANGO_SETTINGS_MODULE"] == "goldwire_doccano_settings"  # read works
        assert not [name for name in environ if name.startswith("GOLDWIRE_")], member
        assert "EMAIL_HOST_PASSWORD" not in environ
        text = "\0".join(f"{k}={v}" for k, v in environ.items())
        for secret in SPARE_SECRETS.values():
            assert secret not in text, member


def test_the_server_environment_drops_goldwire_variables_and_secrets(
    clean_env: Path, monkeypatch
) -> None:
    from goldwire.annotate import settings

    for name, value in SPARE_SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GOLDWIRE_DOCCANO_USERNAME", "lead")
    monkeypatch.setenv("DEBUG", "True")
    monkeypatch.setenv("CSRF_TRUSTED_ORIGINS", "http://localhost:3000")
    monkeypatch.setenv("ALLOWED_HOSTS", "*")
    monkeypatch.setenv("MY_API_TOKEN", "t0k3n")
    monkeypatch.setenv("LANG", "C.UTF-8")
    paths = settings.server_paths()
    env = server._server_env(paths, Path("/backend"))
    dropped = [*SPARE_SECRETS, "GOLDWIRE_DOCCANO_USERNAME", "GOLDWIRE_HOME", "DEBUG"]
    dropped += ["CSRF_TRUSTED_ORIGINS", "ALLOWED_HOSTS", "MY_API_TOKEN"]
    assert [name for name in dropped if name in env] == []
    assert env["LANG"] == "C.UTF-8"
    assert env["PYTHONPATH"] == f"/backend:{paths.root}"


@doccano
def test_the_database_logs_and_media_are_private(doccano_server) -> None:
    paths = doccano_server.paths
    for folder in (paths.root, paths.logs, paths.media):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    found = [paths.database, paths.broker, *paths.logs.glob("*.log")]
    found += [p for p in paths.root.glob("*.sqlite3-*") if p.is_file()]
    found += [p for p in paths.media.rglob("*")]
    assert {paths.database, paths.broker, paths.log("webserver"), paths.log("worker")} <= set(found)
    loose = [str(p) for p in found if stat.S_IMODE(p.stat().st_mode) & 0o077]
    assert loose == []


def test_an_earlier_homes_files_are_made_private(clean_env: Path) -> None:
    from goldwire.annotate import settings

    paths = settings.server_paths()
    paths.logs.mkdir(parents=True)
    paths.media.mkdir()
    made = [paths.database, paths.root / "db.sqlite3-wal", paths.broker, paths.log("worker")]
    for path in made:
        path.write_text("x")
        path.chmod(0o644)
    for folder in (paths.root, paths.logs, paths.media):
        folder.chmod(0o755)
    server._make_private(paths)
    assert {str(p): stat.S_IMODE(p.stat().st_mode) for p in made} == {str(p): 0o600 for p in made}
    for folder in (paths.root, paths.logs, paths.media):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


# -- passwords only from the environment or standard input -------------------------------------


def test_no_command_takes_a_password_argument(cli, tmp_path: Path) -> None:
    from typer.main import get_command

    from goldwire.cli import app

    def options(command, path=()):
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                yield from options(sub, (*path, name))
        else:
            for param in command.params:
                yield " ".join(path), param.opts

    found = [(where, opt) for where, opts in options(get_command(app)) for opt in opts]
    assert len(found) > 50  # the walk does reach the commands' options
    on_stdin = ("--password-stdin", "--new-password-stdin")  # read standard input, not argv
    assert [(w, o) for w, o in found if "password" in o and o not in on_stdin] == []
    assert ("annotate users add", "--new-password-stdin") in found
    result = cli("annotate", "pull", "--project", "p", "--out", tmp_path, "--password", "pw")
    assert result.exit_code == 2 and "No such option: --password" in result.output


@doccano
def test_password_stdin_is_the_password_used(cli, doccano_server, tmp_path: Path) -> None:
    args = ("annotate", "pull", "--project", "no-such-project", "--out", tmp_path / "out")
    wrong = cli(*args, "--password-stdin", input="not-the-password\n")
    assert wrong.exit_code == 1
    assert wrong.stderr.startswith(
        f"error: doccano at {doccano_server.url} rejected the login of user 'admin'"
    )
    right = cli(*args, "--password-stdin", input=doccano_server.connection.password + "\n")
    assert "rejected the login" not in right.stderr and "no-such-project" in right.stderr
    empty = cli(*args, "--password-stdin", input="")
    assert empty.exit_code == 2
    assert empty.stderr == (
        "error: --password-stdin read no password from standard input; pipe it in, e.g. "
        "`pass show doccano | goldwire annotate ... --password-stdin`\n"
    )
