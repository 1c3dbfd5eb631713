"""Each event, made by its real service path, reaches a subscriber signed (Standard Webhooks) and
verified by the receiver; announced in the transaction of the change, so a rollback sends nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from franchises.google.tokens import GoogleReauthorizationRequired, google_access_token_get
from franchises.models import Franchise
from gbp_scheduler.events import EventType, event_announce
from gbp_scheduler.jobs import TimeBudget
from generation.models import GenerationQueue
from generation.services import generation_queue_process
from posts.models import Post
from posts.services import google_posts_sync, posts_publish_due
from reviews.models import ReviewSync
from reviews.services.sync import reviews_sync_due
from testkit.factories import make_franchise, make_post
from testkit.google import DEMO_LOCATION, franchise_connected_to_sandbox, franchise_with_fake_grant
from webhooks.models import Delivery, DeliveryAttempt

from .helpers import deliver, subscribed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _one_worker(settings):
    settings.PUBLISH_CONCURRENCY = 1
    settings.GOOGLE_SYNC_MIN_INTERVAL_SECONDS = 0  # each sync run here stands for a later cron run


def _published(franchise, summary: str) -> Post:
    post = make_post(
        franchise=franchise,
        status=Post.Status.SCHEDULED,
        scheduled_at=timezone.now() - dt.timedelta(minutes=1),
        summary=summary,
    )
    posts_publish_due(budget=TimeBudget(seconds=60))
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED
    return post


def test_a_published_post_reaches_the_franchises_subscriber_signed(sandbox, receiver):
    franchise = franchise_connected_to_sandbox(sandbox, name="Sunrise Bakery")
    subscribed(receiver, franchise=franchise, types=[EventType.POST_PUBLISHED])
    post = _published(franchise, "Fresh bread at 7.")

    assert deliver()["delivered"] == 1
    [event] = receiver.of_type("post.published")
    assert event["data"]["post_id"] == str(post.pk) and event["data"]["franchise_id"] == str(franchise.pk)
    assert event["data"]["google_post_name"] == post.google_post_name
    assert receiver.refused == [] and receiver.ids == [Delivery.objects.get().event_id]
    assert receiver.ids[0].startswith("evt_")
    attempt = DeliveryAttempt.objects.get()
    assert attempt.status_code == 204 and attempt.error == ""


def test_posts_google_rejects_and_removes_are_told(sandbox, receiver):
    franchise = franchise_connected_to_sandbox(sandbox, name="Sunrise Bakery")
    rejected, removed = _published(franchise, "One."), _published(franchise, "Two.")
    subscribed(receiver, franchise=franchise, types=[EventType.POST_REJECTED, EventType.POST_REMOVED])
    sandbox.client.reject_post(rejected.google_post_name)
    sandbox.client.remove_post(removed.google_post_name)
    google_posts_sync(budget=TimeBudget(seconds=60))

    assert deliver()["delivered"] == 2
    assert [e["data"]["post_id"] for e in receiver.of_type("post.rejected")] == [str(rejected.pk)]
    assert [e["data"]["post_id"] for e in receiver.of_type("post.removed")] == [str(removed.pk)]


def test_a_post_that_fails_to_publish_is_told_with_its_error(sandbox, receiver, settings):
    franchise = franchise_connected_to_sandbox(sandbox, name="Sunrise Bakery")
    subscribed(receiver, franchise=franchise, types=[EventType.POST_FAILED])
    late = timezone.now() - dt.timedelta(seconds=settings.PUBLISH_LATENESS_CUTOFF_SECONDS + 3600)
    post = make_post(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=late)
    posts_publish_due(budget=TimeBudget(seconds=60))

    deliver()
    [event] = receiver.of_type("post.failed")
    post.refresh_from_db()
    assert post.status == Post.Status.FAILED and event["data"]["error"] == post.last_error


def test_a_draft_claude_wrote_is_told(sandbox, receiver, settings):
    settings.ANTHROPIC_USE_BATCHES = False
    settings.GENERATION_CONCURRENCY = 1
    # A business profile to write from; a fake grant: drafting never calls Google.
    franchise = franchise_with_fake_grant(
        website="https://sunrise-bakery.example", city="Portland", services="Sourdough bread", posts_per_week=2
    )
    subscribed(receiver, franchise=franchise, types=[EventType.DRAFT_READY])
    GenerationQueue.objects.create(
        franchise=franchise, week_start=dt.date(2026, 3, 2), slot=0, scheduled_for=timezone.now() + dt.timedelta(days=2)
    )
    generation_queue_process(budget=TimeBudget(seconds=60))

    deliver()
    [event] = receiver.of_type("draft.ready")
    post = Post.objects.get(franchise=franchise)
    assert event["data"]["post_id"] == str(post.pk) and event["data"]["status"] == "draft"
    assert event["data"]["summary"] == post.summary


def test_a_new_review_is_told_but_not_the_past_ones_a_first_read_finds(sandbox, receiver):
    franchise = franchise_connected_to_sandbox(sandbox, name="Sunrise Bakery")
    sandbox.client.add_review(franchise.google_location_id, stars=5, comment="Old news")
    subscribed(receiver, franchise=franchise, types=[EventType.REVIEW_RECEIVED])
    reviews_sync_due(budget=TimeBudget(seconds=60))
    ReviewSync.objects.update(synced_at=None)  # due again: a later hour's run
    sandbox.client.add_review(franchise.google_location_id, stars=2, comment="Cold coffee")
    reviews_sync_due(budget=TimeBudget(seconds=60))

    deliver()
    [event] = receiver.of_type("review.received")
    assert event["data"]["stars"] == 2 and event["data"]["comment"] == "Cold coffee"


def test_a_revoked_google_grant_is_told_for_each_franchise_of_the_connection(sandbox, receiver):
    franchise = franchise_connected_to_sandbox(sandbox, expired=True, name="Portland", location=DEMO_LOCATION)
    subscribed(receiver, types=[EventType.GOOGLE_ACCESS_BROKEN])  # headquarters', for every franchise
    sandbox.client.revoke(franchise.google_refresh_token)
    with pytest.raises(GoogleReauthorizationRequired):
        google_access_token_get(franchise=Franchise.objects.get(pk=franchise.pk))

    deliver()
    [event] = receiver.of_type("google.access_broken")
    assert event["data"]["franchise_id"] == str(franchise.pk) and "invalid_grant" in event["data"]["reason"]


def test_an_event_goes_only_to_subscriptions_that_want_it_for_that_franchise(receiver):
    mine, other = make_franchise(name="Mine"), make_franchise(name="Other")
    subscribed(receiver, franchise=mine, types=[EventType.POST_FAILED])
    subscribed(receiver, franchise=other, types=[EventType.POST_FAILED])
    chosen = subscribed(receiver, types=[EventType.POST_FAILED])
    chosen.franchises.set([other])
    subscribed(receiver, franchise=mine, types=[EventType.POST_PUBLISHED])
    with transaction.atomic():
        event_announce(
            type=EventType.POST_FAILED, franchise_id=mine.pk, data={"post_id": "p", "summary": "s", "error": "e"}
        )
    assert set(Delivery.objects.values_list("subscription__franchise", flat=True)) == {mine.pk}


def test_an_event_rolled_back_with_its_change_is_never_sent(receiver):
    franchise = make_franchise()
    subscribed(receiver, franchise=franchise)
    with pytest.raises(RuntimeError, match="the change failed"), transaction.atomic():
        event_announce(
            type=EventType.POST_FAILED, franchise_id=franchise.pk, data={"post_id": "p", "summary": "s", "error": "e"}
        )
        raise RuntimeError("the change failed after its event was announced")
    assert not Delivery.objects.exists()
    assert deliver()["delivered"] == 0 and receiver.events == []


@pytest.mark.django_db(transaction=True)  # the other tests run inside a transaction of their own
def test_an_event_announced_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        event_announce(type=EventType.GOOGLE_ACCESS_BROKEN, franchise_id="f", data={"reason": "r"})
