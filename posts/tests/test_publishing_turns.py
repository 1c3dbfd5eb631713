"""Which due posts a publish run takes first (selectors.posts_due_in_turn): a location's own post
before an announcement's backlog, each franchise's posts still in scheduled order."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from gbp_scheduler.jobs import TimeBudget
from posts.models import Announcement, Post
from posts.selectors import FRESH
from posts.services.publishing import posts_publish_due
from testkit.google import assert_each_post_on_google_once, franchises_connected_to_sandbox_bulk

BACKLOG = 30


def _announcement_backlog_and_own_posts(sandbox) -> tuple[list[Post], Post, Post]:
    """An announcement's posts to 30 franchises, due longer ago than FRESH, and two posts due a
    minute ago that are no announcement's: one of a franchise without an announcement post (the
    lone post) and one of a franchise with one (the second post)."""
    franchises = franchises_connected_to_sandbox_bulk(sandbox.client, count=BACKLOG + 1, name="Turn", shared=True)
    now = timezone.now()
    announcement = Announcement.objects.create(
        summary="{name}: spring opening.", date=now.date(), local_time=dt.time(9, 0), franchise_count=BACKLOG
    )
    backlog = Post.objects.bulk_create(
        Post(
            franchise=franchise,
            status=Post.Status.SCHEDULED,
            scheduled_at=now - FRESH - dt.timedelta(minutes=5),
            summary=f"{franchise.name}: spring opening.",
            announcement=announcement,
        )
        for franchise in franchises[:BACKLOG]
    )
    lone = Post.objects.create(
        franchise=franchises[BACKLOG],
        status=Post.Status.SCHEDULED,
        scheduled_at=now - dt.timedelta(minutes=1, seconds=1),
        summary="Our own news.",
    )
    second = Post.objects.create(
        franchise=franchises[0],
        status=Post.Status.SCHEDULED,
        scheduled_at=now - dt.timedelta(minutes=1),
        summary="Our own news too.",
    )
    return backlog, lone, second


def _created_in_order(sandbox) -> list[str]:
    """The texts of the posts Google created, in the order it created them."""
    return [item["summary"] for item in sandbox.client.posts(include_deleted=False)]


@pytest.mark.django_db(transaction=True)
def test_a_run_publishes_a_locations_own_post_before_an_older_announcement_backlog(sandbox, settings):
    """One run, one post at a time: the lone post goes first; the franchise with an announcement
    post sends that one before its own later post, which waits its franchise's turn."""
    settings.PUBLISH_CONCURRENCY = 1
    backlog, lone, second = _announcement_backlog_and_own_posts(sandbox)

    counts = posts_publish_due(budget=TimeBudget(seconds=120))

    assert counts["published"] == BACKLOG + 2
    order = _created_in_order(sandbox)
    assert order[0] == lone.summary
    assert order.index(backlog[0].summary) < order.index(second.summary)
    assert_each_post_on_google_once(sandbox, [*backlog, lone, second])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_overlapping_runs_on_a_small_quota_take_a_locations_own_post_ahead_of_the_backlog(sandbox, settings):
    """Two runs started at once in threads, on a quota of 60 a minute (the sandbox counting it
    over six seconds): the lone post is among the first two creates, every post goes out once,
    and nothing is answered 429."""
    settings.PUBLISH_CONCURRENCY = 1  # each run one connection: two runs, two posts in flight
    settings.GOOGLE_REQUESTS_PER_MINUTE = 60
    settings.GOOGLE_QUOTA_WINDOW_SECONDS = 6
    sandbox.client.set_quota(60, window_seconds=6)
    sandbox.client.latency(0.05, route="posts.create")
    backlog, lone, second = _announcement_backlog_and_own_posts(sandbox)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            posts_publish_due(budget=TimeBudget(seconds=120))
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert lone.summary in _created_in_order(sandbox)[:2]
    assert sandbox.client.calls("posts.create", 429) == 0
    assert_each_post_on_google_once(sandbox, [*backlog, lone, second])
