"""What the browser tests share: Debian's Chromium driven by Playwright, logging in to
Doccano's UI, and the retry with a screenshot per attempt (importable like gwtest)."""

from __future__ import annotations

import secrets
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ATTEMPTS = 2  # one retry when the UI's timing fails us
TIMEOUT_MS = 15_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOGIN_PASSWORD_MAX = 30  # doccano's login form refuses longer passwords
ACTIVE_MENU = ".menuable__content__active"


def summary(exc: BaseException) -> str:
    """The first line of an error, with what Playwright was waiting for."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    waiting = [line for line in lines[1:] if line.startswith("- waiting for")][:1]
    return " ".join([f"{type(exc).__name__}: {lines[0] if lines else ''}", *waiting])


def chromium_path() -> str:
    """Debian's Chromium, or a failure that says how to install it."""
    path = shutil.which("chromium")
    if path is None:
        pytest.fail(
            "the browser test needs Chromium: install it with `apt-get install -y chromium` "
            "(Debian/Ubuntu); Playwright's own browser download is not used"
        )
    return path


def playwright_api():
    """``(sync_playwright, PlaywrightError)``, or a failure naming the test extra."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "the browser test needs the playwright package: install goldwire's test extra "
            "(`pip install -e '.[test]'`); its Chromium comes from the system, not Playwright"
        )
    return sync_playwright, PlaywrightError


def new_annotator(admin, prefix: str = "ann"):
    """An annotator account whose password the login form accepts (the admin's generated
    one may be too long)."""
    from goldwire.annotate import client
    from goldwire.annotate.settings import Connection

    password = secrets.token_urlsafe(18)
    assert len(password) <= LOGIN_PASSWORD_MAX
    user = Connection(admin.url, f"{prefix}-{secrets.token_hex(3)}", password)
    client.create_user(admin, user.username, user.password)
    return user


def log_in(page, url: str, user) -> None:
    page.goto(f"{url}/auth")
    page.wait_for_load_state("networkidle")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(user.password)
    page.locator(".v-card").get_by_role("button", name="Login").click()
    page.wait_for_url("**/projects")


def attempts(tmp_path: Path, setup: Callable[[], Any], act: Callable[[Any, Any, Path], None],
             what: str) -> tuple[Any, Path]:  # fmt: skip
    """Run ``act(browser, state, screenshot)`` on a fresh ``setup()`` up to ATTEMPTS times in
    headless Chromium; fail with every attempt's reason, warn when a retry was needed.
    Returns the state of the attempt that passed and its screenshot."""
    sync_playwright, PlaywrightError = playwright_api()
    chromium = chromium_path()
    failures: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            for attempt in range(1, ATTEMPTS + 1):
                state = setup()  # a clean slate for each try
                shot = tmp_path / f"browser-attempt-{attempt}.png"
                try:
                    act(browser, state, shot)
                    break
                except (PlaywrightError, AssertionError) as exc:
                    failures.append(f"attempt {attempt}: {summary(exc)} (screenshot: {shot})")
            else:
                pytest.fail(f"the browser could not {what}:\n" + "\n".join(failures))
        finally:
            browser.close()
    if failures:
        warnings.warn(f"the browser test passed on a retry: {failures[0]}", stacklevel=2)
    return state, shot


def page_in(browser, shot: Path):
    """A new page (1280 x 800) and a function that screenshots and closes it."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)

    def close() -> None:
        _, PlaywrightError = playwright_api()
        try:
            page.screenshot(path=str(shot))
        except PlaywrightError:
            pass
        context.close()

    return page, close
