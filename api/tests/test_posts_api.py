"""The posts endpoints' own behaviour: the pager, the brand rules' errors by field, a save over
someone else's, and the reference page under the CSP."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from franchises.models import Membership
from posts.models import Post
from posts.services.brand import brand_rules_save
from testkit.factories import make_franchise, make_member, make_post

from .helpers import key_client

pytestmark = pytest.mark.django_db


def test_the_pager_walks_every_post_once_in_the_lists_order_without_counting():
    franchise = make_franchise()
    api = key_client(make_member(franchise, Membership.Role.STAFF))
    now = dt.datetime.now(dt.UTC)
    for n in range(7):
        make_post(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=now + dt.timedelta(hours=n % 3))
    for _ in range(4):
        make_post(franchise=franchise)  # drafts without a time lead
    seen, cursor = [], None
    while True:
        with CaptureQueriesContext(connection) as queries:
            page = api.get("/api/v1/posts", query={"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    expected = [str(pk) for pk in Post.objects.order_by("-shown_at", "-created_at", "-id").values_list("pk", flat=True)]
    drafts = [str(pk) for pk in Post.objects.filter(shown_at__isnull=True).values_list("pk", flat=True)]
    assert sorted(seen) == sorted(expected) and len(seen) == 11
    assert set(seen[:4]) == set(drafts)


def test_queries_per_list_request_do_not_grow_with_the_page():
    franchise = make_franchise()
    api = key_client(make_member(franchise, Membership.Role.STAFF))
    for _ in range(30):
        make_post(franchise=franchise)
    with CaptureQueriesContext(connection) as small:
        api.get("/api/v1/posts", query={"limit": 2})
    with CaptureQueriesContext(connection) as large:
        api.get("/api/v1/posts", query={"limit": 30})
    assert len(small.captured_queries) == len(large.captured_queries)


def test_a_brand_rule_is_told_by_field_and_nothing_is_scheduled():
    brand_rules_save(user=None, banned_phrases="cheapest")
    franchise = make_franchise()
    api = key_client(make_member(franchise, Membership.Role.STAFF))
    at = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    body = {"franchise_id": str(franchise.pk), "summary": "The cheapest bread in town.", "scheduled_at": at}
    preview = api.post("/api/v1/posts/preview", json=body).json()
    assert not preview["schedulable"] and preview["problems"][0]["field"] == "summary"
    refused = api.post("/api/v1/posts", json=body)
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert error["field"] == "summary" and error["code"] == "brand.banned" and "cheapest" in error["message"]
    assert not Post.objects.exists()


def test_a_save_over_a_newer_version_is_a_409_with_the_error_shape():
    franchise = make_franchise()
    api = key_client(make_member(franchise, Membership.Role.STAFF))
    post = make_post(franchise=franchise)
    assert api.patch(f"/api/v1/posts/{post.pk}", json={"summary": "One.", "version": 1}).status_code == 200
    stale = api.patch(f"/api/v1/posts/{post.pk}", json={"summary": "Two.", "version": 1})
    assert stale.status_code == 409 and stale.json()["errors"][0]["code"] == "changed"
    assert Post.objects.get().summary == "One."


def test_a_staff_key_cannot_delete_a_live_post_but_an_admins_can():
    franchise = make_franchise()
    post = make_post(franchise=franchise, status=Post.Status.PUBLISHED, published_at=dt.datetime.now(dt.UTC))
    staff = key_client(make_member(franchise, Membership.Role.STAFF))
    refused = staff.delete(f"/api/v1/posts/{post.pk}")
    assert refused.status_code == 403 and refused.json()["errors"][0]["code"] == "forbidden"
    assert Post.objects.filter(pk=post.pk).exists()
    admin = key_client(make_member(franchise, Membership.Role.ADMIN))
    assert admin.delete(f"/api/v1/posts/{post.pk}").status_code == 204
    assert not Post.objects.filter(pk=post.pk).exists()


def test_the_reference_page_loads_only_its_own_files_under_the_csp(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui-bundle.js" in html and "cdn" not in html.lower()
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert "<script>" not in html  # no inline script the CSP would block; settings are JSON data


def test_a_path_the_api_does_not_have_answers_404_in_the_error_shape(client):
    answer = client.get("/api/v1/nothing/here")
    assert answer.status_code == 404
    assert answer.json()["errors"][0]["code"] == "not_found"


def test_a_create_the_database_refuses_is_told_as_the_pages_path_tells_it_and_saves_nothing():
    """The API's create leaves the check constraints to the database (a query each otherwise);
    the refusal is the same ValidationError, by field, as the editor's full check gives."""
    from django.core.exceptions import ValidationError

    from api.errors import validation_errors
    from posts.services import post_create

    franchise = make_franchise()
    user = make_member(franchise, Membership.Role.STAFF)
    start = dt.datetime(2027, 5, 2, 18, 0, tzinfo=dt.UTC)
    fields = {"summary": "Tasting night.", "topic_type": "EVENT", "event_title": "Tasting"}
    fields |= {"event_start": start, "event_end": start - dt.timedelta(hours=2)}
    with pytest.raises(ValidationError) as pages:
        post_create(franchise=franchise, user=user, **fields)
    body = {
        "franchise_id": str(franchise.pk),
        **{k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in fields.items()},
    }
    answer = key_client(user).post("/api/v1/posts", json=body)
    assert answer.status_code == 422, answer.content
    assert answer.json()["errors"] == validation_errors(pages.value).items
    assert not Post.objects.exists()


def test_a_create_costs_no_query_per_check_constraint():
    franchise = make_franchise()
    api = key_client(make_member(franchise, Membership.Role.STAFF))
    api.post("/api/v1/posts", json={"franchise_id": str(franchise.pk), "summary": "Warm up."})
    with CaptureQueriesContext(connection) as queries:
        made = api.post("/api/v1/posts", json={"franchise_id": str(franchise.pk), "summary": "Counted."})
    assert made.status_code == 201
    assert not any('"_check"' in q["sql"] for q in queries.captured_queries)
    assert not any(q["sql"].startswith('SELECT 1 AS "a"') for q in queries.captured_queries)
