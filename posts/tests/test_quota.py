"""Publishing at Google's quota: every process together stays under GOOGLE_REQUESTS_PER_MINUTE,
and a run keeps enough posts in flight to use it, never more than PUBLISH_CONCURRENCY.

The sandbox counts its quota over a window of a few seconds here (the per-minute limit scaled to it),
so a burst above the rate answers 429 within seconds, as Google's per-minute quota would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from gbp_scheduler.jobs import TimeBudget
from posts.models import Post
from posts.services import posts_publish_due
from testkit.google import franchises_connected_to_sandbox_bulk, posts_due_bulk

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
PER_MINUTE = 600  # 10 a second
WINDOW = 6  # seconds the sandbox counts the quota over (60 requests), and the app sizes its burst for


def _group_with_due_posts(sandbox, count: int) -> list:
    franchises = franchises_connected_to_sandbox_bulk(sandbox.client, count=count, name="Quota", shared=True)
    return posts_due_bulk(franchises, count=count)


def _over_quota(sandbox) -> int:
    return sum(sandbox.client.calls(kind, 429) for kind in ("posts.create", "posts.list", "posts.patch"))


def _unpublished() -> list:
    return list(Post.objects.exclude(status=Post.Status.PUBLISHED).values_list("status", "attempts", "last_error"))


def test_a_run_keeps_enough_posts_in_flight_for_the_quota_and_never_more_than_the_cap(sandbox, settings):
    """At 0.8 s per create and 10 requests a second, about 8 creates must be in flight: a fixed
    four workers would publish 5 a second."""
    settings.GOOGLE_REQUESTS_PER_MINUTE = PER_MINUTE
    settings.GOOGLE_QUOTA_WINDOW_SECONDS = WINDOW
    settings.PUBLISH_CONCURRENCY = 12
    sandbox.client.set_quota(PER_MINUTE, window_seconds=WINDOW)
    sandbox.client.latency(0.8, route="posts.create")
    _group_with_due_posts(sandbox, 60)

    counts = posts_publish_due(budget=TimeBudget(seconds=120))

    assert counts["published"] == 60 and _over_quota(sandbox) == 0, (
        counts,
        _unpublished(),
        sandbox.client.calls("posts.create", 429),
    )
    in_flight = sandbox.client.max_in_flight("posts.create")
    assert 7 <= in_flight <= 12, f"{in_flight} creates in flight at most"


def test_a_run_never_has_more_posts_in_flight_than_publish_concurrency(sandbox, settings):
    settings.GOOGLE_REQUESTS_PER_MINUTE = PER_MINUTE
    settings.GOOGLE_QUOTA_WINDOW_SECONDS = WINDOW
    settings.PUBLISH_CONCURRENCY = 3
    sandbox.client.set_quota(PER_MINUTE, window_seconds=WINDOW)
    sandbox.client.latency(0.8, route="posts.create")
    _group_with_due_posts(sandbox, 24)

    counts = posts_publish_due(budget=TimeBudget(seconds=120))

    assert counts["published"] == 24 and _over_quota(sandbox) == 0
    assert sandbox.client.max_in_flight("posts.create") <= 3
    assert counts["peak_concurrency"] <= 3


def _runner(sandbox, settings, *, per_minute: int = PER_MINUTE, window: int = WINDOW) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "GOOGLE_API_BASE_URL": sandbox.url,
        "GOOGLE_CLIENT_ID": settings.GOOGLE_CLIENT_ID,
        "GOOGLE_CLIENT_SECRET": settings.GOOGLE_CLIENT_SECRET,
        "GOOGLE_REQUESTS_PER_MINUTE": str(per_minute),
        "GOOGLE_QUOTA_WINDOW_SECONDS": str(window),
        "PUBLISH_CONCURRENCY": "8",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "publish_scheduled"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_overlapping_runs_together_stay_under_the_quota(sandbox, settings):
    """Vercel may start a run while the last one still works: two processes publishing at once
    share one quota (through the database), so Google sees no more than the rate between them.
    At 300 a minute counted over thirty seconds (150 requests), 200 posts take 42 s at the shared
    pace; each run on its own pace would send 150 in under 16 s. (The 5 % margin is 7 requests of a
    window, 1.5 s of a process's lateness: a loaded test machine's scheduling delays stay inside
    it, as they do inside Google's minute, whose margin is 15 requests.)"""
    per_minute, window, count = 300, 30, 200
    sandbox.client.set_quota(per_minute, window_seconds=window)
    sandbox.client.latency(0.2, route="posts.create")
    posts = _group_with_due_posts(sandbox, count)

    runners = [_runner(sandbox, settings, per_minute=per_minute, window=window) for _ in range(2)]
    for runner in runners:
        _, stderr = runner.communicate(timeout=180)
        assert runner.returncode == 0, stderr

    assert _over_quota(sandbox) == 0
    assert Post.objects.filter(pk__in=[p.pk for p in posts], status=Post.Status.PUBLISHED).count() == count
    assert sandbox.client.calls("posts.create") == count
