"""One run over the locations a reading job finds due (fetch-insights, fetch-search-keywords).

Locations are read by paced workers (franchises/google/location_runs.py). Each location is
claimed by the job's own `read_one` (`location_claim`: a conditional UPDATE of its fetch row), so
overlapping runs share them; what Google answers instead of the figures is recorded on the row
alike (`location_failed`). A location that breaks unexpectedly fails alone; a broken database ends
the run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet

from franchises.google import location_runs
from franchises.google.business_profile import TRANSIENT
from franchises.google.tokens import GoogleReauthorizationRequired
from gbp_scheduler.jobs import TimeBudget

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
    """Read every location of `due()` (fetch rows, oldest first) the run has time for
    (franchises/google/location_runs.py); an error `read_one` did not foresee is recorded on the
    location's row, as reading `reading` ("the figures") having stopped."""

    def failed(franchise_id, exc: Exception) -> None:
        due().model.objects.filter(pk=franchise_id).update(
            last_error=f"Reading {reading} from Google stopped on an unexpected error ({exc})."[:1000]
        )

    location_runs.due_locations_read(
        job=job,
        due=due,
        stamp="fetched_at",
        read_one=read_one,
        failed=failed,
        budget=budget,
        counts=counts,
        report=report,
    )
