"""What a key reaches, and how often: never more than its user now, narrowed to its franchises;
expired keys and deactivated users refused; a per-key rate limit on the database's clock."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from api.models import ApiKey
from franchises.models import Membership
from testkit.factories import make_franchise, make_member, make_post, make_user

from .helpers import key_client

pytestmark = pytest.mark.django_db


def test_a_key_loses_a_franchise_when_its_user_leaves_it():
    franchise = make_franchise()
    user = make_member(franchise, Membership.Role.ADMIN)
    post = make_post(franchise=franchise)
    api = key_client(user, franchises=[franchise])
    assert api.get(f"/api/v1/posts/{post.pk}").status_code == 200
    Membership.objects.filter(user=user).delete()
    assert api.get(f"/api/v1/posts/{post.pk}").status_code == 404
    assert api.get("/api/v1/franchises").json() == []
    assert api.get("/api/v1/posts").json()["items"] == []


def test_a_key_for_some_franchises_sees_only_those_even_for_headquarters():
    chosen, other = make_franchise(name="Chosen"), make_franchise(name="Other")
    post = make_post(franchise=other)
    api = key_client(make_user(superuser=True), franchises=[chosen])
    assert [f["name"] for f in api.get("/api/v1/franchises").json()] == ["Chosen"]
    assert api.get(f"/api/v1/posts/{post.pk}").status_code == 404
    assert api.get("/api/v1/posts").json()["items"] == []
    made = api.post("/api/v1/posts", json={"franchise_id": str(other.pk), "summary": "Hi."})
    assert made.status_code == 404
    assert [row["name"] for row in api.get("/api/v1/results/ranking").json()["rows"]] == ["Chosen"]


def test_an_expired_key_and_a_deactivated_user_are_refused():
    franchise = make_franchise()
    user = make_member(franchise, Membership.Role.STAFF)
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    api = key_client(user, expires_at=soon)
    assert api.get("/api/v1/franchises").status_code == 200
    with time_machine.travel(soon + dt.timedelta(seconds=1)):
        assert api.get("/api/v1/franchises").status_code == 401
    user.is_active = False
    user.save()
    assert api.get("/api/v1/franchises").status_code == 401


def test_a_key_past_its_rate_gets_429_with_retry_after_and_its_last_use_is_recorded(settings):
    settings.API_REQUESTS_PER_MINUTE = 3
    franchise = make_franchise()
    api = key_client(make_member(franchise, Membership.Role.STAFF))
    start = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        assert [api.get("/api/v1/franchises").status_code for _ in range(3)] == [200, 200, 200]
        refused = api.get("/api/v1/franchises")
        assert refused.status_code == 429
        assert refused["Retry-After"] == "20"  # 3 a minute: one more in 20 s
        assert refused.json()["errors"][0]["code"] == "rate_limited"
    with time_machine.travel(start + dt.timedelta(seconds=20), tick=False):
        assert api.get("/api/v1/franchises").status_code == 200
        assert api.get("/api/v1/franchises").status_code == 429
    assert ApiKey.objects.get().last_used_at == start + dt.timedelta(seconds=20)


def test_the_rate_limit_is_per_key():
    franchise = make_franchise()
    user = make_member(franchise, Membership.Role.STAFF)
    first, second = key_client(user), key_client(user)
    ApiKey.objects.filter(name="Tests").update(bucket_tokens=0)
    ApiKey.objects.filter(pk=ApiKey.objects.order_by("created_at").first().pk).update(bucket_tokens=5)
    statuses = {first.get("/api/v1/franchises").status_code, second.get("/api/v1/franchises").status_code}
    assert statuses == {200, 429}
