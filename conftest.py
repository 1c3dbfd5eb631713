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
