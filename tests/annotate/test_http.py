"""DoccanoSession against a tiny local HTTP stub: retries, backoff, and one-line errors."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from typer.testing import CliRunner

from goldwire.annotate.http import DoccanoSession, connect
from goldwire.annotate.settings import Connection
from goldwire.cli import app
from goldwire.errors import ServerError

REFUSED = (
    "doccano at {url} refused the connection; start it with `goldwire annotate server start` "
    "or set GOLDWIRE_DOCCANO_URL"
)


class Stub(ThreadingHTTPServer):
    """Answers each request with the next scripted (status, body, delay, headers) reply."""

    daemon_threads = True

    def __init__(self, replies: list[tuple]) -> None:
        super().__init__(("127.0.0.1", 0), StubHandler)
        self.replies = list(replies)
        self.seen: list[dict] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class StubHandler(BaseHTTPRequestHandler):
    server: Stub

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        self.server.seen.append(
            {
                "method": self.command,
                "path": self.path,
                "headers": dict(self.headers),
                "body": body,
                "at": time.monotonic(),
            }
        )
        replies = self.server.replies
        status, payload, delay, headers = replies.pop(0) if len(replies) > 1 else replies[0]
        time.sleep(delay)
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client timed out first
            pass

    do_GET = do_POST = do_PATCH = do_DELETE = _reply


def reply(status: int, payload: object = None, delay: float = 0.0, **headers: str) -> tuple:
    return status, {} if payload is None else payload, delay, headers


@pytest.fixture
def stub() -> Iterator:
    servers: list[Stub] = []

    def make(*replies: tuple) -> Stub:
        server = Stub(list(replies))
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


def test_retries_transient_502_and_503_then_succeeds(stub) -> None:
    server = stub(reply(503), reply(502), reply(200, {"id": 1}))
    with DoccanoSession(server.url, retries=3, backoff=0.05) as session:
        assert session.json("GET", "/v1/me") == {"id": 1}
    assert [seen["method"] for seen in server.seen] == ["GET"] * 3
    gaps = [b["at"] - a["at"] for a, b in zip(server.seen, server.seen[1:], strict=False)]
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1  # exponential backoff: 0.05 s, then 0.1 s


def test_gives_up_after_the_retries_with_one_clear_line(stub) -> None:
    server = stub(reply(502))
    with DoccanoSession(server.url, retries=2, backoff=0.01) as session:
        with pytest.raises(ServerError) as caught:
            session.get("/v1/projects")
    assert len(server.seen) == 3
    assert str(caught.value) == (
        f"doccano at {server.url} answered 502 Bad Gateway to GET /v1/projects after 3 tries; "
        "see the server's log (`goldwire annotate server status` shows where), then try again"
    )


def test_retry_after_header_is_honoured(stub) -> None:
    server = stub(reply(429, **{"Retry-After": "0.3"}), reply(200))
    with DoccanoSession(server.url, retries=1, backoff=0.0) as session:
        session.get("/v1/me")
    assert server.seen[1]["at"] - server.seen[0]["at"] >= 0.3


def test_post_is_retried_on_503_but_not_on_502(stub) -> None:
    server = stub(reply(503), reply(201, {"id": 7}))
    with DoccanoSession(server.url, retries=3, backoff=0.01) as session:
        assert session.json("POST", "/v1/projects", json={"name": "x"}) == {"id": 7}
    assert len(server.seen) == 2

    server = stub(reply(502))
    with DoccanoSession(server.url, retries=3, backoff=0.01) as session:
        with pytest.raises(ServerError, match="502 Bad Gateway to POST /v1/projects after 1 try;"):
            session.post("/v1/projects", json={"name": "x"})
    assert len(server.seen) == 1  # the server may have created it: sending again could duplicate


def test_server_down_gives_the_exact_error(unused_port: int) -> None:
    url = f"http://127.0.0.1:{unused_port}"
    with DoccanoSession(url, retries=2, backoff=0.01) as session:
        with pytest.raises(ServerError) as caught:
            session.get("/v1/health/")
    assert str(caught.value) == REFUSED.format(url=url)


def test_server_down_through_the_cli(unused_port: int) -> None:
    url = f"http://127.0.0.1:{unused_port}"
    result = CliRunner().invoke(app, ["annotate", "server", "status", "--url", url])
    assert result.exit_code == 1
    assert f"health: {REFUSED.format(url=url)}" in result.output.splitlines()


def test_slow_server_times_out_with_one_line(stub) -> None:
    server = stub(reply(200, delay=1.0))
    with DoccanoSession(server.url, timeout=0.2, retries=1, backoff=0.01) as session:
        with pytest.raises(ServerError) as caught:
            session.get("/v1/me")
    assert len(server.seen) == 2
    assert str(caught.value) == (
        f"doccano at {server.url} did not answer GET /v1/me within 0.2 s (2 tries); the server "
        "may be overloaded: see the server's log (`goldwire annotate server status` shows "
        "where), or try again later"
    )


def test_login_sends_csrf_token_and_referer_on_later_writes(stub) -> None:
    server = stub(
        reply(200, {"key": "t"}, **{"Set-Cookie": "csrftoken=abc123; Path=/"}),
        reply(201, {"id": 1}),
    )
    with connect(Connection(server.url, "ann", "pw-1234567")) as session:
        session.post("/v1/projects", json={"name": "x"})
    login, create = server.seen
    assert login["path"] == "/v1/auth/login/"
    assert json.loads(login["body"]) == {"username": "ann", "password": "pw-1234567"}
    assert create["headers"]["X-CSRFToken"] == "abc123"
    assert create["headers"]["Referer"] == server.url + "/"


def test_rejected_login_names_the_user_never_the_password(stub) -> None:
    password = "pw-very-secret-42"
    server = stub(reply(400, {"non_field_errors": [f"bad credentials {password}"]}))
    with pytest.raises(ServerError) as caught:
        connect(Connection(server.url, "ann", password), backoff=0.01)
    assert str(caught.value) == (
        f"doccano at {server.url} rejected the login of user 'ann'; check "
        "GOLDWIRE_DOCCANO_USERNAME and GOLDWIRE_DOCCANO_PASSWORD or --password-stdin (for the "
        "managed server they come from its credentials file)"
    )
    assert len(server.seen) == 1  # a wrong password is not retried


def test_error_details_never_echo_the_password(stub) -> None:
    password = "pw-very-secret-42"
    server = stub(reply(200, {"key": "t"}), reply(400, {"detail": f"'{password}' is not valid"}))
    with connect(Connection(server.url, "ann", password)) as session:
        with pytest.raises(ServerError) as caught:
            session.post("/v1/projects", json={"name": password})
    assert password not in str(caught.value)
    assert str(caught.value) == (
        f"doccano at {server.url} rejected POST /v1/projects: 400 Bad Request ('***' is not "
        "valid); fix the request"
    )


def test_health_reports_the_failing_checks(stub) -> None:
    checks = {"Cache(alias='default')": "OK", "CeleryHealthCheckCelery": "unavailable: Timeout"}
    server = stub(reply(500, checks))
    with DoccanoSession(server.url) as session:
        health = session.health()
    assert not health.ok and health.reachable
    assert health.detail == "failing: CeleryHealthCheckCelery: unavailable: Timeout"


def test_connection_hides_the_password() -> None:
    connection = Connection("http://user:pw-in-url@doccano.example.org/", "ann", "pw-12345")
    assert "pw-12345" not in repr(connection)
    assert str(connection) == "ann at http://doccano.example.org"
