"""Project-wide test setup."""

from __future__ import annotations

import pytest

# The local Google + Anthropic sandbox (`sandbox` fixture) and the guard that fails any test
# opening a connection beyond 127.0.0.1.
pytest_plugins = ["sandbox.pytest_plugin"]


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: run with DATABASE_URL=postgres://... (CI does)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
