"""The outbox: one row per matching subscription for each announced event (gbp_scheduler/events.py),
written in the transaction that announced it (the `event_announced` receiver), or, for an event a
post's history entry keeps, by deliver-webhooks when it fans the entry out (`events_fan_out`).
deliver-webhooks (delivery.py) sends the rows afterwards; a rollback takes them back unsent.

Who receives an event: the subscriptions enabled and wanting it when its rows are written, made
at or before the moment it happened (`Event.at`, on the database's clock): never one made after."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from gbp_scheduler import clock
from gbp_scheduler.events import Event
from posts.models import PostEvent

from .models import Delivery, Subscription

FAN_OUT_BATCH = 200


def subscriptions_listening(events: list[Event]) -> list[list[Subscription]]:
    """For each event, the enabled subscriptions made by the time it happened that want its type of
    its franchise: the franchise's own, and headquarters' for all franchises or for ones that
    include it. One read of the subscriptions for all the events."""
    franchise_ids = {event.franchise_id for event in events}
    rows = list(
        Subscription.objects.filter(Q(franchise_id__in=franchise_ids) | Q(franchise__isnull=True), enabled=True)
        .prefetch_related("franchises")
        .order_by("created_at", "pk")
    )
    chosen = {row.pk: {str(franchise.pk) for franchise in row.franchises.all()} for row in rows}

    def listens(row: Subscription, event: Event) -> bool:
        if row.created_at > event.at or event.type not in row.event_types:
            return False
        if row.franchise_id is not None:
            return str(row.franchise_id) == event.franchise_id
        return not chosen[row.pk] or event.franchise_id in chosen[row.pk]

    return [[row for row in rows if listens(row, event)] for event in events]


def outbox_write(events: list[Event]) -> int:
    """The events' rows, one per listening subscription each; a second write of the same event id
    (two runs that saw one review, or fanned one entry out) adds none. Returns how many rows."""
    now = clock.now()
    deliveries = [
        Delivery(
            subscription=subscription,
            franchise_id=event.franchise_id,
            event_id=event.id,
            event_type=event.type,
            payload={"type": event.type, "timestamp": event.stored()["timestamp"], "data": event.data},
            next_attempt_at=now,
            created_at=event.at,
        )
        for event, listening in zip(events, subscriptions_listening(events), strict=True)
        for subscription in listening
    ]
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    return len(deliveries)


def outbox_write_received(sender, *, event: Event, **kwargs) -> None:
    outbox_write([event])


def events_fan_out() -> int:
    """Write the outbox rows of up to FAN_OUT_BATCH events that posts' history entries keep, and
    empty those entries, in one transaction. On PostgreSQL overlapping runs take different entries
    (SKIP LOCKED); on SQLite, where both may read one entry, the unique (subscription, event id)
    keeps its rows single. Returns how many events were fanned out."""
    with transaction.atomic():
        waiting = PostEvent.objects.filter(announced__isnull=False).order_by("created_at")
        entries = list(waiting.select_for_update(skip_locked=True).values_list("pk", "announced")[:FAN_OUT_BATCH])
        outbox_write([Event.from_stored(stored) for _, stored in entries])
        PostEvent.objects.filter(pk__in=[pk for pk, _ in entries]).update(announced=None)
    return len(entries)
