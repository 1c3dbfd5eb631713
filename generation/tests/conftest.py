"""Fixtures for the generation tests: connected franchises and the sandbox's Anthropic."""

from __future__ import annotations

import pytest

from posts.tests.factories import make_franchise

WEBSITE = "https://sunrise-bakery.example"


def make_connected_franchise(**fields):
    fields.setdefault("google_refresh_token", "refresh-token")
    fields.setdefault("website", WEBSITE)
    fields.setdefault("city", "Portland")
    fields.setdefault("services", "Sourdough bread\nPastries")
    fields.setdefault("posts_per_week", 2)
    return make_franchise(**fields)


@pytest.fixture
def claude(sandbox, settings):
    """The sandbox standing in for Anthropic, with the queue's knobs at test values, writing every
    draft synchronously (test_batches.py turns Message Batches on)."""
    settings.ANTHROPIC_USE_BATCHES = False
    settings.GENERATION_CONCURRENCY = 1
    settings.GENERATION_MAX_ATTEMPTS = 3
    settings.GENERATION_RETRY_BASE_SECONDS = 60
    settings.GENERATION_LEASE_SECONDS = 600
    return sandbox
