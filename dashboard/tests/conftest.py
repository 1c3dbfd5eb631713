"""Shared setup for the dashboard tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _starts_with_an_empty_cache(empty_cache) -> None:
    """The system page shows the health checks, whose Anthropic probe result is cached
    (testkit/fixtures.py): every dashboard test starts without it."""
