"""One calendar across franchises, for admins and headquarters: each post on its own franchise's
local day, a franchise filter, and the user's franchises only."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise, make_member, make_post, make_user
from testkit.web import logged_in

pytestmark = pytest.mark.django_db

URL = reverse("posts:calendar_all")
# 2026-12-02 03:30 UTC: Tue 1 Dec 21:30 in Chicago, Wed 2 Dec 12:30 in Tokyo.
AT = dt.datetime(2026, 12, 2, 3, 30, tzinfo=dt.UTC)


def _day_of(body: str, post: Post) -> str:
    for date, section in re.findall(r'data-date="([0-9-]+)"(.*?)</section>', body, re.S):
        if f'data-post="{post.pk}"' in section:
            return date
    raise AssertionError("post not on the calendar")


@pytest.fixture
def two(client):
    chicago = make_franchise(name="Chicago Deli", timezone="America/Chicago")
    tokyo = make_franchise(name="Tokyo Deli", timezone="Asia/Tokyo")
    posts = {
        "chicago": make_post(franchise=chicago, status=Post.Status.SCHEDULED, scheduled_at=AT),
        "tokyo": make_post(franchise=tokyo, status=Post.Status.SCHEDULED, scheduled_at=AT),
    }
    return chicago, tokyo, posts


def test_each_post_is_on_its_own_franchises_local_day(client, two):
    _, _, posts = two
    logged_in(client, make_user(superuser=True))
    body = client.get(URL, {"date": "2026-12-01"}).content.decode()
    assert _day_of(body, posts["chicago"]) == "2026-12-01" and _day_of(body, posts["tokyo"]) == "2026-12-02"
    assert ">21:30 CST</time>" in body and ">12:30 JST</time>" in body
    assert "<strong>Chicago Deli</strong>" in body and "<strong>Tokyo Deli</strong>" in body


def test_the_franchise_filter_and_its_new_post_links(client, two):
    _, tokyo, posts = two
    logged_in(client, make_user(superuser=True))
    body = client.get(URL, {"date": "2026-12-01", "franchise": str(tokyo.pk)}).content.decode()
    assert f'data-post="{posts["tokyo"].pk}"' in body and f'data-post="{posts["chicago"].pk}"' not in body
    assert f"&amp;franchise={tokyo.pk}" in body  # the navigation keeps the filter


def test_a_member_sees_only_their_franchises_and_another_is_404(client, two):
    chicago, tokyo, posts = two
    logged_in(client, make_member(chicago, Membership.Role.ADMIN))
    body = client.get(URL, {"date": "2026-12-01"}).content.decode()
    assert f'data-post="{posts["chicago"].pk}"' in body and f'data-post="{posts["tokyo"].pk}"' not in body
    assert client.get(URL, {"franchise": str(tokyo.pk)}).status_code == 404


def test_the_calendar_takes_the_same_queries_for_many_franchises(client):
    logged_in(client, make_user(superuser=True))

    def queries() -> int:
        client.get(URL, {"date": "2026-12-01"})
        with CaptureQueriesContext(connection) as captured:
            client.get(URL, {"date": "2026-12-01"})
        return len(captured)

    make_post(franchise=make_franchise(), status=Post.Status.SCHEDULED, scheduled_at=AT)
    few = queries()
    for _ in range(10):
        make_post(franchise=make_franchise(timezone="Europe/Paris"), status=Post.Status.SCHEDULED, scheduled_at=AT)
    assert queries() == few
