"""The checks of /api/health (its answer is fixed in docs/contract.md) and how they add up to one status.

Statuses: the database failing makes the system `unhealthy` (503); any other check that warns
or fails makes it `degraded` (200); otherwise `healthy` (200).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.db.models import QuerySet
from django.utils import timezone

from franchises.models import Franchise
from gbp_scheduler.times import iso_utc
from generation import anthropic_client

from . import selectors

logger = logging.getLogger(__name__)

PASS, WARN, FAIL = "pass", "warn", "fail"

ANTHROPIC_RESULT_KEY = "health:anthropic:result"
ANTHROPIC_LAST_KEY = "health:anthropic:last"
ANTHROPIC_LOCK_KEY = "health:anthropic:lock"
# Long enough to cover one probe (the SDK call times out after PROBE_TIMEOUT_SECONDS).
ANTHROPIC_LOCK_SECONDS = int(anthropic_client.PROBE_TIMEOUT_SECONDS) + 5


@dataclass(frozen=True)
class Viewer:
    """What a caller of /api/health may see beyond statuses and counts.

    `details`: the checks' own words (Anthropic's error text names key and billing problems), the
    times of the oldest stuck lock and queue row, and franchise names. `franchises`: whose names,
    when not every franchise's (a franchise member sees their own)."""

    details: bool
    franchises: QuerySet[Franchise] | None = None


PUBLIC = Viewer(details=False)  # anonymous monitors: statuses and counts
EVERYTHING = Viewer(details=True)  # the bearer secret, headquarters, the system page

# What a caller without details reads instead of the Anthropic check's own message.
ANTHROPIC_PUBLIC_MESSAGES = {
    PASS: "Anthropic API connection successful",
    WARN: "Anthropic API not checked (not configured, or a check is in progress)",
    FAIL: "Anthropic API check failed",
}
# The fields of each check a caller without details gets (status and message always).
PUBLIC_FIELDS = {
    "database": {"responseTime"},
    "googleAuth": {"counts"},
    "anthropic": {"responseTime", "checkedAt"},
    "tokenEncryption": {"undecryptable"},
    "publishLocks": {"stuck"},
    "generationQueue": {"pending", "due", "failedLast24h"},
}


def iso(value: datetime | None) -> str | None:
    """The JSON answers' time: UTC to the millisecond, with a Z."""
    return iso_utc(value, timespec="milliseconds")


def _ms(value: float) -> float:
    return round(value, 1)


def database_check() -> dict:
    try:
        elapsed = selectors.database_ping()
    except DatabaseError as exc:
        # The exception text can name hosts and users: log it, answer only its kind.
        logger.error("health: database check failed: %s", exc)
        return {"status": FAIL, "message": f"Database connection failed ({exc.__class__.__name__})"}
    return {"status": PASS, "message": "Database connection successful", "responseTime": _ms(elapsed)}


def google_auth_check(*, viewer: Viewer) -> dict:
    """Counts of every active franchise for everybody; the franchise list (names) for callers who
    may see details: every franchise for the bearer secret and headquarters (the list alone, which
    the status is read from), a member's own franchises beside the counts."""
    if viewer.details and viewer.franchises is None:
        franchises = selectors.franchise_auth_list()
        invalid = sum(1 for f in franchises if f["connected"] and not f["authValid"])
        body: dict = {"franchises": franchises}
    else:
        counts = selectors.franchise_auth_counts()
        invalid = counts["authInvalid"]
        body = {"counts": counts}
        if viewer.details:
            body["franchises"] = selectors.franchise_auth_list(franchises=viewer.franchises)
    if invalid:
        return {"status": WARN, **body, "message": "Some franchises require re-authorization"}
    return {"status": PASS, **body, "message": "All connected franchises have valid Google authorization"}


def token_encryption_check() -> dict:
    """Every stored secret, of every encrypted column (gbp_scheduler.encryption reads the list from
    the models): one that no configured key opens fails every page and job that reads it."""
    from gbp_scheduler.encryption import encrypted_values_census

    census = encrypted_values_census()
    unreadable = {column: found.undecryptable for column, found in census.items() if found.undecryptable}
    older = sum(found.older_key for found in census.values())
    body = {"undecryptable": sum(unreadable.values()), "columns": {c: vars(found) for c, found in census.items()}}
    if unreadable:
        where = ", ".join(f"{column}: {count}" for column, count in unreadable.items())
        return {
            "status": FAIL,
            **body,
            "message": (
                f"{body['undecryptable']} stored secret(s) cannot be decrypted with FIELD_ENCRYPTION_KEY ({where}): "
                "put back the key they were encrypted with (keys can be listed together, comma-separated)"
            ),
        }
    message = f"Every stored secret decrypts ({', '.join(census)})"
    if older:
        message += f"; {older} still under an older key: run rotate_encryption_keys before removing it"
    return {"status": PASS, **body, "message": message}


def publish_locks_check() -> dict:
    stuck = selectors.posts_stuck_in_publishing()
    body = {"stuck": stuck.count, "oldestLockedAt": iso(stuck.oldest)}
    if stuck.count:
        message = f"{stuck.count} post(s) stuck in publishing for over {stuck.minutes} minutes"
        return {"status": WARN, "message": message, **body}
    return {"status": PASS, "message": f"No publish lock older than {stuck.minutes} minutes", **body}


