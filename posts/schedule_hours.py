"""Every franchise's posts scheduled in a window, by status and the failed ones by reason, read off
PostScheduleHour (kept by the database's triggers: migration 0029_post_schedule_hours) for the
window's whole hours and off the posts for its ends; the published ones' delays as a histogram, off
PostDelayHour (migration 0031_post_delay_hours) likewise, and their percentiles from it; and the
tables recounted from the posts, to check them against."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.db import connection
from django.db.models import Case, Count, DurationField, ExpressionWrapper, F, Q, Sum, TextField, Value, When
from django.db.models.functions import TruncHour

from .models import Post, PostDelayHour, PostScheduleHour


class Scheduled(NamedTuple):
    """Posts of one status: how many, how many have a publish time, and those delays' sum."""

    posts: int
    timed: int
    delay: dt.timedelta


def _delay():
    return ExpressionWrapper(F("published_at") - F("scheduled_at"), output_field=DurationField())


def _hour_of(at: dt.datetime) -> dt.datetime:
    """The UTC hour `at` falls in."""
    return at.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def _split(since: dt.datetime, until: dt.datetime) -> tuple[Q | None, Q]:
    """[since, until] as the table's whole hours [first, last) (None when there are none) and the
    posts of the ends, [since, first) and [last, until] (fewer than two hours of them)."""
    first = _hour_of(since) if _hour_of(since) == since else _hour_of(since) + dt.timedelta(hours=1)
    last = _hour_of(until)
    if first >= last:
        return None, Q(scheduled_at__gte=since, scheduled_at__lte=until)
    ends = Q(scheduled_at__gte=since, scheduled_at__lt=first) | Q(scheduled_at__gte=last, scheduled_at__lte=until)
    return Q(hour__gte=first, hour__lt=last), ends


def posts_scheduled_by_status(*, since: dt.datetime, until: dt.datetime) -> dict[str, Scheduled]:
    """{status: Scheduled} of every post scheduled in [since, until]: two statements whatever the
    window's posts, the whole hours' sums and the ends' posts."""
    hours, ends = _split(since, until)
    totals: dict[str, list] = {}

    def add(status: str, posts: int, timed: int, delay: dt.timedelta) -> None:
        total = totals.setdefault(status, [0, 0, dt.timedelta()])
        total[0] += posts
        total[1] += timed
        total[2] += delay

    if hours is not None:
        rows = PostScheduleHour.objects.filter(hours).exclude(posts=0).order_by().values("status")
        for row in rows.annotate(posts=Sum("posts"), timed=Sum("timed"), delay_us=Sum("delay_us")):
            add(row["status"], row["posts"], row["timed"], dt.timedelta(microseconds=row["delay_us"]))
    rows = Post.objects.filter(ends).order_by().values("status")
    for row in rows.annotate(posts=Count("*"), timed=Count("published_at"), delay=Sum(_delay())):
        add(row["status"], row["posts"], row["timed"], row["delay"] or dt.timedelta())
    return {status: Scheduled(*total) for status, total in totals.items()}


def posts_failed_by_reason(*, since: dt.datetime, until: dt.datetime) -> list[tuple[str, int]]:
    """[(last_error, posts)] of every failed post scheduled in [since, until], most first, then by
    the message as the database orders text: one statement, the whole hours' counts and the ends'
    posts added up in SQL."""
    hours, ends = _split(since, until)
    failed = Post.Status.FAILED
    parts = [Post.objects.filter(ends, status=failed).annotate(r=F("last_error"), n=Value(1))]
    if hours is not None:
        counted = PostScheduleHour.objects.filter(hours, status=failed).exclude(posts=0)
        parts.append(counted.annotate(r=F("reason"), n=F("posts")))
    sqls = [part.order_by().values_list("r", "n").query.sql_with_params() for part in parts]
    # The ORM's SQL in our own; every value is a parameter.
    union = " UNION ALL ".join(f"SELECT * FROM ({sql}) AS p{n}" for n, (sql, _params) in enumerate(sqls))  # noqa: S608
    statement = f"SELECT r, SUM(n) AS c FROM ({union}) AS u GROUP BY r ORDER BY c DESC, r"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(statement, [param for _sql, params in sqls for param in params])
        return [(reason, int(n)) for reason, n in cursor.fetchall()]


def post_schedule_hours_kept() -> dict[tuple[dt.datetime, str, str], tuple[int, int, int]]:
    """{(hour, status, reason): (posts, timed, delay_us)} as the table holds them, rows of none left out."""
    rows = PostScheduleHour.objects.exclude(posts=0, timed=0, delay_us=0)
    return {(r.hour, r.status, r.reason): (r.posts, r.timed, r.delay_us) for r in rows}


