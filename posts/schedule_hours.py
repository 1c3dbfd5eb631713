"""Every franchise's posts scheduled in a window, by status, read off PostScheduleHour (kept by the
database's triggers: migration 0028_post_schedule_hours) for the window's whole hours and off the
posts for its ends; and the table recounted from the posts, to check it against."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
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


def posts_scheduled_by_status(*, since: dt.datetime, until: dt.datetime) -> dict[str, Scheduled]:
    """{status: Scheduled} of every post scheduled in [since, until]: two statements whatever the
    window's posts, the whole hours' sums and the ends' posts (fewer than two hours of them)."""
    # The whole hours [first, last) from the table; the ends [since, first) and [last, until] from the posts.
    first = _hour_of(since) if _hour_of(since) == since else _hour_of(since) + dt.timedelta(hours=1)
    last = _hour_of(until)
    totals: dict[str, list] = {}

    def add(status: str, posts: int, timed: int, delay: dt.timedelta) -> None:
        total = totals.setdefault(status, [0, 0, dt.timedelta()])
        total[0] += posts
        total[1] += timed
        total[2] += delay

    if first < last:
        hours = PostScheduleHour.objects.filter(hour__gte=first, hour__lt=last).exclude(posts=0)
        hours = hours.order_by().values("status")
        for row in hours.annotate(posts=Sum("posts"), timed=Sum("timed"), delay_us=Sum("delay_us")):
            add(row["status"], row["posts"], row["timed"], dt.timedelta(microseconds=row["delay_us"]))
        ends = Q(scheduled_at__gte=since, scheduled_at__lt=first) | Q(scheduled_at__gte=last, scheduled_at__lte=until)
    else:
        ends = Q(scheduled_at__gte=since, scheduled_at__lte=until)
    rows = Post.objects.filter(ends).order_by().values("status")
    for row in rows.annotate(posts=Count("*"), timed=Count("published_at"), delay=Sum(_delay())):
        add(row["status"], row["posts"], row["timed"], row["delay"] or dt.timedelta())
    return {status: Scheduled(*total) for status, total in totals.items()}


def post_schedule_hours_kept() -> dict[tuple[dt.datetime, str], tuple[int, int, int]]:
    """{(hour, status): (posts, timed, delay_us)} as the table holds them, rows of none left out."""
    rows = PostScheduleHour.objects.exclude(posts=0, timed=0, delay_us=0)
    return {(r.hour, r.status): (r.posts, r.timed, r.delay_us) for r in rows}


def post_schedule_hours_recount() -> dict[tuple[dt.datetime, str], tuple[int, int, int]]:
    """{(hour, status): (posts, timed, delay_us)} counted from the posts themselves."""
    rows = (
        Post.objects.filter(scheduled_at__isnull=False)
        .annotate(hour=TruncHour("scheduled_at", tzinfo=dt.UTC))
        .order_by()
        .values("hour", "status")
        .annotate(n=Count("*"), timed=Count("published_at"), delay=Sum(_delay()))
    )
    return {
        (r["hour"], r["status"]): (r["n"], r["timed"], (r["delay"] or dt.timedelta()) // dt.timedelta(microseconds=1))
        for r in rows
    }
