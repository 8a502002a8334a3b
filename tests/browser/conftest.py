"""Playwright harness: one headless Chromium per session, a fresh context per test.

The app runs in pytest-django's `live_server` (a thread of this process on a free port,
with transactional database semantics), so tests can read `mail.outbox` and the
database directly while the browser drives the real pages.

Fixtures:
* `browser`: the session's Chromium (Debian's, at /usr/bin/chromium; never downloaded).
* `viewport`: the page size, `DESKTOP` unless a test parametrizes it, e.g.
  `@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])`.
* `page`: a page in a new context of that size whose relative URLs resolve against the
  live server (`page.goto("/accounts/login/")`).
* `new_page(viewport)`: more pages, each in its own context (another person, another size);
  `new_page(viewport, chromium_args=[...])` opens it in a Chromium of its own, started with
  those extra command-line flags (a fake camera, say), and closed after the test.
* `sign_in(page, user)`: signs in through the real login form.

Helper (a function, not a fixture):
* `console_errors(page)`: a list that fills with the page's console errors and uncaught
  exceptions (content security policy violations are console errors).

A failing test leaves a screenshot of each of its pages in test-artifacts/.
"""

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.accounts.factories import PASSWORD
from tests.conftest import CHROMIUM_PATH

# Playwright's sync API keeps an event loop running in the main thread; Django would
# otherwise refuse the ORM calls the tests make there (factories, assertions on rows).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
VIEWPORTS = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 10_000
expect.set_options(timeout=TIMEOUT_MS)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def playwright() -> Playwright:
    with sync_playwright() as running:
        yield running


def _launch(playwright: Playwright, extra_args: Sequence[str] = ()) -> Browser:
    return playwright.chromium.launch(
        executable_path=CHROMIUM_PATH, headless=True, args=[*CHROMIUM_ARGS, *extra_args]
    )


@pytest.fixture(scope="session")
def browser(playwright) -> Browser:
    chromium = _launch(playwright)
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def viewport() -> dict[str, int]:
    return DESKTOP


@pytest.fixture
def new_page(playwright, browser, live_server, request):
    """`new_page(viewport)`: a page in a context of its own, closed after the test.

    With `chromium_args` the page opens in a Chromium of its own started with those
    flags; other keyword arguments go to `Browser.new_context` (`permissions`, say, or
    `service_workers="allow"`: they are blocked unless a test asks for them).
    """
    contexts = []
    browsers = []

    def make(
        viewport: dict[str, int] = DESKTOP, *, chromium_args: Sequence[str] = (), **options
    ) -> Page:
        target = browser
        if chromium_args:
            target = _launch(playwright, chromium_args)
            browsers.append(target)
        context = target.new_context(
            viewport=viewport,
            base_url=live_server.url,
            locale="en-US",
            timezone_id="Europe/Madrid",
            **{"service_workers": "block", **options},
        )
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        return context.new_page()

    yield make

    report = getattr(request.node, "report_call", None)
    failed = report is not None and report.failed
    try:
        for number, context in enumerate(contexts):
            try:
                if failed:
                    _save_screenshots(request.node.nodeid, number, context.pages)
            finally:
                context.close()
    finally:
        for own_browser in browsers:
            own_browser.close()


def _save_screenshots(nodeid: str, number: int, pages: list[Page]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", nodeid).strip("_")
    for index, page in enumerate(pages):
        try:
            page.screenshot(path=ARTIFACTS / f"{stem}-{number}-{index}.png", full_page=True)
        except Exception as error:  # a screenshot must never hide the failure itself
            print(f"could not save a screenshot of {page.url}: {error}")


@pytest.fixture
def page(new_page, viewport) -> Page:
    return new_page(viewport)


@pytest.fixture
def sign_in():
    """`sign_in(page, user)`: the login form, as a person would fill it in."""

    def sign_in_as(page: Page, user, password: str = PASSWORD) -> None:
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign In").click()
        expect(page).not_to_have_url(re.compile(r"/accounts/login/"))

    return sign_in_as


def qr_reader_js(selector: str) -> str:
    """A function for `page.evaluate` that draws the QR code (an inline SVG) at `selector`
    on a canvas and reads it with jsQR, the decoder the counter's scanner uses on camera
    frames; it returns the text, or null."""
    return _QR_READER_JS.replace("SELECTOR", json.dumps(selector))


_QR_READER_JS = """
async () => {
  const svg = document.querySelector(SELECTOR);
  const markup = new XMLSerializer().serializeToString(svg);
  const image = new Image();
  image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(markup);
  await image.decode();
  const scale = 2;
  const canvas = document.createElement("canvas");
  canvas.width = image.naturalWidth * scale;
  canvas.height = image.naturalHeight * scale;
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(image, 0, 0, canvas.width, canvas.height);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
  const read = window.jsQR(pixels.data, pixels.width, pixels.height);
  return read ? read.data : null;
}
"""


def console_errors(page: Page) -> list[str]:
    """The page's console errors and uncaught exceptions from now on, as they happen."""
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors
