"""The fetch-insights job: each connected location's daily figures from Google, kept one row per
location, metric and day.

Each location is due once a day (not fetched in the last DUE_AFTER_HOURS); a run takes them the
least recently fetched first, so a group too large for one run is covered by the next ones:

1. **Claim the location** with one conditional UPDATE of `insights_fetches.fetched_at` (from the
   value read to now): overlapping runs share the locations instead of repeating them.
2. **Ask only for what is lacking**: the last HISTORY_DAYS days the first time; afterwards from
   LAG_DAYS before the newest day asked for last time up to yesterday, so days Google had no
   figures for yet, and days it revised, are read again, and days the job missed are filled in.
   All the metrics Google still takes (models.metrics_supported) of all those days come in one
   request, which takes a slot of the shared quota and is never waited for past the run's
   deadline. One value Google refuses makes the whole request a 400 naming it: the request is
   sent once more without it, the run's report and log say so, and the rest of the run leaves it
   out too, so one removed metric never costs the others.
3. **Store** each figure by upsert on (franchise, metric, day): a rerun writes no duplicate; the
   location's running totals of views (insights/running.py) are rewritten in the same transaction.
4. **Write back** how far it read, fenced on the claim.

A location whose Google access broke is skipped as publishing skips its posts: the token layer
flags it and emails its admins, and the reason (reconnect) is kept on its fetch row for the
page. One location failing never stops the run: the reason stays on its row, the run goes on.
Nothing is held across the call to Google.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import Counter
from collections.abc import Callable

from django.db import transaction
from django.db.models import Count, F, Min, Q, QuerySet
from django.utils import timezone

from franchises.google import business_profile
from franchises.google.business_profile import GOOGLE_ERRORS
from franchises.google.quota import QuotaDeadline
from franchises.google.quota_plan import Need, quota_plan_log
from franchises.models import Franchise
from gbp_scheduler.jobs import TimeBudget

from .models import DailyMetric, InsightsFetch, metrics_supported
from .running import views_running_recount
from .runs import REAUTH_MESSAGE, due_locations_read, location_claim, location_failed

logger = logging.getLogger(__name__)

HISTORY_DAYS = 90  # read the first time
LAG_DAYS = 7  # Google's figures arrive late and are revised: the last week is always read again
DUE_AFTER_HOURS = 20  # a location is fetched once a day (when the quota plan gives it a day)
JOB = "fetch-insights"
EVERY = (24, 36, 48)  # the cadences the quota plan may give, most frequent first (hours)
COUNT_KEYS = [
    "locations_fetched",
    "figures_stored",
    "deferred",
    "failed",
    "skipped_reauth",
    "left_for_next_run",
    "google_requests",
    "metrics_refused",
]


def locations_with_figures() -> QuerySet[Franchise]:
    """Franchises Google may be asked about (active, connected, valid auth) with a location."""
    return Franchise.objects.on_google()


def insights_needs() -> list[Need]:
    """What the job asks of Google's quota (quota_plan): a request a location a round."""
    now = timezone.now()
    locations = locations_with_figures()
    figures = InsightsFetch.objects.filter(franchise__in=locations).aggregate(
        oldest=Min("fetched_at"), last_day=Count("pk", filter=Q(fetched_at__gte=now - dt.timedelta(days=1)))
    )
    stale = (now - figures["oldest"]).total_seconds() / 3600 if figures["oldest"] else None
    items = locations.count()
    return [Need("daily", "insights (daily figures)", items, 1.0, EVERY, figures["last_day"] / 1440, stale)]


def insights_due(*, now: dt.datetime, every_hours: float = 24) -> QuerySet[InsightsFetch]:
    """The fetch rows of locations due a round every `every_hours` (fetched more than that, less
    the day's spread of runs, ago: DUE_AFTER_HOURS for a daily round), the oldest first."""
    before = now - dt.timedelta(hours=every_hours - 24 + DUE_AFTER_HOURS)
    return (
        InsightsFetch.objects.filter(franchise__in=locations_with_figures())
        .filter(Q(fetched_at__isnull=True) | Q(fetched_at__lt=before))
        .order_by(F("fetched_at").asc(nulls_first=True), "pk")
    )


def insights_fetch_due(*, budget: TimeBudget, report: Callable[[str], None] | None = None) -> dict:
    """Fetch every due location this run has time for (insights/runs.py: as many at once as the
    quota and Google's latency call for); the run's counts."""
    counts: Counter = Counter({key: 0 for key in COUNT_KEYS})
    now = timezone.now()
    every = quota_plan_log(JOB).every(JOB, "daily", 24)
    _fetch_rows_create()
    counts["skipped_reauth"] += _reconnect_needed_record()
    refused: set[str] = set()  # metrics Google refused this run: the other locations do without them

    def read_one(franchise_id, fetched_at, mine: Counter) -> str:
        return location_insights_fetch(
            franchise_id=franchise_id, fetched_at=fetched_at, deadline=budget.deadline, counts=mine, refused=refused
        )

    due_locations_read(
        job=JOB,
        due=lambda: insights_due(now=now, every_hours=every),
        read_one=read_one,
        reading="the figures",
        budget=budget,
        counts=counts,
        report=report,
    )
    return dict(counts)


def _fetch_rows_create() -> None:
    """A fetch row for each location that has none yet (a new connection)."""
    missing = locations_with_figures().filter(insights_fetch__isnull=True).values_list("pk", flat=True)
    InsightsFetch.objects.bulk_create([InsightsFetch(franchise_id=pk) for pk in missing], ignore_conflicts=True)


