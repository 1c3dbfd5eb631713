"""Announcements through the API: sent to the chosen franchises at once, "edit all" keeping or
overwriting what a franchise changed, cancelled; headquarters' keys for every franchise only."""

from __future__ import annotations

import datetime as dt

import pytest

from franchises.models import Membership
from posts.models import Announcement, Post
from posts.services.brand import brand_rules_save
from testkit.factories import make_franchise, make_member, make_user
from testkit.google import franchise_connected_to_sandbox

from .helpers import key_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sandbox")]


def _day() -> str:
    return (dt.date.today() + dt.timedelta(days=5)).isoformat()


@pytest.fixture
def group(sandbox):
    porto = franchise_connected_to_sandbox(sandbox, make_franchise(name="Porto", timezone="Europe/Lisbon"))
    braga = franchise_connected_to_sandbox(sandbox, make_franchise(name="Braga", timezone="Europe/Lisbon"))
    return porto, braga, key_client(make_user(superuser=True))


def test_an_announcement_is_sent_edited_keeping_a_franchises_own_change_and_cancelled(group):
    porto, braga, hq = group
    body = {
        "franchise_ids": [str(porto.pk), str(braga.pk)],
        "summary": "Chestnuts at {name}.",
        "date": _day(),
        "local_time": "09:00",
    }
    sent = hq.post("/api/v1/announcements", json=body, headers={"Idempotency-Key": "a1"})
    assert sent.status_code == 201, sent.content
    assert sent.json()["posts_total"] == 2 and sent.json()["posts_waiting"] == 2
    assert hq.post("/api/v1/announcements", json=body, headers={"Idempotency-Key": "a1"}).json() == sent.json()
    assert sorted(Post.objects.values_list("summary", flat=True)) == ["Chestnuts at Braga.", "Chestnuts at Porto."]
    announcement = sent.json()["id"]
    porto_post = Post.objects.get(franchise=porto)
    admin = key_client(make_member(porto, Membership.Role.ADMIN))
    assert admin.patch(f"/api/v1/posts/{porto_post.pk}", json={"summary": "Hot chestnuts in Porto!"}).status_code == 200

    kept = hq.post(f"/api/v1/announcements/{announcement}/edit-all", json={"summary": "Roast chestnuts at {name}."})
    assert kept.status_code == 200, kept.content
    assert kept.json()["kept_local"] == ["Porto"] and kept.json()["overwritten"] == []
    assert Post.objects.get(franchise=porto).summary == "Hot chestnuts in Porto!"
    assert Post.objects.get(franchise=braga).summary == "Roast chestnuts at Braga."

    overwritten = hq.post(
        f"/api/v1/announcements/{announcement}/edit-all", json={"summary": "Chestnuts at {name}.", "overwrite": True}
    )
    assert overwritten.json()["overwritten"] == ["Porto"]
    assert Post.objects.get(franchise=porto).summary == "Chestnuts at Porto."

    cancelled = hq.post(f"/api/v1/announcements/{announcement}/cancel-all")
    assert cancelled.json() == {"deleted": 2, "busy": 0, "series_ended": 0}
    assert not Post.objects.exists()
    listed = hq.get("/api/v1/announcements").json()
    assert [a["id"] for a in listed] == [announcement]


def test_an_announcement_a_brand_rule_refuses_sends_nothing(group):
    hq = group[2]
    brand_rules_save(user=None, banned_phrases="cheapest")
    body = {"summary": "The cheapest chestnuts.", "date": _day(), "local_time": "09:00"}
    refused = hq.post("/api/v1/announcements", json=body)
    assert refused.status_code == 409
    [error] = refused.json()["errors"]
    assert error["code"] == "refused" and "cheapest" in error["message"]
    assert not Post.objects.exists() and not Announcement.objects.exists()


def test_only_headquarters_keys_for_every_franchise_reach_announcements(group):
    porto = group[0]
    narrowed = key_client(make_user(superuser=True), franchises=[porto])
    admin = key_client(make_member(porto, Membership.Role.ADMIN))
    reader = key_client(make_user(superuser=True), scope="read")
    body = {"summary": "Hi {name}.", "date": _day(), "local_time": "09:00"}
    for client, status, code in [
        (narrowed, 403, "forbidden"),
        (admin, 403, "forbidden"),
        (reader, 403, "read_only_key"),
    ]:
        answer = client.post("/api/v1/announcements", json=body)
        assert answer.status_code == status and answer.json()["errors"][0]["code"] == code
    assert narrowed.get("/api/v1/announcements").status_code == 403
    assert not Post.objects.exists()


def test_a_repeated_send_is_refused_once_its_user_is_no_longer_headquarters(group):
    porto, _braga, _hq = group
    user = make_member(porto, Membership.Role.ADMIN)  # still sees Porto once no longer headquarters
    user.is_superuser = True
    user.save()
    hq = key_client(user)
    body = {"franchise_ids": [str(porto.pk)], "summary": "Secret plans.", "date": _day(), "local_time": "09:00"}
    assert hq.post("/api/v1/announcements", json=body, headers={"Idempotency-Key": "s1"}).status_code == 201
    user.is_superuser = False
    user.save()
    again = hq.post("/api/v1/announcements", json=body, headers={"Idempotency-Key": "s1"})
    assert again.status_code == 403 and "Secret plans" not in again.content.decode()
