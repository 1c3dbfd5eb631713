"""Reads for the generation jobs."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from franchises.models import Franchise
from franchises.selectors import franchises_for_user
from generation.models import GenerationQueue
from posts.models import Post

RECENT_POSTS = 5


def franchises_wanting_drafts() -> QuerySet[Franchise]:
    """SPEC 6.3: active, connected to Google, posts_per_week > 0, and AI drafts turned on."""
    return Franchise.objects.filter(
        is_active=True, ai_drafts_enabled=True, posts_per_week__gt=0, google_refresh_token__isnull=False
    )


def franchise_wants_drafts(*, franchise: Franchise) -> bool:
    return (
        franchise.is_active
        and franchise.ai_drafts_enabled
        and franchise.posts_per_week > 0
        and franchise.google_refresh_token is not None
    )


def generation_queue_due(
    *, now: dt.datetime, exclude_ids: Collection[uuid.UUID] = (), sync_before: dt.datetime | None = None
) -> QuerySet[GenerationQueue]:
    """Pending rows whose retry time has come, oldest slot first (served by genq_pending_idx);
    with `sync_before`, only those whose slot comes before it (the rest go into batches)."""
    qs = GenerationQueue.objects.filter(status=GenerationQueue.Status.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    if sync_before is not None:
        qs = qs.filter(scheduled_for__lt=sync_before)
    if exclude_ids:
        qs = qs.exclude(id__in=list(exclude_ids))
    return qs.order_by("scheduled_for", "id")


def generation_queue_batchable(*, now: dt.datetime) -> QuerySet[GenerationQueue]:
    """Due rows whose slot is GENERATION_SYNC_LEAD_HOURS or more away: they can wait for a batch."""
    lead = dt.timedelta(hours=settings.GENERATION_SYNC_LEAD_HOURS)
    return generation_queue_due(now=now).filter(scheduled_for__gte=now + lead)


def post_summaries_recent(*, franchise_id: uuid.UUID, limit: int = RECENT_POSTS) -> list[str]:
    """The franchise's latest posts (drafts too: they are what the next draft must not repeat)."""
    return list(
        Post.objects.filter(franchise_id=franchise_id)
        .exclude(status=Post.Status.FAILED)
        .order_by("-created_at")
        .values_list("summary", flat=True)[:limit]
    )


def generation_failures_for_user(*, user: AbstractBaseUser, limit: int = 20) -> QuerySet[GenerationQueue]:
    """The latest AI generations that failed for good, with their reasons."""
    return (
        GenerationQueue.objects.filter(
            franchise__in=franchises_for_user(user=user), status=GenerationQueue.Status.FAILED
        )
        .select_related("franchise")
        .order_by("-updated_at")[:limit]
    )
