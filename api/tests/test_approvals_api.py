"""Posts waiting for approval and AI drafts through the API: the same rules as the pages on who
may approve, a reason required to reject, and another franchise's posts left alone."""

from __future__ import annotations

import datetime as dt

import pytest

from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise, make_member, make_post, make_user

from .helpers import key_client

pytestmark = pytest.mark.django_db


def _later() -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(days=2)


def _waiting(franchise, level: str, summary: str = "Please approve.") -> Post:
    return make_post(
        franchise=franchise,
        summary=summary,
        scheduled_at=_later(),
        approval_waiting_for=level,
        approval_requested_at=dt.datetime.now(dt.UTC),
    )


def test_an_admin_approves_what_waits_for_an_admin_but_not_for_headquarters_and_staff_approve_nothing():
    franchise = make_franchise()
    for_admin, for_hq = _waiting(franchise, "admin"), _waiting(franchise, "headquarters")
    admin = key_client(make_member(franchise, Membership.Role.ADMIN))
    staff = key_client(make_member(franchise, Membership.Role.STAFF))
    assert staff.get("/api/v1/approvals").json()["items"] == []
    assert [i["post"]["id"] for i in admin.get("/api/v1/approvals").json()["items"]] == [str(for_admin.pk)]
    refused = staff.post("/api/v1/approvals/approve", json={"post_ids": [str(for_admin.pk)]}).json()
    assert refused["done"] == 0 and [r["post_id"] for r in refused["refused"]] == [str(for_admin.pk)]
    answer = admin.post("/api/v1/approvals/approve", json={"post_ids": [str(for_admin.pk), str(for_hq.pk)]}).json()
    assert answer["done"] == 1 and [r["post_id"] for r in answer["refused"]] == [str(for_hq.pk)]
    assert Post.objects.get(pk=for_admin.pk).status == Post.Status.SCHEDULED
    assert Post.objects.get(pk=for_hq.pk).approval_waiting_for == "headquarters"
    hq = key_client(make_user(superuser=True))
    assert hq.post("/api/v1/approvals/approve", json={"post_ids": [str(for_hq.pk)]}).json()["done"] == 1


def test_a_rejection_needs_a_reason_and_another_franchises_post_is_left_alone():
    mine, theirs = make_franchise(), make_franchise()
    post, other = _waiting(mine, "admin"), _waiting(theirs, "admin")
    admin = key_client(make_member(mine, Membership.Role.ADMIN))
    no_reason = admin.post("/api/v1/approvals/reject", json={"post_ids": [str(post.pk)], "reason": "  "})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    answer = admin.post("/api/v1/approvals/reject", json={"post_ids": [str(post.pk), str(other.pk)], "reason": "Tone."})
    assert answer.json()["done"] == 1 and [r["post_id"] for r in answer.json()["refused"]] == [str(other.pk)]
    assert Post.objects.get(pk=post.pk).approval_waiting_for == ""
    assert Post.objects.get(pk=other.pk).approval_waiting_for == "admin"


def test_ai_drafts_are_listed_approved_at_their_planned_time_and_rejected():
    franchise = make_franchise()
    at = _later().replace(microsecond=0)
    first = make_post(franchise=franchise, summary="Claude one.", source=Post.Source.AI, scheduled_at=at)
    second = make_post(franchise=franchise, summary="Claude two.", source=Post.Source.AI, scheduled_at=at)
    make_post(franchise=franchise, summary="Mine, by hand.")
    api = key_client(make_member(franchise, Membership.Role.STAFF))
    listed = api.get("/api/v1/drafts").json()["items"]
    assert {d["id"] for d in listed} == {str(first.pk), str(second.pk)}
    assert api.post("/api/v1/drafts/approve", json={"post_ids": [str(first.pk)]}).json() == {"done": 1, "refused": []}
    assert Post.objects.get(pk=first.pk).status == Post.Status.SCHEDULED
    assert Post.objects.get(pk=first.pk).scheduled_at == at
    rejected = api.post("/api/v1/drafts/reject", json={"post_ids": [str(second.pk), str(first.pk)]}).json()
    assert rejected["done"] == 1 and [r["post_id"] for r in rejected["refused"]] == [str(first.pk)]
    assert not Post.objects.filter(pk=second.pk).exists()
