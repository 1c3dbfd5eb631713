"""Weekly drafts through Message Batches: submitted in one run, collected in a later one, every
row completed exactly once whatever the batch goes through. Against the sandbox over HTTP."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db.models import Sum
from django.utils import timezone

from gbp_scheduler.jobs import TimeBudget
from generation.models import GenerationBatch, GenerationQueue, GenerationUsage
from generation.pricing import usage_cost
from generation.services import generation_queue_process, generation_queue_reclaim
from generation.services.batches import generation_batches_reclaim
from generation.tests.drafting import WEBSITE, franchise_for_drafts
from posts.models import Post, PostEvent
from posts.services import post_reject
from testkit.factories import make_post

pytestmark = pytest.mark.django_db
GOOD = {
    "summary": "Our sourdough rests for 36 hours before it meets the oven. Come taste the difference.",
    "topic_type": "STANDARD",
    "call_to_action": {"action_type": "LEARN_MORE", "url": WEBSITE + "/bread"},
}
WEEK = dt.date(2026, 3, 2)


@pytest.fixture
def batches(claude, settings):
    """Message Batches on, answered only once a test lets them finish."""
    settings.ANTHROPIC_USE_BATCHES = True
    settings.GENERATION_SYNC_LEAD_HOURS = 6
    claude.client.batch_config(delay_seconds=3600)
    return claude


def rows(n, *, franchise=None, hours_ahead=48):
    franchise = franchise or franchise_for_drafts(posts_per_week=7)
    return [
        GenerationQueue.objects.create(
            franchise=franchise,
            week_start=WEEK,
            slot=slot,
            scheduled_for=timezone.now() + dt.timedelta(hours=hours_ahead, minutes=slot),
        )
        for slot in range(n)
    ]


def process():
    return generation_queue_process(budget=TimeBudget(seconds=60))


def sent_custom_ids(sandbox):
    return [custom_id for batch in sandbox.client.batches() for custom_id in batch["custom_ids"]]


def statuses():
    return sorted(GenerationQueue.objects.values_list("status", flat=True))


def assert_each_row_has_its_own_post(n):
    completed = GenerationQueue.objects.filter(status="completed")
    assert completed.count() == n
    assert Post.objects.filter(source="ai").count() == n
    assert completed.values("post_id").distinct().count() == n


def test_rows_that_can_wait_are_sent_in_one_batch_and_turned_into_drafts_on_a_later_run(batches):
    queued = rows(3)

    first = process()

    assert (first["submitted"], first["batches"], first["completed"]) == (3, 1, 0)
    batch = GenerationBatch.objects.get()
    assert batch.status == "in_progress" and batch.anthropic_id.startswith("msgbatch_")
    assert batch.request_count == 3 and batch.expires_at is not None
    assert sorted(sent_custom_ids(batches)) == sorted(row.id.hex for row in queued)
    for row in GenerationQueue.objects.all():
        assert (row.status, row.batch_id, row.processing_started_at) == ("processing", batch.id, batch.claimed_at)
    assert batches.client.calls("messages") == 0 and Post.objects.count() == 0
    sent = [r for r in batches.client.anthropic_requests() if r.get("_batch")]
    assert sent[0]["output_config"]["format"]["schema"]["required"] == ["summary", "topic_type", "call_to_action"]

    # Still in progress: the run polls and leaves the rows where they are.
    assert process()["completed"] == 0
    assert statuses() == ["processing"] * 3

    batches.client.finish_batches()
    third = process()
    assert third["completed"] == 3 and third["submitted"] == 0
    assert_each_row_has_its_own_post(3)
    for row in GenerationQueue.objects.select_related("post"):
        assert (row.from_batch, row.batch_id, row.attempts, row.error) == (True, batch.id, 1, "")
        assert row.post.status == "draft" and row.post.scheduled_at == row.scheduled_for
        assert row.input_tokens > 0 and row.output_tokens > 0
    assert batches.client.calls("messages") == 0  # no synchronous call at all

    process()  # nothing is held any more: the batch is done
    assert GenerationBatch.objects.get().status == "done"
    assert_each_row_has_its_own_post(3)


def test_a_batch_answer_that_fails_validation_is_corrected_through_the_synchronous_path(batches):
    [row] = rows(1)
    batches.client.script_messages({"json": {**GOOD, "summary": "Call 503-555-0143 today!"}}, {"json": GOOD})
    process()
    batches.client.finish_batches()

    counts = process()

    assert counts["completed"] == 1
    row.refresh_from_db()
    assert (row.status, row.from_batch, row.attempts) == ("completed", False, 1)
    assert row.post.summary == GOOD["summary"]
    [correction] = [r for r in batches.client.anthropic_requests() if not r.get("_batch")]
    assert [m["role"] for m in correction["messages"]] == ["user", "assistant", "user"]
    assert "503-555-0143" in correction["messages"][1]["content"]
    assert "phone number" in correction["messages"][2]["content"]
    usage = list(GenerationUsage.objects.order_by("created_at").values_list("batch", flat=True))
    assert usage == [True, False]  # the batch's answer and the correction, each at its price


def test_a_failed_batch_request_is_written_synchronously(batches):
    failed, fine = rows(2)
    batches.client.script_batch_outcomes({"type": "errored", "error_type": "overloaded_error"}, {"type": "succeeded"})
    process()
    batches.client.finish_batches()

    assert process()["completed"] == 2

    failed.refresh_from_db()
    fine.refresh_from_db()
    assert (failed.status, failed.from_batch) == ("completed", False)
    assert (fine.status, fine.from_batch) == ("completed", True)
    assert batches.client.calls("messages") == 1
    assert_each_row_has_its_own_post(2)


def test_a_batch_request_that_fails_twice_fails_the_row_with_the_reason(batches):
    [row] = rows(1)
    batches.client.script_messages({"text": "not json"}, {"text": "still not json"})
    process()
    batches.client.finish_batches()
    assert process()["failed"] == 1
    row.refresh_from_db()
    assert row.status == "failed" and "not valid JSON" in row.error
    assert Post.objects.count() == 0


def test_an_expired_batch_returns_its_rows_to_pending_and_each_is_written_once(batches):
    queued = rows(3)
    process()
    first = GenerationBatch.objects.get()
    batches.client.expire_batches()

    counts = process()  # reads the expired results: the rows are pending again

    assert counts["returned"] == 3
    assert set(GenerationQueue.objects.values_list("status", "batch_id", "error")) == {
        ("pending", None, "The batch request expired before Claude answered. Queued again.")
    }
    assert process()["submitted"] == 3  # the next run sends them again
    second = GenerationBatch.objects.exclude(id=first.id).get()
    assert set(GenerationQueue.objects.values_list("batch_id", flat=True)) == {second.id}
    assert sorted(sent_custom_ids(batches)) == sorted([row.id.hex for row in queued] * 2)

    batches.client.finish_batches()
    assert process()["completed"] == 3
    assert_each_row_has_its_own_post(3)
    assert set(GenerationQueue.objects.values_list("attempts", flat=True)) == {1}  # expiry is not the row's fault
    process()
    assert dict(GenerationBatch.objects.values_list("id", "status")) == {first.id: "done", second.id: "done"}


def test_a_lost_batch_returns_its_rows_to_pending_and_a_late_answer_never_becomes_a_second_post(batches):
    rows(2)
    process()
    lost = GenerationBatch.objects.get()
    batches.client.fail("batches.get", 404)  # Anthropic says it has no such batch (yet it still does)

    counts = process()

    assert counts["returned"] == 2
    lost.refresh_from_db()
    assert lost.status == "lost" and "no longer has" in lost.error
    assert statuses() == ["pending"] * 2
    assert process()["submitted"] == 2
    second = GenerationBatch.objects.exclude(id=lost.id).get()
    assert second.status == "in_progress"

    batches.client.finish_batches()  # both batches end at Anthropic, with an answer for every row
    assert process()["completed"] == 2
    assert process()["completed"] == 0
    assert_each_row_has_its_own_post(2)
    assert set(GenerationQueue.objects.values_list("batch_id", flat=True)) == {second.id}


def test_a_batch_anthropic_forgot_returns_its_rows(batches):
    rows(2)
    process()
    batches.client.forget_batches()
    batches.client.batch_config(delay_seconds=0)
    assert process()["returned"] == 2
    assert process()["completed"] == 2
    assert_each_row_has_its_own_post(2)


def test_rows_due_soon_are_written_synchronously_and_the_rest_batched(batches):
    franchise = franchise_for_drafts(posts_per_week=7)
    [soon] = rows(1, franchise=franchise, hours_ahead=2)
    later = GenerationQueue.objects.create(
        franchise=franchise, week_start=WEEK, slot=5, scheduled_for=timezone.now() + dt.timedelta(days=3)
    )

    counts = process()

    assert (counts["completed"], counts["submitted"]) == (1, 1)
    soon.refresh_from_db()
    later.refresh_from_db()
    assert (soon.status, soon.from_batch, soon.batch_id) == ("completed", False, None)
    assert (later.status, later.batch_id is not None) == ("processing", True)
    assert sent_custom_ids(batches) == [later.id.hex]


def test_with_batches_turned_off_a_live_batch_is_still_collected(batches, settings):
    rows(2)
    process()
    settings.ANTHROPIC_USE_BATCHES = False
    batches.client.finish_batches()
    assert process()["completed"] == 2
    assert batches.client.calls("messages") == 0


def test_a_batch_anthropic_refuses_puts_its_rows_back_for_a_later_run(batches):
    rows(2)
    batches.client.fail("batches.create", 529)

    counts = process()

    assert (counts["submitted"], counts["returned"]) == (0, 2)
    assert GenerationBatch.objects.get().status == "failed"
    assert set(GenerationQueue.objects.values_list("status", "batch_id")) == {("pending", None)}
    assert process()["submitted"] == 2


def test_a_submission_that_never_finished_is_taken_back_after_the_lease(batches, settings):
    [row] = rows(1)
    stale_at = timezone.now() - dt.timedelta(seconds=settings.GENERATION_LEASE_SECONDS + 1)
    dead = GenerationBatch.objects.create(status="submitting", claimed_at=stale_at)
    GenerationQueue.objects.filter(id=row.id).update(status="processing", batch=dead, processing_started_at=stale_at)

    counts = process()

    assert counts["returned"] == 1 and counts["submitted"] == 1  # and sent again at once
    dead.refresh_from_db()
    assert dead.status == "failed"
    row.refresh_from_db()
    assert row.batch_id != dead.id and row.status == "processing"


def test_rows_waiting_in_a_batch_are_not_taken_back_by_the_processing_lease(batches, settings):
    rows(2)
    process()
    later = timezone.now() + dt.timedelta(seconds=settings.GENERATION_LEASE_SECONDS * 10)
    assert generation_batches_reclaim(now=later) == 0
    assert generation_queue_reclaim(now=later) == (0, 0)
    assert statuses() == ["processing"] * 2


def test_a_franchise_that_stopped_wanting_drafts_is_skipped_when_its_answer_arrives(batches):
    [row] = rows(1)
    process()
    row.franchise.ai_drafts_enabled = False
    row.franchise.save()
    batches.client.finish_batches()
    assert process()["skipped"] == 1
    row.refresh_from_db()
    assert row.status == "failed" and "Skipped" in row.error
    assert Post.objects.count() == 0


def test_a_batch_request_carries_the_franchise_profile_recent_posts_an_angle_and_rejection_reasons(batches):
    franchise = franchise_for_drafts(name="Sunrise Bakery", description="Family bakery since 1998.")
    make_post(franchise=franchise, summary="Last week: our rye loaf is back.")
    rejected = make_post(franchise=franchise, source=Post.Source.AI, summary="BUY BUY BUY")
    post_reject(post=rejected, reason="Too pushy, we never shout.")
    assert PostEvent.objects.filter(action="rejected").count() == 1
    rows(2, franchise=franchise)

    process()

    first, second = sorted(
        (r for r in batches.client.anthropic_requests() if r.get("_batch")), key=lambda r: r["_custom_id"]
    )
    brief = first["messages"][0]["content"]
    for fact in ("Sunrise Bakery", "Portland", WEBSITE, "Family bakery since 1998.", "our rye loaf is back"):
        assert fact in brief
    assert "- Too pushy, we never shout." in brief
    angles = {r["messages"][0]["content"].split("Suggested angle: ")[1].splitlines()[0] for r in (first, second)}
    assert len(angles) == 2  # the week's drafts, written at once, each get their own angle
    assert "cache_control" not in json.dumps(first["system"])


def test_token_accounting_adds_up_to_the_sandbox_usage(batches):
    """Every answer's tokens are recorded once, at its tier; the rows add up to the same."""
    rows(4)
    rows(1, franchise=franchise_for_drafts(), hours_ahead=1)  # written synchronously
    process()
    cached = {"input_tokens": 700, "output_tokens": 90, "cache_read_input_tokens": 4200}
    batches.client.script_batch_outcomes(
        {"type": "succeeded"}, {"type": "errored"}, {"type": "succeeded"}, {"type": "succeeded"}
    )
    batches.client.script_messages(
        {"json": {**GOOD, "summary": "x" * 1600}},  # the 1st batch answer: corrected synchronously
        {"json": GOOD, "usage": {**cached, "cache_creation_input_tokens": 300}},  # the 3rd: cache tokens too
    )
    batches.client.finish_batches()
    process()
    assert statuses() == ["completed"] * 5

    sandbox = batches.client.anthropic_usage()
    # Synchronous: the due-soon row, the correction, the errored request's retry. Batch: 3 answers.
    assert (sandbox["standard"]["requests"], sandbox["batch"]["requests"]) == (3, 3)
    for tier, in_batch in (("standard", False), ("batch", True)):
        recorded = GenerationUsage.objects.filter(batch=in_batch)
        totals = recorded.aggregate(
            input=Sum("input_tokens"),
            output=Sum("output_tokens"),
            read=Sum("cache_read_tokens"),
            write=Sum("cache_write_tokens"),
        )
        assert recorded.count() == sandbox[tier]["requests"]
        assert totals == {
            "input": sandbox[tier]["input_tokens"],
            "output": sandbox[tier]["output_tokens"],
            "read": sandbox[tier]["cache_read_input_tokens"],
            "write": sandbox[tier]["cache_creation_input_tokens"],
        }
    sums = {"i": Sum("input_tokens"), "o": Sum("output_tokens"), "r": Sum("cache_read_tokens")}
    assert GenerationQueue.objects.aggregate(**sums) == GenerationUsage.objects.aggregate(**sums)

    one = GenerationUsage.objects.get(cache_read_tokens=4200)
    assert one.batch
    # $1 input, $5 output, $1.25 cache writes, $0.10 cache reads per million tokens; a batch pays half.
    assert usage_cost(
        input_tokens=one.input_tokens,
        output_tokens=one.output_tokens,
        cache_read_tokens=one.cache_read_tokens,
        cache_write_tokens=one.cache_write_tokens,
        batch=one.batch,
    ) == pytest.approx(0.5 * (700 * 1 + 90 * 5 + 4200 * 0.10 + 300 * 1.25) / 1e6)
