"""Overlapping deliver-webhooks runs on PostgreSQL: rows claimed FOR UPDATE SKIP LOCKED with a
lease, and post events kept on their history entries fanned out by one run each (SKIP LOCKED too),
so each event reaches its receiver once. The order of arrival is not promised."""

from __future__ import annotations

import pytest
from django.db import transaction

from gbp_scheduler.events import EventType, event_announce, event_for_record
from posts.models import PostEvent
from posts.services.history import post_event_record
from testkit.factories import make_franchise, make_post
from testkit.threads import together
from webhooks.models import Delivery

from .helpers import deliver, subscribed


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_overlapping_runs_deliver_each_event_once(receiver):
    franchise = make_franchise()
    subscribed(receiver, franchise=franchise)
    ids = []
    for n in range(120):
        with transaction.atomic():
            event = event_announce(
                type=EventType.POST_FAILED,
                franchise_id=franchise.pk,
                data={"post_id": f"post-{n}", "summary": f"Post {n}", "error": "Google said no."},
            )
        ids.append(event.id)

    results, errors = together(4, deliver)

    assert errors == []
    assert sorted(receiver.ids) == sorted(ids)  # every event, none twice
    assert sum(result["delivered"] for result in results) == 120
    assert Delivery.objects.filter(status=Delivery.Status.DELIVERED, attempts=1).count() == 120


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_overlapping_runs_fan_each_kept_post_event_out_once(receiver):
    franchise = make_franchise()
    post = make_post(franchise=franchise)
    subscribed(receiver, franchise=franchise)
    ids = []
    for n in range(450):  # more than one fan-out batch
        with transaction.atomic():
            event = event_for_record(
                type=EventType.POST_FAILED,
                franchise_id=franchise.pk,
                data={"post_id": str(post.pk), "summary": f"Post {n}", "error": "Google said no."},
            )
            post_event_record(post=post, action=PostEvent.Action.FAILED, announced=event)
        ids.append(event.id)

    results, errors = together(4, deliver)

    assert errors == []
    assert sum(result.get("fanned_out", 0) for result in results) == 450  # each entry by one run
    assert sorted(receiver.ids) == sorted(ids)  # every event, none twice
    assert not PostEvent.objects.filter(announced__isnull=False).exists()
