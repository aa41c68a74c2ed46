"""Browser tests: a real headless Chromium driven by Playwright against pytest-django's live
server. Playwright cannot download its own browser here, so it drives Debian's chromium.

On CI (the CI variable set) a browser that cannot start fails the run; on a developer's
machine without Chromium the browser tests are skipped with the reason.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    # CI runs as root, where Chromium's sandbox cannot start.
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # No calls home from a test run.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"
PHONE_VIEWPORT = {"width": 360, "height": 740}


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"Browser tests must run on CI, but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def browser(monkeypatch):
    """A headless Chromium for one test.

    Playwright's sync API leaves an asyncio loop running in the test thread while it is
    started. Django then refuses ORM calls there, and asgiref keeps database connections
    per asyncio context instead of per thread, so the ORM would get a second connection
    that lacks the test database's serialized state. So the browser lives only inside the
    test: request data fixtures before this one, so that they run (and are flushed)
    while no loop is running. DJANGO_ALLOW_ASYNC_UNSAFE covers any ORM call made while
    the browser is open, in this package only.
    """
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]').")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium).")

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    playwright = sync_playwright().start()
    try:
        try:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=60_000
            )
        except PlaywrightError as exc:
            _unavailable(f"Chromium at {CHROMIUM} did not start: {exc}")
        yield browser
        browser.close()
    finally:
        # ORM calls made while the browser was open used connections kept in the asyncio
        # context; close them now, while that context is still the current one, or they
        # stay open and block dropping the test database at the end of the run.
        from django.db import connections

        connections.close_all()
        playwright.stop()


@pytest.fixture
def phone_page(live_server, browser):
    """A fresh page the size of a common Android phone, with an Indonesian browser."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport=PHONE_VIEWPORT,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="id-ID",
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def results_dir() -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    return RESULTS_DIR
