"""The posts list (filters, pagination) and the calendar (the franchise's zone), with constant queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise, make_member, make_post
from testkit.web import logged_in

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def _rows(response) -> list[str]:
    return [str(post.pk) for post in response.context["page"].object_list]


def _queries(client, url: str) -> int:
    client.get(url)  # warm up (session, first-request work)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return len(queries)


def _make_posts(franchise, n: int) -> None:
    start = dt.datetime(2026, 12, 1, 15, tzinfo=UTC)
    for index in range(n):
        status = [Post.Status.DRAFT, Post.Status.SCHEDULED, Post.Status.PUBLISHED, Post.Status.FAILED][index % 4]
        make_post(
            franchise=franchise,
            status=status,
            scheduled_at=start + dt.timedelta(hours=7 * index),
            published_at=start if status == Post.Status.PUBLISHED else None,
            source=Post.Source.AI if index % 3 == 0 else Post.Source.MANUAL,
        )


@pytest.mark.parametrize("per_franchise", [False, True])
def test_the_list_runs_the_same_queries_for_5_and_50_posts(client, django_assert_num_queries, per_franchise):
    franchise = make_franchise()
    other = make_franchise()
    user = make_member(franchise, Membership.Role.STAFF)
    Membership.objects.create(user=user, franchise=other)
    logged_in(client, user)
    url = reverse("posts:franchise_list", args=[franchise.pk]) if per_franchise else reverse("posts:list")
    _make_posts(franchise, 3)
    _make_posts(other, 2)
    expected = _queries(client, url)
    _make_posts(franchise, 25)
    _make_posts(other, 20)
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 25  # a full page, each row with its franchise


def test_the_calendar_runs_the_same_queries_for_5_and_50_posts(client, django_assert_num_queries):
    franchise = make_franchise(timezone="Europe/Paris")
    logged_in(client, make_member(franchise, Membership.Role.STAFF))
    for view in ("month", "week"):
        Post.objects.all().delete()
        url = reverse("posts:calendar", args=[franchise.pk]) + f"?view={view}&date=2026-12-01"
        _make_posts(franchise, 5)
        expected = _queries(client, url)
        _make_posts(franchise, 45)
        with django_assert_num_queries(expected):
            response = client.get(url)
        shown = sum(len(day["posts"]) for day in response.context["days"])
        assert shown > 5


def test_the_list_filters_by_status_source_franchise_and_dates(client):
    first, second = make_franchise(timezone="America/New_York"), make_franchise(timezone="Asia/Tokyo")
    user = make_member(first, Membership.Role.STAFF)
    Membership.objects.create(user=user, franchise=second)
    logged_in(client, user)
    # 03:30 UTC on 1 Dec is still 30 Nov in New York.
    late_november = make_post(
        franchise=first, status=Post.Status.SCHEDULED, scheduled_at=dt.datetime(2026, 12, 1, 3, 30, tzinfo=UTC)
    )
    december_ai = make_post(
        franchise=first,
        status=Post.Status.SCHEDULED,
        source=Post.Source.AI,
        scheduled_at=dt.datetime(2026, 12, 2, 15, tzinfo=UTC),
    )
    failed = make_post(franchise=first, status=Post.Status.FAILED, scheduled_at=dt.datetime(2026, 12, 4, tzinfo=UTC))
    tokyo = make_post(franchise=second, status=Post.Status.SCHEDULED, scheduled_at=dt.datetime(2026, 12, 2, tzinfo=UTC))
    draft = make_post(franchise=first)

    every = _rows(client.get(reverse("posts:list")))
    assert set(every) == {str(p.pk) for p in (late_november, december_ai, failed, tokyo, draft)}
    assert _rows(client.get(reverse("posts:list"), {"status": "failed"})) == [str(failed.pk)]
    assert _rows(client.get(reverse("posts:list"), {"source": "ai"})) == [str(december_ai.pk)]
    assert _rows(client.get(reverse("posts:list"), {"franchise": str(second.pk)})) == [str(tokyo.pk)]

    # Per franchise, days are the franchise's own: 1 Dec onwards leaves out 30 Nov 22:30 New York time.
    url = reverse("posts:franchise_list", args=[first.pk])
    december = _rows(client.get(url, {"date_from": "2026-12-01", "date_to": "2026-12-02"}))
    assert december == [str(december_ai.pk)]
    november = _rows(client.get(url, {"date_to": "2026-11-30"}))
    assert november == [str(late_november.pk)]
    response = client.get(url, {"date_from": "2026-12-01"})
    assert "America/New_York" in response.content.decode()


def test_a_bad_filter_is_shown_inline_and_ignored(client):
    franchise = make_franchise()
    post = make_post(franchise=franchise)
    logged_in(client, make_member(franchise, Membership.Role.STAFF))
    response = client.get(
        reverse("posts:list"), {"status": "bogus", "date_from": "2026-12-05", "date_to": "2026-12-01"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert _rows(response) == [str(post.pk)]


def test_the_list_paginates_and_keeps_the_filters(client):
    franchise = make_franchise()
    logged_in(client, make_member(franchise, Membership.Role.STAFF))
    for _ in range(30):
        make_post(franchise=franchise, status=Post.Status.FAILED)
    make_post(franchise=franchise)
    first = client.get(reverse("posts:list"), {"status": "failed"})
    assert len(_rows(first)) == 25
    assert 'href="?status=failed&amp;page=2"' in first.content.decode()
    second = client.get(reverse("posts:list"), {"status": "failed", "page": 2})
    assert len(_rows(second)) == 5
    assert not set(_rows(first)) & set(_rows(second))


def test_the_month_calendar_places_posts_on_the_franchises_local_day(client):
    franchise = make_franchise(timezone="America/New_York")
    logged_in(client, make_member(franchise, Membership.Role.STAFF))
    post = make_post(
        franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=dt.datetime(2026, 12, 1, 3, 30, tzinfo=UTC)
    )
    url = reverse("posts:calendar", args=[franchise.pk])
    response = client.get(url, {"view": "month", "date": "2026-11-01"})
    days = {day["date"].isoformat(): day["posts"] for day in response.context["days"]}
    assert days["2026-11-30"] == [post]
    assert days["2026-12-01"] == []
    body = response.content.decode()
    assert "America/New_York" in body
    assert "November 2026" in body
    assert "22:30" in body  # the local time, not 03:30 UTC
    # The December month grid starts on Monday 30 November, so it shows there too.
    december = client.get(url, {"view": "month", "date": "2026-12-01"})
    assert december.context["days"][0]["date"] == dt.date(2026, 11, 30)
    assert december.context["days"][0]["posts"] == [post]


def test_the_week_calendar_shows_seven_local_days(client):
    franchise = make_franchise(timezone="Asia/Tokyo")
    logged_in(client, make_member(franchise, Membership.Role.STAFF))
    # 20:00 UTC on Sunday 6 Dec is 05:00 on Monday 7 Dec in Tokyo: the next week.
    post = make_post(
        franchise=franchise, status=Post.Status.PUBLISHED, published_at=dt.datetime(2026, 12, 6, 20, tzinfo=UTC)
    )
    url = reverse("posts:calendar", args=[franchise.pk])
    this_week = client.get(url, {"view": "week", "date": "2026-12-02"})
    assert [day["date"] for day in this_week.context["days"]] == [
        dt.date(2026, 11, 30) + dt.timedelta(days=n) for n in range(7)
    ]
    assert not any(day["posts"] for day in this_week.context["days"])
    next_week = client.get(url, {"view": "week", "date": "2026-12-07"})
    assert next_week.context["days"][0]["posts"] == [post]
    assert "Asia/Tokyo" in next_week.content.decode()


def test_the_list_counts_no_further_than_the_cap_and_pages_up_to_it(client, monkeypatch):
    """A group's list of a million posts is not counted row by row: past the cap the pager says
    "1,000+" (here a cap of 30), pages up to the cap, and a filter brings the rest within it."""
    monkeypatch.setattr("gbp_scheduler.paging.COUNT_CAP", 30)
    franchise = make_franchise()
    logged_in(client, make_member(franchise, Membership.Role.STAFF))
    _make_posts(franchise, 40)

    first = client.get(reverse("posts:list"))
    assert "Page 1 of 2+ (30+ posts)" in first.content.decode()
    last = client.get(reverse("posts:list"), {"page": 9})  # past the cap: the last page within it
    assert last.context["page"].number == 2 and not last.context["page"].has_next()
    assert len(_rows(last)) == 5
    failed = client.get(reverse("posts:list"), {"status": "failed"})  # 10: counted exactly
    assert "(10 posts)" not in failed.content.decode()  # one page: no pager at all
    assert len(_rows(failed)) == 10
    published = client.get(reverse("posts:list"), {"status": "published", "page": 1})
    assert len(_rows(published)) == 10
