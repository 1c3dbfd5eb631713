"""A series ended or edited while the materialise-series job is making its occurrences: the job's
work is fenced on the series as it read it (PostgreSQL, real threads and connections).

The job is held in the middle of its work by a lock the test takes on the posts' history table:
the job's first occurrence waits to record its history, after the job has read the series. The
person acts meanwhile; then the lock is let go."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from gbp_scheduler.jobs import TimeBudget
from posts.models import Post, PostSeries
from posts.services.series import series_create, series_end, series_materialise_due, series_rule_build, series_update
from testkit.factories import make_franchise

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

OLD, NEW = "Soup of the day: tomato.", "Soup of the day: lentil."


def _series() -> PostSeries:
    return series_create(
        franchise=make_franchise(timezone="America/New_York"),
        user=None,
        rule=series_rule_build(frequency="weekly", weekdays=["MO", "WE", "FR"]),
        starts_on=timezone.localdate() + dt.timedelta(days=1),
        local_time=dt.time(9, 0),
        summary=OLD,
        materialise=False,
    )


@contextmanager
def _history_held() -> Iterator[None]:
    """Writes to post_events wait (reads do not) until the block ends."""
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"], autocommit=False
    ) as other:
        other.execute("LOCK TABLE post_events IN EXCLUSIVE MODE")
        yield
        other.rollback()


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0]


def _job_held_while(series: PostSeries, act: Callable[[], object]) -> dict:
    """Run the materialise job on a thread, hold it at its first occurrence, `act`, let it go."""
    results: list = []

    def job() -> None:
        try:
            results.append(series_materialise_due(budget=TimeBudget(seconds=60)))
        finally:
            connection.close()

    with _history_held():
        thread = threading.Thread(target=job)
        thread.start()
        deadline = time.monotonic() + 20
        while not _waiting_on_a_lock() and time.monotonic() < deadline:
            time.sleep(0.05)
        act()
    thread.join(30)
    return results[0]


def test_ending_a_series_while_the_job_makes_its_occurrences_leaves_none_scheduled():
    series = _series()

    _job_held_while(series, lambda: series_end(series=series, user=None))

    assert not Post.objects.filter(series=series, status=Post.Status.SCHEDULED).exists()


def test_editing_a_series_while_the_job_makes_its_occurrences_leaves_only_the_new_text():
    series = _series()

    _job_held_while(
        series,
        lambda: series_update(
            series=series,
            user=None,
            version=series.version,
            rule=series.rule,
            starts_on=series.starts_on,
            local_time=series.local_time,
            summary=NEW,
        ),
    )
    series_materialise_due(budget=TimeBudget(seconds=60))

    texts = set(Post.objects.filter(series=series).values_list("summary", "series_version"))
    assert texts == {(NEW, 2)}
