from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from gbp_scheduler.jobs import TimeBudget
from generation.models import GenerationQueue
from generation.services import generation_queue_process
from generation.tests.drafting import WEBSITE, franchise_for_drafts
from posts.models import Post
from posts.services.brand import brand_rules_save
from testkit.factories import make_post

pytestmark = pytest.mark.django_db
GOOD = {
    "summary": "Our sourdough rests for 36 hours before it meets the oven. Come taste the difference.",
    "topic_type": "STANDARD",
    "call_to_action": {"action_type": "LEARN_MORE", "url": WEBSITE + "/bread"},
}


def queue_row(franchise=None, *, slot=0, scheduled_for=None, **fields):
    return GenerationQueue.objects.create(
        franchise=franchise or franchise_for_drafts(),
        week_start=dt.date(2026, 3, 2),
        slot=slot,
        scheduled_for=scheduled_for or timezone.now() + dt.timedelta(days=2),
        **fields,
    )


def process():
    return generation_queue_process(budget=TimeBudget(seconds=60))


def messages_calls(sandbox):
    return sandbox.client.calls("messages")


def test_a_due_row_becomes_a_draft_post_written_from_the_franchise_profile(claude):
    franchise = franchise_for_drafts(name="Sunrise Bakery", description="Family bakery since 1998.")
    make_post(franchise=franchise, summary="Last week: our rye loaf is back.")
    row = queue_row(franchise)

    counts = process()

    assert counts["completed"] == 1
    row.refresh_from_db()
    assert row.status == "completed"
    assert (row.attempts, row.error, row.processing_started_at) == (1, "", None)
    assert row.input_tokens > 0 and row.output_tokens > 0
    post = row.post
    assert (post.franchise_id, post.status, post.source) == (franchise.id, "draft", "ai")
    assert post.scheduled_at == row.scheduled_for
    assert "Sunrise Bakery" in post.summary
    assert (post.topic_type, post.cta_action_type, post.cta_url) == ("STANDARD", "LEARN_MORE", WEBSITE)

    [request] = claude.client.anthropic_requests()
    # Below the model's minimum cacheable length a cache mark is ignored: none is claimed.
    assert "cache_control" not in request["system"][0]
    assert request["output_config"]["format"]["type"] == "json_schema"
    brief = request["messages"][0]["content"]
    for fact in ("Sunrise Bakery", "Portland", "Sourdough bread, Pastries", WEBSITE, "Family bakery since 1998."):
        assert fact in brief
    assert "Last week: our rye loaf is back." in brief


def test_every_franchise_shares_one_system_prompt_so_the_cache_is_shared(claude):
    queue_row(franchise_for_drafts(name="A Bakery"))
    queue_row(franchise_for_drafts(name="B Bakery"))
    process()
    first, second = claude.client.anthropic_requests()
    assert first["system"] == second["system"]
    assert first["messages"] != second["messages"]


def test_a_franchise_that_opted_in_gets_a_scheduled_post(claude):
    row = queue_row(franchise_for_drafts(auto_schedule_ai_posts=True))
    process()
    row.refresh_from_db()
    assert row.post.status == "scheduled"
    assert row.post.scheduled_at == row.scheduled_for


def test_an_opted_in_franchise_gets_a_draft_saying_why_when_the_post_breaks_a_brand_rule(claude):
    brand_rules_save(user=None, photo_required=True)  # Claude's drafts carry no photo
    row = queue_row(franchise_for_drafts(auto_schedule_ai_posts=True))
    process()
    row.refresh_from_db()
    assert (row.status, row.post.status) == ("completed", "draft")
    detail = row.post.events.get().detail
    assert 'Left as a draft for review: Brand rule "Photo minimums": every post needs a photo.' in detail


def test_an_opted_in_franchise_whose_slot_has_passed_gets_a_draft_not_an_instant_publish(claude):
    row = queue_row(franchise_for_drafts(auto_schedule_ai_posts=True), scheduled_for=timezone.now())
    process()
    row.refresh_from_db()
    assert row.post.status == "draft"


