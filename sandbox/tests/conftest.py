"""Fixtures of the sandbox's own tests (its request helpers: local_posts.py)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox.pytest_plugin import SandboxHandle


@pytest.fixture
def access_token(sandbox: SandboxHandle) -> str:
    return sandbox.client.grant()["access_token"]


@pytest.fixture
def gbp(sandbox: SandboxHandle, access_token: str) -> Iterator[httpx.Client]:
    """An httpx client speaking to the sandbox's Google API with a valid bearer token."""
    with httpx.Client(
        base_url=sandbox.url, headers={"Authorization": f"Bearer {access_token}"}, timeout=5, trust_env=False
    ) as client:
        yield client
