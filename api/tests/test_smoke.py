from __future__ import annotations

import datetime as dt

import pytest

from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise, make_member, make_post

from .helpers import key_client

pytestmark = pytest.mark.django_db


def test_a_staff_key_lists_creates_and_schedules_in_its_franchise():
    franchise = make_franchise()
    user = make_member(franchise, Membership.Role.STAFF)
    api = key_client(user)
    listed = api.get("/api/v1/franchises")
    assert listed.status_code == 200, listed.content
    assert [f["id"] for f in listed.json()] == [str(franchise.pk)]
    made = api.post("/api/v1/posts", json={"franchise_id": str(franchise.pk), "summary": "Fresh bread today."})
    assert made.status_code == 201, made.content
    post_id = made.json()["id"]
    at = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).isoformat()
    scheduled = api.post(f"/api/v1/posts/{post_id}/schedule", json={"at": at})
    assert scheduled.status_code == 200, scheduled.content
    assert scheduled.json()["status"] == "scheduled"
    page = api.get("/api/v1/posts", query={"limit": 1})
    assert page.status_code == 200, page.content
    assert page.json()["items"][0]["id"] == post_id


def test_another_tenants_post_is_not_found():
    mine, theirs = make_franchise(), make_franchise()
    user = make_member(mine, Membership.Role.ADMIN)
    post = make_post(franchise=theirs)
    api = key_client(user)
    answer = api.get(f"/api/v1/posts/{post.pk}")
    assert answer.status_code == 404
    assert answer.json() == {
        "errors": [{"field": None, "message": answer.json()["errors"][0]["message"], "code": "not_found"}]
    }
    assert Post.objects.count() == 1
