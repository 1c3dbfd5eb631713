"""Post events kept on their history entry (gbp_scheduler/events.py: event_for_record): publishing
reads no subscription; deliver-webhooks fans each out once, to the subscriptions made at or before
the moment it happened and enabled then, and a rolled-back change keeps none."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gbp_scheduler.events import EventType, event_for_record
from gbp_scheduler.jobs import TimeBudget
from posts.models import Post, PostEvent
from posts.services import posts_publish_due
from posts.services.history import post_event_record
from testkit.factories import make_franchise, make_post
from testkit.google import franchise_connected_to_sandbox
from webhooks.models import Delivery, Subscription

from .helpers import deliver, subscribed

pytestmark = pytest.mark.django_db


def _failed_kept(post: Post, error: str = "Google said no."):
    """A post.failed event kept on the history entry of its change, as publishing writes it."""
    with transaction.atomic():
        event = event_for_record(
            type=EventType.POST_FAILED,
            franchise_id=post.franchise_id,
            data={"post_id": str(post.pk), "summary": post.summary, "error": error},
        )
        post_event_record(post=post, action=PostEvent.Action.FAILED, detail=error, announced=event)
    return event


def test_publishing_reads_no_subscription_and_the_next_delivery_run_sends_the_event(sandbox, receiver, settings):
    settings.PUBLISH_CONCURRENCY = 1
    franchise = franchise_connected_to_sandbox(sandbox, name="Sunrise Bakery")
    subscribed(receiver, franchise=franchise, types=[EventType.POST_PUBLISHED])
    make_post(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=timezone.now() - dt.timedelta(minutes=1))

    with CaptureQueriesContext(connection) as queries:
        posts_publish_due(budget=TimeBudget(seconds=60))

    assert not [q["sql"] for q in queries if "webhook_" in q["sql"]]
    entry = PostEvent.objects.get(action=PostEvent.Action.PUBLISHED)
    assert entry.announced["type"] == "post.published" and not Delivery.objects.exists()
    result = deliver()
    assert result["fanned_out"] == 1 and result["delivered"] == 1
    assert receiver.ids == [entry.announced["id"]]
    entry.refresh_from_db()
    assert entry.announced is None and deliver()["delivered"] == 0  # fanned out once


def test_the_payload_is_the_event_as_announced_with_its_own_time(receiver):
    post = make_post()
    subscribed(receiver, franchise=post.franchise, types=[EventType.POST_FAILED])
    event = _failed_kept(post, "Google said no.")
    deliver()

    [(event_id, payload)] = receiver.events
    assert event_id == event.id
    assert payload == {"type": "post.failed", "timestamp": event.stored()["timestamp"], "data": event.data}
    assert Delivery.objects.get().created_at == event.at


def test_a_subscription_gets_the_events_from_its_creation_on_never_one_before(receiver):
    post = make_post()
    before = subscribed(receiver, franchise=post.franchise, types=[EventType.POST_FAILED])
    at_the_moment = subscribed(receiver, franchise=post.franchise, types=[EventType.POST_FAILED])
    after = subscribed(receiver, franchise=post.franchise, types=[EventType.POST_FAILED])
    event = _failed_kept(post)
    Subscription.objects.filter(pk=before.pk).update(created_at=event.at - dt.timedelta(seconds=1))
    Subscription.objects.filter(pk=at_the_moment.pk).update(created_at=event.at)
    Subscription.objects.filter(pk=after.pk).update(created_at=event.at + dt.timedelta(microseconds=1))
    deliver()

    assert set(Delivery.objects.values_list("subscription", flat=True)) == {before.pk, at_the_moment.pk}


def test_a_subscription_switched_off_when_the_event_is_fanned_out_gets_none(receiver):
    post = make_post()
    off = subscribed(receiver, franchise=post.franchise, types=[EventType.POST_FAILED])
    on = subscribed(receiver, franchise=post.franchise, types=[EventType.POST_FAILED])
    _failed_kept(post)
    Subscription.objects.filter(pk=off.pk).update(enabled=False)
    deliver()

    assert list(Delivery.objects.values_list("subscription", flat=True)) == [on.pk]


def test_a_change_rolled_back_keeps_no_event_and_sends_nothing(receiver):
    post = make_post()
    subscribed(receiver, franchise=post.franchise)
    with pytest.raises(RuntimeError, match="the change failed"), transaction.atomic():
        _failed_kept(post)
        raise RuntimeError("the change failed after its event was kept")

    assert not PostEvent.objects.exists()
    assert deliver()["delivered"] == 0 and receiver.events == []


def test_an_event_nobody_listens_to_is_fanned_out_to_no_row(receiver):
    post = make_post(franchise=make_franchise(name="Nobody listens"))
    subscribed(receiver, franchise=make_franchise(name="Other"), types=[EventType.POST_FAILED])
    _failed_kept(post)

    assert deliver()["fanned_out"] == 1
    assert not Delivery.objects.exists() and not PostEvent.objects.filter(announced__isnull=False).exists()
