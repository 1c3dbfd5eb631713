"""Overlapping runs on PostgreSQL, with real threads and committed data."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from gbp_scheduler.jobs import TimeBudget
from generation.models import GenerationQueue
from generation.services import generation_queue_process
from generation.tests.drafting import franchise_for_drafts
from posts.models import Post

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_at_once(count, target):
    results, errors = [], []
    start = threading.Barrier(count)

    def run():
        try:
            start.wait()
            results.append(target())
        except Exception as exc:  # a thread's exception would otherwise vanish
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return results


def queue_rows(n):
    franchises = [franchise_for_drafts(posts_per_week=7) for _ in range(n // 4 + 1)]
    for i in range(n):
        GenerationQueue.objects.create(
            franchise=franchises[i % len(franchises)],
            week_start=dt.date(2026, 3, 2),
            slot=i // len(franchises),
            scheduled_for=timezone.now() + dt.timedelta(days=2, minutes=i),
        )


def test_two_processors_at_once_never_process_one_row_twice(claude, settings):
    settings.GENERATION_CONCURRENCY = 3
    claude.client.latency(0.05, route="messages")  # keep both runs busy at the same time
    queue_rows(16)

    results = run_at_once(2, lambda: generation_queue_process(budget=TimeBudget(seconds=60)))

    assert claude.client.calls("messages") == 16
    assert sum(r["completed"] for r in results) == 16
    assert all(r["completed"] > 0 for r in results)  # both really worked
    assert set(GenerationQueue.objects.values_list("status", flat=True)) == {"completed"}
    assert Post.objects.filter(source="ai").count() == 16
    assert GenerationQueue.objects.values("post_id").distinct().count() == 16


def test_a_run_that_lost_its_row_to_a_takeover_writes_nothing(claude, settings):
    settings.GENERATION_CONCURRENCY = 1
    claude.client.latency(1.0, route="messages")
    queue_rows(1)
    row = GenerationQueue.objects.get()
    outcome = {}

    def slow_run():
        try:
            outcome.update(generation_queue_process(budget=TimeBudget(seconds=60)))
        finally:
            connection.close()

    thread = threading.Thread(target=slow_run)
    thread.start()
    # While the run waits for Claude, another run takes the row back and claims it again.
    for _ in range(100):
        if GenerationQueue.objects.filter(id=row.id, status="processing").exists():
            break
        threading.Event().wait(0.01)
    GenerationQueue.objects.filter(id=row.id).update(processing_started_at=timezone.now() + dt.timedelta(seconds=1))
    thread.join()

    assert outcome["lost_claim"] == 1
    assert outcome["completed"] == 0
    row.refresh_from_db()
    assert row.status == "processing"
    assert row.post_id is None
    assert Post.objects.count() == 0
