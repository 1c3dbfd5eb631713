"""The events the product announces, declared once: each type, what its `data` holds, and the signal.

A lower layer (franchises, posts, generation, reviews) announces an event with `event_announce`
inside the transaction that makes the change; a higher layer (webhooks) receives the
`event_announced` signal in that same transaction and writes what it needs there. So a rollback
takes the event with it, and a committed change always has its event: none lost, none invented.
This bottom layer names the events without importing the apps that announce or receive them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import models, transaction
from django.dispatch import Signal


class EventType(models.TextChoices):
    POST_PUBLISHED = "post.published", "Post published on Google"
    POST_FAILED = "post.failed", "Post failed to publish"
    POST_REJECTED = "post.rejected", "Post rejected by Google"
    POST_REMOVED = "post.removed", "Post removed from Google"
    DRAFT_READY = "draft.ready", "AI draft ready"
    REVIEW_RECEIVED = "review.received", "Review received"
    GOOGLE_ACCESS_BROKEN = "google.access_broken", "Google access broken"


# What each type's `data` carries besides `franchise_id` (every event has it): docs/api.md shows them.
DATA_FIELDS: dict[str, tuple[str, ...]] = {
    EventType.POST_PUBLISHED: ("post_id", "summary", "google_post_name", "google_search_url"),
    EventType.POST_FAILED: ("post_id", "summary", "error"),
    EventType.POST_REJECTED: ("post_id", "summary", "google_post_name"),
    EventType.POST_REMOVED: ("post_id", "summary", "google_post_name"),
    EventType.DRAFT_READY: ("post_id", "summary", "status", "scheduled_at"),
    EventType.REVIEW_RECEIVED: ("review_id", "stars", "comment", "reviewer_name", "created_at"),
    EventType.GOOGLE_ACCESS_BROKEN: ("reason",),
}

# Sent once per event, inside the transaction of the change, with `event` (an Event).
event_announced = Signal()


@dataclass(frozen=True)
class Event:
    id: str  # "evt_<32 hex>": the same on every delivery of it, for receivers to de-duplicate
    type: str
    franchise_id: str
    data: dict


def event_id_for(key: str) -> str:
    """A stable id for an event that two overlapping runs might both see (a review's first read):
    the same key, the same id, so the event is written once."""
    return f"evt_{uuid.uuid5(uuid.NAMESPACE_URL, key).hex}"


def event_announce(*, type: str, franchise_id, data: dict, key: str = "") -> Event:
    """Tell the receivers that `type` happened to the franchise. Call it inside the transaction
    that makes the change (it raises otherwise). `data`: exactly DATA_FIELDS[type]."""
    if set(data) != set(DATA_FIELDS[type]):
        raise ValueError(f"{type} carries {sorted(DATA_FIELDS[type])}, not {sorted(data)}")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"announce {type} inside the transaction that makes the change")
    event = Event(
        id=event_id_for(key) if key else f"evt_{uuid.uuid4().hex}",
        type=str(type),
        franchise_id=str(franchise_id),
        data={"franchise_id": str(franchise_id), **data},
    )
    event_announced.send(sender=Event, event=event)
    return event
