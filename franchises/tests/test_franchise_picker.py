"""The lists' franchise filters past SELECT_MAX franchises: a search box asking franchises:pick for
the user's franchises that match, instead of an option per franchise; the filter still narrows the
lists, another tenant's franchise is still a 404, and the queries stay as many."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from franchises.models import Franchise, Membership
from franchises.picking import PICK_RESULTS, SELECT_MAX
from posts.models import Post
from testkit.factories import make_franchise, make_member, make_post, make_user
from testkit.web import logged_in

pytestmark = pytest.mark.django_db

LISTS = [
    ("posts:list", "id_franchise"),
    ("posts:calendar_all", "calendar-franchise"),
    ("generation:drafts", "drafts-franchise"),
]


def _group(n: int, *, start: int = 0) -> None:
    zones = ["America/New_York", "America/Chicago", "Asia/Tokyo"]
    Franchise.objects.bulk_create(
        Franchise(name=f"Shop {k:04}", city=f"Town {k}", timezone=zones[k % 3]) for k in range(start, start + n)
    )


def _choices(client, search: str) -> list[dict]:
    response = client.get(reverse("franchises:pick"), {"q": search})
    assert response.status_code == 200
    return json.loads(response.content)["choices"]


def test_the_search_box_offers_the_users_franchises_matching_name_or_city(client):
    mine = make_franchise(name="Lakeside Lawn", city="Dayton")
    also_mine = make_franchise(name="Hill Lawn", city="Akron")
    make_franchise(name="Lakeside Pools", city="Dayton")  # another tenant's
    user = make_member(mine, Membership.Role.STAFF)
    Membership.objects.create(user=user, franchise=also_mine)
    logged_in(client, user)

    assert _choices(client, "lake") == [{"id": str(mine.pk), "label": "Lakeside Lawn (Dayton)"}]
    assert _choices(client, "AKRON") == [{"id": str(also_mine.pk), "label": "Hill Lawn (Akron)"}]
    assert [c["label"] for c in _choices(client, "")] == ["Hill Lawn (Akron)", "Lakeside Lawn (Dayton)"]
    assert _choices(client, "pools") == []


def test_the_search_box_offers_a_few_by_name_and_asks_for_a_login(client):
    _group(PICK_RESULTS + 5)
    assert client.get(reverse("franchises:pick"), {"q": "shop"}).status_code == 302
    logged_in(client, make_user(superuser=True))
    choices = _choices(client, "shop")
    assert [c["label"] for c in choices] == [f"Shop {k:04} (Town {k})" for k in range(PICK_RESULTS)]


@pytest.mark.parametrize(("url", "field_id"), LISTS)
def test_past_the_most_a_filter_lists_it_is_a_search_box_naming_the_chosen(client, url, field_id):
    _group(SELECT_MAX)
    logged_in(client, make_user(superuser=True))
    listed = client.get(reverse(url)).content.decode()
    assert listed.count("<option") > SELECT_MAX and "data-picker-url" not in listed

    chosen = make_franchise(name="Zed & Sons")  # one more than a filter lists
    page = client.get(reverse(url)).content.decode()
    assert "<option" not in page.split(f'id="{field_id}"')[1].split(">")[0]
    assert f'data-picker-url="{reverse("franchises:pick")}"' in page
    assert page.count("<option") < 20
    picked = client.get(reverse(url), {"franchise": str(chosen.pk)})
    assert picked.status_code == 200
    assert 'data-picker-label="Zed &amp; Sons"' in picked.content.decode()


def test_past_the_most_the_filter_still_narrows_the_list_and_refuses_others(client):
    _group(SELECT_MAX)
    first, second = make_franchise(name="First"), make_franchise(name="Second")
    at = dt.datetime(2026, 12, 2, 15, tzinfo=dt.UTC)
    theirs = make_post(franchise=first, status=Post.Status.SCHEDULED, scheduled_at=at)
    make_post(franchise=second, status=Post.Status.SCHEDULED, scheduled_at=at)
    user = make_member(first, Membership.Role.STAFF)
    Membership.objects.bulk_create(Membership(user=user, franchise=f) for f in Franchise.objects.exclude(pk=first.pk))
    Membership.objects.filter(user=user, franchise=second).delete()
    logged_in(client, user)

    response = client.get(reverse("posts:list"), {"franchise": str(first.pk), "date_from": "2026-12-02"})
    assert [str(p.pk) for p in response.context["page"].object_list] == [str(theirs.pk)]
    assert "data-picker-url" in response.content.decode()
    for url, _field in LISTS:
        assert client.get(reverse(url), {"franchise": str(second.pk)}).status_code == 404


@pytest.mark.parametrize(("url", "_field"), LISTS)
def test_past_the_most_the_lists_run_the_same_queries_whatever_the_franchises(client, url, _field):
    _group(SELECT_MAX + 1)
    logged_in(client, make_user(superuser=True))
    client.get(reverse(url))  # warm up (session, first-request work)
    with CaptureQueriesContext(connection) as fewer:
        client.get(reverse(url))
    _group(SELECT_MAX * 2, start=SELECT_MAX + 1)
    with CaptureQueriesContext(connection) as more:
        client.get(reverse(url))
    assert len(more) == len(fewer)
