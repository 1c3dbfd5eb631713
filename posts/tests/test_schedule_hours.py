"""The posts counted by hour scheduled, status and failure reason with their delays
(PostScheduleHour), and the published ones by hour and delay bucket (PostDelayHour), stay what a
recount from the posts gives, whatever path changes the posts: the services, bulk updates, raw SQL,
deletes, the Django admin and the publish job; a window's counts and failures by reason read from
them are the posts' own, and its delays' percentiles within a bucket's width of the exact ones."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db.models import Count, DurationField, ExpressionWrapper, F, Sum
from django.utils import timezone

from posts.models import Post
from posts.schedule_hours import (
    delay_bucket,
    delay_percentiles,
    post_delay_hours_kept,
    post_delay_hours_recount,
    post_schedule_hours_kept,
    post_schedule_hours_recount,
    posts_delays_by_bucket,
    posts_failed_by_reason,
    posts_scheduled_by_status,
)
from testkit.factories import make_franchise, make_post
from testkit.post_changes import post_change_at_random, post_time_at_random, publish_due_and_delete_in_admin

pytestmark = pytest.mark.django_db

ZONES = ["America/New_York", "Asia/Kolkata", "UTC"]


def _counted_from_posts(since: dt.datetime, until: dt.datetime) -> dict:
    delay = ExpressionWrapper(F("published_at") - F("scheduled_at"), output_field=DurationField())
    rows = Post.objects.filter(scheduled_at__gte=since, scheduled_at__lte=until).order_by().values("status")
    return {
        row["status"]: (row["n"], row["timed"], row["delay"] or dt.timedelta())
        for row in rows.annotate(n=Count("*"), timed=Count("published_at"), delay=Sum(delay))
    }


def _counted_from_hours(since: dt.datetime, until: dt.datetime) -> dict:
    return {status: tuple(sums) for status, sums in posts_scheduled_by_status(since=since, until=until).items()}


def _reasons_from_posts(since: dt.datetime, until: dt.datetime) -> list[tuple[str, int]]:
    failed = Post.objects.filter(scheduled_at__gte=since, scheduled_at__lte=until, status=Post.Status.FAILED)
    rows = failed.values("last_error").annotate(n=Count("*")).order_by("-n", "last_error")
    return list(rows.values_list("last_error", "n"))


def _fail_some(rnd: random.Random) -> None:
    """Posts failing (or failed ones failing again) with one of a few reasons, in one bulk update."""
    ids = list(Post.objects.filter(scheduled_at__isnull=False).values_list("pk", flat=True))
    chosen = rnd.sample(ids, min(2, len(ids)))
    reason = rnd.choice(["", "Google quota exhausted", "Invalid argument", "Zz last"])
    Post.objects.filter(pk__in=chosen).update(status=Post.Status.FAILED, last_error=reason)


@pytest.mark.parametrize("seed", range(3))
def test_random_changes_through_each_path_keep_the_hours_equal_to_a_recount(seed):
    rnd = random.Random(seed)
    franchises = [make_franchise(timezone=zone) for zone in ZONES]
    for _ in range(12):
        at = post_time_at_random(rnd)
        published = rnd.random() < 0.5
        make_post(
            franchise=rnd.choice(franchises),
            status=Post.Status.PUBLISHED if published else Post.Status.SCHEDULED,
            scheduled_at=at,
            published_at=at + dt.timedelta(seconds=rnd.randrange(0, 600), microseconds=rnd.randrange(10**6))
            if published
            else None,
        )
    assert post_schedule_hours_kept() == post_schedule_hours_recount()
    assert post_delay_hours_kept() == post_delay_hours_recount()

    for _ in range(60):
        if rnd.random() < 0.2:
            path = "fail"
            _fail_some(rnd)
        else:
            path = post_change_at_random(rnd, franchises, zones=ZONES)
        assert post_schedule_hours_kept() == post_schedule_hours_recount(), f"after {path}"
        assert post_delay_hours_kept() == post_delay_hours_recount(), f"after {path}"
        since = timezone.now() - dt.timedelta(days=rnd.randrange(1, 4), minutes=rnd.randrange(60 * 24))
        until = since + dt.timedelta(days=rnd.randrange(0, 20), minutes=rnd.randrange(60 * 24))
        assert _counted_from_hours(since, until) == _counted_from_posts(since, until), f"after {path}"
        assert posts_failed_by_reason(since=since, until=until) == _reasons_from_posts(since, until), f"after {path}"
    franchises[0].delete()  # with its posts
    assert post_schedule_hours_kept() == post_schedule_hours_recount()
    assert post_delay_hours_kept() == post_delay_hours_recount()


def test_a_window_within_an_hour_or_on_whole_hours_counts_its_posts(settings):
    franchise = make_franchise()
    hour = dt.datetime(2026, 12, 1, 15, tzinfo=dt.UTC)
    for minutes in (0, 20, 59, 60, 61, 120):
        at = hour + dt.timedelta(minutes=minutes)
        make_post(franchise=franchise, status=Post.Status.PUBLISHED, scheduled_at=at, published_at=at)
    windows = [
        (hour, hour + dt.timedelta(minutes=30)),
        (hour, hour + dt.timedelta(hours=1)),
        (hour + dt.timedelta(minutes=20), hour + dt.timedelta(hours=2)),
        (hour - dt.timedelta(hours=1), hour + dt.timedelta(hours=3)),
    ]
    for since, until in windows:
        assert _counted_from_hours(since, until) == _counted_from_posts(since, until), (since, until)
    assert _counted_from_hours(hour, hour + dt.timedelta(hours=1))[Post.Status.PUBLISHED][0] == 4


def _exact_percentile(values: list[int], fraction: float) -> tuple[float, int]:
    """percentile_cont by its definition (linear interpolation at position fraction * (n - 1)),
    and the width of the buckets of the two delays it lies between (microseconds)."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    hour = 3600 * 10**6
    width = 10**6 if all(-hour <= ordered[n] < hour for n in (low, high)) else 60 * 10**6
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low), width


