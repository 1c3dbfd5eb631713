"""Shared setup for the health tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    """The Anthropic probe result lives in the (process-wide) cache: start each test without it."""
    cache.clear()
    yield
    cache.clear()


@contextmanager
def database_unreachable() -> Iterator[None]:
    """Point the default connection at a database that cannot be reached, then put it back.

    The live connection object is set aside (not closed: an in-memory SQLite test database would
    die with it), so the next query must open a new connection to the bad address and fails the
    way a down server does: OperationalError from the driver.
    """
    connection = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, not the django.db.connection proxy
    saved = dict(connection.__dict__)
    broken = dict(connection.settings_dict)
    if connection.vendor == "sqlite":
        broken["NAME"] = "/nonexistent-directory/unreachable.sqlite3"
    else:
        broken.update(HOST="127.0.0.1", PORT="1")  # nothing listens on port 1
    connection.settings_dict = broken
    connection.connection = None
    try:
        yield
    finally:
        if connection.connection is not None and connection.connection is not saved["connection"]:
            connection.connection.close()
        connection.__dict__.clear()
        connection.__dict__.update(saved)
