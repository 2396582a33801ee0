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


#: (x, y) on the page of the middle of the first and of the last character of [s, e) (UTF-16)
#: of the drawn line ``text``, its left edge, and how many characters the line has.
CHAR_POINTS_JS = """([text, s, e]) => {
    const line = Array.from(document.querySelectorAll('#container text'))
        .find(t => t.textContent === text);
    if (!line) return null;
    const m = line.getScreenCTM();
    const at = (x, y) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f];
    const a = line.getExtentOfChar(s), b = line.getExtentOfChar(e - 1);
    return {
        chars: line.getNumberOfChars(),
        first: at(a.x + 1, a.y + a.height / 2),
        last: at(b.x + b.width - 1, b.y + b.height / 2),
        left: at(a.x, a.y)[0],
    };
}"""
#: the Material Design icons of doccano's review button: not done, done
MDI_CLOSE = (
    "M19,6.41L17.59,5L12,10.59L6.41,5L5,6.41L10.59,12L5,17.59L6.41,19L12,13.41L17.59,19L19,17.59"
    "L13.41,12L19,6.41Z"
)
MDI_CHECK = "M21,7L9,19L3.5,13.5L4.91,12.09L9,16.17L19.59,5.59L21,7Z"


def char_points(page, text: str, start: int, end: int) -> dict:
    """Where the UTF-16 characters [start, end) of the drawn line ``text`` are on the page;
    fails unless the whole text is drawn on one line counted in UTF-16 code units."""
    where = page.evaluate(CHAR_POINTS_JS, [text, start, end])
    assert where is not None, "the document is not drawn on one line"
    assert where["chars"] == len(text.encode("utf-16-le")) // 2, "SVG characters are not UTF-16"
    return where


def drag_across(page, where: dict) -> None:
    """Drag the mouse from the first to the last character of ``char_points``' answer (this
    opens the menu of span types)."""
    page.mouse.move(*where["first"])
    page.mouse.down()
    page.mouse.move(*where["last"], steps=5)
    page.mouse.up()


def pick_type(page, label: str, what: str) -> None:
    """Click ``label`` in the open menu of types and wait for its ``POST .../{what}``."""
    from playwright.sync_api import expect

    menu = page.locator(ACTIVE_MENU)
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith(f"/{what}")
    ) as response:
        menu.locator(".v-list-item__title").get_by_text(label, exact=True).click()
    assert response.value.ok, f"POST {what}: {response.value.status}"
    expect(menu).to_have_count(0)


def mark_done(page) -> None:
    """Click the review button of the toolbar (``mdiClose`` while the example is not done):
    ``POST .../states``; then the icon becomes ``mdiCheck``."""
    from playwright.sync_api import expect

    review = page.locator(f'.toolbar-control button:has(path[d="{MDI_CLOSE}"])')
    with page.expect_response(
        lambda r: r.request.method == "POST" and "/states" in r.url
    ) as response:
        review.click()
    assert response.value.ok, f"POST states: {response.value.status}"
    expect(page.locator(f'.toolbar-control button path[d="{MDI_CHECK}"]')).to_have_count(1)
