"""Shared setup for the health tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _starts_with_an_empty_cache(empty_cache) -> None:
    """Every health test starts without a cached Anthropic probe result (testkit/fixtures.py)."""
