"""Publishing metrics: success rate, time from scheduled to published, failures by reason.

Which posts count: those scheduled to go out in the window [now - days, now] that reached an
outcome (published or failed); posts of the window still `scheduled` (retrying) are counted as
pending and left out of the rate. One time column for every figure keeps them comparable.

Everything is computed in SQL, per franchise and overall:
- counts and the delays' sum with COUNT/SUM per franchise in one query (both databases); the
  overall figures and the means are those sums added up and divided here, exactly;
- median and 95th percentile as `percentile_cont` (linear interpolation between the two
  nearest ranks). PostgreSQL has it as an ordered-set aggregate. SQLite has no percentile
  aggregate, so there one window query ranks each group's delays (ROW_NUMBER over the group)
  and fetches only the rows at the ranks percentile_cont would interpolate between; the
  interpolation of those two values happens here. Same definition, same numbers, and two
  queries whatever the number of franchises (overall, the count is known: one window, ranks
  given as numbers).

A page of franchises (`listed`): the overall figures still cover every franchise; the
percentiles and failure reasons per franchise are read for the listed ones only.
"""

from __future__ import annotations

import math
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
    FloatField,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Cast, Floor, RowNumber
from django.utils import timezone

from franchises.models import Franchise
from franchises.selectors import of_franchises
from posts.models import Post

from .checks import iso

PERCENTILES = {"median": 0.5, "p95": 0.95}
REASONS_LIMIT = 10
NO_REASON = "(no reason recorded)"


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate `percentile_cont(f) WITHIN GROUP (ORDER BY x)`."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, *, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


# A datetime column as whole microseconds since the epoch, in SQLite's own SQL. Django stores
# datetimes there as UTC text ("YYYY-MM-DD HH:MM:SS[.ffffff]"); its subtraction would call a
# Python function on every row (two parses each), most of the metrics page's time at group size.
# The whole seconds are read without the fraction: SQLite keeps milliseconds only, and would round
# ":59.9996" up to the next second. unixepoch() (SQLite 3.38+) reads them a third faster than
# strftime('%s'), which older SQLite has instead.
_SQLITE_MICROSECONDS = "({seconds} * 1000000 + CAST(substr({column}, 21, 6) AS INTEGER))"
_SQLITE_SECONDS = "unixepoch(substr({0}, 1, 19))"
_SQLITE_SECONDS_BEFORE_3_38 = "CAST(strftime('%%s', substr({0}, 1, 19)) AS INTEGER)"


def _sqlite_microseconds(column: str, connection) -> str:
    seconds = _SQLITE_SECONDS if connection.Database.sqlite_version_info >= (3, 38) else _SQLITE_SECONDS_BEFORE_3_38
    return _SQLITE_MICROSECONDS.format(seconds=seconds.format(column), column=column)


class _Delay(ExpressionWrapper):
    """published_at - scheduled_at, a duration (microseconds on SQLite, as Django's own)."""

    def __init__(self):
        super().__init__(F("published_at") - F("scheduled_at"), output_field=DurationField())

    def as_sqlite(self, compiler, connection, **extra_context):
        published, published_params = compiler.compile(self.expression.lhs)
        scheduled, scheduled_params = compiler.compile(self.expression.rhs)
        sql = f"({_sqlite_microseconds(published, connection)} - {_sqlite_microseconds(scheduled, connection)})"
        return sql, (*published_params, *published_params, *scheduled_params, *scheduled_params)


def _delay():
    return _Delay()


def _seconds(value: timedelta | float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, timedelta):
        return round(value.total_seconds(), 6)
    return round(float(value) / 1_000_000, 6)  # microseconds, as AVG returns them on SQLite


def _percentiles_postgres(published: QuerySet, listed: QuerySet) -> tuple[dict, dict]:
    """Per franchise among `listed`, and overall over `published`."""
    aggregates = {
        name: PercentileCont(_delay(), fraction=fraction, output_field=DurationField())
        for name, fraction in PERCENTILES.items()
    }
    per = {row.pop("franchise_id"): row for row in listed.values("franchise_id").annotate(**aggregates).order_by()}
    return per, published.aggregate(**aggregates)


def _rank_of(fraction: float, *, plus: int):
    """ROW_NUMBER of the row at 0-based position floor(fraction * (n - 1)) + plus; n is the
    group's size. FLOOR, not CAST: PostgreSQL's CAST rounds where SQLite's truncates."""
    position = ExpressionWrapper((F("size") - 1) * Value(fraction), output_field=FloatField())
    return Cast(Floor(position), IntegerField()) + Value(1 + plus)


