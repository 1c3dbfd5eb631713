"""Publishing metrics: success rate, time from scheduled to published, failures by reason.

Which posts count: those scheduled to go out in the window [now - days, now] that reached an
outcome (published or failed); posts of the window still `scheduled` (retrying) are counted as
pending and left out of the rate. One time column for every figure keeps them comparable.

Everything is computed in SQL, per franchise and overall:
- counts and the delays' sum with COUNT/SUM per franchise in one query (both databases); the
  overall figures and the means are those sums added up and divided here, exactly (with a page
  listed, every franchise's overall from the posts counted by the hour: posts/schedule_hours.py,
  as are the overall failures by reason);
- median and 95th percentile with PostgreSQL's ordered-set aggregate `percentile_cont` (linear
  interpolation between the two nearest ranks; both from one sort), per franchise and overall,
  the overall one off an index of the published posts' two times: two queries whatever
  the number of franchises. SQLite, which serves only the demo and the tests, has no percentile
  aggregate: there the delays are read and Python's statistics module interpolates them the same
  way (a test checks the two agree on PostgreSQL). With a page listed, every franchise's overall
  median and 95th percentile come instead from the delays counted by the hour and bucket
  (posts/schedule_hours.py: delay_percentiles), within a second of the exact figures for delays
  under an hour (a minute beyond): sorting every delay of the window is most of the page's time.

A page of franchises (`listed`): the overall figures still cover every franchise; the
percentiles and failure reasons per franchise are read for the listed ones only.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Collection
from datetime import timedelta

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
)
from django.utils import timezone

from franchises.models import Franchise
from franchises.selectors import of_franchises
from posts.models import Post
from posts.schedule_hours import (
    Scheduled,
    delay_percentiles,
    posts_delays_by_bucket,
    posts_failed_by_reason,
    posts_scheduled_by_status,
)
from posts.status import OFF_GOOGLE_KEYS

from .checks import iso

PERCENTILES = {"median": 0.5, "p95": 0.95}
STATUS_COUNTED = {"published": Post.Status.PUBLISHED, "failed": Post.Status.FAILED, "pending": Post.Status.SCHEDULED}

REASONS_LIMIT = 10
NO_REASON = "(no reason recorded)"


def _delay():
    """published_at - scheduled_at, a duration (microseconds on SQLite, as Django's own)."""
    return ExpressionWrapper(F("published_at") - F("scheduled_at"), output_field=DurationField())


def _seconds(value: timedelta | float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, timedelta):
        return round(value.total_seconds(), 6)
    return round(float(value) / 1_000_000, 6)  # microseconds, as AVG returns them on SQLite


class PercentilesCont(Aggregate):
    """PostgreSQL's ordered-set aggregate `percentile_cont(ARRAY[f, ...]) WITHIN GROUP (ORDER BY x)`:
    a list of the figures at those fractions from one sort (an aggregate a fraction sorted twice),
    or None over no rows."""

    function = "percentile_cont"
    template = "%(function)s(ARRAY[%(fractions)s]::float8[]) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, *, fractions: list[float], **extra):
        super().__init__(expression, fractions=", ".join(str(float(f)) for f in fractions), **extra)


def _named(found: list | None) -> dict:
    return dict(zip(PERCENTILES, found or [None] * len(PERCENTILES), strict=True))


def _percentiles(published: QuerySet | None, listed: QuerySet) -> tuple[dict, dict]:
    """Median and p95 per franchise among `listed`, and overall over `published` (None: not read,
    an empty overall)."""
    if connection.vendor == "postgresql":
        figures = PercentilesCont(_delay(), fractions=list(PERCENTILES.values()), output_field=DurationField())
        per = {
            row["franchise_id"]: _named(row["f"])
            for row in listed.values("franchise_id").annotate(f=figures).order_by()
        }
        return per, {} if published is None else _named(published.aggregate(f=figures)["f"])
    delays = defaultdict(list)
    for franchise_id, delay in listed.annotate(delay=_delay()).values_list("franchise_id", "delay").order_by():
        delays[franchise_id].append(delay)
    per = {pk: _interpolated(theirs) for pk, theirs in delays.items()}
    if published is None:
        return per, {}
    return per, _interpolated(list(published.annotate(delay=_delay()).values_list("delay", flat=True).order_by()))


def _interpolated(delays: list[timedelta]) -> dict:
    """percentile_cont's figures of `delays`: the inclusive method interpolates at (n - 1) x f."""
    if len(delays) < 2:
        return dict.fromkeys(PERCENTILES, delays[0] if delays else None)
    hundredths = statistics.quantiles(delays, n=100, method="inclusive")
    return {name: hundredths[round(fraction * 100) - 1] for name, fraction in PERCENTILES.items()}


def _stats(*, counts: dict, mean, percentiles: dict, reasons: list, off: dict) -> dict:
    published, failed = counts.get("published", 0), counts.get("failed", 0)
    finished = published + failed
    return {
        "published": published,
        "failed": failed,
        "pending": counts.get("pending", 0),
        "successRate": round(published / finished, 4) if finished else None,
        "timeToPublishSeconds": {
            "mean": _seconds(mean),
            **{name: _seconds(percentiles.get(name)) for name in PERCENTILES},
        },
        "failuresByReason": reasons[:REASONS_LIMIT],
        # Published, then taken off by Google: the post status vocabulary's keys (posts/status.py).
        "takenOffGoogle": {key: off.get(key, 0) for key in OFF_GOOGLE_KEYS.values()},
    }


def publishing_metrics(*, franchises: QuerySet[Franchise], days: int, listed: Collection | None = None) -> dict:
    """Metrics of the last `days` days for these franchises, each and overall (JSON-ready).

    `listed`: the ids of the franchises to list (a page of them; every franchise when None). The
    overall figures always cover every franchise; the per-franchise percentiles and failure
    reasons are read for the listed ones only, so a page of 50 costs the same at 1,000 franchises.
    """
    until = timezone.now()
    since = until - timedelta(days=days)
    # For headquarters a plain range over posts_metrics_idx, which covers every column the figures
    # read but the failure reasons (of_franchises: no IN over every franchise).
    window = of_franchises(Post.objects.filter(scheduled_at__gte=since, scheduled_at__lte=until), franchises)
    is_published = Q(status=Post.Status.PUBLISHED, published_at__isnull=False)
    published = window.filter(is_published)
    count_by_status = {name: Count("id", filter=Q(status=status)) for name, status in STATUS_COUNTED.items()}

    # 1. Counts and the delays' sum (exact: whole counts and microseconds, so each mean is the one
    # AVG over the rows would give): per listed franchise in one pass; overall, the sums of every
    # franchise's, or with a page listed, one aggregate over the window (no grouping of all).
    sums = {**count_by_status, "delay_sum": Sum(_delay(), filter=is_published), "n": Count("id", filter=is_published)}
    listed_window = window if listed is None else window.filter(franchise_id__in=listed)
    per_counts = {
        row.pop("franchise_id"): row for row in listed_window.values("franchise_id").annotate(**sums).order_by()
    }
    if listed is None:
        overall_row = {name: sum(row[name] for row in per_counts.values()) for name in [*count_by_status, "n"]}
        overall_row["delay_sum"] = sum((row["delay_sum"] for row in per_counts.values() if row["n"]), timedelta())
    elif not franchises.query.has_filters():  # every franchise: whole hours counted by the database
        by_status = posts_scheduled_by_status(since=since, until=until)
        none = Scheduled(0, 0, timedelta())
        overall_row = {name: by_status.get(status, none).posts for name, status in STATUS_COUNTED.items()}
        published_sums = by_status.get(Post.Status.PUBLISHED, none)
        overall_row.update(n=published_sums.timed, delay_sum=published_sums.delay)
    else:
        overall_row = window.aggregate(**sums)
    overall_counts = {name: overall_row[name] for name in count_by_status}

    # 2. Mean delay per franchise and overall.
    means = {pk: row["delay_sum"] / row["n"] for pk, row in per_counts.items() if row["n"]}
    overall_n = overall_row["n"]
    overall_mean = overall_row["delay_sum"] / overall_n if overall_n else None

    # 3. Median and p95: with a page of every franchise listed, the overall ones from the delays
    # counted by the hour and bucket (within a bucket's width), not a sort of the window's delays.
    listed_published = published if listed is None else published.filter(franchise_id__in=listed)
    histogram = listed is not None and not franchises.query.has_filters()
    per_percentiles, overall_percentiles = _percentiles(None if histogram else published, listed_published)
    if histogram:
        buckets = posts_delays_by_bucket(since=since, until=until)
        overall_percentiles = _named(delay_percentiles(buckets, list(PERCENTILES.values())))

    # 4. Published posts Google took off since (rejected by its review, removed).
    def taken_off(rows: QuerySet, *by: str) -> list[dict]:
        rows = rows.filter(is_published, google_state__in=list(OFF_GOOGLE_KEYS))
        return list(rows.values(*by, "google_state").annotate(count=Count("*")).order_by())

    per_off: dict = defaultdict(dict)
    for row in taken_off(listed_window, "franchise_id"):
        per_off[row["franchise_id"]][OFF_GOOGLE_KEYS[row["google_state"]]] = row["count"]
    if listed is None:
        overall_off = {key: sum(theirs.get(key, 0) for theirs in per_off.values()) for key in OFF_GOOGLE_KEYS.values()}
    else:
        overall_off = {OFF_GOOGLE_KEYS[row["google_state"]]: row["count"] for row in taken_off(window)}

    # 5. Failures by exact message, most frequent first.
    failed = window.filter(status=Post.Status.FAILED)
    listed_failed = failed if listed is None else failed.filter(franchise_id__in=listed)
    per_reasons: dict = defaultdict(list)
    by_reason = listed_failed.values("franchise_id", "last_error").annotate(count=Count("*"))
    for row in by_reason.order_by("-count", "last_error"):
        per_reasons[row["franchise_id"]].append({"reason": row["last_error"] or NO_REASON, "count": row["count"]})
    if listed is not None and not franchises.query.has_filters():  # every franchise: counted by the hour
        reasons = posts_failed_by_reason(since=since, until=until)
    else:
        by_reason = failed.values("last_error").annotate(count=Count("*")).order_by("-count", "last_error")
        reasons = by_reason.values_list("last_error", "count")
    overall_reasons = [{"reason": reason or NO_REASON, "count": count} for reason, count in reasons]

    return {
        "days": days,
        "since": iso(since),
        "until": iso(until),
        "overall": _stats(
            counts=overall_counts,
            mean=overall_mean,
            percentiles=overall_percentiles,
            reasons=overall_reasons,
            off=overall_off,
        ),
        "franchises": [
            {
                "id": str(pk),
                "name": name,
                **_stats(
                    counts=per_counts.get(pk, {}),
                    mean=means.get(pk),
                    percentiles=per_percentiles.get(pk, {}),
                    reasons=per_reasons.get(pk, []),
                    off=per_off.get(pk, {}),
                ),
            }
            for pk, name in (franchises if listed is None else franchises.filter(pk__in=listed))
            .order_by("name", "pk")
            .values_list("pk", "name")
        ],
    }
