"""How many items a Google-bound job keeps with Google at once (a publish run: posts).

Google's quota, not a thread count, should set a run's speed. A create takes Google anywhere from
a fraction of a second to two; at 300 requests a minute (5 a second) and 1.5 s per create, a run
needs about 5 x 1.5 = 7.5 creates in flight to use its quota, and four workers cap it at 2.7 a
second. So the run measures how long a post takes as it goes (a moving average of each attempt's
time, less any wait for a quota slot: Google's answer plus the database and our own work) and
keeps about quota rate x that time posts in flight, plus one for headroom, bounded by PUBLISH_CONCURRENCY and
by the database connections it may take (each worker holds one). Before anything is measured it
assumes START_LATENCY, Google's slow end, plus the slots the quota lets a run take at once on an
idle quota (`burst`, franchises/google/quota.py), so a run starts with as many workers as the quota
could keep busy and the measurements bring the number down: too many workers only wait for their
slots, too few leave slots unused. The shared quota (franchises/google/quota.py) spaces the requests.

`paced_work` is the worker pool the Google-bound jobs share (publish-scheduled by franchise,
fetch-insights and fetch-search-keywords by location): it starts workers while the pace wants more
and lets them go when it wants fewer. Each worker runs in a copy of the caller's context, so its
log lines carry the job run's id (observability.py).
"""

from __future__ import annotations

import contextvars
import math
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection

SMOOTHING = 0.3  # weight of the newest latency in the moving average
START_LATENCY = 2.0  # seconds a post is assumed to take before one is measured


class Pace:
    def __init__(self, *, per_minute: float, cap: int, burst: int = 0):
        self.rate = max(per_minute, 1) / 60.0
        self.cap = max(1, cap)
        self.burst = burst
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
                return max(1, min(self.cap, math.ceil(self.rate * START_LATENCY) + 1 + self.burst))
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


_NOTHING = object()


def paced_work(
    pending: deque, *, one: Callable[[Any], None], pace: Pace, name: str, stop: Callable[[], bool] = lambda: False
) -> None:
    """Call `one(item)` for each pending item with as many worker threads as the pace wants, until
    none is left or `stop()`; what was not taken stays in `pending`. A worker that raises (the
    database went away) stops the others from taking more, and the call raises it once they ended.
    Each worker thread closes its own database connection. With a cap of 1, no thread: the items
    are worked in the calling thread."""
    lock = threading.Lock()
    active = 0
    broke: list[BaseException] = []

    def take():
        nonlocal active
        with lock:
            # The run broke or stopped, nothing is left, or more workers than the pace wants now.
            if broke or not pending or stop() or active > pace.wanted():
                active -= 1
                return _NOTHING
            return pending.popleft()

    def worker() -> None:
        nonlocal active
        try:
            while (item := take()) is not _NOTHING:
                try:
                    one(item)
                except BaseException as exc:
                    with lock:
                        broke.append(exc)
                        active -= 1
                    return
        finally:
            connection.close()

    if pace.cap == 1:
        pace.note_workers(1)
        while pending and not stop():
            one(pending.popleft())
        return
    threads: list[threading.Thread] = []
    while True:
        with lock:
            more = not broke and bool(pending) and not stop() and active < pace.wanted()
            if more:
                active += 1
                pace.note_workers(active)
        if more:
            # A context of its own for each thread (one context cannot be entered by two at once).
            context = contextvars.copy_context()
            thread = threading.Thread(target=context.run, args=(worker,), name=f"{name}-{len(threads)}", daemon=True)
            threads.append(thread)
            thread.start()
            continue
        threads = [thread for thread in threads if thread.is_alive()]
        if not threads:
            with lock:
                if broke:
                    raise broke[0]
                if not pending or stop():
                    return
            continue
        threads[0].join(0.1)
