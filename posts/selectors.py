"""Reads of posts."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q, QuerySet

from .models import Post


def lock_stale_before(now: dt.datetime) -> dt.datetime:
    """A publish lock taken before this moment is stale."""
    return now - dt.timedelta(seconds=settings.PUBLISH_LOCK_TIMEOUT_SECONDS)


def posts_due(*, now: dt.datetime) -> QuerySet[Post]:
    """Scheduled posts whose time has come, not locked (or locked stale), retry time reached,
    of active franchises, oldest first."""
    return (
        Post.objects.filter(status=Post.Status.SCHEDULED, scheduled_at__lte=now, franchise__is_active=True)
        .filter(Q(publishing_at__isnull=True) | Q(publishing_at__lt=lock_stale_before(now)))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("scheduled_at", "created_at")
    )
