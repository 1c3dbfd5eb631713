"""The activity page: a franchise user's week in their words (what went out, what did not and why,
what waits), their franchises only, without the operators' tokens, costs or percentiles."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise, make_member, make_post
from testkit.web import logged_in

pytestmark = pytest.mark.django_db

ACTIVITY = "/activity/"
LIVE = {"google_refresh_token": "1//t", "google_account_id": "1"}


def ago(**delta) -> dt.datetime:
    return timezone.now() - dt.timedelta(**delta)


def week(franchise, *, n: int = 1) -> dict[str, Post]:
    posts = {}
    for i in range(n):
        posts[f"out{i}"] = make_post(
            franchise=franchise,
            status=Post.Status.PUBLISHED,
            scheduled_at=ago(days=2, minutes=5),
            published_at=ago(days=2),
            summary=f"Spring menu {i}",
        )
    posts["rejected"] = make_post(
        franchise=franchise,
        status=Post.Status.PUBLISHED,
        scheduled_at=ago(days=1, hours=1),
        published_at=ago(days=1),  # an hour late: not "on time"
        google_state="REJECTED",
        summary="Best prices, guaranteed!",
    )
    posts["failed"] = make_post(
        franchise=franchise, status=Post.Status.FAILED, last_error="Google could not fetch the photo.", summary="Oven"
    )
    posts["missed"] = make_post(
        franchise=franchise,
        status=Post.Status.DRAFT,
        scheduled_at=ago(hours=3),
        held_reason="Its time passed while Google access was broken.",
        summary="Open house",
    )
    posts["ahead"] = make_post(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=ago(days=-2))
    return posts


def test_a_staff_member_reads_their_week_in_plain_words(client):
    bakery = make_franchise(name="Bakery", google_location_id="11", **LIVE)
    other = make_franchise(name="Other Shop", google_location_id="12", **LIVE)
    mine = week(bakery)
    week(other)
    make_post(franchise=bakery, status=Post.Status.DRAFT, source=Post.Source.AI)
    page = logged_in(client, make_member(bakery, Membership.Role.STAFF)).get(ACTIVITY).content.decode()

    summary = page.split('id="activity-summary">', 1)[1].split("</p>", 1)[0]
    assert "2 posts went out</strong> on Google (1 on time, within 15 minutes)" in summary
    assert "1 did not" in summary and "1 waits" in summary and "1 more is planned for the next 7 days" in summary
    went_out = page.split('id="activity-went-out"', 1)[1].split("</section>", 1)[0]
    assert "Spring menu 0" in went_out and "Rejected by Google" in went_out
    failed = page.split('id="activity-failed"', 1)[1].split("</section>", 1)[0]
    assert "Why: Google could not fetch the photo." in failed and "Fix and retry" in failed
    waiting = page.split('id="activity-waiting"', 1)[1].split("</section>", 1)[0]
    assert "Missed its time" in waiting and "Publish it now or pick a new time." in waiting
    assert "1 AI draft waiting for review" in waiting
    assert f"/posts/{mine['missed'].pk}/" in waiting
    # Their franchise only; none of the operators' figures.
    assert "Other Shop" not in page
    main = page.split("<main", 1)[1]
    for operators in ("token", "95th", "percentile", "$", "cost"):
        assert operators not in main.lower()


def test_posts_held_back_by_their_franchise_say_why(client):
    franchise = make_franchise(name="Columbus", google_location_id="13", google_auth_valid=False, **LIVE)
    make_post(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=ago(minutes=5), summary="Due now")
    page = logged_in(client, make_member(franchise, Membership.Role.ADMIN)).get(ACTIVITY).content.decode()
    waiting = page.split('id="activity-waiting"', 1)[1].split("</section>", 1)[0]
    assert "Due now" in waiting and "Waiting: reconnect Google" in waiting and "Reconnect Google" in waiting


def test_the_page_takes_the_same_queries_for_a_few_posts_or_many(client):
    franchise = make_franchise(name="Bakery", google_location_id="14", **LIVE)
    logged_in(client, make_member(franchise, Membership.Role.STAFF))
    week(franchise)
    client.get(ACTIVITY)
    with CaptureQueriesContext(connection) as few:
        client.get(ACTIVITY)
    week(franchise, n=20)
    with CaptureQueriesContext(connection) as many:
        assert "Spring menu 19" in client.get(ACTIVITY).content.decode()
    assert len(many) == len(few)
