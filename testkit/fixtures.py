"""pytest fixtures shared by several apps' tests; the top-level conftest.py registers this module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture
def empty_cache() -> Iterator[None]:
    """Start and end the test with an empty cache: the Anthropic probe's result lives in the
    (process-wide) cache. The health and dashboard tests use it for every test (their conftest.py)."""
    cache.clear()
    yield
    cache.clear()
