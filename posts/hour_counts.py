"""The posts counted by zone, UTC hour and status (PostHourCount), as the database's triggers keep
them (migration 0026_post_hour_counts): recounted from the posts, to check them against."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F
from django.db.models.functions import TruncHour

from .models import Post, PostHourCount


def post_hour_counts_kept() -> dict[tuple[str, dt.datetime, str], int]:
    """{(zone, hour, status): posts} as the table holds them, rows of none left out."""
    rows = PostHourCount.objects.exclude(posts=0).values_list("zone", "hour", "status", "posts")
    return {(zone, hour, status): posts for zone, hour, status, posts in rows}


def post_hour_counts_recount() -> dict[tuple[str, dt.datetime, str], int]:
    """{(zone, hour, status): posts} counted from the posts themselves."""
    rows = (
        Post.objects.filter(shown_at__isnull=False)
        .annotate(zone=F("franchise__timezone"), hour=TruncHour("shown_at", tzinfo=dt.UTC))
        .order_by()
        .values("zone", "hour", "status")
        .annotate(n=Count("*"))
        .values_list("zone", "hour", "status", "n")
    )
    return {(zone, hour, status): n for zone, hour, status, n in rows}
