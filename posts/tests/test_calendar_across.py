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
    # The page reads in Chicago's zone (the first of headquarters' two); Tokyo's time says its zone.
    assert ">21:30</a>" in body and ">12:30 JST</a>" in body
    # Each franchise by its colour and code, named in the legend (and to screen readers at each post).
    assert 'data-code="CD"><span class="fr-chip" aria-hidden="true">CD</span> Chicago Deli</li>' in body
    assert '<span class="visually-hidden">Tokyo Deli:</span>' in body


def test_a_busy_day_shows_a_few_posts_and_how_many_more_with_a_colour_and_code_per_franchise(client):
    shops = [make_franchise(name=name, timezone="UTC") for name in ("Akron Lawn", "Canton", "Dayton")]
    day = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
    for n in range(12):
        make_post(franchise=shops[n % 3], status=Post.Status.SCHEDULED, scheduled_at=day + dt.timedelta(minutes=n))
    logged_in(client, make_user(superuser=True))

    body = client.get(URL, {"date": "2026-12-01"}).content.decode()
    cell = re.search(r'data-date="2026-12-03"(.*?)</section>', body, re.S)[1]
    assert cell.count('data-testid="calendar-post"') == 3
    assert ">+9 more</a>" in cell and "date_from=2026-12-03&amp;date_to=2026-12-03" in cell
    legend = re.search(r'<ul class="legend" id="calendar-legend".*?</ul>', body, re.S)[0]
    assert re.findall(r'<li class="fr-(\d)" data-code="(\w+)">', legend) == [("0", "AL"), ("1", "CAN"), ("2", "DAY")]
    assert re.findall(r'class="fr fr-(\d)" data-franchise-code="(\w+)"', cell) == [
        ("0", "AL"),
        ("1", "CAN"),
        ("2", "DAY"),
    ]
    # The week view has room for more of the day's posts.
    week = client.get(URL, {"date": "2026-12-03", "view": "week"}).content.decode()
    cell = re.search(r'data-date="2026-12-03"(.*?)</section>', week, re.S)[1]
    assert cell.count('data-testid="calendar-post"') == 8 and ">+4 more</a>" in cell


def test_franchise_codes_are_short_and_unique():
    from posts.views.lists import franchise_codes

    names = ["Cincinnati", "Cincinnati East", "Cinnamon Bakery", "Shop 12", "Shop 13", "Lake View Cafe", "Cinco"]
    assert franchise_codes(names) == ["CIN", "CE", "CB", "S12", "S13", "LVC", "CIN2"]


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


def _counts(body: str) -> dict[str, str]:
    counts = {}
    for date, section in re.findall(r'data-date="([0-9-]+)"(.*?)</section>', body, re.S):
        if found := re.search(r'data-testid="calendar-day-count"><a [^>]*>(.*?)</a><br>(.*?)</p>', section, re.S):
            counts[date] = f"{found[1]}: {found[2]}"
    return counts


def test_past_the_limit_each_day_gives_its_count_by_status_and_links_to_its_list(client, two, monkeypatch):
    from posts.views import lists

    chicago, tokyo, posts = two
    make_post(franchise=tokyo, status=Post.Status.PUBLISHED, scheduled_at=AT, published_at=AT)
    make_post(franchise=chicago, status=Post.Status.FAILED, scheduled_at=AT + dt.timedelta(hours=12))
    monkeypatch.setattr(lists, "CALENDAR_POSTS_SHOWN", 3)
    logged_in(client, make_user(superuser=True))

    body = client.get(URL, {"date": "2026-12-01"}).content.decode()

    assert 'data-testid="calendar-post"' not in body and 'id="calendar-counted"' in body
    # 03:30 UTC is Tue 1 Dec in Chicago and Wed 2 Dec in Tokyo; 15:30 UTC is Wed 2 Dec 09:30 in Chicago.
    assert _counts(body) == {
        "2026-12-01": "1 post: 1 scheduled",
        "2026-12-02": "3 posts: 1 scheduled, 1 published, 1 failed",
    }
    assert f"{reverse('posts:list')}?date_from=2026-12-02&amp;date_to=2026-12-02" in body
    # A franchise picked: its posts, listed to drag, whatever the limit.
    body = client.get(URL, {"date": "2026-12-01", "franchise": str(chicago.pk)}).content.decode()
    assert _day_of(body, posts["chicago"]) == "2026-12-01" and "calendar-day-count" not in body


