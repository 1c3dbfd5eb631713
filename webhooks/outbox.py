"""The outbox: one row per matching subscription for each announced event (gbp_scheduler/events.py),
written in the transaction that announced it (the `event_announced` receiver), or, for an event a
post's history entry keeps, by deliver-webhooks when it fans the entry out (`events_fan_out`).
deliver-webhooks (delivery.py) sends the rows afterwards; a rollback takes them back unsent.

Who receives an event: the subscriptions enabled and wanting it when its rows are written, made
at or before the moment it happened (`Event.at`, on the database's clock): never one made after."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q, QuerySet

from gbp_scheduler import clock
from gbp_scheduler.events import Event
from posts.models import PostEvent

from .models import Delivery, Subscription

FAN_OUT_BATCH = 200


def subscriptions_listening(*, franchise_id, event_type: str, since: dt.datetime) -> list[Subscription]:
    """The enabled subscriptions made by `since` that want `event_type` of the franchise: its own,
    and headquarters' for all franchises or for ones that include it."""
    mine = Q(franchise_id=franchise_id)
    headquarters = Q(franchise__isnull=True) & (Q(franchises__isnull=True) | Q(franchises=franchise_id))
    rows: QuerySet[Subscription] = Subscription.objects.filter(
        mine | headquarters, enabled=True, created_at__lte=since
    ).distinct()
    # The types are a short JSON list; SQLite cannot search inside one, so they are read here.
    return [row for row in rows if event_type in row.event_types]


def outbox_write(event: Event) -> int:
    """The event's rows, one per listening subscription; a second write of the same event id (two
    runs that saw one review, or fanned one entry out) adds none. Returns how many listen."""
    listening = subscriptions_listening(franchise_id=event.franchise_id, event_type=event.type, since=event.at)
    payload = {"type": event.type, "timestamp": event.stored()["timestamp"], "data": event.data}
    now = clock.now()
    Delivery.objects.bulk_create(
        [
            Delivery(
                subscription=subscription,
                franchise_id=event.franchise_id,
                event_id=event.id,
                event_type=event.type,
                payload=payload,
                next_attempt_at=now,
                created_at=event.at,
            )
            for subscription in listening
        ],
        ignore_conflicts=True,
    )
    return len(listening)


def outbox_write_received(sender, *, event: Event, **kwargs) -> None:
    outbox_write(event)


def events_fan_out() -> int:
    """Write the outbox rows of up to FAN_OUT_BATCH events that posts' history entries keep, and
    empty those entries, in one transaction. On PostgreSQL overlapping runs take different entries
    (SKIP LOCKED); on SQLite, where both may read one entry, the unique (subscription, event id)
    keeps its rows single. Returns how many events were fanned out."""
    with transaction.atomic():
        waiting = PostEvent.objects.filter(announced__isnull=False).order_by("created_at")
        entries = list(waiting.select_for_update(skip_locked=True).values_list("pk", "announced")[:FAN_OUT_BATCH])
        for _, stored in entries:
            outbox_write(Event.from_stored(stored))
        PostEvent.objects.filter(pk__in=[pk for pk, _ in entries]).update(announced=None)
    return len(entries)
