"""How many posts a publish run keeps with Google at once.

Google's quota, not a thread count, should set a run's speed. A create takes Google anywhere from
a fraction of a second to two; at 300 requests a minute (5 a second) and 1.5 s per create, a run
needs about 5 x 1.5 = 7.5 creates in flight to use its quota, and four workers cap it at 2.7 a
second. So the run measures how long a post takes as it goes (a moving average of each attempt's
time, less any wait for a quota slot: Google's answer plus the database and our own work) and
keeps about quota rate x that time posts in flight, plus one for headroom, bounded by PUBLISH_CONCURRENCY and
by the database connections it may take (each worker holds one). The shared quota
(franchises/google/quota.py) still spaces the requests themselves.
"""

from __future__ import annotations

import math
import threading

from django.conf import settings
from django.db import connection

SMOOTHING = 0.3  # weight of the newest latency in the moving average
START_WORKERS = 2  # before anything is measured


class Pace:
    def __init__(self, *, per_minute: float, cap: int):
        self.rate = max(per_minute, 1) / 60.0
        self.cap = max(1, cap)
        self.latency: float | None = None
        self.peak = 0
        self._lock = threading.Lock()

    def observe(self, seconds: float) -> None:
        """How long one post took, not counting its wait for a quota slot."""
        with self._lock:
            self.latency = seconds if self.latency is None else SMOOTHING * seconds + (1 - SMOOTHING) * self.latency

    def wanted(self) -> int:
        with self._lock:
            if self.latency is None:
                return min(self.cap, START_WORKERS)
            return max(1, min(self.cap, math.ceil(self.rate * self.latency) + 1))

    def note_workers(self, count: int) -> None:
        with self._lock:
            self.peak = max(self.peak, count)


SQLITE_CAP = 4  # SQLite takes one writer at a time: more workers only queue for its lock


def concurrency_cap() -> int:
    """PUBLISH_CONCURRENCY, and no more than half the free PostgreSQL connections (the web
    processes and other jobs need the rest)."""
    cap = max(1, settings.PUBLISH_CONCURRENCY)
    if connection.vendor == "sqlite":
        cap = min(cap, SQLITE_CAP)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('max_connections')::int - count(*) FROM pg_stat_activity")
            free = cursor.fetchone()[0]
        cap = min(cap, max(1, free // 2))
    return cap
