"""Downloads: the posts list and the calendar as CSV, the calendar as iCalendar, the Results figures
as CSV; each only what the user may see, times in each franchise's zone, and a cell a spreadsheet
would run as a formula defused."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from franchises.models import Membership
from insights.models import DailyMetric
from insights.running import views_running_recount
from posts.models import Post
from posts.services.imports import posts_import_check
from testkit.factories import make_franchise, make_member, make_post, make_user
from testkit.web import logged_in

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def _rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


@pytest.fixture
def two_franchises():
    mine = make_franchise(name="Austin", timezone="America/Chicago")
    other = make_franchise(name="Boston", timezone="America/New_York")
    at = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(days=1)
    make_post(franchise=mine, summary="Austin's post.", status=Post.Status.SCHEDULED, scheduled_at=at)
    make_post(franchise=mine, summary='=HYPERLINK("https://evil.example")')
    make_post(franchise=other, summary="Boston's post.", status=Post.Status.SCHEDULED, scheduled_at=at)
    return mine, other, at


def test_the_posts_csv_has_only_the_users_posts_in_their_franchises_time(client, two_franchises):
    mine, _other, at = two_franchises
    logged_in(client, make_member(mine, Membership.Role.STAFF))
    rows = _rows(client.get(reverse("posts:list_csv")))
    assert sorted(row["text"] for row in rows) == ['\'=HYPERLINK("https://evil.example")', "Austin's post."]
    scheduled = next(row for row in rows if row["text"] == "Austin's post.")
    assert scheduled["publish_at"] == timezone.localtime(at, mine.zone).strftime("%Y-%m-%d %H:%M")
    assert (scheduled["franchise"], scheduled["state"], scheduled["time_zone"]) == (
        "Austin",
        "Waiting: not connected to Google",
        "America/Chicago",
    )


def test_the_posts_csv_keeps_the_lists_filters_and_another_franchise_is_not_found(client, two_franchises):
    mine, other, _at = two_franchises
    logged_in(client, make_user(superuser=True))
    rows = _rows(client.get(reverse("posts:list_csv"), {"franchise": str(other.pk)}))
    assert [row["text"] for row in rows] == ["Boston's post."]
    rows = _rows(client.get(reverse("posts:list_csv"), {"status": "draft"}))
    assert [row["franchise"] for row in rows] == ["Austin"]
    logged_in(client, make_member(mine, Membership.Role.STAFF))
    assert client.get(reverse("posts:list_csv"), {"franchise": str(other.pk)}).status_code == 404


def test_an_exported_row_reads_back_through_the_importer(client, two_franchises):
    mine, _other, _at = two_franchises
    admin = make_member(mine, Membership.Role.ADMIN)
    logged_in(client, admin)
    response = client.get(reverse("posts:list_csv"), {"status": "scheduled"})
    text = b"".join(response.streaming_content).decode("utf-8")
    columns = ["franchise", "type", "text", "publish_at", "cta_action_type", "cta_url", "media_url"]
    rows = [{name: row[name] for name in columns} for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))]
    again = io.StringIO()
    writer = csv.DictWriter(again, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    check = posts_import_check(user=admin, text=again.getvalue())
    assert check.ok and check.rows[0].post.summary == "Austin's post."


def test_the_calendar_csv_and_ical_hold_the_posts_of_its_days_only_the_users(client, two_franchises):
    mine, _other, at = two_franchises
    make_post(
        franchise=mine, summary="Next year.", status=Post.Status.SCHEDULED, scheduled_at=at + dt.timedelta(days=400)
    )
    logged_in(client, make_member(mine, Membership.Role.STAFF))
    query = {"view": "month", "date": timezone.localtime(at, mine.zone).date().isoformat()}
    rows = _rows(client.get(reverse("posts:calendar_csv"), query))
    assert [row["text"] for row in rows] == ["Austin's post."]
    response = client.get(reverse("posts:calendar_ics"), query)
    assert response["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert str(event["summary"]) == "Austin: Austin's post."
    assert event.decoded("dtstart") == at.astimezone(UTC)
    post = Post.objects.get(summary="Austin's post.")
    assert str(event["uid"]) == f"{post.pk}@gbp-post-scheduler"
    assert str(event["url"]).endswith(reverse("posts:detail", args=[post.pk]))


def test_the_calendar_downloads_of_another_franchise_are_not_found(client, two_franchises):
    mine, other, _at = two_franchises
    logged_in(client, make_member(mine, Membership.Role.STAFF))
    for name in ("posts:calendar_csv", "posts:calendar_ics"):
        assert client.get(reverse(name), {"franchise": str(other.pk)}).status_code == 404


def test_the_results_csv_has_a_row_a_day_and_the_ranking_only_the_users_franchises(client, two_franchises):
    mine, _other, _at = two_franchises
    day = timezone.localdate() - dt.timedelta(days=3)
    DailyMetric.objects.create(
        franchise=mine, metric="BUSINESS_IMPRESSIONS_MOBILE_SEARCH", day=day, value=42, fetched_at=timezone.now()
    )
    views_running_recount(franchise_ids=[mine.pk])  # the ranking reads the figures' running totals
    logged_in(client, make_member(mine, Membership.Role.STAFF))
    rows = _rows(client.get(reverse("insights:franchise_csv", args=[mine.pk])))
    assert len(rows) == 90
    assert next(row for row in rows if row["day"] == day.isoformat())["Views on Google"] == "42"
    ranking = _rows(client.get(reverse("insights:ranking_csv")))
    assert [row["franchise"] for row in ranking] == ["Austin"]