def test_without_a_website_the_post_has_no_button(claude):
    row = queue_row(franchise_for_drafts(website=""))
    process()
    row.refresh_from_db()
    assert row.status == "completed"
    assert (row.post.cta_action_type, row.post.cta_url) == ("", "")


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ({"json": {**GOOD, "summary": "x" * 1600}}, "1600 characters"),
        ({"json": {**GOOD, "summary": "Call (503) 555-0143 today!"}}, "phone number"),
        ({"text": "Sure! Here is a lovely post about bread."}, "not valid JSON"),
        (
            {"json": {**GOOD, "call_to_action": {"action_type": "LEARN_MORE", "url": "https://other.example"}}},
            "website",
        ),
    ],
)
def test_invalid_output_is_retried_once_with_the_problem_fed_back(claude, bad, problem):
    row = queue_row()
    claude.client.script_messages(bad, {"json": GOOD})

    assert process()["completed"] == 1

    row.refresh_from_db()
    assert row.status == "completed"
    assert row.post.summary == GOOD["summary"]
    _first, second = claude.client.anthropic_requests()
    assert [m["role"] for m in second["messages"]] == ["user", "assistant", "user"]
    assert problem in second["messages"][2]["content"]
    assert row.input_tokens > 0


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ({"json": {**GOOD, "summary": "x" * 1600}}, "1600 characters"),
        ({"json": {**GOOD, "summary": "Call 503-555-0143 today!"}}, "phone number"),
        ({"text": "not json at all"}, "not valid JSON"),
    ],
)
def test_invalid_output_twice_fails_the_row_with_the_reason(claude, bad, problem):
    row = queue_row()
    claude.client.script_messages(bad, bad)

    assert process()["failed"] == 1

    row.refresh_from_db()
    assert row.status == "failed"
    assert problem in row.error
    assert row.post is None
    assert messages_calls(claude) == 2
    assert Post.objects.filter(source="ai").count() == 0


def test_429_defers_with_a_future_retry_time_then_completes(claude):
    row = queue_row()
    claude.client.fail("messages", 429, retry_after=1)
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

    with time_machine.travel(start, tick=False):
        counts = process()
        assert counts["deferred"] == 1
        row.refresh_from_db()
        assert row.status == "pending"
        assert row.attempts == 1
        assert "429" in row.error
        assert start < row.next_attempt_at <= start + dt.timedelta(seconds=60)
        assert process()["deferred"] == 0  # not due yet: nothing is sent
        assert messages_calls(claude) == 1

    with time_machine.travel(row.next_attempt_at + dt.timedelta(seconds=1), tick=False):
        assert process()["completed"] == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.error) == ("completed", 2, "")
    assert messages_calls(claude) == 2


def test_retry_after_is_a_floor_on_the_backoff(claude):
    row = queue_row()
    claude.client.fail("messages", 429, retry_after=900)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        process()
        row.refresh_from_db()
        assert row.next_attempt_at >= timezone.now() + dt.timedelta(seconds=900)


def test_backoff_grows_with_each_attempt(claude):
    row = queue_row(attempts=1)  # a 2nd attempt: ceiling = 60 s * 2
    claude.client.fail("messages", 503)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        assert process()["deferred"] == 1
        row.refresh_from_db()
        assert row.attempts == 2
        assert timezone.now() < row.next_attempt_at <= timezone.now() + dt.timedelta(seconds=120)


def test_a_rate_limit_stops_the_run_taking_more_rows(claude):
    franchise = franchise_for_drafts()
    queue_row(franchise, slot=0)
    untouched = queue_row(franchise, slot=1, scheduled_for=timezone.now() + dt.timedelta(days=3))
    claude.client.fail("messages", 529)

    counts = process()

    assert counts["deferred"] == 1
    assert messages_calls(claude) == 1
    untouched.refresh_from_db()
    assert (untouched.status, untouched.attempts) == ("pending", 0)


def test_server_errors_and_timeouts_are_retried_until_the_maximum_then_fail(claude, settings):
    row = queue_row(attempts=settings.GENERATION_MAX_ATTEMPTS - 1)
    claude.client.fail("messages", 500)
    process()
    row.refresh_from_db()
    assert row.status == "failed"
    assert row.attempts == settings.GENERATION_MAX_ATTEMPTS
    assert "Gave up after 3 attempts" in row.error and "500" in row.error


def test_a_timeout_is_deferred(claude, settings):
    settings.ANTHROPIC_TIMEOUT_SECONDS = 0.5
    row = queue_row()
    claude.client.hang("messages", seconds=2)
    assert process()["deferred"] == 1
    row.refresh_from_db()
    assert row.status == "pending"
    assert "did not answer in time" in row.error


def test_a_call_near_the_end_of_the_time_budget_is_cut_short_and_retried_later(claude):
    row = queue_row()
    claude.client.hang("messages", seconds=5)
    # 1 s of budget left: the call may wait 2 s (the floor), not the usual 60 s.
    counts = generation_queue_process(budget=TimeBudget(seconds=1))
    assert counts["deferred"] == 1
    row.refresh_from_db()
    assert "did not answer in time" in row.error