def test_the_buckets_are_seconds_within_an_hour_either_way_and_minutes_beyond():
    second, hour = 10**6, 3600 * 10**6
    assert [delay_bucket(d) for d in (0, 1, second - 1, second, 30 * second + 500)] == [0, 0, 0, 1, 30]
    assert [delay_bucket(d) for d in (-1, -second, -second - 1, -hour, -hour - 1)] == [-1, -1, -2, -3600, -3660]
    assert [delay_bucket(d) for d in (hour - 1, hour, hour + 59 * second, hour + 60 * second)] == [
        3599,
        3600,
        3600,
        3660,
    ]


@pytest.mark.parametrize("seed", range(3))
def test_a_windows_delay_percentiles_from_the_buckets_are_within_a_bucket_of_the_exact_ones(seed):
    """Delays to the microsecond, early and late, some over an hour: the figures from the buckets
    are within a second of the exact ones between delays under an hour, a minute beyond; and a
    window of equal delays gives them exactly."""
    rnd = random.Random(seed)
    franchise = make_franchise()
    now = timezone.now()
    delays = []
    for _ in range(rnd.randrange(40, 120)):
        at = now - dt.timedelta(minutes=rnd.randrange(10, 3 * 24 * 60))
        long = rnd.random() < 0.1
        delay_us = rnd.randrange(3600 * 10**6, 30 * 3600 * 10**6) if long else rnd.randrange(-30 * 10**6, 900 * 10**6)
        delays.append(delay_us)
        make_post(
            franchise=franchise,
            status=Post.Status.PUBLISHED,
            scheduled_at=at,
            published_at=at + dt.timedelta(microseconds=delay_us),
        )
    since, until = now - dt.timedelta(days=3, minutes=7), now
    buckets = posts_delays_by_bucket(since=since, until=until)
    assert sum(posts for posts, _sum in buckets.values()) == len(delays)
    for fraction, figure in zip([0.5, 0.9, 0.95, 1.0], delay_percentiles(buckets, [0.5, 0.9, 0.95, 1.0]), strict=True):
        exact, width = _exact_percentile(delays, fraction)
        assert abs(figure / dt.timedelta(microseconds=1) - exact) < width, (fraction, figure, exact)

    Post.objects.update(published_at=F("scheduled_at") + dt.timedelta(seconds=30, microseconds=123))
    same = delay_percentiles(posts_delays_by_bucket(since=since, until=until), [0.5, 0.95])
    assert same == [dt.timedelta(seconds=30, microseconds=123)] * 2
    assert delay_percentiles({}, [0.5]) == [None]


def test_the_admin_and_the_publish_job_keep_the_hours_equal_to_a_recount(admin_client, sandbox, settings):
    settings.PUBLISH_CONCURRENCY = 1  # one transaction shared with the test
    counts, response, due, _gone = publish_due_and_delete_in_admin(admin_client, sandbox)

    assert counts["published"] == len(due) and response.status_code == 302
    kept = post_schedule_hours_kept()
    assert kept == post_schedule_hours_recount()
    assert post_delay_hours_kept() == post_delay_hours_recount()
    assert sum(posts for (_hour, status, _r), (posts, _t, _d) in kept.items() if status == Post.Status.PUBLISHED) == 3
