"""/mcp over plain HTTP: the API's keys authenticate it, with their rate limit, and the methods a
stateless server does not serve are answered as the transport's specification says."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from api.keys import api_key_create, api_key_revoke
from api.models import ApiKey
from franchises.models import Membership
from testkit.factories import make_franchise, make_member

pytestmark = pytest.mark.django_db

LIST_TOOLS = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18"}


def _post(secret: str | None, body=LIST_TOOLS):
    headers = {**MCP_HEADERS, **({"Authorization": f"Bearer {secret}"} if secret is not None else {})}
    return Client().post("/mcp", data=body, content_type="application/json", headers=headers)


@pytest.fixture
def user():
    return make_member(make_franchise(), Membership.Role.ADMIN)


def test_a_valid_key_lists_the_tools(user):
    _, secret = api_key_create(user=user, name="Agent", scope="read")
    answer = _post(secret)
    assert answer.status_code == 200
    assert "preview_post" in {tool["name"] for tool in answer.json()["result"]["tools"]}


@pytest.mark.parametrize("secret", [None, "", "gbp_x_y", "gbp__", "not-a-key", "a" * 5000])
def test_no_key_or_a_wrong_one_gets_401_with_www_authenticate(secret):
    answer = _post(secret)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in answer.json()["error"]["message"]


def test_a_revoked_key_gets_401(user):
    key, secret = api_key_create(user=user, name="Agent", scope="write")
    api_key_revoke(key=key)
    assert _post(secret).status_code == 401


def test_an_expired_key_gets_401(user):
    key, secret = api_key_create(
        user=user, name="Agent", scope="write", expires_at=timezone.now() + dt.timedelta(days=1)
    )
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert _post(secret).status_code == 401


def test_the_keys_rate_limit_counts_mcp_requests_too(user, settings):
    settings.API_REQUESTS_PER_MINUTE = 1
    _, secret = api_key_create(user=user, name="Agent", scope="read")
    assert _post(secret).status_code == 200
    refused = _post(secret)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1


@pytest.mark.parametrize("method", ["get", "delete", "put"])
def test_a_stateless_server_answers_405_to_anything_but_post(user, method):
    _, secret = api_key_create(user=user, name="Agent", scope="read")
    answer = getattr(Client(), method)("/mcp", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "POST"


def test_a_body_that_is_not_json_rpc_gets_a_parse_error(user):
    _, secret = api_key_create(user=user, name="Agent", scope="read")
    answer = _post(secret, body="{not json")
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == -32700
