"""The fetch-search-keywords job: each connected location's search keywords of the last month
(how many people found it on Google by each), once a month.

Google counts a month's keywords when the month is over. A location is due while the newest
month stored is older than the last month that ended, and it was not tried in the last
RETRY_AFTER_HOURS; the job runs on a few days early each month, so a location Google had nothing
for yet, or a run short of time, is done by a later one. Each run goes as fetch-insights goes
(insights/runs.py): a claim per location, as many requests in flight as the shared quota and
Google's latency call for, the run's budget.

1. **Claim the location** with a conditional UPDATE of `fetched_at`.
2. **Read what is lacking**: the last month, and the one before it when that is not stored either
   (the pages show the change from one to the other); a month is every page of its keywords.
3. **Store a month whole**: its rows replaced in one transaction (a keyword Google no longer
   lists for it goes), `fetched_through` moved on. Google answering nothing for the last month
   means its figures are not in yet: the location stays due.
4. Months older than MONTHS_KEPT go.

A location whose access broke is skipped (the token layer flagged it and told its admins); one
failing location never stops the run.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from franchises.google import business_profile
from franchises.google.business_profile import GOOGLE_ERRORS
from franchises.google.quota import QuotaDeadline
from franchises.google.quota_plan import Need, quota_plan_log
from gbp_scheduler.jobs import TimeBudget

from .models import SearchKeyword, SearchKeywordsFetch
from .runs import due_locations_read, location_claim, location_failed
from .services import locations_with_figures

MONTHS_KEPT = 13  # a year back from the last month, for the month a year before
RETRY_AFTER_HOURS = 20  # a location tried today waits for tomorrow's run
COUNT_KEYS = [
    "locations_fetched",
    "months_stored",
    "keywords_stored",
    "not_ready",
    "deferred",
    "failed",
    "skipped_reauth",
    "left_for_next_run",
    "google_requests",
]


def month_before(month: dt.date) -> dt.date:
    return (month - dt.timedelta(days=1)).replace(day=1)


def last_month(today: dt.date) -> dt.date:
    """The first day of the last month that is over."""
    return month_before(today.replace(day=1))


def months_to_read(*, fetched_through: dt.date | None, newest: dt.date) -> list[dt.date]:
    """The months a location lacks, oldest first: the newest and, unless stored, the one before."""
    before = month_before(newest)
    if fetched_through is None or fetched_through < before:
        return [before, newest]
    return [newest] if fetched_through < newest else []


def search_keywords_needs() -> list[Need]:
    """What the job asks of Google's quota (quota_plan): a request a location a month (a month's
    keywords are one page for most locations)."""
    now = timezone.now()
    locations = locations_with_figures()
    month_ago = now - dt.timedelta(days=30)
    done = SearchKeywordsFetch.objects.filter(franchise__in=locations, fetched_at__gte=month_ago).count()
    return [Need("monthly", "search keywords (last month)", locations.count(), 1.0, (720,), done / (30 * 1440))]


def keywords_due(*, now: dt.datetime) -> QuerySet[SearchKeywordsFetch]:
    newest = last_month(now.astimezone(dt.UTC).date())
    return (
        SearchKeywordsFetch.objects.filter(franchise__in=locations_with_figures())
        .filter(Q(fetched_through__isnull=True) | Q(fetched_through__lt=newest))
        .filter(Q(fetched_at__isnull=True) | Q(fetched_at__lt=now - dt.timedelta(hours=RETRY_AFTER_HOURS)))
        .order_by(F("fetched_at").asc(nulls_first=True), "pk")
    )


def search_keywords_fetch_due(*, budget: TimeBudget, report: Callable[[str], None] | None = None) -> dict:
    """Read the search keywords of every due location the run has time for; the run's counts."""
    counts: Counter = Counter({key: 0 for key in COUNT_KEYS})
    now = timezone.now()
    quota_plan_log("fetch-search-keywords")
    missing = locations_with_figures().filter(search_keywords_fetch__isnull=True).values_list("pk", flat=True)
    SearchKeywordsFetch.objects.bulk_create(
        [SearchKeywordsFetch(franchise_id=pk) for pk in missing], ignore_conflicts=True
    )

    def read_one(franchise_id, fetched_at, mine: Counter) -> str:
        return location_keywords_fetch(
            franchise_id=franchise_id, fetched_at=fetched_at, deadline=budget.deadline, counts=mine
        )

    due_locations_read(
        job="fetch-search-keywords",
        due=lambda: keywords_due(now=now),
        read_one=read_one,
        reading="the search keywords",
        budget=budget,
        counts=counts,
        report=report,
    )
    return dict(counts)


def location_keywords_fetch(
    *, franchise_id, fetched_at: dt.datetime | None, deadline: float | None, counts: Counter
) -> str:
    """Read one location (the module docstring's steps); a line for the run's report ("" when
    another run had it). Raises QuotaDeadline with the location released as it was found."""
    now = timezone.now()
    claimed = location_claim(SearchKeywordsFetch.objects, franchise_id=franchise_id, fetched_at=fetched_at, now=now)
    if claimed is None:
        return ""  # another run claimed it
    ours, row = claimed
    franchise = row.franchise
    newest = last_month(now.astimezone(dt.UTC).date())
    stored: list[str] = []
    try:
        for month in months_to_read(fetched_through=row.fetched_through, newest=newest):
            found = business_profile.search_keywords_fetch(franchise=franchise, month=month, deadline=deadline)
            counts["google_requests"] += found.requests
            if not found.counts and month == newest:
                counts["not_ready"] += 1
                ours.update(last_error="")
                done = f"; {', '.join(stored)} stored" if stored else ""
                return f"{franchise.name}: Google has no search keywords for {month:%B %Y} yet{done}"
            _month_store(franchise_id=franchise_id, month=month, found=found.counts, at=now)
            ours.update(fetched_through=month)
            counts["months_stored"] += 1
            counts["keywords_stored"] += len(found.counts)
            stored.append(f"{len(found.counts)} keywords of {month:%B %Y}")
    except QuotaDeadline:
        ours.update(fetched_at=fetched_at)
        raise
    except GOOGLE_ERRORS as exc:
        common = {"ours": ours, "fetched_at": fetched_at, "franchise": franchise, "counts": counts}
        return location_failed(exc, **common, retry="tried again tomorrow", release=False)
    SearchKeyword.objects.filter(franchise_id=franchise_id, month__lt=_months_back(newest, MONTHS_KEPT - 1)).delete()
    ours.update(last_error="")
    counts["locations_fetched"] += 1
    return f"{franchise.name}: " + (", ".join(stored) or "nothing new")


def _months_back(month: dt.date, months: int) -> dt.date:
    for _ in range(months):
        month = month_before(month)
    return month


def _month_store(*, franchise_id, month: dt.date, found: list, at: dt.datetime) -> None:
    """One month of a location's keywords, replacing what was stored for it."""
    rows = [
        SearchKeyword(
            franchise_id=franchise_id,
            month=month,
            keyword=count.keyword,
            value=count.value,
            threshold=count.threshold,
            fetched_at=at,
        )
        for count in {count.keyword: count for count in found}.values()  # a keyword once
    ]
    with transaction.atomic():
        SearchKeyword.objects.filter(franchise_id=franchise_id, month=month).delete()
        SearchKeyword.objects.bulk_create(rows, batch_size=500)
