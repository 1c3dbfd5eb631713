"""What the webhook tests share: a subscription to a receiver, and a run of deliver-webhooks."""

from __future__ import annotations

from gbp_scheduler.events import EventType
from gbp_scheduler.jobs import TimeBudget
from testkit.webhooks import WebhookReceiver
from webhooks.delivery import webhooks_deliver_due
from webhooks.models import Subscription
from webhooks.services import subscription_create


def subscribed(receiver: WebhookReceiver, *, franchise=None, types=EventType.values, **fields) -> Subscription:
    """A subscription of `franchise` (headquarters' when None) to the receiver, which now knows its secret."""
    subscription = subscription_create(
        user=None, franchise=franchise, url=receiver.url, event_types=list(types), **fields
    )
    receiver.secret = subscription.secret
    return subscription


def deliver(seconds: float = 60) -> dict:
    return webhooks_deliver_due(budget=TimeBudget(seconds=seconds))
