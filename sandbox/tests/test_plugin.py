"""The `sandbox` fixture points the app's configuration at the sandbox."""

from __future__ import annotations

import os

import httpx
import pytest

from sandbox.pytest_plugin import SandboxHandle


def test_sandbox_fixture_sets_environment_for_subprocesses(sandbox: SandboxHandle) -> None:
    assert os.environ["GOOGLE_API_BASE_URL"] == sandbox.url
    assert os.environ["ANTHROPIC_BASE_URL"] == sandbox.url
    assert os.environ["ANTHROPIC_API_KEY"] == sandbox.anthropic_key
    assert os.environ["GOOGLE_CLIENT_ID"] == sandbox.client_id
    assert os.environ["GOOGLE_CLIENT_SECRET"] == sandbox.client_secret


def test_sandbox_fixture_sets_django_settings_when_django_is_configured(
    sandbox: SandboxHandle, request: pytest.FixtureRequest
) -> None:
    if not request.config.pluginmanager.hasplugin("django"):
        pytest.skip("pytest-django not active")
    from django.conf import settings

    if not settings.configured:
        pytest.skip("Django not configured")
    assert sandbox.url == settings.GOOGLE_API_BASE_URL
    assert sandbox.url == settings.ANTHROPIC_BASE_URL
    assert sandbox.client_id == settings.GOOGLE_CLIENT_ID


def test_sandbox_fixture_resets_state_between_tests(sandbox: SandboxHandle) -> None:
    sandbox.client.add_account("Leftover")
    sandbox.client.fail("accounts", 500, times=3)
    sandbox.client.reset()
    assert sandbox.client.counters() == {}
    tokens = sandbox.client.grant()
    answer = httpx.get(
        f"{sandbox.url}/v1/accounts", headers={"Authorization": f"Bearer {tokens['access_token']}"}, trust_env=False
    )
    assert answer.status_code == 200
    assert len(answer.json()["accounts"]) == 3