def post_schedule_hours_recount() -> dict[tuple[dt.datetime, str, str], tuple[int, int, int]]:
    """{(hour, status, reason): (posts, timed, delay_us)} counted from the posts themselves."""
    reason = Case(When(status=Post.Status.FAILED, then=F("last_error")), default=Value(""), output_field=TextField())
    rows = (
        Post.objects.filter(scheduled_at__isnull=False)
        .annotate(hour=TruncHour("scheduled_at", tzinfo=dt.UTC), reason=reason)
        .order_by()
        .values("hour", "status", "reason")
        .annotate(n=Count("*"), timed=Count("published_at"), delay=Sum(_delay()))
    )
    return {
        (r["hour"], r["status"], r["reason"]): (
            r["n"],
            r["timed"],
            (r["delay"] or dt.timedelta()) // dt.timedelta(microseconds=1),
        )
        for r in rows
    }


# --- the published posts' delays by bucket -----------------------------------------------------

BUCKET_SECONDS_UP_TO = 3600  # delays within an hour either way are counted to the second, longer ones to the minute


def delay_bucket(delay_us: int) -> int:
    """A delay's bucket, as migration 0031_post_delay_hours computes it: the delay (microseconds)
    floored to the second from -1 h to +1 h, to the minute beyond, in seconds."""
    if -BUCKET_SECONDS_UP_TO * 10**6 <= delay_us < BUCKET_SECONDS_UP_TO * 10**6:
        return delay_us // 10**6
    return delay_us // (60 * 10**6) * 60


def _microseconds(delay: dt.timedelta) -> int:
    return delay // dt.timedelta(microseconds=1)


def posts_delays_by_bucket(*, since: dt.datetime, until: dt.datetime) -> dict[int, tuple[int, int]]:
    """{bucket: (posts, delays' sum in microseconds)} of the published posts (with a publish time)
    scheduled in [since, until]: two statements whatever the window's posts, the whole hours' sums
    and the ends' delays."""
    hours, ends = _split(since, until)
    buckets: dict[int, list[int]] = {}
    if hours is not None:
        rows = PostDelayHour.objects.filter(hours).exclude(posts=0).order_by().values("second")
        for row in rows.annotate(posts=Sum("posts"), delay_us=Sum("delay_us")):
            buckets[row["second"]] = [row["posts"], row["delay_us"]]
    published = Post.objects.filter(ends, status=Post.Status.PUBLISHED, published_at__isnull=False)
    for delay in published.annotate(delay=_delay()).values_list("delay", flat=True).order_by():
        delay_us = _microseconds(delay)
        bucket = buckets.setdefault(delay_bucket(delay_us), [0, 0])
        bucket[0] += 1
        bucket[1] += delay_us
    return {second: (posts, delay_us) for second, (posts, delay_us) in buckets.items() if posts}


def delay_percentiles(buckets: dict[int, tuple[int, int]], fractions: list[float]) -> list[dt.timedelta | None]:
    """percentile_cont's figures at `fractions` (interpolated at (n - 1) x fraction) of the delays
    counted in `buckets`, each delay taken as its bucket's mean: within a bucket's width of the
    exact figure (under a second for delays within an hour, a minute beyond), and exact where a
    bucket's delays are all equal. None over no delays."""
    ordered = sorted(buckets.items())
    total = sum(posts for _second, (posts, _sum) in ordered)

    def at(rank: int) -> float:
        for _second, (posts, delay_us) in ordered:
            if rank < posts:
                return delay_us / posts
            rank -= posts
        raise IndexError(rank)

    figures: list[dt.timedelta | None] = []
    for fraction in fractions:
        if not total:
            figures.append(None)
            continue
        position = (total - 1) * fraction
        low = int(position)
        value = at(low)
        if position > low:
            value += (position - low) * (at(low + 1) - value)
        figures.append(dt.timedelta(microseconds=round(value)))
    return figures


def post_delay_hours_kept() -> dict[tuple[dt.datetime, int], tuple[int, int]]:
    """{(hour, bucket): (posts, delay_us)} as the table holds them, rows of none left out."""
    rows = PostDelayHour.objects.exclude(posts=0, delay_us=0)
    return {(r.hour, r.second): (r.posts, r.delay_us) for r in rows}


def post_delay_hours_recount() -> dict[tuple[dt.datetime, int], tuple[int, int]]:
    """{(hour, bucket): (posts, delay_us)} counted from the published posts themselves."""
    counted: dict[tuple[dt.datetime, int], list[int]] = {}
    published = Post.objects.filter(
        status=Post.Status.PUBLISHED, published_at__isnull=False, scheduled_at__isnull=False
    ).annotate(h=TruncHour("scheduled_at", tzinfo=dt.UTC), d=_delay())
    for hour, delay in published.values_list("h", "d"):
        delay_us = _microseconds(delay)
        row = counted.setdefault((hour, delay_bucket(delay_us)), [0, 0])
        row[0] += 1
        row[1] += delay_us
    return {key: (posts, delay_us) for key, (posts, delay_us) in counted.items()}
