"""deliver-webhooks: send the outbox's due rows, each at least once, retrying for about a day.

1. Fan out the events posts' history entries keep into outbox rows (outbox.events_fan_out).
2. Claim up to a batch of due rows (pending, next attempt passed, nobody's lease live) with one
   conditional UPDATE of their lease, on the database's clock; on PostgreSQL the rows are picked
   FOR UPDATE SKIP LOCKED, so overlapping runs take different rows.
3. Commit, then POST each (client.py): a short timeout, never inside a transaction.
4. Write the outcome back only while the lease is still this run's, with the attempt's record:
   2xx delivered; otherwise the next attempt after Standard Webhooks' schedule (5 s, 5 min, 30 min,
   2 h, 5 h, 10 h, 10 h: the last about 27 hours after the first), then failed.

Each run also deletes the finished rows older than KEEP_DAYS (30). A subscription whose endpoint
failed in this run is left for the next one (its other rows are not
claimed again by this run), so one endpoint that times out does not use the run's budget up for
the others. Receivers see each event at least once, in no promised order: they de-duplicate by
`webhook-id`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections import Counter

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from gbp_scheduler import clock
from gbp_scheduler.jobs import RUN_BREAKING, TimeBudget
from gbp_scheduler.times import human_duration

from .client import SendFailed, webhook_post
from .models import Delivery, DeliveryAttempt
from .outbox import events_fan_out
from .signing import signed_headers

logger = logging.getLogger(__name__)

# Seconds to wait after each failed attempt (Standard Webhooks' schedule); past the last, failed.
RETRY_SCHEDULE = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
BATCH = 50
# Delivered and given-up rows stay in the log this long (the page shows the latest), then go.
KEEP_DAYS = 30


def lease_seconds() -> float:
    """Long enough for one POST and its write-back; a run that died lets go after this."""
    return settings.WEBHOOKS_TIMEOUT_SECONDS * 2 + 30


def webhooks_deliver_due(*, budget: TimeBudget) -> dict[str, int]:
    counts: Counter = Counter()
    failing: set = set()  # subscriptions whose endpoint failed in this run
    while not budget.exhausted:
        # Each round first turns the events posts' history keeps into outbox rows, so one written
        # while this run sends is sent by it too, as a row the announcing transaction wrote is.
        while (fanned := events_fan_out()) and not budget.exhausted:
            counts["fanned_out"] += fanned
        claimed = deliveries_claim(now=clock.now(), limit=BATCH, skip=failing)
        if not claimed:
            break
        for index, delivery in enumerate(claimed):
            if budget.exhausted:
                deliveries_release(claimed[index:])
                counts["left_for_next_run"] += len(claimed) - index
                break
            if delivery.subscription_id in failing:
                deliveries_release([delivery])
                counts["left_for_next_run"] += 1
                continue
            try:
                outcome = delivery_attempt(delivery, budget=budget)
            except RUN_BREAKING:
                raise
            except Exception:  # one bad row never stops the run; its lease lapses and it is tried again
                logger.exception("Webhook delivery %s could not be attempted", delivery.pk)
                outcome = "error"
            counts[outcome] += 1
            if outcome not in ("delivered", "lost_lease"):
                failing.add(delivery.subscription_id)
    counts["pruned"] = deliveries_prune(now=clock.now())
    return {"delivered": 0, "retrying": 0, "failed": 0, **counts}


def deliveries_prune(*, now: dt.datetime) -> int:
    """The finished rows older than KEEP_DAYS, with their attempts: the outbox does not grow for ever."""
    old = Delivery.objects.filter(
        created_at__lt=now - dt.timedelta(days=KEEP_DAYS),
        status__in=[Delivery.Status.DELIVERED, Delivery.Status.FAILED],
    )
    return old.delete()[1].get(Delivery._meta.label, 0)


def _due(now: dt.datetime) -> Q:
    return Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now) & (
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )


def deliveries_claim(*, now: dt.datetime, limit: int, skip=()) -> list[Delivery]:
    """Up to `limit` due rows of enabled subscriptions, leased to this run until now + lease."""
    until = now + dt.timedelta(seconds=lease_seconds())
    with transaction.atomic():
        due = (
            Delivery.objects.filter(_due(now), subscription__enabled=True)
            .exclude(subscription_id__in=skip)
            .order_by("next_attempt_at", "id")
        )
        ids = list(due.select_for_update(skip_locked=True, of=("self",)).values_list("id", flat=True)[:limit])
        # Conditional: on SQLite (no row locks) a row another run leased meanwhile is not taken.
        Delivery.objects.filter(_due(now), id__in=ids).update(lease_until=until)
    rows = Delivery.objects.filter(id__in=ids, lease_until=until).select_related("subscription")
    return sorted(rows, key=lambda row: (row.next_attempt_at, row.id))


def deliveries_release(deliveries: list[Delivery]) -> None:
    for delivery in deliveries:
        Delivery.objects.filter(pk=delivery.pk, lease_until=delivery.lease_until).update(lease_until=None)


def delivery_attempt(delivery: Delivery, *, budget: TimeBudget) -> str:
    """POST one claimed row and write its outcome back: delivered, retrying, failed or lost_lease."""
    subscription = delivery.subscription
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = int(clock.epoch())
    headers = signed_headers(secret=subscription.secret, message_id=delivery.event_id, timestamp=timestamp, body=body)
    timeout = max(1.0, min(settings.WEBHOOKS_TIMEOUT_SECONDS, budget.remaining))
    started = time.monotonic()
    status_code, error = None, ""
    try:
        answer = webhook_post(url=subscription.url, body=body, headers=headers, timeout=timeout)
        status_code = answer.status_code
        if not answer.ok:
            error = f"The receiver answered HTTP {status_code}; only 2xx counts as delivered."
    except SendFailed as exc:
        error = str(exc)
    elapsed_ms = round((time.monotonic() - started) * 1000)
    return _outcome_write(delivery, status_code=status_code, error=error[:500], duration_ms=elapsed_ms)


def _outcome_write(delivery: Delivery, *, status_code: int | None, error: str, duration_ms: int) -> str:
    now = clock.now()
    attempts = delivery.attempts + 1
    fields: dict = {"attempts": attempts, "lease_until": None, "last_status_code": status_code, "last_error": error}
    if not error:
        outcome = "delivered"
        fields.update(status=Delivery.Status.DELIVERED, delivered_at=now, next_attempt_at=None)
    elif attempts > len(RETRY_SCHEDULE):
        outcome = "failed"
        fields.update(status=Delivery.Status.FAILED, next_attempt_at=None, last_error=f"Gave up: {error}"[:500])
    else:
        outcome = "retrying"
        wait = RETRY_SCHEDULE[attempts - 1]
        fields.update(next_attempt_at=now + dt.timedelta(seconds=wait))
        logger.info(
            "Webhook %s to %s: %s; again in %s",
            delivery.event_id,
            delivery.subscription_id,
            error,
            human_duration(wait),
        )
    with transaction.atomic():
        held = Delivery.objects.filter(pk=delivery.pk, lease_until=delivery.lease_until)
        if held.update(**fields) != 1:
            return "lost_lease"  # "Send again" or a later run took it: theirs to record
        DeliveryAttempt.objects.create(
            delivery_id=delivery.pk, at=now, status_code=status_code, duration_ms=duration_ms, error=error
        )
    return outcome
