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
    measured, round_trip = _measure()
    with _lock:
        seconds = offset_corrected(_offset["seconds"] if measured_at is not None else None, measured, round_trip)
        _offset.update(seconds=seconds, measured_at=time.monotonic())
    return seconds


def offset_corrected(known: float | None, measured: float, round_trip: float) -> float:
    """The offset after a measurement: `measured` is off by at most half its `round_trip` (the
    database read its clock somewhere in it), so the offset `known` before is kept when it lies
    within that, else moved only as far as the measurement proves it wrong. A round trip stretched
    by a busy machine (the thread waiting for the CPU after the answer came) would otherwise move
    this process's clock by up to half the stretch at once, and the requests waiting for quota
    slots on the old reading would go out together with those booked on the new."""
    if known is None:
        return measured
    error = round_trip / 2
    return min(max(known, measured - error), measured + error)


def forget() -> None:
    """Measure again at the next reading (a test that moved this process's clock calls it)."""
    with _lock:
        _offset["measured_at"] = None


def _measure() -> tuple[float, float]:
    """The database's time less ours, read halfway through the round trip; and the round trip."""
    before = time.time()
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXTRACT(EPOCH FROM statement_timestamp())")
        (database,) = cursor.fetchone()
    after = time.time()
    return float(database) - (before + after) / 2, after - before
