"""Fixtures for the generation tests: the sandbox's Anthropic with the queue's knobs at test values."""

from __future__ import annotations

import pytest


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