def _percentiles_ranked(published: QuerySet, listed: QuerySet, *, size: int) -> tuple[dict, dict]:
    """Any database with window functions (used for SQLite): two queries in all.

    Each row is ranked within its group, and only the (at most four) rows a percentile
    interpolates between are fetched; the condition is the same for every group, so the query
    does not grow with the number of franchises. Overall, the `size` rows of `published` are
    known already (the counts): the ranks wanted are numbers, and one window suffices (ranked
    with the group's size as per franchise if the rows changed in between).
    """
    per = _ranked_groups(listed, partition=[F("franchise_id")])
    if not size:
        return per, dict.fromkeys(PERCENTILES)
    ranks = set()
    for fraction in PERCENTILES.values():
        low_rank = math.floor(fraction * (size - 1)) + 1
        ranks |= {low_rank, min(low_rank + 1, size)}
    overall = published.order_by().annotate(delay=_delay(), rank=Window(RowNumber(), order_by=_BY_DELAY))
    found = dict(overall.filter(rank__in=sorted(ranks)).values_list("rank", "delay"))
    if found.keys() != ranks:  # posts published or changed since the counts: rank them as they are now
        return per, _ranked_groups(published, partition=None).get(None, dict.fromkeys(PERCENTILES))
    return per, _from_ranks({"size": size, **found})


# By delay alone: rows of equal delays may swap ranks, but not the values at those ranks.
_BY_DELAY = [F("delay").asc()]


def _ranked_groups(posts: QuerySet, *, partition: list | None) -> dict:
    """The percentiles of each group of `posts` (all of them as one group, None, without a
    partition), from a window query that ranks each group's rows and counts them."""
    wanted = Q()
    for fraction in PERCENTILES.values():
        wanted |= Q(rank=_rank_of(fraction, plus=0)) | Q(rank=_rank_of(fraction, plus=1))
    ranked = posts.order_by().annotate(
        delay=_delay(),
        rank=Window(RowNumber(), partition_by=partition, order_by=_BY_DELAY),
        size=Window(Count("id"), partition_by=partition),
    )
    groups: dict = defaultdict(dict)
    for row in ranked.filter(wanted).values(*(["franchise_id"] if partition else []), "rank", "size", "delay"):
        found = groups[row.get("franchise_id")]
        found["size"] = row["size"]
        found[row["rank"]] = row["delay"]
    return {group: _from_ranks(found) for group, found in groups.items()}


def _from_ranks(found: dict) -> dict:
    size = found["size"]
    result = {}
    for name, fraction in PERCENTILES.items():
        position = fraction * (size - 1)
        low_rank = math.floor(position) + 1
        low = found[low_rank]
        high = found.get(low_rank + 1, low)  # the last row has no successor
        result[name] = low + (high - low) * (position - math.floor(position))
    return result


def _stats(*, counts: dict, mean, percentiles: dict, reasons: list) -> dict:
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
    count_by_status = {
        "published": Count("id", filter=Q(status=Post.Status.PUBLISHED)),
        "failed": Count("id", filter=Q(status=Post.Status.FAILED)),
        "pending": Count("id", filter=Q(status=Post.Status.SCHEDULED)),
    }

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
    else:
        overall_row = window.aggregate(**sums)
    overall_counts = {name: overall_row[name] for name in count_by_status}

    # 2. Mean delay per franchise and overall.
    means = {pk: row["delay_sum"] / row["n"] for pk, row in per_counts.items() if row["n"]}
    overall_n = overall_row["n"]
    overall_mean = overall_row["delay_sum"] / overall_n if overall_n else None

    # 3. Median and p95.
    listed_published = published if listed is None else published.filter(franchise_id__in=listed)
    if connection.vendor == "postgresql":
        per_percentiles, overall_percentiles = _percentiles_postgres(published, listed_published)
    else:
        per_percentiles, overall_percentiles = _percentiles_ranked(published, listed_published, size=overall_n)

    # 4. Failures by exact message, most frequent first.
    failed = window.filter(status=Post.Status.FAILED)
    listed_failed = failed if listed is None else failed.filter(franchise_id__in=listed)
    per_reasons: dict = defaultdict(list)
    by_reason = listed_failed.values("franchise_id", "last_error").annotate(count=Count("*"))
    for row in by_reason.order_by("-count", "last_error"):
        per_reasons[row["franchise_id"]].append({"reason": row["last_error"] or NO_REASON, "count": row["count"]})
    overall_reasons = [
        {"reason": row["last_error"] or NO_REASON, "count": row["count"]}
        for row in failed.values("last_error").annotate(count=Count("*")).order_by("-count", "last_error")
    ]

    return {
        "days": days,
        "since": iso(since),
        "until": iso(until),
        "overall": _stats(
            counts=overall_counts, mean=overall_mean, percentiles=overall_percentiles, reasons=overall_reasons
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
                ),
            }
            for pk, name in (franchises if listed is None else franchises.filter(pk__in=listed))
            .order_by("name", "pk")
            .values_list("pk", "name")
        ],
    }