@pytest.mark.parametrize(
    "zone",
    ["America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham", "America/St_Johns", "UTC"],
)
def test_the_days_counted_by_the_database_are_the_posts_own_local_days_across_a_change_of_clocks(client, zone):
    from posts.selectors import posts_calendar_day_counts

    franchise = make_franchise(name="Somewhere", timezone=zone)
    # Every 37 minutes over the weeks around the clocks' changes (early April and November).
    expected: dict = {}
    for first in (dt.datetime(2026, 3, 25, tzinfo=dt.UTC), dt.datetime(2026, 10, 25, tzinfo=dt.UTC)):
        for n in range(0, 14 * 24 * 60, 37):
            at = first + dt.timedelta(minutes=n)
            Post.objects.create(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=at, summary="x")
            day = at.astimezone(franchise.zone).date()
            expected[day] = expected.get(day, 0) + 1
        counted = posts_calendar_day_counts(
            user=make_user(superuser=True, username=f"hq-{first.month}"),
            starts=first,
            ends=first + dt.timedelta(days=14),
            zones=[zone],
        )
        within = {day: n for day, n in expected.items() if first.date() - dt.timedelta(days=1) <= day}
        assert {day: statuses["scheduled"] for day, statuses in counted.items()} == within
        expected.clear()


def test_the_counted_calendar_takes_the_same_queries_for_few_posts_and_many(client, monkeypatch):
    from posts.views import lists

    monkeypatch.setattr(lists, "CALENDAR_POSTS_SHOWN", 0)
    logged_in(client, make_user(superuser=True))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            body = client.get(URL, {"date": "2026-12-01"}).content.decode()
        assert "calendar-day-count" in body
        return len(captured)

    zones = ["America/Chicago", "Asia/Tokyo", "Europe/London", "Asia/Kolkata"]
    make_post(franchise=make_franchise(timezone=zones[0]), status=Post.Status.SCHEDULED, scheduled_at=AT)
    few = queries()
    for n in range(40):
        franchise = make_franchise(timezone=zones[n % 4])
        make_post(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=AT + dt.timedelta(hours=n))
    assert queries() == few


def test_a_members_counted_calendar_counts_only_their_franchises_posts(client, two, monkeypatch):
    from posts.views import lists

    monkeypatch.setattr(lists, "CALENDAR_POSTS_SHOWN", 0)
    chicago, _tokyo, _posts = two
    # Another franchise in Chicago's own zone: same part of the count, not the member's.
    other = make_franchise(name="Other Chicago", timezone="America/Chicago")
    make_post(franchise=other, status=Post.Status.FAILED, scheduled_at=AT)
    make_post(franchise=chicago, status=Post.Status.PUBLISHED, scheduled_at=AT, published_at=AT)
    logged_in(client, make_member(chicago, Membership.Role.ADMIN))

    body = client.get(URL, {"date": "2026-12-01"}).content.decode()

    assert _counts(body) == {"2026-12-01": "2 posts: 1 scheduled, 1 published"}


def test_a_post_is_shown_at_its_publish_time_else_its_planned_time_whatever_wrote_it(two):
    chicago, _tokyo, posts = two
    post = posts["chicago"]
    # The database keeps shown_at, through a queryset update as through save().
    Post.objects.filter(pk=post.pk).update(published_at=AT + dt.timedelta(days=3), status=Post.Status.PUBLISHED)
    assert Post.objects.get(pk=post.pk).shown_at == AT + dt.timedelta(days=3)
    draft = make_post(franchise=chicago, status=Post.Status.DRAFT, scheduled_at=None)
    assert Post.objects.get(pk=draft.pk).shown_at is None
    draft.scheduled_at = AT
    draft.save()
    assert Post.objects.get(pk=draft.pk).shown_at == AT
