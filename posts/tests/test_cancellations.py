"""Cancelled while a publish attempt holds it ("cancel all", a series ended): the row remembers,
so an attempt that does not put the post on Google is the last (PostgreSQL, real threads)."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from gbp_scheduler.jobs import TimeBudget
from posts.models import Post, PostSeries
from posts.services import announcement_schedule, post_publish
from posts.services.announcements import announcement_cancel_all
from posts.services.publishing import posts_publish_due
from posts.services.series import series_create, series_end, series_rule_build
from testkit.factories import make_user
from testkit.google import assert_google_mirrors_database, franchise_connected_to_sandbox

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _while_its_create_fails_slowly(sandbox, post: Post, act) -> str:
    """Publish `post` on a thread whose create Google answers with a 503 after a while; `act`
    once the attempt holds the post. The attempt's outcome."""
    sandbox.client.latency(1.0, route="posts.create")
    sandbox.client.fail("posts.create", 503)
    outcome: list = []

    def attempt() -> None:
        try:
            outcome.append(post_publish(post=Post.objects.get(pk=post.pk)).outcome)
        finally:
            connection.close()

    thread = threading.Thread(target=attempt)
    thread.start()
    while thread.is_alive() and not Post.objects.filter(pk=post.pk, publishing_at__isnull=False).exists():
        time.sleep(0.02)
    assert thread.is_alive(), f"the attempt ended without holding the post: {outcome}"
    act()
    thread.join(30)
    sandbox.client.latency(0.0, route="posts.create")
    return outcome[0]


def _runs_after_every_retry() -> None:
    with time_machine.travel(timezone.now() + dt.timedelta(hours=7), tick=True):
        posts_publish_due(budget=TimeBudget(seconds=30))


def test_a_post_cancelled_with_its_announcement_during_a_failed_attempt_is_never_published(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    (post,) = announcement_schedule(
        franchises=[franchise],
        template="Holiday hours at {name}.",
        date=timezone.localdate(),
        local_time=dt.time(0, 0),
        user=make_user(superuser=True),
    )
    counts: dict = {}
    # Today's midnight in the franchise's zone is still ahead from midnight UTC until that zone's.
    Post.objects.filter(pk=post.pk).update(scheduled_at=timezone.now() - dt.timedelta(minutes=1))  # due now

    outcome = _while_its_create_fails_slowly(
        sandbox, post, lambda: counts.update(announcement_cancel_all(announcement=post.announcement, user=None))
    )

    assert (outcome, counts["busy"]) == ("deferred", 1)
    _runs_after_every_retry()
    assert not Post.objects.filter(pk=post.pk).exists()
    assert sandbox.client.posts(include_deleted=False) == []
    assert_google_mirrors_database(sandbox)


def test_a_post_of_a_series_ended_during_a_failed_attempt_is_never_published(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox, timezone="UTC")
    series = series_create(
        franchise=franchise,
        user=None,
        rule=series_rule_build(frequency="weekly", weekdays=["MO", "TU", "WE", "TH", "FR", "SA", "SU"]),
        starts_on=timezone.localdate(),
        local_time=dt.time(23, 59),
        summary="Daily special.",
    )
    post = Post.objects.filter(series=series).order_by("scheduled_at").first()
    counts: dict = {}

    def end() -> None:
        counts.update(series_end(series=PostSeries.objects.get(pk=series.pk), user=None))

    Post.objects.filter(pk=post.pk).update(scheduled_at=timezone.now() - dt.timedelta(minutes=1))  # due now
    outcome = _while_its_create_fails_slowly(sandbox, post, end)

    assert (outcome, counts["busy"]) == ("deferred", 1)
    _runs_after_every_retry()
    assert not Post.objects.filter(series=series).exists()
    assert_google_mirrors_database(sandbox)
