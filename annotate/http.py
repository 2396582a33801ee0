"""A small REST session for Doccano over ``requests``.

It logs in (session cookie plus CSRF header, as Doccano's web client does), retries transient
failures with exponential backoff, and turns a server that is down, slow or answering errors
into one ServerError line naming the URL and what to do. Passwords never appear in messages.

    with connect(resolve_connection()) as doccano:
        me = doccano.json("GET", "/v1/me")
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import requests

from goldwire.annotate.settings import Connection, display_url
from goldwire.errors import ServerError

#: Answers worth another try: rate limited, or a proxy/server that is busy or restarting.
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})
#: Of those, the ones that say the request was not processed, so a POST may be sent again.
NOT_PROCESSED_STATUSES = frozenset({429, 503})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

START_HINT = "start it with `goldwire annotate server start` or set GOLDWIRE_DOCCANO_URL"
LOG_HINT = "see the server's log (`goldwire annotate server status` shows where)"


def _connect_failure(exc: requests.RequestException) -> str | None:
    """'refused' or a short reason when no connection was made (the request was not sent)."""
    if isinstance(exc, requests.ConnectTimeout):
        return "timeout"
    if not isinstance(exc, requests.ConnectionError):
        return None
    reason: BaseException | None = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    import urllib3.exceptions as u3

    if not isinstance(reason, u3.NewConnectionError):
        return None
    if isinstance(reason.__cause__, ConnectionRefusedError) or "refused" in str(reason).lower():
        return "refused"
    name_error = getattr(u3, "NameResolutionError", ())
    if name_error and isinstance(reason, name_error):
        return "unknown host"
    return "no route"


def _retry_after(response: requests.Response | None, default: float) -> float:
    if response is None:
        return default
    try:
        return min(max(float(response.headers.get("Retry-After", "")), 0.0), 30.0)
    except ValueError:
        return default


def _detail(response: requests.Response, secrets: Iterable[str]) -> str:
    """A short, single-line, password-free summary of an error response body."""
    try:
        body: Any = response.json()
        if isinstance(body, dict) and len(body) == 1:
            body = next(iter(body.values()))
        if isinstance(body, list) and len(body) == 1:
            body = body[0]
        text = str(body)
    except ValueError:
        text = response.text
    text = " ".join(text.split())
    if text.lstrip().lower().startswith(("<!doctype", "<html")):
        text = ""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text[:200] + ("..." if len(text) > 200 else "")


@dataclass(frozen=True)
class Health:
    """Answer of ``/v1/health/``: ok only when the web server and the task worker both work."""

    ok: bool
    detail: str
    reachable: bool = True

    def __str__(self) -> str:
        return "ok" if self.ok else self.detail


class DoccanoSession:
    """A ``requests.Session`` bound to one Doccano base URL, with retries and clear errors."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.username: str | None = None
        #: The API token of the logged-in user (the login answer's ``key``), or None.
        self.token: str | None = None
        self._secrets: tuple[str, ...] = ()
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", "Referer": self.url + "/"})

    def __enter__(self) -> DoccanoSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    def __repr__(self) -> str:
        user = f" as {self.username!r}" if self.username else ""
        return f"DoccanoSession({display_url(self.url)!r}{user})"

    # -- requests --------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        ok: Iterable[int] = (),
        retries: int | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one request; retry transient failures; raise ServerError unless it succeeded.

        A status below 400 or listed in ``ok`` is returned. Connection failures, timeouts and
        429/502/503/504 answers are retried ``retries`` times with exponential backoff (a POST
        or PATCH only when the server surely did not process it).
        """
        method = method.upper()
        url = self.url + "/" + path.lstrip("/")
        retries = self.retries if retries is None else retries
        timeout = self.timeout if timeout is None else timeout
        ok = set(ok)
        if method not in ("GET", "HEAD", "OPTIONS"):
            token = self.session.cookies.get("csrftoken")
            if token:
                kwargs.setdefault("headers", {}).setdefault("X-CSRFToken", token)
        attempt = 0
        while True:
            attempt += 1
            response = error = None
            try:
                response = self.session.request(method, url, timeout=timeout, **kwargs)
            except requests.RequestException as exc:
                error = exc
            if response is not None and (response.status_code < 400 or response.status_code in ok):
                return response
            if attempt > retries or not self._may_retry(method, response, error):
                break
            time.sleep(_retry_after(response, self.backoff * 2 ** (attempt - 1)))
        if error is not None:
            raise self._connection_error(method, path, error, attempt, timeout) from None
        assert response is not None
        raise self._status_error(method, path, response, attempt)

    def _may_retry(
        self, method: str, response: requests.Response | None, error: Exception | None
    ) -> bool:
        if response is not None:
            if response.status_code not in TRANSIENT_STATUSES:
                return False
            return method in IDEMPOTENT_METHODS or response.status_code in NOT_PROCESSED_STATUSES
        if isinstance(error, (requests.ConnectionError, requests.Timeout)):
            return method in IDEMPOTENT_METHODS or _connect_failure(error) is not None
        return False

    def _connection_error(
        self, method: str, path: str, error: Exception, attempts: int, timeout: float
    ) -> ServerError:
        where = f"doccano at {display_url(self.url)}"
        tries = f"{attempts} {'try' if attempts == 1 else 'tries'}"
        failure = _connect_failure(error) if isinstance(error, requests.RequestException) else None
        if failure == "refused":
            return ServerError(f"{where} refused the connection; {START_HINT}")
        if failure in ("unknown host", "no route"):
            return ServerError(
                f"{where} cannot be reached ({failure}, {tries}); check the URL "
                "(--url or GOLDWIRE_DOCCANO_URL) and the network"
            )
        if isinstance(error, requests.Timeout):
            return ServerError(
                f"{where} did not answer {method} {path} within {timeout:g} s ({tries}); "
                f"the server may be overloaded: {LOG_HINT}, or try again later"
            )
        kind = type(error).__name__
        return ServerError(
            f"{where} dropped {method} {path} ({kind}, {tries}); {LOG_HINT} and try again"
        )

    def _status_error(
        self, method: str, path: str, response: requests.Response, attempts: int
    ) -> ServerError:
        where = f"doccano at {display_url(self.url)}"
        code = f"{response.status_code} {response.reason or ''}".strip()
        detail = _detail(response, self._secrets)
        detail = f" ({detail})" if detail else ""
        status = response.status_code
        if status >= 500:
            tries = f"{attempts} {'try' if attempts == 1 else 'tries'}"
            return ServerError(
                f"{where} answered {code} to {method} {path} after {tries}; {LOG_HINT}, "
                "then try again"
            )
        if status in (401, 403):
            who = f"user {self.username!r}" if self.username else "an anonymous client"
            return ServerError(
                f"{where} refused {method} {path} for {who}: {code}{detail}; check that the "
                "user may do this (project member or admin) and that the login worked"
            )
        if status == 404:
            return ServerError(
                f"{where} has no {path} ({code}); check that the URL is a doccano 1.8 server "
                "and that the project or item exists"
            )
        return ServerError(f"{where} rejected {method} {path}: {code}{detail}; fix the request")

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request and return its decoded JSON body."""
        response = self.request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise ServerError(
                f"doccano at {display_url(self.url)} answered {method} {path} with something "
                "that is not JSON; check that the URL is a doccano 1.8 server"
            ) from None

    # -- doccano ---------------------------------------------------------------------------

    def login(self, username: str, password: str) -> DoccanoSession:
        """Log in through ``/v1/auth/login/``; later unsafe requests carry the CSRF token, and
        :attr:`token` keeps the API token the answer carries."""
        self.add_secret(password)
        response = self.request(
            "POST",
            "/v1/auth/login/",
            json={"username": username, "password": password},
            ok=(400, 401, 403),
        )
        if response.status_code >= 400:
            raise ServerError(
                f"doccano at {display_url(self.url)} rejected the login of user {username!r}; "
                "check GOLDWIRE_DOCCANO_USERNAME and GOLDWIRE_DOCCANO_PASSWORD or --password-stdin "
                "(for the managed server they come from its credentials file)"
            )
        self.username = username
        try:
            key = response.json().get("key")
        except (ValueError, AttributeError):
            key = None
        self.token = str(key) if key else None
        if self.token and len(self.token) >= 8:  # doccano's are 40 hex digits; "t" is a stub's
            self.add_secret(self.token)
        return self

    def add_secret(self, secret: str) -> None:
        """Scrub ``secret`` (a password, a token) from every later error message."""
        if secret and secret not in self._secrets:
            self._secrets = (*self._secrets, secret)

    def use_token(self, username: str, token: str) -> DoccanoSession:
        """Authenticate every request with ``Authorization: Token`` (no cookie, no CSRF)."""
        self.add_secret(token)
        self.session.headers["Authorization"] = f"Token {token}"
        self.username = username
        self.token = token
        return self

    def health(self, *, timeout: float = 10.0, retries: int = 0) -> Health:
        """Ask ``/v1/health/``; a down or failing server gives ``Health(ok=False, ...)``."""
        try:
            response = self.request(
                "GET", "/v1/health/", ok=range(400, 600), timeout=timeout, retries=retries
            )
        except ServerError as exc:
            return Health(ok=False, detail=str(exc), reachable=False)
        if response.status_code == 200:
            return Health(ok=True, detail="ok")
        try:
            checks = response.json()
            failing = "; ".join(
                f"{name}: {value}" for name, value in checks.items() if value != "OK"
            )
        except (ValueError, AttributeError):
            failing = ""
        failing = failing or f"{response.status_code} {response.reason or ''}".strip()
        return Health(ok=False, detail=f"failing: {failing}")


def connect(connection: Connection, **options: Any) -> DoccanoSession:
    """A logged-in session for ``connection`` (see ``resolve_connection``)."""
    session = DoccanoSession(connection.url, **options)
    try:
        return session.login(connection.username, connection.password)
    except BaseException:
        session.close()
        raise


def connect_token(url: str, username: str, token: str, **options: Any) -> DoccanoSession:
    """A session authenticated by ``username``'s API token, checked with ``GET /v1/me``."""
    session = DoccanoSession(url, **options).use_token(username, token)
    try:
        response = session.request("GET", "/v1/me", ok=(401, 403))
        try:
            me = response.json() if response.status_code < 400 else {}
        except ValueError:
            me = {}
        if not isinstance(me, dict) or me.get("username") != username:
            raise ServerError(
                f"doccano at {display_url(url)} refused the saved API token of {username!r}; "
                f"log in again with `goldwire annotate users add {username} --new-password-stdin` "
                "(password on standard input; a logout in doccano's web page deletes the token)"
            )
        return session
    except BaseException:
        session.close()
        raise
