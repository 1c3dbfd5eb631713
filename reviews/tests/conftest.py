import pytest


@pytest.fixture(autouse=True)
def _one_worker(settings):
    """One worker: on SQLite the test's one in-memory connection cannot be shared by threads (the
    PostgreSQL tests that run workers raise it)."""
    settings.PUBLISH_CONCURRENCY = 1
