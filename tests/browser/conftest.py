"""Headless Chromium (Debian's, at /usr/bin/chromium) driving the live Django server.

One browser for the session, a fresh context (cookies, storage) per test. Screenshots of each step
go to ``test-artifacts/browser/<test>-<step>.png`` (git-ignored); a failing test leaves a
``<test>-failure.png`` there too. Without Chromium every browser test is skipped with the reason.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# The machine has no outside network: these flags stop Chromium from reaching for it.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
TIMEOUT_MS = 10_000  # a step that takes longer than this on a local server is a failure, not a wait

Screenshot = Callable[..., Path]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"Browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium; CI installs it in .ci/run)"
        )
    # Playwright's sync API keeps an event loop marked as running in the main thread while it is
    # started, and the tests use the ORM from that thread: Django would refuse with
    # SynchronousOnlyOperation. Module scope: the loop and the flag end with this module's tests.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    expect.set_options(timeout=TIMEOUT_MS)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the test item, so the page fixture knows whether the test failed.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def open_page(request, browser: Browser, live_server) -> Iterator[Callable[[], Page]]:
    """``open_page()``: a page in a fresh browser context (its own cookies: another person) whose
    relative URLs go to the live server. All are closed after the test; a failed test leaves a
    screenshot of each."""
    contexts = []

    def open_() -> Page:
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        context.route("**/favicon.ico", lambda route: route.abort())  # the site has none: no 404 noise
        contexts.append(context)
        return context.new_page()

    yield open_
    report = getattr(request.node, "report_call", None)
    for n, context in enumerate(contexts):
        if report is not None and report.failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            for m, failed_page in enumerate(context.pages):
                suffix = f"-{n}.{m}" if n or m else ""
                failed_page.screenshot(path=ARTIFACTS / f"{request.node.name}-failure{suffix}.png", full_page=True)
        context.close()


@pytest.fixture
def page(open_page: Callable[[], Page]) -> Page:
    return open_page()


@pytest.fixture
def screenshot(request, page: Page) -> Screenshot:
    """``screenshot("step")`` saves the whole page (``page`` unless another is given) as
    ``test-artifacts/browser/<test>-<step>.png``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(step: str, of: Page | None = None, *, full_page: bool = True) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{step}.png"
        (of or page).screenshot(path=path, full_page=full_page)
        return path

    return take
