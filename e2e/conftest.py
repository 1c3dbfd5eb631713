"""Browser tests: Debian's chromium driven by Playwright against pytest-django's live server.

Never downloads Playwright's own browsers: the system chromium is launched by path. Without it
the tests skip with one line naming the package; CI sets BROWSER_TESTS_REQUIRED=1, which turns
that skip into a failure so a pipeline never passes without them.
"""

from __future__ import annotations

import copy
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings as django_settings

MISSING = "browser tests need Debian's chromium: apt-get install chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Every run saves its screenshots under var/ (not tracked); docs/screenshots/ holds a committed
# copy from one run (E2E_SCREENSHOT_DIR=docs/screenshots make test refreshes it).
SCREENSHOTS = Path(os.environ.get("E2E_SCREENSHOT_DIR") or Path(django_settings.BASE_DIR) / "var" / "screenshots")
TIMEOUT_MS = 15_000


def chromium_path() -> str | None:
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def pytest_collection_modifyitems(config, items):
    """Without chromium, mark the browser tests skipped at collection: pytest -ra then folds them
    into one line per file (a skip raised in a fixture would print one line per test)."""
    if chromium_path() is not None or os.environ.get("BROWSER_TESTS_REQUIRED") == "1":
        return
    here = Path(__file__).parent
    skip = pytest.mark.skip(reason=MISSING)
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def chromium() -> Iterator:
    path = chromium_path()
    if path is None:
        if os.environ.get("BROWSER_TESTS_REQUIRED") == "1":
            pytest.fail(MISSING + " (BROWSER_TESTS_REQUIRED=1)", pytrace=False)
        pytest.skip(MISSING)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # plain synchronous code all the same, so Django's async-safety check must stand aside.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@dataclass
class Browsing:
    """A page on the live server, with the console errors it logged (CSP violations show there)."""

    page: object
    base: str
    console_errors: list[str] = field(default_factory=list)

    def goto(self, path: str):
        return self.page.goto(self.base + path)

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(target), full_page=True)
        return target

    def csp_violations(self) -> list[str]:
        return [m for m in self.console_errors if "Content Security Policy" in m]

    def sign_in(self, username: str) -> None:
        """Signed in as `username`, on the home page: a session made on the server and handed to
        the browser as the login form would, without typing into the form each test (the login
        page's own flow is e2e/test_dashboard.py's, and its accessibility test_accessibility.py's)."""
        from django.contrib.auth import get_user_model
        from django.test import Client

        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        name = django_settings.SESSION_COOKIE_NAME
        self.page.context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": self.base}])
        self.goto("/")
        assert self.page.url == self.base + "/", self.page.url


@pytest.fixture
def site(chromium, live_server, transactional_db, sandbox, settings) -> Iterator[Browsing]:
    """The app on a live server wired to the sandbox, and a fresh browser page.

    - SITE_URL is the live server: the OAuth redirect URI is built from it.
    - The CSP lets forms go to the sandbox's consent page, as settings.py does for
      GOOGLE_API_BASE_URL at start-up (the sandbox's port is only known now).
    - A fast password hasher: logging in through the page should not cost a second of CPU.
    - On SQLite the live server shares the test's one in-memory connection, so the jobs run
      their work inline (one worker) instead of in threads with connections of their own.
    """
    settings.SITE_URL = live_server.url
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    for directive in ("form-action", "img-src"):
        policy["DIRECTIVES"][directive] = [*policy["DIRECTIVES"][directive], sandbox.url]
    settings.CONTENT_SECURITY_POLICY = policy
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.core.cache import caches
    from django.db import connection

    # Each test signs in from a new browser: the allowances of earlier tests (kept in the database
    # cache, whose table a transactional test's flush leaves alone) must not hold it back.
    caches["allowances"].clear()

    if connection.vendor == "sqlite":
        settings.PUBLISH_CONCURRENCY = 1
        settings.GENERATION_CONCURRENCY = 1

    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    browsing = Browsing(page=page, base=live_server.url)
    page.on("console", lambda message: message.type == "error" and browsing.console_errors.append(message.text))
    try:
        yield browsing
    finally:
        context.close()
