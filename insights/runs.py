"""One run over the locations a reading job finds due (fetch-insights, fetch-search-keywords).

Locations are read by as many workers as the quota and Google's latency call for (the publish
job's pace, gbp_scheduler/pace.py: quota rate x the time a request takes, plus one, bounded by
PUBLISH_CONCURRENCY and the free database connections), so a slow answer from Google does not
leave the quota unused; the shared quota still spaces the requests. Each location is claimed by
the job's own `read_one` (`location_claim`: a conditional UPDATE of its fetch row), so overlapping
runs share them; what Google answers instead of the figures is recorded on the row alike
(`location_failed`). A location that breaks unexpectedly fails alone; a broken database ends the
run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet

from franchises.google import quota
from franchises.google.business_profile import TRANSIENT
from franchises.google.quota import QuotaDeadline
from franchises.google.tokens import GoogleReauthorizationRequired
from gbp_scheduler.jobs import RUN_BREAKING, TimeBudget
from gbp_scheduler.pace import Pace, concurrency_cap, paced_work

logger = logging.getLogger(__name__)

BATCH_SIZE = 100
REAUTH_MESSAGE = "Google access for {name} was revoked or expired: reconnect the Google account to see its figures."


def fetch_error_current(last_error: str, *, franchise) -> str:
    """The last reading's error as it still holds: one about Google access no longer does once the
    franchise is reconnected (the next reading tries again), whatever its name is now."""
    if last_error.startswith(REAUTH_MESSAGE.split("{name}")[0]) and not franchise.needs_reauthorization:
        return ""
    return last_error


def location_claim(fetches: QuerySet, *, franchise_id, fetched_at, now) -> tuple[QuerySet, Any] | None:
    """Claim a location's fetch row as it was read (`fetched_at`), at `now`: the row to write to
    while the claim holds, and the row with its franchise; None when another run claimed it."""
    as_read = Q(fetched_at__isnull=True) if fetched_at is None else Q(fetched_at=fetched_at)
    if fetches.filter(as_read, pk=franchise_id).update(fetched_at=now) != 1:
        return None
    return fetches.filter(pk=franchise_id, fetched_at=now), fetches.select_related("franchise").get(pk=franchise_id)


def location_failed(
    exc: Exception, *, ours: QuerySet, fetched_at, franchise, counts: Counter, retry: str, release: bool
) -> str:
    """What Google answered instead (a GOOGLE_ERRORS error), on the claimed fetch row `ours` and in
    `counts`; the report's line. A transient error is tried again (`retry` says when; `release`:
    the claim is undone, so the next run does it)."""
    if isinstance(exc, GoogleReauthorizationRequired):
        # The token layer has flagged the franchise and told its admins; reconnecting brings it back.
        ours.update(fetched_at=fetched_at, last_error=REAUTH_MESSAGE.format(name=franchise.name))
        counts["skipped_reauth"] += 1
        return f"{franchise.name}: Google needs re-authorization"
    counts["google_requests"] += 1
    if isinstance(exc, TRANSIENT):
        ours.update(**({"fetched_at": fetched_at} if release else {}), last_error=f"{exc} ({retry})."[:1000])
        counts["deferred"] += 1
        return f"{franchise.name}: deferred: {exc}"
    # Permanent (the location is gone, the API not enabled): the reason stays on the row and the
    # location waits its turn again.
    ours.update(last_error=str(exc)[:1000])
    counts["failed"] += 1
    return f"{franchise.name}: failed: {exc}"


def due_locations_read(
    *,
    job: str,
    due: Callable[[], QuerySet],
    read_one: Callable[[Any, Any, Counter], str],
    reading: str,
    budget: TimeBudget,
    counts: Counter,
    report: Callable[[str], None] | None = None,
) -> None:
    """Read every location of `due()` (fetch rows, oldest first) the run has time for.

    `read_one(franchise_id, fetched_at, counts)` reads one location and returns a line for the
    report (raising QuotaDeadline, with the location released as found, when the run's time is up);
    an error it did not foresee is recorded on the location's row, as reading `reading` ("the
    figures") having stopped. `job` names the run in the log and its worker threads. Adds the
    run's counts to `counts`, `left_for_next_run` included."""
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
            logger.exception("%s: franchise %s failed unexpectedly", job, franchise_id)
            due().model.objects.filter(pk=franchise_id).update(
                last_error=f"Reading {reading} from Google stopped on an unexpected error ({exc})."[:1000]
            )
            line = f"franchise {franchise_id}: failed unexpectedly ({type(exc).__name__})"
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
            name=job,
            stop=lambda: budget.exhausted or out_of_time.is_set(),
        )
        tried.difference_update(pk for pk, _ in pending)  # left untaken when the run stopped: still due
    counts["left_for_next_run"] = due().exclude(pk__in=tried).count()
