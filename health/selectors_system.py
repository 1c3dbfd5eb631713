"""Reads of the superusers' system page."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from posts.models import Post

STUCK_LIST_LIMIT = 100


def posts_stuck_in_publishing_list(*, now: datetime | None = None) -> QuerySet[Post]:
    """The posts behind the health check's stuck-lock count (locks older than
    HEALTH_STUCK_LOCK_MINUTES), oldest lock first, at most STUCK_LIST_LIMIT."""
    cutoff = (now or timezone.now()) - timedelta(minutes=settings.HEALTH_STUCK_LOCK_MINUTES)
    return (
        Post.objects.filter(publishing_at__isnull=False, publishing_at__lt=cutoff)
        .select_related("franchise")
        .order_by("publishing_at", "id")[:STUCK_LIST_LIMIT]
    )
