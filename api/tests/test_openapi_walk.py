"""The API through its own OpenAPI document: every documented operation, called with a valid and an
invalid request by every role (headquarters, a franchise's admin and staff; each with a read and a
read-write key), and by another tenant's keys, which must get 404 or 403 and never data.

The operations come from the document the API serves; the test fails when one is documented
without a request here (so a new route is walked from the day it is added)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pytest

from api.urls import api
from franchises.models import Franchise, Membership
from posts.models import Post
from testkit.factories import make_franchise, make_member, make_post, make_user
from testkit.google import franchise_connected_to_sandbox

from .helpers import KeyClient, key_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sandbox")]

DOCUMENT = api.get_openapi_schema()
OPERATIONS = sorted(
    (operation["operationId"], method.upper(), path)
    for path, methods in DOCUMENT["paths"].items()
    for method, operation in methods.items()
)
WRITES = {op for op, method, _ in OPERATIONS if method != "GET" and op != "posts_preview"}
HEADQUARTERS_ONLY = {"franchises_create", "franchises_update"}
ROLES = ["headquarters", "admin", "staff"]
SCOPES = ["read", "write"]


@dataclass
class World:
    mine: Franchise
    theirs: Franchise
    draft: Post
    scheduled: Post
    keys: dict  # (role, scope) -> KeyClient
    outsider: dict  # scope -> KeyClient, an admin of `theirs` only


@pytest.fixture
def world(sandbox) -> World:
    mine = franchise_connected_to_sandbox(sandbox, make_franchise(name="Mine Bakery", timezone="Europe/Lisbon"))
    theirs = make_franchise(name="Their Diner")
    draft = make_post(franchise=mine, summary="Our new sourdough is here.")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    scheduled = make_post(franchise=mine, status=Post.Status.SCHEDULED, scheduled_at=later, summary="Open late.")
    make_post(franchise=theirs, summary="Secret diner news.")
    users = {
        "headquarters": make_user(superuser=True),
        "admin": make_member(mine, Membership.Role.ADMIN),
        "staff": make_member(mine, Membership.Role.STAFF),
    }
    keys = {(role, scope): key_client(user, scope=scope) for role, user in users.items() for scope in SCOPES}
    outsider = make_member(theirs, Membership.Role.ADMIN)
    return World(mine, theirs, draft, scheduled, keys, {scope: key_client(outsider, scope=scope) for scope in SCOPES})


def _future() -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).replace(microsecond=0).isoformat()


# operationId -> (path parameters, query, JSON body) of a valid request, made from the world.
VALID = {
    "franchises_list": lambda w: ({}, None, None),
    "franchises_read": lambda w: ({"franchise_id": w.mine.pk}, None, None),
    "franchises_create": lambda w: ({}, None, {"name": "New Cafe", "timezone": "Europe/Lisbon"}),
    "franchises_update": lambda w: ({"franchise_id": w.mine.pk}, None, {"city": "Porto", "name": "Mine Bakery Porto"}),
    "posts_list": lambda w: ({}, {"franchise_id": w.mine.pk, "status": "draft", "limit": 10}, None),
    "posts_read": lambda w: ({"post_id": w.draft.pk}, None, None),
    "posts_preview": lambda w: ({}, None, {"franchise_id": str(w.mine.pk), "summary": "Bread at 7."}),
    "posts_create": lambda w: (
        {},
        None,
        {"franchise_id": str(w.mine.pk), "summary": "Hot rolls.", "scheduled_at": _future()},
    ),
    "posts_update": lambda w: ({"post_id": w.draft.pk}, None, {"summary": "Our sourdough, now daily.", "version": 1}),
    "posts_delete": lambda w: ({"post_id": w.draft.pk}, None, None),
    "posts_schedule": lambda w: ({"post_id": w.draft.pk}, None, {"at": _future()}),
    "posts_unschedule": lambda w: ({"post_id": w.scheduled.pk}, None, None),
    "posts_publish": lambda w: ({"post_id": w.draft.pk}, None, None),
    "results_franchise": lambda w: ({"franchise_id": w.mine.pk}, None, None),
    "results_ranking": lambda w: ({}, None, None),
}

# operationId -> an invalid request: junk in a parameter or the body (422 with the field named),
# or, for an operation that takes nothing, a key that is not one (401).
JUNK_ID = "not-a-uuid'; DROP TABLE posts;--"
INVALID = {
    "franchises_list": lambda w: ({}, None, None, "unauthenticated"),
    "franchises_read": lambda w: ({"franchise_id": JUNK_ID}, None, None, "franchise_id"),
    "franchises_create": lambda w: ({}, None, {"name": ["x"], "posts_per_week": "many"}, "name"),
    "franchises_update": lambda w: ({"franchise_id": w.mine.pk}, None, {"is_active": "perhaps"}, "is_active"),
    "posts_list": lambda w: ({}, {"status": "bogus", "limit": 10_000}, None, "status"),
    "posts_read": lambda w: ({"post_id": JUNK_ID}, None, None, "post_id"),
    "posts_preview": lambda w: ({}, None, {"franchise_id": str(w.mine.pk)}, "summary"),
    "posts_create": lambda w: (
        {},
        None,
        {"franchise_id": str(w.mine.pk), "summary": "x", "scheduled_at": "2030-01-01T10:00"},
        "scheduled_at",
    ),
    "posts_update": lambda w: ({"post_id": w.draft.pk}, None, {"topic_type": "PODCAST"}, "topic_type"),
    "posts_delete": lambda w: ({"post_id": JUNK_ID}, None, None, "post_id"),
    "posts_schedule": lambda w: ({"post_id": w.draft.pk}, None, {"at": "tomorrow"}, "at"),
    "posts_unschedule": lambda w: ({"post_id": JUNK_ID}, None, None, "post_id"),
    "posts_publish": lambda w: ({"post_id": JUNK_ID}, None, None, "post_id"),
    "results_franchise": lambda w: ({"franchise_id": JUNK_ID}, None, None, "franchise_id"),
    "results_ranking": lambda w: ({}, None, None, "unauthenticated"),
}


def _call(client: KeyClient, operation: str, params: dict, query, body):
    _, method, path = next(o for o in OPERATIONS if o[0] == operation)
    for name, value in params.items():
        path = path.replace("{" + name + "}", str(value))
    return client.request(method, path, json=body, query={k: str(v) for k, v in (query or {}).items()})


def _assert_error_shape(answer, code: str | None = None) -> list[dict]:
    errors = answer.json()["errors"]
    assert errors and all(set(e) == {"field", "message", "code"} and e["message"] for e in errors), errors
    if code:
        assert code in {e["code"] for e in errors}, errors
    return errors


def test_every_documented_operation_is_walked():
    assert {op for op, _, _ in OPERATIONS} == set(VALID) == set(INVALID)


def test_the_document_is_served_as_openapi_3(client):
    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    assert served.json()["openapi"].startswith("3.")
    assert served.json()["paths"] == json.loads(json.dumps(DOCUMENT["paths"], default=str))


@pytest.mark.parametrize("operation", [op for op, _, _ in OPERATIONS])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("scope", SCOPES)
def test_a_valid_request_by_every_role(world, operation, role, scope):
    answer = _call(world.keys[(role, scope)], operation, *VALID[operation](world))
    if operation in WRITES and scope == "read":
        assert answer.status_code == 403
        _assert_error_shape(answer, "read_only_key")
    elif operation in HEADQUARTERS_ONLY and role != "headquarters":
        assert answer.status_code == 403
        _assert_error_shape(answer, "forbidden")
    else:
        assert 200 <= answer.status_code < 300, answer.content
        if answer.status_code != 204 and role != "headquarters":  # headquarters sees every franchise
            assert "Their Diner" not in answer.content.decode() and "Secret diner" not in answer.content.decode()


@pytest.mark.parametrize("operation", [op for op, _, _ in OPERATIONS])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("scope", SCOPES)
def test_an_invalid_request_by_every_role(world, operation, role, scope):
    params, query, body, field = INVALID[operation](world)
    client = world.keys[(role, scope)]
    if field == "unauthenticated":
        client = KeyClient("gbp_nothere_" + "x" * 40)
    before = list(Post.objects.order_by("pk").values_list("pk", "version", "status"))
    answer = _call(client, operation, params, query, body)
    if field == "unauthenticated":
        assert answer.status_code == 401
        _assert_error_shape(answer, "unauthenticated")
    elif operation in WRITES and scope == "read":
        assert answer.status_code == 403
    else:
        assert answer.status_code == 422, answer.content
        assert field in {e["field"] for e in _assert_error_shape(answer)}
    assert list(Post.objects.order_by("pk").values_list("pk", "version", "status")) == before


@pytest.mark.parametrize("operation", [op for op, _, _ in OPERATIONS])
@pytest.mark.parametrize("scope", SCOPES)
def test_another_tenants_key_gets_404_or_403_and_never_data(world, operation, scope):
    before = list(Post.objects.order_by("pk").values_list("pk", "version", "status"))
    franchises_before = list(Franchise.objects.order_by("pk").values_list("pk", "name", "city", "is_active"))
    answer = _call(world.outsider[scope], operation, *VALID[operation](world))
    text = answer.content.decode()
    assert str(world.mine.pk) not in text and "Mine Bakery" not in text and "sourdough" not in text
    if answer.status_code == 200:
        assert VALID[operation](world)[0] == {} and "franchise_id" not in (VALID[operation](world)[1] or {})
    else:
        assert answer.status_code in (403, 404), text
        _assert_error_shape(answer)
    assert list(Post.objects.order_by("pk").values_list("pk", "version", "status")) == before
    assert list(Franchise.objects.order_by("pk").values_list("pk", "name", "city", "is_active")) == franchises_before
