"""Exactly once under overlapping runners, faults and killed processes."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from gbp_scheduler.jobs import TimeBudget
from posts.models import Post
from posts.services.publishing import posts_publish_due
from testkit.factories import make_post
from testkit.google import (
    assert_each_post_on_google_once,
    franchise_connected_to_sandbox,
    franchises_connected_to_sandbox_bulk,
    posts_due_bulk,
)

ROOT = Path(__file__).resolve().parents[2]


def _due_posts(sandbox, *, franchises: int, per_franchise: int) -> list[Post]:
    connected = franchises_connected_to_sandbox_bulk(sandbox.client, count=franchises, name="Location")
    return posts_due_bulk(connected, count=franchises * per_franchise, summary="Post {n}: news worth sharing.")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_runners_publish_fifty_posts_exactly_once(sandbox, settings, caplog):
    """The seed's "Test Optimistic Locking", scaled: runs started at once on separate connections."""
    settings.PUBLISH_CONCURRENCY = 1  # each runner one connection, eight runners
    sandbox.client.latency(0.02, route="posts.create")
    posts = _due_posts(sandbox, franchises=10, per_franchise=5)
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def runner() -> None:
        try:
            start.wait()
            posts_publish_due(budget=TimeBudget(seconds=60))
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    with caplog.at_level(logging.INFO, logger="posts.services.publishing"):
        threads = [threading.Thread(target=runner) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)

    assert errors == []
    assert sandbox.client.calls("posts.create") == 50
    assert_each_post_on_google_once(sandbox, posts)
    assert "Lock acquired by another process" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_with_thirty_percent_of_google_calls_failing_every_post_ends_up_on_google_once(sandbox, settings):
    settings.PUBLISH_CONCURRENCY = 1
    settings.PUBLISH_MAX_ATTEMPTS = 50
    settings.GOOGLE_HTTP_TIMEOUT_SECONDS = 0.5
    posts = _due_posts(sandbox, franchises=4, per_franchise=5)
    mix = [
        {"action": "status", "status": 429, "retry_after": 1},
        {"action": "status", "status": 500},
        {"action": "status", "status": 503},
        {"action": "hang", "seconds": 1.0},
        {"action": "drop", "after_commit": True},
    ]
    for route in ("posts.create", "posts.list"):
        sandbox.client.chaos(route, 0.3, seed=7, mix=mix)

    runs = 0
    clock = timezone.now()
    while Post.objects.filter(status=Post.Status.SCHEDULED).exists():
        runs += 1
        assert runs <= 40, "not done after 40 runs"
        latest = Post.objects.filter(status=Post.Status.SCHEDULED).order_by("-next_attempt_at").first()
        clock = max(clock, latest.next_attempt_at or clock) + dt.timedelta(seconds=1)
        with time_machine.travel(clock, tick=True):
            posts_publish_due(budget=TimeBudget(seconds=60))

    sandbox.client.clear_faults()
    assert not Post.objects.filter(status=Post.Status.FAILED).exists()
    assert_each_post_on_google_once(sandbox, posts)
    assert sandbox.client.calls("posts.create") > len(posts)  # faults really happened


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_runner_killed_after_google_created_the_post_leaves_one_post_not_two(sandbox, settings):
    """SIGKILL a real `manage.py publish_scheduled` between Google's create and our write-back;
    after the lock goes stale, the next run finds the post on Google and adopts it."""
    franchise = franchise_connected_to_sandbox(sandbox)
    post = make_post(
        franchise=franchise,
        status=Post.Status.SCHEDULED,
        scheduled_at=timezone.now() - dt.timedelta(minutes=1),
        summary="Killed mid-publish, published once.",
    )
    sandbox.client.hang("posts.create", seconds=30, after_commit=True)  # created, answer withheld

    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "GOOGLE_API_BASE_URL": sandbox.url,
        "GOOGLE_CLIENT_ID": settings.GOOGLE_CLIENT_ID,
        "GOOGLE_CLIENT_SECRET": settings.GOOGLE_CLIENT_SECRET,
        "GOOGLE_HTTP_TIMEOUT_SECONDS": "60",
    }
    runner = subprocess.Popen(
        [sys.executable, "manage.py", "publish_scheduled"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while not sandbox.client.posts() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sandbox.client.posts(), "the runner never reached Google"
        os.kill(runner.pid, signal.SIGKILL)
    finally:
        runner.wait(10)
    assert runner.returncode == -signal.SIGKILL

    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED and post.publishing_at is not None  # died holding the lock

    sandbox.client.clear_faults()
    assert posts_publish_due(budget=TimeBudget(seconds=60))["skipped_locked"] == 0  # young lock: not due yet
    stale = post.publishing_at + dt.timedelta(seconds=settings.PUBLISH_LOCK_TIMEOUT_SECONDS + 1)
    with time_machine.travel(stale, tick=True):
        counts = posts_publish_due(budget=TimeBudget(seconds=60))

    post.refresh_from_db()
    assert counts["reconciled"] == 1
    assert post.status == Post.Status.PUBLISHED
    assert len(sandbox.client.posts(include_deleted=False)) == 1
    assert sandbox.client.calls("posts.create") == 1
