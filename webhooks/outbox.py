"""The outbox: one row per matching subscription for each announced event, written by the
`event_announced` receiver inside the transaction that announced it (gbp_scheduler/events.py).
deliver-webhooks (delivery.py) sends the rows afterwards; a rollback takes them back unsent."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from gbp_scheduler import clock
from gbp_scheduler.events import Event
from gbp_scheduler.times import iso_utc

from .models import Delivery, Subscription


def subscriptions_listening(*, franchise_id, event_type: str) -> list[Subscription]:
    """The enabled subscriptions that want `event_type` of the franchise: its own, and
    headquarters' for all franchises or for ones that include it."""
    mine = Q(franchise_id=franchise_id)
    headquarters = Q(franchise__isnull=True) & (Q(franchises__isnull=True) | Q(franchises=franchise_id))
    rows: QuerySet[Subscription] = Subscription.objects.filter(mine | headquarters, enabled=True).distinct()
    # The types are a short JSON list; SQLite cannot search inside one, so they are read here.
    return [row for row in rows if event_type in row.event_types]


def outbox_write(event: Event) -> int:
    """The event's rows, one per listening subscription; a second announcement of the same event
    id (two runs that saw one review) adds none. Returns how many subscriptions listen."""
    listening = subscriptions_listening(franchise_id=event.franchise_id, event_type=event.type)
    now = clock.now()
    payload = {"type": event.type, "timestamp": iso_utc(now), "data": event.data}
    Delivery.objects.bulk_create(
        [
            Delivery(
                subscription=subscription,
                franchise_id=event.franchise_id,
                event_id=event.id,
                event_type=event.type,
                payload=payload,
                next_attempt_at=now,
                created_at=now,
            )
            for subscription in listening
        ],
        ignore_conflicts=True,
    )
    return len(listening)


def outbox_write_received(sender, *, event: Event, **kwargs) -> None:
    outbox_write(event)
