"""Google's request quota, shared by every process and thread of the installation.

Google counts requests per Cloud project: 300 a minute per API by default, 429 past it. Every
caller shares that one budget: overlapping publish runs (Vercel may start one while the last
still runs), the other jobs, staff pressing "Publish now", the location picker. So the pace is
kept in the database, in one row per quota (`GoogleQuota`), by the generic cell rate algorithm
(GCRA): the row holds the earliest time the next request may go. Taking a slot is one atomic
UPDATE that moves that time on by one interval and returns it; the caller then sleeps until its
slot. Requests are spaced evenly (5 % under GOOGLE_REQUESTS_PER_MINUTE in any minute, no bursts),
and a 429 pushes the next slot past Google's Retry-After for everyone.

Times are seconds since the epoch on the database's clock (gbp_scheduler/clock.py): a process
whose own clock runs ahead would otherwise push the next slot minutes away for everyone.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from gbp_scheduler import clock

BUSINESS_PROFILE = "business-profile"
# Requests are spaced a little wider than the quota allows: a request leaves at its slot but
# reaches Google a few milliseconds later or sooner, and at exactly the quota's pace that jitter
# alone puts one request too many into some minute.
SAFETY_MARGIN = 1.05


class QuotaDeadline(Exception):
    """The next request slot comes after the caller's deadline: no slot was taken."""


_waits = threading.local()


def seconds_waited() -> float:
    """How long this thread has waited for request slots so far (a run's pace subtracts it to
    learn how long a post takes when it is not queueing for the quota)."""
    return getattr(_waits, "total", 0.0)


@dataclass
class SharedQuota:
    name: str = BUSINESS_PROFILE
    per_minute: int | None = None  # None: settings.GOOGLE_REQUESTS_PER_MINUTE

    @property
    def interval(self) -> float:
        per_minute = self.per_minute if self.per_minute is not None else settings.GOOGLE_REQUESTS_PER_MINUTE
        return 60.0 * SAFETY_MARGIN / per_minute if per_minute > 0 else 0.0

    def acquire(self, *, deadline: float | None = None) -> bool:
        """Wait for the next request slot; False (and no slot taken) when it would come after
        `deadline` (a `time.monotonic()` value, as TimeBudget.deadline gives)."""
        interval = self.interval
        if interval == 0:
            return True
        now = clock.epoch()
        latest = now + (deadline - time.monotonic()) if deadline is not None else None
        slot = self._take(now=now, interval=interval, latest=latest)
        if slot is None:
            return False
        if slot > now:
            time.sleep(slot - now)
            _waits.total = seconds_waited() + (slot - now)
        return True

    def pause(self, seconds: float) -> None:
        """Hold every request back for `seconds` (Google answered 429)."""
        until = clock.epoch() + seconds
        self._ensure_row()
        with connection.cursor() as cursor:
            cursor.execute(_SQL[connection.vendor == "sqlite"]["pause"], [until, self.name])

    def _take(self, *, now: float, interval: float, latest: float | None) -> float | None:
        """One atomic UPDATE: the slot this request gets, or None when it is after `latest`."""
        sql = _SQL[connection.vendor == "sqlite"]["take"]
        limit = latest if latest is not None else 1e18
        for attempt in range(2):
            with connection.cursor() as cursor:
                cursor.execute(sql, [now, interval, self.name, now, limit])
                row = cursor.fetchone()
            if row is not None:
                return row[0] - interval
            if attempt == 0:
                # No row, or its next slot is past `latest`. Make sure the row exists and ask once
                # more: the row may have been created by another caller between our UPDATE and
                # this check, and only an UPDATE that found the row can say the slot is too late.
                self._ensure_row()
        return None  # the row is there: its next slot is past `latest`

    def _ensure_row(self) -> None:
        """Create the quota's row if missing (here, or by another process at the same moment)."""
        from ..models import GoogleQuota

        if GoogleQuota.objects.filter(name=self.name).exists():
            return
        try:
            with transaction.atomic():
                GoogleQuota.objects.create(name=self.name, next_slot=0.0)
        except IntegrityError:
            pass  # another process created it just now


# The two statements, for PostgreSQL (False) and SQLite (True), whose "greatest of" is MAX().
_SQL = {
    False: {
        "take": "UPDATE google_quota SET next_slot = GREATEST(next_slot, %s) + %s "
        "WHERE name = %s AND GREATEST(next_slot, %s) <= %s RETURNING next_slot",
        "pause": "UPDATE google_quota SET next_slot = GREATEST(next_slot, %s) WHERE name = %s",
    },
    True: {
        "take": "UPDATE google_quota SET next_slot = MAX(next_slot, %s) + %s "
        "WHERE name = %s AND MAX(next_slot, %s) <= %s RETURNING next_slot",
        "pause": "UPDATE google_quota SET next_slot = MAX(next_slot, %s) WHERE name = %s",
    },
}


def shared() -> SharedQuota:
    """The quota every call to the Business Profile API takes a slot from."""
    return SharedQuota(BUSINESS_PROFILE)


class RateLimiter:
    """An in-memory pace for one process (the sandbox's own tests and benchmarks use it to drive
    load without a database); the app itself paces through `shared()`."""

    def __init__(self, per_minute: int, *, clock=time.monotonic, sleep=time.sleep):
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = 0.0

    def acquire(self, *, deadline: float | None = None) -> bool:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot)
            if deadline is not None and slot > deadline:
                return False
            self._next_slot = slot + self.interval
        if slot > now:
            self._sleep(slot - now)
        return True

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._next_slot = max(self._next_slot, self._clock() + seconds)
