"""Repeating posts through the API: made with texts in turn, changed (their upcoming posts too),
ended."""

from __future__ import annotations

import datetime as dt

import pytest

from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise, make_member

from .helpers import key_client

pytestmark = pytest.mark.django_db


def test_a_repeating_post_takes_its_texts_in_turn_is_changed_and_ended():
    franchise = make_franchise(timezone="Europe/Lisbon")
    api = key_client(make_member(franchise, Membership.Role.STAFF))
    start = dt.date.today() + dt.timedelta(days=1)
    made = api.post(
        "/api/v1/series",
        json={
            "franchise_id": str(franchise.pk),
            "repeat": {"frequency": "weekly", "weekdays": ["MO", "TU", "WE", "TH", "FR", "SA", "SU"], "count": 4},
            "starts_on": start.isoformat(),
            "local_time": "08:00",
            "summary": "Bread one.",
            "more_texts": ["Bread two."],
        },
    )
    assert made.status_code == 201, made.content
    series = made.json()
    texts = list(Post.objects.filter(series_id=series["id"]).order_by("scheduled_at").values_list("summary", flat=True))
    assert texts == ["Bread one.", "Bread two.", "Bread one.", "Bread two."]
    assert [s["id"] for s in api.get(f"/api/v1/franchises/{franchise.pk}/series").json()] == [series["id"]]

    changed = api.patch(f"/api/v1/series/{series['id']}", json={"summary": "Rolls one.", "version": 1})
    assert changed.status_code == 200, changed.content
    assert changed.json()["updated"] == 4 and changed.json()["series"]["version"] == 2
    stale = api.patch(f"/api/v1/series/{series['id']}", json={"summary": "Late.", "version": 1})
    assert stale.status_code == 409
    texts = set(Post.objects.filter(series_id=series["id"]).values_list("summary", flat=True))
    assert texts == {"Rolls one.", "Bread two."}

    bad = api.patch(f"/api/v1/series/{series['id']}", json={"repeat": {"frequency": "weekly"}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "repeat"

    ended = api.post(f"/api/v1/series/{series['id']}/end")
    assert ended.json() == {"deleted": 4, "busy": 0}
    assert api.get(f"/api/v1/series/{series['id']}").json()["ended_at"] is not None
    assert api.post(f"/api/v1/series/{series['id']}/end").status_code == 409
