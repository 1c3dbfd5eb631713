"""Database reads behind the health checks and the operator alerts.

Each is one aggregate query (the franchise list for detailed callers is one plain query), so
/api/health stays a handful of indexed queries however many franchises there are.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, Count, ExpressionWrapper, Min, Q, QuerySet
from django.db.models.functions import Coalesce

from franchises.models import Franchise
from gbp_scheduler import clock
from generation.models import GenerationQueue
from posts.models import Post

from .models import JobRun

# Fallbacks for tunables not (yet) in settings.py; settings win when present.


def database_ping() -> float:
    """Round trip to the database in milliseconds; raises DatabaseError when it is unreachable."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return (time.perf_counter() - started) * 1000


# Only active franchises count: inactive ones are skipped by every job, so a dead token there
# is nobody's problem and must not keep the system "degraded" for ever.
_CONNECTED = Q(google_refresh_token__isnull=False)
_AUTH_INVALID = _CONNECTED & Q(google_auth_valid=False)


def franchise_auth_counts() -> dict[str, int]:
    """{total, connected, authInvalid} over active franchises, in one query."""
    counts = Franchise.objects.filter(is_active=True).aggregate(
        total=Count("id"),
        connected=Count("id", filter=_CONNECTED),
        authInvalid=Count("id", filter=_AUTH_INVALID),
    )
    return {key: int(value or 0) for key, value in counts.items()}


def franchise_auth_list(*, franchises: QuerySet[Franchise] | None = None) -> list[dict]:
    """Every active franchise (of `franchises`, when given) as {id, name, connected, authValid},
    without decrypting any token."""
    rows = (
        (Franchise.objects.all() if franchises is None else franchises)
        .filter(is_active=True)
        .annotate(connected=ExpressionWrapper(_CONNECTED, output_field=BooleanField()))
        .order_by("name", "id")
        .values_list("id", "name", "connected", "google_auth_valid")
    )
    return [
        {"id": str(pk), "name": name, "connected": bool(connected), "authValid": bool(valid)}
        for pk, name, connected, valid in rows
    ]


@dataclass(frozen=True)
class StuckLocks:
    count: int
    oldest: datetime | None
    minutes: int


def posts_stuck_in_publishing(*, now: datetime | None = None) -> StuckLocks:
    """The seed's "posts stuck in publishing" query, counted: locks older than
    HEALTH_STUCK_LOCK_MINUTES (uses the partial index on publishing_at)."""
    minutes = settings.HEALTH_STUCK_LOCK_MINUTES
    cutoff = (now or clock.now()) - timedelta(minutes=minutes)
    found = Post.objects.filter(publishing_at__isnull=False, publishing_at__lt=cutoff).aggregate(
        count=Count("id"), oldest=Min("publishing_at")
    )
    return StuckLocks(count=found["count"] or 0, oldest=found["oldest"], minutes=minutes)


@dataclass(frozen=True)
class QueueSummary:
    pending: int  # every pending row
    due: int  # pending rows whose (retry) time has come
    oldest_due: datetime | None  # since when the oldest due row has been waiting
    stale_due: int  # due rows waiting longer than HEALTH_QUEUE_BACKLOG_MINUTES: the queue cron is not keeping up
    failed_last_day: int  # rows that ended failed in the last 24 hours
    backlog_minutes: int
    failures_threshold: int


def generation_queue_summary(*, now: datetime | None = None) -> QueueSummary:
    """Backlog and recent failures of the generation queue, in one aggregate query."""
    now = now or clock.now()
    waiting_since = Coalesce("next_attempt_at", "created_at")
    pending = Q(status=GenerationQueue.Status.PENDING)
    due = pending & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    stale_cutoff = now - timedelta(minutes=settings.HEALTH_QUEUE_BACKLOG_MINUTES)
    stale = pending & (
        Q(next_attempt_at__isnull=True, created_at__lt=stale_cutoff) | Q(next_attempt_at__lt=stale_cutoff)
    )
    failed = Q(status=GenerationQueue.Status.FAILED, updated_at__gte=now - timedelta(hours=24))
    found = GenerationQueue.objects.filter(pending | failed).aggregate(
        pending=Count("id", filter=pending),
        due=Count("id", filter=due),
        oldest_due=Min(waiting_since, filter=due),
        stale_due=Count("id", filter=stale),
        failed=Count("id", filter=failed),
    )
    return QueueSummary(
        pending=found["pending"] or 0,
        due=found["due"] or 0,
        oldest_due=found["oldest_due"],
        stale_due=found["stale_due"] or 0,
        failed_last_day=found["failed"] or 0,
        backlog_minutes=settings.HEALTH_QUEUE_BACKLOG_MINUTES,
        failures_threshold=settings.HEALTH_QUEUE_FAILURES_PER_DAY,
    )


def job_runs_last() -> dict[str, JobRun]:
    """Every job's last run, by job name."""
    return {run.job: run for run in JobRun.objects.all()}