def _reconnect_needed_record() -> int:
    """Locations whose Google access broke: skipped, with publishing's reconnect message on their
    fetch row (the token layer already flagged them and told their admins); how many."""
    flagged = Franchise.objects.needs_reconnect().filter(is_active=True).exclude(google_location_id="")
    skipped = 0
    for franchise_id, name in flagged.values_list("pk", "name"):
        message = REAUTH_MESSAGE.format(name=name)
        InsightsFetch.objects.get_or_create(franchise_id=franchise_id)
        InsightsFetch.objects.filter(pk=franchise_id).exclude(last_error=message).update(last_error=message)
        skipped += 1
    return skipped


def fetch_range(*, fetched_through: dt.date | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """The days to ask Google for: the last HISTORY_DAYS the first time, then from LAG_DAYS
    before the newest day asked for last time (never further back than HISTORY_DAYS), to yesterday."""
    last = today - dt.timedelta(days=1)
    oldest = today - dt.timedelta(days=HISTORY_DAYS)
    if fetched_through is None:
        return oldest, last
    return max(oldest, min(last, fetched_through - dt.timedelta(days=LAG_DAYS - 1))), last


def metrics_named(error: Exception, metrics: list[str]) -> list[str]:
    """The metrics of the request that Google's refusal names (its message quotes the value)."""
    text = str(error)
    return [metric for metric in metrics if re.search(rf"\b{re.escape(metric)}\b", text)]


def _figures_fetch(
    *, franchise, first: dt.date, last: dt.date, deadline: float | None, counts: Counter, refused: set[str]
) -> tuple[dict[str, dict[dt.date, int]], str]:
    """The figures of every metric Google still takes, and a note for the report ("" when all went
    through). A 400 naming some of them is answered by asking once more without those."""
    google_today = timezone.now().astimezone(dt.UTC).date()
    metrics = [metric for metric in metrics_supported(today=google_today) if metric not in refused]
    try:
        return business_profile.daily_metrics_fetch(
            franchise=franchise, metrics=metrics, first_day=first, last_day=last, deadline=deadline
        ), ""
    except business_profile.GbpInvalidRequestError as exc:
        named = metrics_named(exc, metrics)
        if not named or len(named) == len(metrics):
            raise
        counts["google_requests"] += 1
        counts["metrics_refused"] += len(named)
        refused.update(named)
        logger.warning(
            "fetch-insights: Google refused %s; asked again without %s. Take %s out of insights.models.Metric "
            "(or give it an end date in ENDS). Google said: %s",
            ", ".join(named),
            "it" if len(named) == 1 else "them",
            "it" if len(named) == 1 else "them",
            exc,
        )
    kept = [metric for metric in metrics if metric not in named]
    figures = business_profile.daily_metrics_fetch(
        franchise=franchise, metrics=kept, first_day=first, last_day=last, deadline=deadline
    )
    return figures, f" (Google refused {', '.join(named)}: asked again without it; update the metric list)"


def location_insights_fetch(
    *,
    franchise_id,
    fetched_at: dt.datetime | None,
    deadline: float | None,
    counts: Counter,
    refused: set[str] | None = None,
) -> str:
    """Fetch one location (the module docstring's steps); a line for the run's report ("" when
    another run had it). Raises QuotaDeadline with the location released as it was found.
    `refused`: metrics Google refused earlier in the run (added to when it refuses another)."""
    now = timezone.now()
    claimed = location_claim(InsightsFetch.objects, franchise_id=franchise_id, fetched_at=fetched_at, now=now)
    if claimed is None:
        return ""  # another run claimed it
    ours, row = claimed
    franchise = row.franchise
    first, last = fetch_range(fetched_through=row.fetched_through, today=timezone.localtime(now, franchise.zone).date())
    try:
        figures, note = _figures_fetch(
            franchise=franchise,
            first=first,
            last=last,
            deadline=deadline,
            counts=counts,
            refused=refused if refused is not None else set(),
        )
    except QuotaDeadline:
        ours.update(fetched_at=fetched_at)
        raise
    except GOOGLE_ERRORS as exc:
        common = {"ours": ours, "fetched_at": fetched_at, "franchise": franchise, "counts": counts}
        return location_failed(exc, **common, retry="retried next run", release=True)
    counts["google_requests"] += 1
    stored = daily_metrics_store(franchise=franchise, figures=figures, at=now)
    ours.update(fetched_through=last, last_error="")
    counts["locations_fetched"] += 1
    counts["figures_stored"] += stored
    return f"{franchise.name}: {stored} figures for {first:%Y-%m-%d} to {last:%Y-%m-%d}{note}"


def daily_metrics_store(*, franchise: Franchise, figures: dict[str, dict[dt.date, int]], at: dt.datetime) -> int:
    """Upsert the figures (one row per metric and day; a known day's value replaced); how many."""
    rows = [
        DailyMetric(franchise=franchise, metric=metric, day=day, value=value, fetched_at=at)
        for metric, days in figures.items()
        for day, value in days.items()
    ]
    with transaction.atomic():  # the running totals change with the figures, never apart
        DailyMetric.objects.bulk_create(
            rows,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["franchise", "metric", "day"],
            update_fields=["value", "fetched_at"],
        )
        if rows:
            views_running_recount(franchise_ids=[franchise.pk], since=min(row.day for row in rows))
    return len(rows)
