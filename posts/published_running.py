"""Each franchise's published posts counted through each UTC day (PostPublishedRunning, kept by the
database's triggers: migration 0032_post_published_running; the Results ranking reads them at its
period's edges: gbp_scheduler/running_totals.py), and recounted from the posts, to check them
against. The count through day d is the row of d, or the last row when d is after it, or 0 before
the first."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count
from django.db.models.functions import TruncDate

from .models import Post, PostPublishedRunning


def posts_published_running_kept() -> dict:
    """{franchise id: {day: published through}} as the table holds them, and whether each
    franchise's rows run day by day to one last row: {franchise id: bool}."""
    kept: dict = defaultdict(dict)
    last: dict = defaultdict(list)
    for franchise_id, day, through, is_last in PostPublishedRunning.objects.values_list(
        "franchise_id", "day", "published_through", "is_last"
    ):
        kept[franchise_id][day] = through
        if is_last:
            last[franchise_id].append(day)
    dense = {pk: last[pk] == [max(days)] and len(days) == (max(days) - min(days)).days + 1 for pk, days in kept.items()}
    return dict(kept), dense


def posts_published_through(kept: dict, franchise_id, day: dt.date) -> int:
    """The count through `day` from the franchises' {day: published through}, as the ranking reads
    it: the row of the day, or the last row when the day is after it, or 0."""
    theirs = kept.get(franchise_id, {})
    if day in theirs:
        return theirs[day]
    return theirs[max(theirs)] if theirs and day > max(theirs) else 0


def posts_published_by_day() -> dict:
    """{franchise id: {UTC day: posts published that day}} counted from the posts themselves."""
    counted: dict = defaultdict(dict)
    published = Post.objects.filter(status=Post.Status.PUBLISHED, published_at__isnull=False)
    rows = published.annotate(day=TruncDate("published_at", tzinfo=dt.UTC)).order_by().values("franchise_id", "day")
    for row in rows.annotate(n=Count("*")):
        counted[row["franchise_id"]][row["day"]] = row["n"]
    return dict(counted)
