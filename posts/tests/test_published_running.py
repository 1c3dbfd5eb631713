"""Each franchise's published posts counted through each UTC day (PostPublishedRunning) stay what
the posts give, read as the ranking reads them, whatever path changes the posts: the services, bulk
updates, raw SQL (which moves a post to another franchise), deletes, the Django admin and the
publish job; and the rows run day by day from each franchise's first to its one last row."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db.models import F

from posts.models import Post
from posts.published_running import (
    posts_published_by_day,
    posts_published_running_kept,
    posts_published_through,
)
from testkit.factories import make_franchise, make_post
from testkit.post_changes import post_change_at_random, post_time_at_random, publish_due_and_delete_in_admin

pytestmark = pytest.mark.django_db

ZONES = ["America/New_York", "Asia/Kolkata", "UTC"]


def _assert_kept_equal_to_the_posts(message: str = "") -> None:
    kept, dense = posts_published_running_kept()
    assert all(dense.values()), message
    counted = posts_published_by_day()
    days = {day for theirs in [*kept.values(), *counted.values()] for day in theirs}
    if not days:
        return
    first, last = min(days) - dt.timedelta(days=1), max(days) + dt.timedelta(days=2)
    for franchise_id in kept.keys() | counted.keys():
        day = first
        while day <= last:
            expected = sum(n for at, n in counted.get(franchise_id, {}).items() if at <= day)
            assert posts_published_through(kept, franchise_id, day) == expected, (message, franchise_id, day)
            day += dt.timedelta(days=1)


def _publish(franchise, at: dt.datetime, delay: dt.timedelta = dt.timedelta(seconds=30)) -> Post:
    return make_post(franchise=franchise, status=Post.Status.PUBLISHED, scheduled_at=at, published_at=at + delay)


@pytest.mark.parametrize("seed", range(3))
def test_random_changes_through_each_path_keep_the_counts_equal_to_the_posts(seed):
    rnd = random.Random(seed)
    franchises = [make_franchise(timezone=zone) for zone in ZONES]
    for _ in range(12):
        at = post_time_at_random(rnd)
        if rnd.random() < 0.5:
            _publish(rnd.choice(franchises), at, dt.timedelta(seconds=rnd.randrange(0, 600)))
        else:
            make_post(franchise=rnd.choice(franchises), status=Post.Status.SCHEDULED, scheduled_at=at)
    _assert_kept_equal_to_the_posts()
    for _ in range(60):
        path = post_change_at_random(rnd, franchises, zones=ZONES)
        if rnd.random() < 0.2:
            path = "publish days apart"
            moved = Post.objects.filter(pk__in=[p.pk for p in Post.objects.order_by("?")[:2]])
            moved.update(
                status=Post.Status.PUBLISHED, published_at=F("created_at") - dt.timedelta(days=rnd.randrange(-9, 40))
            )
        _assert_kept_equal_to_the_posts(f"after {path}")
    franchises[0].delete()  # with its posts
    _assert_kept_equal_to_the_posts("after a franchise's deletion")


def test_the_admin_and_the_publish_job_keep_the_counts_equal_to_the_posts(admin_client, sandbox, settings):
    settings.PUBLISH_CONCURRENCY = 1  # one transaction shared with the test
    counts, response, due, _gone = publish_due_and_delete_in_admin(admin_client, sandbox)
    assert counts["published"] == len(due) and response.status_code == 302
    _assert_kept_equal_to_the_posts()
    kept, _dense = posts_published_running_kept()
    assert sum(max(theirs.values()) for theirs in kept.values()) == 3
