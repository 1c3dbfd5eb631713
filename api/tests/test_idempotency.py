"""Idempotency-Key on POSTs: a repeat returns the first answer and creates nothing new; another
body under the same key is refused; on PostgreSQL, the same request sent at once from many
threads creates one post."""

from __future__ import annotations

import pytest

from api.models import IdempotentRequest
from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise, make_member
from testkit.threads import together

from .helpers import KeyClient, key_client


def _setup():
    franchise = make_franchise()
    user = make_member(franchise, Membership.Role.STAFF)
    return franchise, key_client(user)


def api_user(api: KeyClient):
    return IdempotentRequest.objects.filter(key__prefix=api.secret.split("_")[1]).first().key.user


@pytest.mark.django_db
def test_a_repeated_post_returns_the_first_answer_and_creates_nothing_new():
    franchise, api = _setup()
    body = {"franchise_id": str(franchise.pk), "summary": "Fresh bread."}
    first = api.post("/api/v1/posts", json=body, headers={"Idempotency-Key": "order-1"})
    again = api.post("/api/v1/posts", json=body, headers={"Idempotency-Key": "order-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Post.objects.count() == 1
    other = api.post("/api/v1/posts", json=body, headers={"Idempotency-Key": "order-2"})
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused():
    franchise, api = _setup()
    api.post(
        "/api/v1/posts", json={"franchise_id": str(franchise.pk), "summary": "A."}, headers={"Idempotency-Key": "k"}
    )
    refused = api.post(
        "/api/v1/posts", json={"franchise_id": str(franchise.pk), "summary": "B."}, headers={"Idempotency-Key": "k"}
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "Idempotency-Key", "message": refused.json()["errors"][0]["message"], "code": "idempotency_mismatch"}
    ]
    assert list(Post.objects.values_list("summary", flat=True)) == ["A."]


@pytest.mark.django_db
def test_keys_are_kept_per_api_key():
    franchise, api = _setup()
    other_api = key_client(make_member(franchise, Membership.Role.STAFF))
    body = {"franchise_id": str(franchise.pk), "summary": "Same words."}
    api.post("/api/v1/posts", json=body, headers={"Idempotency-Key": "shared"})
    other_api.post("/api/v1/posts", json=body, headers={"Idempotency-Key": "shared"})
    assert Post.objects.count() == 2


@pytest.mark.django_db
def test_a_refused_action_is_answered_the_same_again_and_a_malformed_body_claims_nothing():
    franchise, api = _setup()
    made = api.post("/api/v1/posts", json={"franchise_id": str(franchise.pk), "summary": "Draft."}).json()
    first = api.post(f"/api/v1/posts/{made['id']}/unschedule", headers={"Idempotency-Key": "u1"})
    assert first.status_code == 409  # a draft is not scheduled
    assert api.post(f"/api/v1/posts/{made['id']}/unschedule", headers={"Idempotency-Key": "u1"}).json() == first.json()
    bad = api.post(f"/api/v1/posts/{made['id']}/schedule", json={"at": "soon"}, headers={"Idempotency-Key": "s1"})
    assert bad.status_code == 422
    assert not IdempotentRequest.objects.filter(idempotency_key="s1").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_post_sent_at_once_from_eight_threads_creates_one_post():
    franchise, api = _setup()
    body = {"franchise_id": str(franchise.pk), "summary": "Only once, please."}

    def send():
        answer = KeyClient(api.secret).post("/api/v1/posts", json=body, headers={"Idempotency-Key": "burst"})
        return answer.status_code, answer.json()

    results, errors = together(8, send)
    assert not errors
    assert Post.objects.count() == 1
    created = [body for status, body in results if status == 201]
    assert created and {b["id"] for b in created} == {str(Post.objects.get().pk)}
    # The others either got that answer again or were told the first was still running.
    assert all(status == 201 or body["errors"][0]["code"] == "idempotency_in_progress" for status, body in results)


@pytest.mark.django_db
def test_a_replay_is_refused_once_the_key_lost_the_franchise_it_names():
    franchise, api = _setup()
    body = {"franchise_id": str(franchise.pk), "summary": "Members only."}
    first = api.post("/api/v1/posts", json=body, headers={"Idempotency-Key": "gone-1"})
    assert first.status_code == 201
    Membership.objects.filter(franchise=franchise).delete()
    again = api.post("/api/v1/posts", json=body, headers={"Idempotency-Key": "gone-1"})
    assert again.status_code == 404 and again.json()["errors"][0]["code"] == "not_found"
    assert "Members only" not in again.content.decode() and first.json()["id"] not in again.content.decode()
    made = first.json()["id"]
    Membership.objects.create(franchise=franchise, user=api_user(api), role=Membership.Role.STAFF)
    api.post(f"/api/v1/posts/{made}/unschedule", headers={"Idempotency-Key": "gone-2"})
    Membership.objects.filter(franchise=franchise).delete()
    assert api.post(f"/api/v1/posts/{made}/unschedule", headers={"Idempotency-Key": "gone-2"}).status_code == 404


@pytest.mark.django_db
def test_the_daily_job_deletes_the_answers_older_than_a_day_by_the_databases_clock():
    import datetime as dt

    import time_machine

    from api.idempotency import idempotent_requests_prune
    from gbp_scheduler.jobs import TimeBudget

    franchise, api = _setup()
    body = {"franchise_id": str(franchise.pk), "summary": "Old."}
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        api.post("/api/v1/posts", json=body, headers={"Idempotency-Key": "old"})
    with time_machine.travel(start + dt.timedelta(hours=23), tick=False):
        api.post("/api/v1/posts", json={**body, "summary": "New."}, headers={"Idempotency-Key": "new"})
        assert idempotent_requests_prune(budget=TimeBudget(seconds=60)) == {"deleted": 0}
    with time_machine.travel(start + dt.timedelta(hours=24, seconds=1), tick=False):
        assert idempotent_requests_prune(budget=TimeBudget(seconds=60)) == {"deleted": 1}
    assert list(IdempotentRequest.objects.values_list("idempotency_key", flat=True)) == ["new"]
