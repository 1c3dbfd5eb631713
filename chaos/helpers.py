"""Helpers of the chaos suite: runner processes, due posts, and the end-state checks."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def runner_start(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "publish_scheduled"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def runner_finish(runner: subprocess.Popen, timeout: float = 120) -> tuple[int, str]:
    """Wait for a runner (reading its stderr so a full pipe never blocks it): (exit code, stderr)."""
    _, stderr = runner.communicate(timeout=timeout)
    return runner.returncode, stderr


def due_posts_create(sandbox, *, franchises: int, posts: int) -> list:
    from posts.tests.google import franchises_connected_bulk, posts_due_bulk

    created = franchises_connected_bulk(sandbox.client, count=franchises, name="Chaos Franchise")
    return posts_due_bulk(created, count=posts, summary="Chaos post {n}: it must reach Google exactly once.")


def assert_each_post_on_google_once(sandbox, posts: list) -> None:
    from posts.models import Post

    live = Counter(item["summary"] for item in sandbox.client.posts(include_deleted=False))
    twice = {summary: n for summary, n in live.items() if n > 1}
    assert twice == {}, f"{len(twice)} posts are on Google more than once"
    missing = {p.summary for p in posts} - set(live)
    assert missing == set(), f"{len(missing)} posts never reached Google"
    rows = Post.objects.filter(pk__in=[p.pk for p in posts])
    assert rows.exclude(status=Post.Status.PUBLISHED).count() == 0
    assert rows.filter(publishing_at__isnull=False).count() == 0, "locks left behind"
    assert_nothing_half_written()
    names = list(rows.values_list("google_post_name", flat=True))
    assert len(set(names)) == len(posts)


def assert_nothing_half_written() -> None:
    """A published row has everything Google returned; any other row has none of it."""
    from posts.models import Post

    published = Post.objects.filter(status=Post.Status.PUBLISHED)
    assert not published.filter(google_post_name="").exists()
    assert not published.filter(published_at__isnull=True).exists()
    assert not published.filter(publishing_at__isnull=False).exists()
    assert not Post.objects.exclude(status=Post.Status.PUBLISHED).exclude(google_post_name="").exists()
