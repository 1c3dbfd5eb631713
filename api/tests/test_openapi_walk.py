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
from posts.models import Announcement, Post, PostSeries
from posts.services import announcement_schedule
from posts.services.series import series_create
from reviews.models import Review
from testkit.factories import make_franchise, make_member, make_post, make_review, make_user
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
HEADQUARTERS_ONLY = {"franchises_create", "franchises_update"} | {op for op, _, _ in OPERATIONS if "announcement" in op}
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
    announcement: Announcement
    waiting: Post  # for a franchise admin's approval
    ai_draft: Post
    series: PostSeries
    review: Review  # answered


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
    hq = users["headquarters"]
    day = (later + dt.timedelta(days=1)).date()
    [sent] = announcement_schedule(
        franchises=[mine], template="Hello from {name}.", date=day, local_time=dt.time(9), user=hq
    )
    waiting = make_post(
        franchise=mine, summary="Please approve.", approval_waiting_for="admin", approval_requested_at=later
    )
    ai_draft = make_post(franchise=mine, summary="A draft by Claude.", source=Post.Source.AI, scheduled_at=later)
    series = series_create(
        franchise=mine, user=hq, rule="FREQ=WEEKLY;BYDAY=MO", starts_on=day, local_time=dt.time(10), summary="Mondays."
    )
    on_google = sandbox.client.add_review(mine.google_location_id, stars=2, comment="Too salty.", reply="Thanks.")
    review = make_review(mine, google_name=on_google["name"], stars=2, google_reply="Thanks.")
    outsiders = {scope: key_client(outsider, scope=scope) for scope in SCOPES}
    return World(mine, theirs, draft, scheduled, keys, outsiders, sent.announcement, waiting, ai_draft, series, review)


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
    "results_ranking": lambda w: ({}, {"limit": 10}, None),
    "announcements_list": lambda w: ({}, {"limit": 5}, None),
    "announcements_read": lambda w: ({"announcement_id": w.announcement.pk}, None, None),
    "announcements_send": lambda w: (
        {},
        None,
        {
            "franchise_ids": [str(w.mine.pk)],
            "summary": "Open late at {name}.",
            "date": _future()[:10],
            "local_time": "18:00",
            "locked": ["text"],
        },
    ),
    "announcements_edit_all": lambda w: (
        {"announcement_id": w.announcement.pk},
        None,
        {"summary": "Hello again from {name}.", "overwrite": True},
    ),
    "announcements_cancel_all": lambda w: ({"announcement_id": w.announcement.pk}, None, None),
    "approvals_list": lambda w: ({}, {"waiting_for": "admin"}, None),
    "approvals_approve": lambda w: ({}, None, {"post_ids": [str(w.waiting.pk)]}),
    "approvals_reject": lambda w: ({}, None, {"post_ids": [str(w.waiting.pk)], "reason": "Not our tone."}),
    "drafts_list": lambda w: ({}, {"franchise_id": w.mine.pk}, None),
    "drafts_approve": lambda w: ({}, None, {"post_ids": [str(w.ai_draft.pk)]}),
    "drafts_reject": lambda w: ({}, None, {"post_ids": [str(w.ai_draft.pk)], "reason": "Too long."}),
    "series_list": lambda w: ({"franchise_id": w.mine.pk}, None, None),
    "series_read": lambda w: ({"series_id": w.series.pk}, None, None),
    "series_create": lambda w: (
        {},
        None,
        {
            "franchise_id": str(w.mine.pk),
            "repeat": {"frequency": "weekly", "weekdays": ["TU", "FR"], "count": 6},
            "starts_on": _future()[:10],
            "local_time": "08:30",
            "summary": "Fresh rolls.",
            "more_texts": ["Warm rolls.", "Rolls, fresh."],
        },
    ),
    "series_update": lambda w: ({"series_id": w.series.pk}, None, {"summary": "Mondays, fresh.", "version": 1}),
    "series_end": lambda w: ({"series_id": w.series.pk}, None, None),
    "reviews_list": lambda w: ({}, {"stars": 2}, None),
    "reviews_read": lambda w: ({"review_id": w.review.pk}, None, None),
    "reviews_reply_set": lambda w: ({"review_id": w.review.pk}, None, {"text": "Sorry, Ana: less salt now."}),
    "reviews_reply_delete": lambda w: ({"review_id": w.review.pk}, None, None),
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
    "results_ranking": lambda w: ({}, {"limit": 0}, None, "limit"),
    "announcements_list": lambda w: ({}, {"limit": "many"}, None, "limit"),
    "announcements_read": lambda w: ({"announcement_id": JUNK_ID}, None, None, "announcement_id"),
    "announcements_send": lambda w: ({}, None, {"summary": "x", "date": "soon", "local_time": "09:00"}, "date"),
    "announcements_edit_all": lambda w: (
        {"announcement_id": w.announcement.pk},
        None,
        {"summary": "x", "locked": ["everything"]},
        "locked.0",
    ),
    "announcements_cancel_all": lambda w: ({"announcement_id": JUNK_ID}, None, None, "announcement_id"),
    "approvals_list": lambda w: ({}, {"waiting_for": "nobody"}, None, "waiting_for"),
    "approvals_approve": lambda w: ({}, None, {"post_ids": []}, "post_ids"),
    "approvals_reject": lambda w: ({}, None, {"post_ids": [str(w.waiting.pk)], "reason": "   "}, "reason"),
    "drafts_list": lambda w: ({}, {"limit": 0}, None, "limit"),
    "drafts_approve": lambda w: ({}, None, {"post_ids": "all"}, "post_ids"),
    "drafts_reject": lambda w: ({}, None, {"post_ids": [str(w.ai_draft.pk)], "reason": 5}, "reason"),
    "series_list": lambda w: ({"franchise_id": JUNK_ID}, None, None, "franchise_id"),
    "series_read": lambda w: ({"series_id": JUNK_ID}, None, None, "series_id"),
    "series_create": lambda w: (
        {},
        None,
        {
            "franchise_id": str(w.mine.pk),
            "repeat": {"frequency": "daily"},
            "starts_on": "2030-01-01",
            "local_time": "08:00",
            "summary": "x",
        },
        "repeat.frequency",
    ),
    "series_update": lambda w: ({"series_id": w.series.pk}, None, {"local_time": "noon"}, "local_time"),
    "series_end": lambda w: ({"series_id": JUNK_ID}, None, None, "series_id"),
    "reviews_list": lambda w: ({}, {"stars": 6}, None, "stars"),
    "reviews_read": lambda w: ({"review_id": JUNK_ID}, None, None, "review_id"),
    "reviews_reply_set": lambda w: ({"review_id": w.review.pk}, None, {"text": " "}, "text"),
    "reviews_reply_delete": lambda w: ({"review_id": JUNK_ID}, None, None, "review_id"),
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
