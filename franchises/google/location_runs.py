"""One run over the locations a Google-reading job finds due (sync-google-posts, fetch-insights,
fetch-search-keywords).

Locations are read by as many workers as the quota and Google's latency call for (the publish
job's pace, gbp_scheduler/pace.py: quota rate x the time a request takes, plus one, bounded by
PUBLISH_CONCURRENCY and the free database connections), so a slow answer from Google does not
leave the quota unused; the shared quota still spaces the requests. Each location is claimed by
the job's own `read_one` (a conditional UPDATE of the row's time stamp), so overlapping runs share
them. A location that breaks unexpectedly fails alone (the job's `failed` records why); a broken
database ends the run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from gbp_scheduler.jobs import RUN_BREAKING, TimeBudget
from gbp_scheduler.pace import Pace, concurrency_cap, paced_work

from . import quota
from .quota import QuotaDeadline

logger = logging.getLogger(__name__)

BATCH_SIZE = 100


def due_locations_read(
    *,
    job: str,
    due: Callable[[], QuerySet],
    stamp: str,
    read_one: Callable[[Any, Any, Counter], str],
    failed: Callable[[Any, Exception], None],
    budget: TimeBudget,
    counts: Counter,
    report: Callable[[str], None] | None = None,
) -> None:
    """Read every location of `due()` (rows keyed by franchise, the next to read first) the run
    has time for.

    `read_one(franchise_id, the row's `stamp` as read, counts)` reads one location and returns a
    line for the report (raising QuotaDeadline, with the location released as found, when the
    run's time is up); `failed(franchise_id, exc)` records an error it did not foresee. `job`
    names the run in the log and its worker threads. Adds the run's counts to `counts`,
    `left_for_next_run` included."""
    pace = Pace(per_minute=settings.GOOGLE_REQUESTS_PER_MINUTE, cap=concurrency_cap())
    tried: set = set()
    lock = threading.Lock()
    out_of_time = threading.Event()

    def one(franchise_id, stamped) -> None:
        mine: Counter = Counter()
        started, waited = time.monotonic(), quota.seconds_waited()
        try:
            line = read_one(franchise_id, stamped, mine)
        except QuotaDeadline:
            with lock:
                tried.discard(franchise_id)  # released as found: still due
            out_of_time.set()
            return
        except RUN_BREAKING:
            raise  # paced_work stops the other workers and the run raises it
        except Exception as exc:
            logger.exception("%s: franchise %s failed unexpectedly", job, franchise_id)
            failed(franchise_id, exc)
            line = f"franchise {franchise_id}: failed unexpectedly ({type(exc).__name__})"
            mine["failed"] += 1
        requests = max(1, mine["google_requests"])
        pace.observe((time.monotonic() - started - (quota.seconds_waited() - waited)) / requests)
        with lock:
            counts.update(mine)
        if report and line:
            report(line)

    while not budget.exhausted and not out_of_time.is_set():
        batch = list(due().exclude(pk__in=tried).values_list("pk", stamp)[:BATCH_SIZE])
        if not batch:
            break
        tried.update(pk for pk, _ in batch)
        pending = deque(batch)
        paced_work(
            pending,
            one=lambda item: one(*item),
            pace=pace,
            name=job,
            stop=lambda: budget.exhausted or out_of_time.is_set(),
        )
        tried.difference_update(pk for pk, _ in pending)  # left untaken when the run stopped: still due
    counts["left_for_next_run"] = due().exclude(pk__in=tried).count()
