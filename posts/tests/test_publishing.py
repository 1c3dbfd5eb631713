"""Publishing due posts against the sandbox's Google, one run at a time."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import time_machine
from django.utils import timezone

from gbp_scheduler.jobs import TimeBudget
from posts.models import Post
from posts.services.publishing import post_claim, posts_publish_due
from testkit.factories import make_post
from testkit.google import franchise_connected_to_sandbox, google_posts

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.PUBLISH_CONCURRENCY = 1  # these tests share one transaction; the concurrent ones are separate
    settings.GOOGLE_HTTP_TIMEOUT_SECONDS = 1.0


def run() -> dict:
    return posts_publish_due(budget=TimeBudget(seconds=60))


def due_post(franchise, **fields) -> Post:
    fields.setdefault("scheduled_at", timezone.now() - dt.timedelta(minutes=1))
    return make_post(franchise=franchise, status=Post.Status.SCHEDULED, **fields)


def test_a_due_post_is_published_once_and_what_google_returned_is_stored(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    post = due_post(franchise, summary="Winter hours start Monday.")

    counts = run()

    post.refresh_from_db()
    on_google = google_posts(sandbox, franchise)
    assert counts["published"] == 1
    assert post.status == Post.Status.PUBLISHED
    assert post.publishing_at is None and post.published_at is not None
    assert [item["name"] for item in on_google] == [post.google_post_name]
    assert on_google[0]["summary"] == "Winter hours start Monday."
    assert post.google_search_url.startswith("http") and post.google_state == "LIVE"
    assert run()["published"] == 0
    assert sandbox.client.calls("posts.create") == 1


def test_drafts_future_posts_and_inactive_franchises_are_left_alone(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    make_post(franchise=franchise, status=Post.Status.DRAFT)
    due_post(franchise, scheduled_at=timezone.now() + dt.timedelta(hours=1))
    inactive = franchise_connected_to_sandbox(sandbox, is_active=False)
    due_post(inactive)

    assert run()["published"] == 0
    assert sandbox.client.calls("posts.create") == 0


def test_invalid_google_auth_skips_without_calling_google_and_says_to_reconnect(sandbox):
    """The seed's "Test Token Refresh Failure": flag false → the publish attempt fails with a
    message about re-authorization, and neither the token endpoint nor the API is called."""
    franchise = franchise_connected_to_sandbox(sandbox, name="Cincinnati")
    franchise.google_auth_valid = False
    franchise.save()
    post = due_post(franchise)
    due_post(franchise)

    counts = run()

    post.refresh_from_db()
    assert counts["skipped_reauth"] == 2
    assert post.status == Post.Status.SCHEDULED and post.publishing_at is None
    assert "reconnect" in post.last_error.lower() and "Cincinnati" in post.last_error
    assert sandbox.client.calls("token") == 0
    assert sandbox.client.calls("posts.create") == 0


def test_a_post_of_a_franchise_never_connected_keeps_its_schedule_and_says_so(sandbox):
    post = due_post(franchise_connected_to_sandbox(sandbox))
    post.franchise.google_refresh_token = None
    post.franchise.save()

    assert run()["skipped_not_connected"] == 1
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED
    assert "not connected to Google" in post.last_error


def test_a_franchises_posts_go_out_in_scheduled_order(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    now = timezone.now()
    due_post(franchise, summary="second", scheduled_at=now - dt.timedelta(minutes=1))
    due_post(franchise, summary="first", scheduled_at=now - dt.timedelta(minutes=5))

    run()

    assert [item["summary"] for item in sandbox.client.posts()] == ["first", "second"]


def test_a_lock_younger_than_the_timeout_is_respected(sandbox, settings):
    franchise = franchise_connected_to_sandbox(sandbox)
    now = timezone.now()
    post = due_post(franchise, publishing_at=now - dt.timedelta(seconds=settings.PUBLISH_LOCK_TIMEOUT_SECONDS - 5))

    assert run()["published"] == 0
    assert post_claim(post=post, now=now) is None
    assert sandbox.client.calls("posts.create") == 0


def test_a_lock_older_than_the_timeout_is_taken_over_after_looking_on_google(sandbox, settings):
    franchise = franchise_connected_to_sandbox(sandbox)
    stale = timezone.now() - dt.timedelta(seconds=settings.PUBLISH_LOCK_TIMEOUT_SECONDS + 5)
    post = due_post(franchise, publishing_at=stale, google_create_sent_at=stale)

    counts = run()

    post.refresh_from_db()
    assert counts["published"] == 1 and counts["reconciled"] == 0
    assert post.status == Post.Status.PUBLISHED
    assert sandbox.client.calls("posts.list") == 1  # looked first: the dead run might have created it
    assert len(google_posts(sandbox, franchise)) == 1


def test_a_post_created_by_a_run_that_died_is_adopted_not_created_again(sandbox, settings):
    """A runner died after Google created the post and before it wrote that down."""
    franchise = franchise_connected_to_sandbox(sandbox)
    post = due_post(franchise, summary="Holiday hours: closed on the 25th.")
    claimed_at = post_claim(post=post, now=timezone.now())
    from franchises.google import business_profile

    body = {"summary": post.summary, "topicType": "STANDARD"}
    # What the runner does: write down what it is about to send, send it...
    Post.objects.filter(pk=post.pk).update(google_create_sent_at=claimed_at, google_sent_body=body)
    business_profile.local_post_create(franchise=franchise, body=body)
    # ...and the runner is gone. Its lock goes stale:
    later = claimed_at + dt.timedelta(seconds=settings.PUBLISH_LOCK_TIMEOUT_SECONDS + 1)
    with time_machine.travel(later, tick=True):
        counts = run()

    post.refresh_from_db()
    assert counts["published"] == 1 and counts["reconciled"] == 1
    assert post.status == Post.Status.PUBLISHED
    assert len(google_posts(sandbox, franchise)) == 1
    assert post.google_post_name == google_posts(sandbox, franchise)[0]["name"]


def test_a_create_whose_answer_was_lost_is_reconciled_on_the_next_attempt(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    post = due_post(franchise, summary="New patio furniture in stock.")
    sandbox.client.drop("posts.create", after_commit=True)

    first = run()
    post.refresh_from_db()
    assert first["deferred"] == 1
    assert post.status == Post.Status.SCHEDULED and post.google_create_sent_at is not None
    assert post.next_attempt_at > timezone.now()

    with time_machine.travel(post.next_attempt_at + dt.timedelta(seconds=1), tick=True):
        second = run()

    post.refresh_from_db()
    assert second["reconciled"] == 1
    assert post.status == Post.Status.PUBLISHED
    assert sandbox.client.calls("posts.create") == 1
    assert len(google_posts(sandbox, franchise)) == 1


def test_a_create_that_timed_out_is_reconciled_not_blindly_retried(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    post = due_post(franchise)
    sandbox.client.hang("posts.create", seconds=3)

    assert run()["deferred"] == 1
    post.refresh_from_db()
    with time_machine.travel(post.next_attempt_at + dt.timedelta(seconds=1), tick=True):
        run()

    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED
    assert sandbox.client.calls("posts.list") >= 1
    assert len(google_posts(sandbox, franchise)) == 1


def test_a_429_defers_the_post_no_sooner_than_retry_after(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    post = due_post(franchise)
    sandbox.client.fail("posts.create", 429, retry_after=120)

    before = timezone.now()
    assert run()["deferred"] == 1

    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED and post.publishing_at is None
    assert post.attempts == 1
    assert post.next_attempt_at >= before + dt.timedelta(seconds=120)
    assert post.google_create_sent_at is None  # a 429 created nothing: no reconcile needed
    assert "429" in post.last_error or "rate" in post.last_error.lower()


def test_transient_failures_back_off_exponentially_and_give_up_after_the_maximum(sandbox, settings):
    settings.PUBLISH_MAX_ATTEMPTS = 3
    franchise = franchise_connected_to_sandbox(sandbox)
    post = due_post(franchise)
    sandbox.client.fail("posts.create", 503, times=10)

    delays = []
    for _ in range(3):
        post.refresh_from_db()
        when = max(timezone.now(), post.next_attempt_at or timezone.now()) + dt.timedelta(seconds=1)
        with time_machine.travel(when, tick=False):
            run()
            post.refresh_from_db()
            if post.next_attempt_at:
                delays.append((post.next_attempt_at - timezone.now()).total_seconds())

    assert post.status == Post.Status.FAILED
    assert post.attempts == 3
    assert "Gave up after 3 attempts" in post.last_error
    base = settings.PUBLISH_RETRY_BASE_SECONDS
    assert base / 2 <= delays[0] <= base and base <= delays[1] <= 2 * base


def test_a_disabled_api_fails_the_post_with_what_to_do(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    post = due_post(franchise)
    sandbox.client.disable_location(franchise.google_location_id)

    assert run()["failed"] == 1
    post.refresh_from_db()
    assert post.status == Post.Status.FAILED and post.publishing_at is None
    assert "enable" in post.last_error.lower()
    assert "reconnect" not in post.last_error.lower()


def test_an_invalid_post_fails_without_calling_google(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    post = due_post(franchise, topic_type=Post.TopicType.EVENT)

    assert run()["failed"] == 1
    post.refresh_from_db()
    assert "needs a title" in post.last_error
    assert sandbox.client.calls("posts.create") == 0


def test_a_post_far_past_its_time_fails_instead_of_going_out_late(sandbox, settings):
    franchise = franchise_connected_to_sandbox(sandbox)
    late = timezone.now() - dt.timedelta(seconds=settings.PUBLISH_LATENESS_CUTOFF_SECONDS + 60)
    post = due_post(franchise, scheduled_at=late)

    assert run()["failed"] == 1
    post.refresh_from_db()
    assert "missed its publishing window" in post.last_error
    assert sandbox.client.calls("posts.create") == 0


def test_a_spent_time_budget_claims_nothing_and_leaves_posts_for_the_next_run(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    posts = [due_post(franchise) for _ in range(3)]

    counts = posts_publish_due(budget=TimeBudget(seconds=0))

    assert counts["published"] == 0
    assert sandbox.client.calls("posts.create") == 0
    assert all(Post.objects.get(pk=p.pk).publishing_at is None for p in posts)


def test_a_lost_claim_is_logged_and_skipped(sandbox, caplog):
    franchise = franchise_connected_to_sandbox(sandbox)
    post = due_post(franchise)
    post_claim(post=post, now=timezone.now())  # another runner holds it now
    from posts.services.publishing import post_publish

    with caplog.at_level(logging.INFO, logger="posts.services.publishing"):
        result = post_publish(post=post)

    assert result.outcome == "skipped_locked"
    assert "Lock acquired by another process" in caplog.text
    assert sandbox.client.calls("posts.create") == 0


def test_a_claim_rechecks_that_the_post_is_still_due_and_scheduled(sandbox):
    """A runner that read the post before another published it and cleared the lock must not
    claim it again (the seed's snippet only compared publishing_at)."""
    franchise = franchise_connected_to_sandbox(sandbox)
    post = due_post(franchise)
    stale_copy = Post.objects.get(pk=post.pk)
    run()  # another runner publishes it and clears the lock

    assert post_claim(post=stale_copy, now=timezone.now()) is None
    assert sandbox.client.calls("posts.create") == 1


def test_an_attempt_too_slow_to_create_safely_creates_nothing_and_retries_later(sandbox, settings):
    """A create goes out only in the first half of the lock's life, so that a run taking the
    post over after the timeout always sees it on Google."""
    from franchises.google import quota
    from posts.services.publishing import post_publish

    settings.PUBLISH_LOCK_TIMEOUT_SECONDS = 2
    post = due_post(franchise_connected_to_sandbox(sandbox))
    quota.shared().pause(1.2)  # e.g. a long wait for Google's quota: past half of the 2 s lock

    result = post_publish(post=post)

    post.refresh_from_db()
    assert result.outcome == "deferred"
    assert sandbox.client.calls("posts.create") == 0
    assert post.status == Post.Status.SCHEDULED and post.publishing_at is None
    assert "too long" in post.last_error


def test_a_copy_read_before_an_attempt_whose_create_may_have_landed_still_reconciles(sandbox):
    """Runner B read the post; runner A's create then lost its answer and A deferred the post.
    B's copy says nothing about that create; B must still look on Google before creating (it
    reads the post again once it holds the claim)."""
    from posts.services.publishing import post_publish

    franchise = franchise_connected_to_sandbox(sandbox)
    post = due_post(franchise)
    stale_copy = Post.objects.get(pk=post.pk)
    sandbox.client.drop("posts.create", after_commit=True)
    run()  # runner A
    post.refresh_from_db()
    assert post.google_create_sent_at is not None

    with time_machine.travel(post.next_attempt_at + dt.timedelta(seconds=1), tick=True):
        result = post_publish(post=stale_copy)

    assert result.outcome == "published" and result.reconciled
    assert len(google_posts(sandbox, franchise)) == 1
    assert sandbox.client.calls("posts.create") == 1
