"""The seed's "Database Queries" section, run verbatim on the PostgreSQL schema."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from generation.models import GenerationQueue
from posts.models import Post
from testkit.factories import make_franchise, make_post

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

STUCK_IN_PUBLISHING = """
SELECT id, franchise_id, status, publishing_at
FROM posts
WHERE publishing_at IS NOT NULL
  AND publishing_at < NOW() - INTERVAL '10 minutes';
"""

REQUIRING_REAUTH = """
SELECT id, name, google_auth_valid
FROM franchises
WHERE google_refresh_token IS NOT NULL
  AND google_auth_valid = false;
"""

QUEUE_BACKLOG = """
SELECT franchise_id, COUNT(*)
FROM generation_queue
WHERE status = 'pending'
GROUP BY franchise_id;
"""


def _rows(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def test_stuck_in_publishing_query_finds_locks_older_than_ten_minutes():
    now = timezone.now()
    stuck = make_post(status=Post.Status.SCHEDULED, publishing_at=now - dt.timedelta(minutes=11))
    make_post(status=Post.Status.SCHEDULED, publishing_at=now - dt.timedelta(minutes=9))
    make_post(status=Post.Status.SCHEDULED, publishing_at=None)

    rows = _rows(STUCK_IN_PUBLISHING)
    assert [(row[0], row[1], row[2]) for row in rows] == [(stuck.id, stuck.franchise_id, "scheduled")]


def test_requiring_reauth_query_finds_connected_franchises_with_invalid_auth():
    broken = make_franchise(name="Cincinnati", google_refresh_token="1//tok", google_auth_valid=False)
    make_franchise(google_refresh_token="1//tok", google_auth_valid=True)
    make_franchise(google_refresh_token=None, google_auth_valid=False)  # never connected

    assert _rows(REQUIRING_REAUTH) == [(broken.id, "Cincinnati", False)]


def test_queue_backlog_query_counts_pending_rows_per_franchise():
    first, second = make_franchise(), make_franchise()
    week = dt.date(2026, 11, 30)
    for slot, (franchise, status) in enumerate(
        [(first, "pending"), (first, "pending"), (first, "completed"), (second, "pending"), (second, "failed")]
    ):
        GenerationQueue.objects.create(
            franchise=franchise, week_start=week, slot=slot, scheduled_for=timezone.now(), status=status
        )

    assert sorted(_rows(QUEUE_BACKLOG)) == sorted([(first.id, 2), (second.id, 1)])
