"""Reads for the generation jobs."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from franchises.models import Franchise
from franchises.selectors import franchises_for_user
from generation.models import DraftRejection, GenerationQueue, GenerationUsage
from generation.pricing import usage_cost
from posts.models import Post
from posts.selectors import drafts_for_review, rejection_reasons_recent

RECENT_POSTS = 5
DRAFT_PURPOSES = (GenerationUsage.Purpose.DRAFT, GenerationUsage.Purpose.VARIATION)


def franchises_wanting_drafts() -> QuerySet[Franchise]:
    """Franchises the weekly queue fills for: active, connected to Google, posts_per_week > 0, and AI
    drafts turned on (docs/contract.md, "Generation queue")."""
    return Franchise.objects.wanting_drafts()


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


# --- what Claude cost: the metrics page ------------------------------------------------------------

TOKEN_FIELDS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")


def _usage_rows(groups: list[dict], key) -> dict:
    """Usage aggregated per (key, batch) folded into one row per key, each tier priced at its rate."""
    rows: dict = {}
    for group in groups:
        row = rows.setdefault(
            key(group),
            {
                "requests": 0,
                "batch_requests": 0,
                "drafts": 0,
                **dict.fromkeys(TOKEN_FIELDS, 0),
                "cost": 0.0,
                "assist_cost": 0.0,
            },
        )
        tokens = {field: group[field] or 0 for field in TOKEN_FIELDS}
        cost = usage_cost(**tokens, batch=group["batch"])
        row["requests"] += group["requests"]
        row["batch_requests"] += group["requests"] if group["batch"] else 0
        row["drafts"] += group["drafts"]
        row["cost"] += cost
        row["assist_cost"] += cost if group["purpose"] == GenerationUsage.Purpose.ASSIST else 0.0
        for field in TOKEN_FIELDS:
            row[field] += tokens[field]
    for row in rows.values():
        draft_cost = row["cost"] - row["assist_cost"]
        row["cost_per_draft"] = draft_cost / row["drafts"] if row["drafts"] else None
    return rows


def _usage_grouped(franchises: QuerySet[Franchise], since: dt.datetime, *by: str, **computed) -> list[dict]:
    return list(
        GenerationUsage.objects.filter(franchise__in=franchises, created_at__gte=since)
        .annotate(**computed)
        .values(*by, "batch", "purpose")
        .annotate(
            requests=Count("id"),
            # A repeating post's variation is a draft too: written from the queue, reviewed like one.
            drafts=Count("queue_row", distinct=True, filter=Q(purpose__in=DRAFT_PURPOSES)),
            **{field: Sum(field) for field in TOKEN_FIELDS},
        )
        .order_by()
    )


def generation_costs_by_franchise(*, franchises: QuerySet[Franchise], since: dt.datetime) -> list[dict]:
    """Tokens and estimated cost (US dollars) per franchise since `since`, dearest first: Anthropic
    requests (how many in batches), drafts they wrote, tokens of each kind, cost, cost per draft
    and the share of it spent on the editor's AI help. One query."""
    groups = _usage_grouped(franchises, since, "franchise_id", "franchise__name")
    rows = _usage_rows(groups, key=lambda g: (g["franchise_id"], g["franchise__name"]))
    found = [{"id": key[0], "name": key[1], **row} for key, row in rows.items()]
    return sorted(found, key=lambda r: (-r["cost"], r["name"]))


def generation_costs_by_month(*, franchises: QuerySet[Franchise], since: dt.datetime) -> list[dict]:
    """The same figures per calendar month (UTC) since `since`, newest first. One query."""
    groups = _usage_grouped(franchises, since, "month", month=TruncMonth("created_at", tzinfo=dt.UTC))
    rows = _usage_rows(groups, key=lambda g: g["month"].date())
    return sorted(({"month": month, **row} for month, row in rows.items()), key=lambda r: r["month"], reverse=True)


# --- the drafts review queue ------------------------------------------------------------------------

# How long a rejection from the queue can be undone.
UNDO_WINDOW = dt.timedelta(minutes=30)


def rejection_reasons_for_drafts(*, franchise_id: uuid.UUID) -> list[str]:
    """The reasons the next drafts of the franchise are told: its recent rejections' reasons,
    without those of rejections undone since."""
    undone = DraftRejection.objects.filter(franchise_id=franchise_id, undone_at__isnull=False).values("event_id")
    return rejection_reasons_recent(franchise_id=franchise_id, excluding=undone)


def drafts_queue_for_user(*, user: AbstractBaseUser, franchise: Franchise | None = None) -> QuerySet[Post]:
    """The AI drafts waiting for the user's review, one franchise's when given."""
    drafts = drafts_for_review(user=user)
    return drafts.filter(franchise=franchise) if franchise is not None else drafts


def drafts_pick_for_user(*, user: AbstractBaseUser, post_ids: Collection) -> list[Post]:
    """The AI drafts among `post_ids` the user may review (others' franchises' are left out), in
    one query."""
    return list(drafts_for_review(user=user).filter(pk__in=list(post_ids)))


def draft_rejections_of_user(*, user: AbstractBaseUser, now: dt.datetime) -> QuerySet[DraftRejection]:
    """The user's own rejections still within UNDO_WINDOW and not undone, of the franchises the
    user is a member of now (one removed from a franchise can no longer undo there)."""
    return DraftRejection.objects.filter(
        rejected_by=user,
        undone_at__isnull=True,
        rejected_at__gte=now - UNDO_WINDOW,
        franchise__in=franchises_for_user(user=user),
    )


def draft_rejections_undoable(*, user: AbstractBaseUser, now: dt.datetime) -> list[dict]:
    """draft_rejections_of_user, one entry per click (batch): {"batch", "count", "rejected_at"},
    newest first."""
    rows = (
        draft_rejections_of_user(user=user, now=now)
        .values("batch")
        .annotate(count=Count("id"), rejected_at=Max("rejected_at"))
        .order_by("-rejected_at")
    )
    return list(rows)