def test_401_fails_the_row_at_once_and_stops_the_run(claude):
    franchise = franchise_for_drafts()
    row = queue_row(franchise, slot=0)
    other = queue_row(franchise, slot=1, scheduled_for=timezone.now() + dt.timedelta(days=3))
    claude.client.set_anthropic_key("sk-ant-the-real-one")  # ours is now wrong

    counts = process()

    assert counts["failed"] == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", 1)
    assert "401" in row.error and "ANTHROPIC_API_KEY" in row.error
    other.refresh_from_db()
    assert other.status == "pending"


def test_a_bad_request_fails_at_once_and_the_run_goes_on(claude):
    franchise = franchise_for_drafts()
    row = queue_row(franchise, slot=0)
    other = queue_row(franchise, slot=1, scheduled_for=timezone.now() + dt.timedelta(days=3))
    claude.client.fail("messages", 400)

    assert process()["failed"] == 1

    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", 1)
    assert "400" in row.error
    other.refresh_from_db()
    assert other.status == "completed"


def test_a_spent_credit_balance_fails_at_once_and_stops_the_run(claude):
    franchise = franchise_for_drafts()
    row = queue_row(franchise, slot=0)
    other = queue_row(franchise, slot=1, scheduled_for=timezone.now() + dt.timedelta(days=3))
    claude.client.fail(
        "messages", 400, message="Your credit balance is too low to access the Anthropic API. Please go to Plans."
    )

    assert process()["failed"] == 1

    row.refresh_from_db()
    assert row.status == "failed" and "credit balance" in row.error
    other.refresh_from_db()
    assert other.status == "pending"


def test_an_unknown_model_fails_at_once_and_stops_the_run(claude, settings):
    settings.ANTHROPIC_MODEL = "gpt-4"  # the sandbox answers 404 for a non-Claude model
    franchise = franchise_for_drafts()
    row = queue_row(franchise, slot=0)
    other = queue_row(franchise, slot=1, scheduled_for=timezone.now() + dt.timedelta(days=3))

    assert process()["failed"] == 1

    row.refresh_from_db()
    assert row.status == "failed" and "404" in row.error
    other.refresh_from_db()
    assert other.status == "pending"


def test_without_an_api_key_the_run_refuses_and_touches_no_row(claude, settings):
    settings.ANTHROPIC_API_KEY = ""
    row = queue_row()
    with pytest.raises(ImproperlyConfigured, match="ANTHROPIC_API_KEY"):
        process()
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 0)


def test_a_row_stuck_in_processing_past_the_lease_is_taken_back_and_processed(claude, settings):
    stuck = queue_row(status="processing", processing_started_at=timezone.now() - dt.timedelta(seconds=601))
    fresh = queue_row(slot=1, status="processing", processing_started_at=timezone.now() - dt.timedelta(seconds=30))

    counts = process()

    assert counts["reclaimed"] == 1
    assert counts["completed"] == 1
    stuck.refresh_from_db()
    assert stuck.status == "completed"
    assert stuck.attempts == 2  # the dead run's try counts
    fresh.refresh_from_db()
    assert fresh.status == "processing"  # still within its lease: someone else is on it


def test_a_row_stuck_again_at_its_last_attempt_fails_with_the_reason(claude, settings):
    stuck = queue_row(
        status="processing",
        attempts=settings.GENERATION_MAX_ATTEMPTS - 1,
        processing_started_at=timezone.now() - dt.timedelta(hours=1),
    )
    counts = process()
    assert counts["failed"] == 1
    stuck.refresh_from_db()
    assert stuck.status == "failed"
    assert "did not finish" in stuck.error
    assert messages_calls(claude) == 0


def test_a_franchise_that_stopped_wanting_drafts_is_skipped_without_asking_claude(claude):
    row = queue_row(franchise_for_drafts(ai_drafts_enabled=False))
    assert process()["skipped"] == 1
    row.refresh_from_db()
    assert row.status == "failed"
    assert "Skipped" in row.error
    assert messages_calls(claude) == 0


def test_a_spent_time_budget_claims_nothing(claude):
    row = queue_row()
    assert generation_queue_process(budget=TimeBudget(seconds=0))["completed"] == 0
    row.refresh_from_db()
    assert row.status == "pending"


def test_the_model_answer_is_sent_back_in_the_correction_turn(claude):
    queue_row()
    claude.client.script_messages({"text": "oops"}, {"json": GOOD})
    process()
    second = claude.client.anthropic_requests()[1]
    assert second["messages"][1] == {"role": "assistant", "content": "oops"}
    assert json.loads(json.dumps(second["output_config"]))  # the schema goes with the retry too
