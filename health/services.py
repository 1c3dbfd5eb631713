"""Operator alerts (settings.ADMINS): stuck publish locks and a generation queue in trouble.

The franchise-admin email on invalid Google auth lives with the token code
(franchises/google/tokens.py); this module only tells the operators about the system.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import mail_admins
from django.db import IntegrityError, transaction
from django.utils import timezone

from gbp_scheduler.jobs import TimeBudget

from . import selectors
from .checks import iso
from .models import AlertSent

logger = logging.getLogger(__name__)

ALERT_INTERVAL = timedelta(hours=1)


@dataclass(frozen=True)
class Alert:
    key: str
    subject: str
    body: str


def _alerts_due(*, now: datetime) -> list[Alert]:
    alerts = []
    stuck = selectors.posts_stuck_in_publishing(now=now)
    if stuck.count:
        alerts.append(
            Alert(
                key="stuck-locks",
                subject=f"{stuck.count} post(s) stuck in publishing for over {stuck.minutes} minutes",
                body=(
                    f"{stuck.count} post(s) have held their publish lock (posts.publishing_at) for over "
                    f"{stuck.minutes} minutes; the oldest since {iso(stuck.oldest)}.\n\n"
                    "A publish run probably died mid-post. The next publish run reconciles these posts "
                    "against Google once their lock is stale; if the number keeps growing, check that "
                    "the publish cron runs and look at its logs. To list them:\n\n"
                    "SELECT id, franchise_id, status, publishing_at FROM posts\n"
                    "WHERE publishing_at IS NOT NULL AND publishing_at < NOW() - INTERVAL "
                    f"'{stuck.minutes} minutes';\n"
                ),
            )
        )
    queue = selectors.generation_queue_summary(now=now)
    if queue.failed_last_day >= queue.failures_threshold:
        alerts.append(
            Alert(
                key="queue-failures",
                subject=f"{queue.failed_last_day} AI draft(s) failed in the last 24 hours",
                body=(
                    f"{queue.failed_last_day} generation queue row(s) ended failed in the last 24 hours "
                    f"(alert threshold {queue.failures_threshold}). Each row keeps its reason in "
                    "generation_queue.error; a common reason across rows usually means a bad "
                    "ANTHROPIC_API_KEY, a spent budget or an outage.\n"
                ),
            )
        )
    if queue.stale_due:
        alerts.append(
            Alert(
                key="queue-backlog",
                subject=f"{queue.stale_due} AI draft(s) waiting for over {queue.backlog_minutes} minutes",
                body=(
                    f"{queue.stale_due} pending generation queue row(s) have been due for over "
                    f"{queue.backlog_minutes} minutes (oldest since {iso(queue.oldest_due)}). "
                    "Check that process-generation-queue runs (every 15 minutes).\n"
                ),
            )
        )
    return alerts


def alert_claim(*, key: str, now: datetime, detail: str = "") -> datetime | None:
    """Claim the right to send alert `key` now: at most once per ALERT_INTERVAL, agreed by every
    process through one conditional UPDATE (or the INSERT of the first row).

    Returns the previous sent_at (or `now` for a first send) when claimed, None when not.
    """
    previous = AlertSent.objects.filter(key=key).values_list("sent_at", flat=True).first()
    if previous is not None:
        claimed = AlertSent.objects.filter(key=key, sent_at=previous, sent_at__lte=now - ALERT_INTERVAL).update(
            sent_at=now, detail=detail
        )
        return previous if claimed else None
    try:
        with transaction.atomic():
            AlertSent.objects.create(key=key, sent_at=now, detail=detail)
    except IntegrityError:
        return None  # another process sent it first
    return now


def _alert_unclaim(*, key: str, now: datetime, previous: datetime) -> None:
    """The email did not go out: give the claim back so the next run tries again."""
    if previous == now:
        AlertSent.objects.filter(key=key, sent_at=now).delete()
    else:
        AlertSent.objects.filter(key=key, sent_at=now).update(sent_at=previous)


def alerts_check() -> list[str]:
    """Email the operators about every alert condition that holds, each at most once an hour.

    Returns the keys of the alerts sent by this call ("stuck-locks", "queue-failures",
    "queue-backlog"). Safe to call from several processes at once and as often as you like.
    """
    if not settings.ADMINS:
        logger.warning("alerts: ADMINS is not set, so operator alerts go nowhere")
        return []
    now = timezone.now()
    sent = []
    for alert in _alerts_due(now=now):
        previous = alert_claim(key=alert.key, now=now, detail=alert.subject)
        if previous is None:
            continue
        try:
            # Sent outside any transaction: the claim is already committed, so a slow mail
            # server holds no lock.
            mail_admins(alert.subject, alert.body, fail_silently=False)
        except Exception:
            logger.exception("alerts: could not send %s", alert.key)
            _alert_unclaim(key=alert.key, now=now, previous=previous)
            continue
        logger.warning("alerts: sent %s: %s", alert.key, alert.subject)
        sent.append(alert.key)
    return sent


def alerts_job(*, budget: TimeBudget) -> dict:
    """The cron/command form of alerts_check, and the emails to franchise admins about posts that
    failed (health/failure_notices.py); budget unused: the work is a few queries and emails."""
    from .failure_notices import posts_failed_notify

    sent = alerts_check()
    told = posts_failed_notify(now=timezone.now())
    return {"alertsSent": len(sent), "alerts": sent, "failedPostsTold": told}
