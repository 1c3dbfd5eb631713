"""One clock for every process: the database's.

Locks, leases, quota slots and "due" are compared across processes, and the processes of one
installation (serverless instances, cron hosts, the web) can disagree about the time by minutes.
A process whose clock runs 150 s fast would find a live publish lock stale and take it over; one
running minutes ahead would push the shared quota's next slot minutes away for everyone. So such
times come from here: the process's clock corrected by its distance from the database's clock
(`statement_timestamp()` on PostgreSQL), measured again every RESYNC_SECONDS of the process's
monotonic clock. SQLite runs inside the process: its clock is the process's own.

Durations within one process (how long a call took, a run's budget) use `time.monotonic()`,
which no clock correction touches.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

from django.conf import settings
from django.db import connection
from django.utils import timezone

RESYNC_SECONDS = 60.0

_lock = threading.Lock()
_offset = {"seconds": 0.0, "measured_at": None}


def now() -> dt.datetime:
    """The database's time, as an aware UTC datetime."""
    return timezone.now() + dt.timedelta(seconds=offset_seconds())


def epoch() -> float:
    """The database's time in seconds since the epoch."""
    return time.time() + offset_seconds()


def from_process(moment: dt.datetime) -> dt.datetime:
    """A time a library worked out on this process's clock, on the database's."""
    return moment + dt.timedelta(seconds=offset_seconds())


def offset_seconds() -> float:
    """How far the database's clock is ahead of this process's (negative: behind)."""
    if not settings.CLOCK_FROM_DATABASE or connection.vendor != "postgresql":
        return 0.0
    with _lock:
        measured_at = _offset["measured_at"]
        if measured_at is not None and time.monotonic() - measured_at < RESYNC_SECONDS:
            return _offset["seconds"]
    seconds = _measure()
    with _lock:
        _offset.update(seconds=seconds, measured_at=time.monotonic())
    return seconds


def forget() -> None:
    """Measure again at the next reading (a test that moved this process's clock calls it)."""
    with _lock:
        _offset["measured_at"] = None


def _measure() -> float:
    """The database's time less ours, read halfway through the round trip."""
    before = time.time()
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXTRACT(EPOCH FROM statement_timestamp())")
        (database,) = cursor.fetchone()
    after = time.time()
    return float(database) - (before + after) / 2