def generation_queue_check() -> dict:
    queue = selectors.generation_queue_summary()
    body = {
        "pending": queue.pending,
        "due": queue.due,
        "oldestDueSince": iso(queue.oldest_due),
        "failedLast24h": queue.failed_last_day,
    }
    problems = []
    if queue.stale_due:
        problems.append(f"{queue.stale_due} pending row(s) due for over {queue.backlog_minutes} minutes")
    if queue.failed_last_day >= queue.failures_threshold:
        problems.append(f"{queue.failed_last_day} row(s) failed in the last 24 hours")
    if problems:
        return {"status": WARN, "message": "Generation queue: " + "; ".join(problems), **body}
    return {"status": PASS, "message": "Generation queue is keeping up", **body}


def _anthropic_probe() -> dict:
    started = time.perf_counter()
    try:
        anthropic_client.models_list()  # lists models: free, spends no tokens
    except anthropic_client.AnthropicError as exc:
        result = {"status": FAIL, "message": f"Anthropic API check failed: {exc}"}
    else:
        result = {"status": PASS, "message": "Anthropic API connection successful"}
    result["responseTime"] = _ms((time.perf_counter() - started) * 1000)
    result["checkedAt"] = iso(timezone.now())
    return result


def anthropic_check() -> dict:
    """The models listing, at most once per HEALTH_ANTHROPIC_CACHE_SECONDS across every process
    sharing the cache.

    1. A cached result is answered as is.
    2. Otherwise one caller takes a short lock (cache.add is atomic) and probes; callers that find
       the lock taken answer the last known result instead of piling onto Anthropic.
    3. The lock holder looks at the cache again first: another process may have just filled it.
    """
    cached = cache.get(ANTHROPIC_RESULT_KEY)
    if cached is not None:
        return cached
    if not settings.ANTHROPIC_API_KEY:
        return {"status": WARN, "message": "ANTHROPIC_API_KEY is not set: AI drafts are off"}
    if not cache.add(ANTHROPIC_LOCK_KEY, True, timeout=ANTHROPIC_LOCK_SECONDS):
        last = cache.get(ANTHROPIC_LAST_KEY)
        return last or {"status": WARN, "message": "Anthropic API check in progress"}
    try:
        cached = cache.get(ANTHROPIC_RESULT_KEY)
        if cached is not None:
            return cached
        result = _anthropic_probe()
        # A failure is cached as long as a success: the promise is one upstream call per period.
        cache.set(ANTHROPIC_RESULT_KEY, result, timeout=settings.HEALTH_ANTHROPIC_CACHE_SECONDS)
        cache.set(ANTHROPIC_LAST_KEY, result, timeout=24 * 3600)
        return result
    finally:
        cache.delete(ANTHROPIC_LOCK_KEY)


def _guarded(check: Callable[[], dict]) -> dict:
    """A database check that breaks half-way fails on its own instead of breaking the answer."""
    try:
        return check()
    except DatabaseError as exc:
        logger.error("health: check failed: %s", exc)
        return {"status": FAIL, "message": f"Check failed ({exc.__class__.__name__})"}


def _guarded_viewer(viewer: Callable[[], Viewer]) -> Viewer:
    try:
        return viewer()
    except DatabaseError as exc:
        logger.error("health: could not tell who is asking: %s", exc)
        return PUBLIC


def _not_checked() -> dict:
    return {"status": FAIL, "message": "Not checked: the database is unreachable"}


def _public(name: str, check: dict) -> dict:
    """A check as a caller without details sees it: its status, our own message and its counts."""
    public = {"status": check["status"], "message": check["message"]}
    if name == "anthropic":
        public["message"] = ANTHROPIC_PUBLIC_MESSAGES[check["status"]]
    public.update({key: value for key, value in check.items() if key in PUBLIC_FIELDS.get(name, ())})
    return public


def health_report(*, viewer: Callable[[], Viewer]) -> tuple[dict, int]:
    """The /api/health answer (docs/contract.md) and its HTTP status.

    `viewer` is asked only once the database answered, because deciding it may need the session
    and the user (both in the database); while it is down every caller gets the public answer.
    """
    database = database_check()
    db_ok = database["status"] == PASS
    seen_by = _guarded_viewer(viewer) if db_ok else PUBLIC
    if db_ok:
        google = _guarded(lambda: google_auth_check(viewer=seen_by))
        tokens = _guarded(token_encryption_check)
        locks = _guarded(publish_locks_check)
        queue = _guarded(generation_queue_check)
    else:
        google, tokens, locks, queue = _not_checked(), _not_checked(), _not_checked(), _not_checked()
    checks = {
        "database": database,
        "googleAuth": google,
        "anthropic": anthropic_check(),
        "tokenEncryption": tokens,
        "publishLocks": locks,
        "generationQueue": queue,
    }
    if not seen_by.details:
        checks = {name: _public(name, check) for name, check in checks.items()}
    if not db_ok:
        status, code = "unhealthy", 503
    elif any(check["status"] != PASS for check in checks.values()):
        status, code = "degraded", 200
    else:
        status, code = "healthy", 200
    return {"status": status, "timestamp": iso(timezone.now()), "checks": checks}, code
