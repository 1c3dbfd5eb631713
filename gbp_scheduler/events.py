"""The events the product announces, declared once: each type, what its `data` holds, and the signal.

A lower layer (franchises, posts, generation, reviews) announces an event inside the transaction
that makes the change, in one of two ways:

- `event_announce`: a higher layer (webhooks) receives the `event_announced` signal in that same
  transaction and writes what it needs there;
- `event_for_record`: the change writes a record of its own anyway (a post's history entry), and
  that record keeps the event (`Event.stored()`) until the higher layer reads it from there later
  (deliver-webhooks fans it out), so the event costs the transaction no statement of its own.

Either way a rollback takes the event with it, and a committed change always has its event: none
lost, none invented. This bottom layer names the events without importing the apps that announce
or receive them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db import models, transaction
from django.dispatch import Signal

from . import clock
from .times import iso_utc


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
    at: dt.datetime  # when it happened, on the database's clock: the payload's `timestamp`

    def stored(self) -> dict:
        """The event as JSON, for a record that keeps it (`event_for_record`)."""
        return {"id": self.id, "type": self.type, "timestamp": iso_utc(self.at), "data": self.data}

    @classmethod
    def from_stored(cls, stored: dict) -> Event:
        at = dt.datetime.fromisoformat(stored["timestamp"].replace("Z", "+00:00"))
        return cls(stored["id"], stored["type"], stored["data"]["franchise_id"], stored["data"], at)


def event_id_for(key: str) -> str:
    """A stable id for an event that two overlapping runs might both see (a review's first read):
    the same key, the same id, so the event is written once."""
    return f"evt_{uuid.uuid5(uuid.NAMESPACE_URL, key).hex}"


def event_announce(*, type: str, franchise_id, data: dict, key: str = "") -> Event:
    """Tell the receivers that `type` happened to the franchise. Call it inside the transaction
    that makes the change (it raises otherwise). `data`: exactly DATA_FIELDS[type]."""
    event = event_for_record(type=type, franchise_id=franchise_id, data=data, key=key)
    event_announced.send(sender=Event, event=event)
    return event


def event_for_record(*, type: str, franchise_id, data: dict, key: str = "") -> Event:
    """The event that `type` happened to the franchise, for the record the change writes to keep
    (its `stored()` form): no receiver hears of it now. The same checks as `event_announce`."""
    if set(data) != set(DATA_FIELDS[type]):
        raise ValueError(f"{type} carries {sorted(DATA_FIELDS[type])}, not {sorted(data)}")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"announce {type} inside the transaction that makes the change")
    return Event(
        id=event_id_for(key) if key else f"evt_{uuid.uuid4().hex}",
        type=str(type),
        franchise_id=str(franchise_id),
        data={"franchise_id": str(franchise_id), **data},
        at=clock.now(),
    )
