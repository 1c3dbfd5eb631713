"""The quota plan (franchises/google/quota_plan.py): publishing first, the other jobs sharing what
is left in order, each at the most frequent cadence that fits; and the System page showing it."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from franchises.google.quota_plan import Need, plan_compute, runs_per_day
from gbp_scheduler.jobs import TimeBudget
from posts.models import Post
from posts.services import google_posts_sync, posts_publish_due
from posts.services.google_sync import google_sync_needs
from testkit.factories import make_user
from testkit.google import franchises_connected_to_sandbox_bulk, posts_due_bulk
from testkit.web import logged_in

HOURLY, DAILY_RUNS = 24.0, 12.0


def _plan(locations: int, *, quota: int = 300, posts_a_week: int | None = None):
    posts = 2 * locations if posts_a_week is None else posts_a_week
    return plan_compute(
        quota_per_minute=quota,
        publishing=Need("posts", "posts", posts, 1.0, (168,)),
        locations=locations,
        needs=[
            ("sync", Need("recent", "post states", locations, 1.0, (1, 2, 3, 4, 6, 8, 12, 24)), HOURLY),
            ("sync", Need("settled", "old post states", locations // 10, 1.0, (24, 48)), HOURLY),
            ("insights", Need("daily", "insights", locations, 1.0, (24, 36, 48)), DAILY_RUNS),
        ],
        run_seconds=240,
    )


def test_a_small_group_gets_the_most_frequent_cadences():
    plan = _plan(500)
    assert [s.every_hours for s in plan.shares] == [1, 24, 24]
    assert all(s.fits for s in plan.shares)
    assert plan.shares[0].per_minute == pytest.approx(500 / 60)


def test_a_big_group_stretches_the_cadences_to_what_the_quota_and_the_runs_can_do():
    """10,000 locations: an hourly sync would need 167 requests a minute, and one run an hour of
    240 s makes at most 240 x 285 / 60 = 1,143 requests: every 12 h fits (833 a round)."""
    plan = _plan(10_000)
    recent, settled, insights = plan.shares
    assert recent.every_hours == 12 and recent.per_minute == pytest.approx(10_000 / 720)
    assert settled.every_hours == 24
    assert insights.every_hours == 24
    assert plan.publishing_per_minute == pytest.approx(20_000 / (168 * 60))
    assert plan.burst_minutes == pytest.approx(10_000 / (300 / 1.05))
    # Due again 22 h after a run (a day less the 2 h between runs), served by the next run: 24 h
    # after the last, at worst at the end of that run; an announcement (35 min) can take one run.
    assert insights.worst_stale_hours == pytest.approx(24 + 240 / 3600 + 2)


@pytest.mark.parametrize(
    ("runs_a_day", "worst"),
    [
        (24, 1 + 240 / 3600 + 1),  # hourly: the run an announcement covers is lost, an hour
        (72, 1 + 240 / 3600 + 2 / 3),  # every 20 min: two runs lost, 40 min
    ],
)
def test_reviews_of_10_000_locations_are_at_worst_a_cadence_a_run_and_the_runs_a_burst_takes_stale(runs_a_day, worst):
    """Reviews at 10,000 locations (50 a request), served hourly. An announcement to every location
    holds the others back 35 min, past a run's 4 min budget: the runs it covers serve nothing. With
    a run every 20 minutes a new review is in the database within 2 h whenever it comes."""
    plan = plan_compute(
        quota_per_minute=300,
        publishing=Need("posts", "posts", 20_000, 1.0, (168,)),
        locations=10_000,
        needs=[("sync-reviews", Need("reviews", "reviews", 10_000, 1 / 50, (1, 2, 3)), runs_a_day)],
        run_seconds=240,
    )
    (reviews,) = plan.shares
    assert reviews.every_hours == 1
    assert reviews.worst_stale_hours == pytest.approx(worst)
    assert (reviews.worst_stale_hours < 2) == (runs_a_day == 72)


def test_publishing_comes_first_and_the_jobs_share_the_rest_in_order():
    """A quota publishing nearly fills: the first job takes what is left, the next one gets the
    least frequent cadence and says it does not fit."""
    plan = _plan(1_000, quota=60, posts_a_week=503_300)
    left_for_others = 60 / 1.05 * 0.9 - 503_300 / (168 * 60)  # 1.5 a minute
    recent, settled, insights = plan.shares
    assert recent.every_hours == 12 and recent.per_minute <= left_for_others < 1_000 / (8 * 60)
    assert settled.fits
    assert not insights.fits and insights.every_hours == 48


def test_runs_a_day_of_the_jobs_schedules():
    assert runs_per_day("7 * * * *") == 24
    assert runs_per_day("*/15 * * * *") == 96
    assert runs_per_day("23 6-17 * * *") == 12
    assert runs_per_day("37 9 5-7 * *") == 1
    assert runs_per_day("7,37 */2 * * *") == 24


@pytest.mark.django_db
def test_the_system_page_shows_the_plan_for_the_group(client, sandbox, settings):
    settings.GOOGLE_REQUESTS_PER_MINUTE = 300
    franchises_connected_to_sandbox_bulk(sandbox.client, count=3, name="Bakery", shared=True)
    body = logged_in(client, make_user(superuser=True)).get(reverse("dashboard:system")).content.decode()
    head = re.search(r'<p class="muted" id="quota-plan-head">(.*?)</p>', body, re.S).group(1)
    assert "300 requests a minute configured" in head
    row = re.search(r'<tr id="quota-fetch-insights-daily".*?</tr>', body, re.S).group(0)
    assert re.search(r'data-label="Locations">3<', row) and re.search(r'data-label="Every">24 h', row)


@pytest.mark.django_db
def test_a_sync_run_logs_the_plan_and_its_own_lines(sandbox, caplog):
    franchises_connected_to_sandbox_bulk(sandbox.client, count=2, name="Bakery", shared=True)
    with caplog.at_level(logging.INFO, logger="franchises.google.quota_plan"):
        google_posts_sync(budget=TimeBudget(seconds=10))
    lines = [r.getMessage() for r in caplog.records if r.name == "franchises.google.quota_plan"]
    assert lines[0].startswith("quota plan: ") and "configured" in lines[0]
    assert [line.split(":")[1].split()[0] for line in lines[1:]] == ["sync-google-posts"] * 2


@pytest.mark.django_db
def test_the_sync_declares_locations_with_recent_posts_apart_from_the_others(sandbox, settings):
    settings.PUBLISH_CONCURRENCY = 1  # runs in this thread: SQLite's test database is this connection's
    fresh, settled = franchises_connected_to_sandbox_bulk(sandbox.client, count=2, name="Bakery", shared=True)
    posts_due_bulk([fresh, settled], count=2)
    posts_publish_due(budget=TimeBudget(seconds=60))
    Post.objects.filter(franchise=settled).update(published_at=timezone.now() - dt.timedelta(days=21))

    needs = {need.key: need for need in google_sync_needs()}

    assert (needs["recent"].items, needs["settled"].items) == (1, 1)
    assert needs["recent"].every_hours[0] == 1 and needs["settled"].every_hours[0] == 24
