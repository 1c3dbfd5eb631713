from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection

from gbp_scheduler.jobs import TimeBudget
from generation.models import GenerationQueue
from generation.services import generation_queue_fill
from generation.tests.drafting import franchise_for_drafts

SUNDAY_CRON = dt.datetime(2026, 3, 1, 5, 0, tzinfo=dt.UTC)
NEXT_MONDAY = dt.date(2026, 3, 2)


def fill():
    return generation_queue_fill(budget=TimeBudget(seconds=60), now=SUNDAY_CRON)


@pytest.mark.django_db
def test_queues_the_coming_week_for_franchises_that_want_drafts_and_nobody_else():
    wants = franchise_for_drafts(posts_per_week=3, timezone="America/New_York")
    franchise_for_drafts(is_active=False)
    franchise_for_drafts(google_refresh_token=None)
    franchise_for_drafts(posts_per_week=0)
    franchise_for_drafts(ai_drafts_enabled=False)

    counts = fill()

    assert counts == {"franchises": 1, "queued": 3, "skipped": 0}
    rows = list(GenerationQueue.objects.order_by("slot"))
    assert {r.franchise_id for r in rows} == {wants.id}
    assert [r.slot for r in rows] == [0, 1, 2]
    assert {r.status for r in rows} == {"pending"}
    assert {r.week_start for r in rows} == {NEXT_MONDAY}
    assert [r.scheduled_for for r in rows] == [
        dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC),  # Monday 10:00 in New York
        dt.datetime(2026, 3, 4, 15, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 6, 15, 0, tzinfo=dt.UTC),
    ]


@pytest.mark.django_db
def test_a_second_run_inserts_nothing_more():
    franchise_for_drafts(posts_per_week=2)
    franchise_for_drafts(posts_per_week=5)
    assert fill()["queued"] == 7

    assert fill() == {"franchises": 2, "queued": 0, "skipped": 7}
    assert GenerationQueue.objects.count() == 7


@pytest.mark.django_db
def test_raising_posts_per_week_queues_only_the_new_slots():
    franchise = franchise_for_drafts(posts_per_week=2)
    fill()
    franchise.posts_per_week = 4
    franchise.save()

    assert fill() == {"franchises": 1, "queued": 2, "skipped": 2}
    assert sorted(GenerationQueue.objects.values_list("slot", flat=True)) == [0, 1, 2, 3]


@pytest.mark.django_db
def test_each_batch_is_one_insert_statement(django_assert_num_queries):
    for _ in range(3):
        franchise_for_drafts(posts_per_week=7)
    # One read of the batch, one INSERT for its 21 rows, one read that finds no more franchises.
    with django_assert_num_queries(3) as captured:
        assert fill()["queued"] == 21
    assert sum(q["sql"].startswith("INSERT") for q in captured.captured_queries) == 1


@pytest.mark.django_db
def test_a_spent_time_budget_queues_nothing_and_a_rerun_catches_up():
    franchise_for_drafts()
    assert generation_queue_fill(budget=TimeBudget(seconds=0), now=SUNDAY_CRON)["queued"] == 0
    assert fill()["queued"] == 2


@pytest.mark.django_db
def test_without_a_time_it_uses_now():
    franchise_for_drafts(timezone="UTC")
    with time_machine.travel(dt.datetime(2026, 3, 4, 12, 0, tzinfo=dt.UTC), tick=False):  # a Wednesday
        generation_queue_fill(budget=TimeBudget(seconds=60))
    assert set(GenerationQueue.objects.values_list("week_start", flat=True)) == {dt.date(2026, 3, 9)}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_make_no_duplicates():
    for _ in range(40):
        franchise_for_drafts(posts_per_week=7)
    results, errors = [], []
    start = threading.Barrier(2)

    def run():
        try:
            start.wait()
            results.append(fill())
        except Exception as exc:  # surfaced below: a thread's exception would otherwise vanish
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert GenerationQueue.objects.count() == 280
    assert sum(r["queued"] for r in results) == 280
    assert sum(r["skipped"] for r in results) == 280
