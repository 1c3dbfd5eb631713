"""Every franchise's posts scheduled in a window, by status and the failed ones by reason, read off
PostScheduleHour (kept by the database's triggers: migration 0029_post_schedule_hours) for the
window's whole hours and off the posts for its ends; and the table recounted from the posts, to
check it against."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.db import connection
from django.db.models import Case, Count, DurationField, ExpressionWrapper, F, Q, Sum, TextField, Value, When
from django.db.models.functions import TruncHour

from .models import Post, PostScheduleHour


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
