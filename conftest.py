"""Project-wide test setup."""

from __future__ import annotations

import pytest

# The local Google + Anthropic sandbox (`sandbox` fixture) and the guard that fails any test
# opening a connection beyond 127.0.0.1; the test kit's shared fixtures (testkit/fixtures.py).
# The shared helpers are plain functions: import them from testkit (see testkit/__init__.py).
pytest_plugins = ["sandbox.pytest_plugin", "testkit.fixtures"]


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: run with DATABASE_URL=postgres://... (CI does)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _live_server_one_request_at_a_time_on_sqlite():
    """On SQLite the tests' database lives in memory, and the live server's request threads share
    the test's one connection to it (pytest-django hands it over), which two threads must not use
    at once: a page and its htmx request together failed with "bad parameter or other API misuse".
    There the live server answers one request at a time (Django then closes each connection after
    its answer, so a browser's kept-alive connection cannot hold the server). PostgreSQL gives
    each thread a connection of its own and keeps the threaded server."""
    from django.conf import settings

    if not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        yield
        return
    from django.core.servers.basehttp import WSGIServer
    from django.test.testcases import LiveServerThread

    class OneRequestAtATime(WSGIServer):
        def __init__(self, *args, connections_override=None, **kwargs):
            super().__init__(*args, **kwargs)  # the serving thread already uses the overrides

    threaded, LiveServerThread.server_class = LiveServerThread.server_class, OneRequestAtATime
    yield
    LiveServerThread.server_class = threaded


@pytest.fixture
def quota_unpaced(settings):
    """Google's quota without pacing, for tests that stop time (time_machine's tick=False): a sync
    run stands aside while the quota's next slot lies ahead of now (franchises/google/quota.py), and
    with time standing still a slot booked ahead never comes due."""
    settings.GOOGLE_REQUESTS_PER_MINUTE = 0
