"""Overlapping runs on PostgreSQL, with real threads and committed data."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from gbp_scheduler.jobs import TimeBudget
from generation.models import GenerationBatch, GenerationQueue
from generation.services import generation_queue_process
from generation.services.batches import generation_batches_reclaim
from generation.tests.drafting import franchise_for_drafts
from posts.models import Post
from testkit.threads import together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_at_once(count, target):
    results, errors = together(count, target)
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


# --- Message Batches ---------------------------------------------------------------------------


@pytest.fixture
def batches(claude, settings):
    settings.ANTHROPIC_USE_BATCHES = True
    settings.GENERATION_SYNC_LEAD_HOURS = 6
    claude.client.batch_config(delay_seconds=3600)
    return claude


def test_two_processors_at_once_never_submit_the_same_row(batches, settings):
    settings.GENERATION_BATCH_MAX_REQUESTS = 4  # many small batches: the runs interleave
    batches.client.latency(0.05, route="batches.create")
    queue_rows(40)

    results = run_at_once(2, lambda: generation_queue_process(budget=TimeBudget(seconds=60)))

    assert sum(r["submitted"] for r in results) == 40
    assert all(r["submitted"] > 0 for r in results)  # both really sent some
    sent = [custom_id for batch in batches.client.batches() for custom_id in batch["custom_ids"]]
    assert len(sent) == len(set(sent)) == 40
    assert sorted(sent) == sorted(row_id.hex for row_id in GenerationQueue.objects.values_list("id", flat=True))
    for batch in GenerationBatch.objects.all():
        assert batch.status == "in_progress"
        assert GenerationQueue.objects.filter(batch=batch).count() == batch.request_count <= 4

    # Both collect the ended batches at once: each row becomes one post.
    batches.client.finish_batches()
    results = run_at_once(2, lambda: generation_queue_process(budget=TimeBudget(seconds=60)))
    assert sum(r["completed"] for r in results) == 40
    assert set(GenerationQueue.objects.values_list("status", flat=True)) == {"completed"}
    assert Post.objects.filter(source="ai").count() == 40
    assert GenerationQueue.objects.values("post_id").distinct().count() == 40
    assert batches.client.calls("messages") == 0


def test_a_batch_taken_back_while_it_was_being_sent_is_canceled_at_anthropic(batches, settings):
    settings.GENERATION_LEASE_SECONDS = 1
    batches.client.latency(2.0, route="batches.create")  # the create outlives the lease
    queue_rows(3)
    outcome = {}

    def slow_run():
        try:
            outcome.update(generation_queue_process(budget=TimeBudget(seconds=60)))
        finally:
            connection.close()

    thread = threading.Thread(target=slow_run)
    thread.start()
    for _ in range(200):
        if GenerationBatch.objects.filter(status="submitting").exists():
            break
        threading.Event().wait(0.01)
    threading.Event().wait(1.2)
    # Another run finds the submission stale and puts the rows back.
    assert generation_batches_reclaim(now=timezone.now()) == 3
    thread.join()

    assert GenerationBatch.objects.get(status="failed").anthropic_id == ""  # its answer was never recorded
    [live] = GenerationBatch.objects.filter(status="in_progress")  # the same run sent the rows again
    assert outcome["submitted"] == 3
    assert set(GenerationQueue.objects.values_list("status", "batch_id")) == {("processing", live.id)}
    at_anthropic = {batch["id"]: batch for batch in batches.client.batches()}
    assert not at_anthropic.pop(live.anthropic_id)["ended"]
    [canceled] = at_anthropic.values()  # the one sent for the taken-back submission: never recorded
    assert canceled["ended"] and set(canceled["results"].values()) == {"canceled"}  # nobody pays for it
