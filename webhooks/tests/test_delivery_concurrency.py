"""Overlapping deliver-webhooks runs on PostgreSQL: rows claimed FOR UPDATE SKIP LOCKED with a
lease, so each event reaches its receiver once. The order of arrival is not promised."""

from __future__ import annotations

import pytest
from django.db import transaction

from gbp_scheduler.events import EventType, event_announce
from testkit.factories import make_franchise
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
