"""One run over the locations a reading job finds due (fetch-insights, fetch-search-keywords).

Locations are read by as many workers as the quota and Google's latency call for (the publish
job's pace, gbp_scheduler/pace.py: quota rate x the time a request takes, plus one, bounded by
PUBLISH_CONCURRENCY and the free database connections), so a slow answer from Google does not
leave the quota unused; the shared quota still spaces the requests. Each location is claimed by
the job's own `read_one` (a conditional UPDATE of its fetch row), so overlapping runs share them.
A location that breaks unexpectedly fails alone; a broken database ends the run.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from franchises.google import quota
from franchises.google.quota import QuotaDeadline
from gbp_scheduler.jobs import RUN_BREAKING, TimeBudget
from gbp_scheduler.pace import Pace, concurrency_cap, paced_work

BATCH_SIZE = 100


def due_locations_read(
    *,
    name: str,
    due: Callable[[], QuerySet],
    read_one: Callable[[Any, Any, Counter], str],
    unexpected: Callable[[Any, Exception], str],
    budget: TimeBudget,
    counts: Counter,
    report: Callable[[str], None] | None = None,
) -> None:
    """Read every location of `due()` (fetch rows, oldest first) the run has time for.

    `read_one(franchise_id, fetched_at, counts)` reads one location and returns a line for the
    report (raising QuotaDeadline, with the location released as found, when the run's time is up);
    `unexpected(franchise_id, exc)` records an unforeseen error on its row and returns the line.
    Adds the run's counts to `counts`, `left_for_next_run` included."""
    pace = Pace(per_minute=settings.GOOGLE_REQUESTS_PER_MINUTE, cap=concurrency_cap())
    tried: set = set()
    lock = threading.Lock()
    out_of_time = threading.Event()

    def one(franchise_id, fetched_at) -> None:
        mine: Counter = Counter()
        started, waited = time.monotonic(), quota.seconds_waited()
        try:
            line = read_one(franchise_id, fetched_at, mine)
        except QuotaDeadline:
            with lock:
                tried.discard(franchise_id)  # released as found: still due
            out_of_time.set()
            return
        except RUN_BREAKING:
            raise  # paced_work stops the other workers and the run raises it
        except Exception as exc:
            line = unexpected(franchise_id, exc)
            mine["failed"] += 1
        pace.observe(time.monotonic() - started - (quota.seconds_waited() - waited))
        with lock:
            counts.update(mine)
        if report and line:
            report(line)

    while not budget.exhausted and not out_of_time.is_set():
        batch = list(due().exclude(pk__in=tried).values_list("pk", "fetched_at")[:BATCH_SIZE])
        if not batch:
            break
        tried.update(pk for pk, _ in batch)
        pending = deque(batch)
        paced_work(
            pending,
            one=lambda item: one(*item),
            pace=pace,
            name=name,
            stop=lambda: budget.exhausted or out_of_time.is_set(),
        )
        tried.difference_update(pk for pk, _ in pending)  # left untaken when the run stopped: still due
    counts["left_for_next_run"] = due().exclude(pk__in=tried).count()
