"""Reads of the top-level pages: the home page, the activity page and headquarters' system page.

The home page shows one card per franchise, so every per-franchise figure comes from an
annotation or a sliced prefetch (one windowed query for all franchises): the number of queries
stays the same whether the user sees 2 franchises or 500.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from franchises.models import CONNECTED, NEEDS_RECONNECT, Franchise, Membership
from franchises.selectors import franchises_for_user, franchises_matching, of_franchises, user_is_headquarters
from posts.models import GOOGLE_NOTICE_OPEN, MISSED_TIME, Post

HOME_UPCOMING = 3
HOME_FAILURES = 3
HOME_GOOGLE_NOTICES = 3
# What a card shows of a post and what its state (posts/status.py) reads: the rest of the row (the
# body, the JSON Google was sent) would be read and decoded for up to 450 posts a page.
HOME_POST_FIELDS = (
    "franchise",
    "status",
    "summary",
    "scheduled_at",
    "updated_at",
    "last_error",
    "next_attempt_at",
    "publishing_at",
    "held_reason",
    "approval_waiting_for",
    "google_state",
)


def franchises_for_home(*, user: AbstractBaseUser, search: str = "", attention: bool = False) -> QuerySet[Franchise]:
    """The user's franchises (those whose name or city contains `search`; with `attention`, only
    those that need someone: a Google reconnect, drafts waiting, failed posts or a notice from
    Google), those needing a Google reconnect first, each with:

    - `google_connected`, `google_needs_reconnect`: the connection state (the tokens are not loaded:
      use these, not `is_connected` / `needs_reauthorization`, which would load them one by one);
    - `drafts_waiting`: AI drafts waiting for review;
    - `user_is_admin`: whether this user may change the franchise (headquarters may change all);
    - `upcoming`: its next HOME_UPCOMING scheduled posts still ahead;
    - `overdue`: its HOME_UPCOMING oldest scheduled posts whose time has passed (due at the next
      publish run, or waiting for the franchise's hold or for Google: posts/status.py says which);
    - `missed`: its posts whose time passed during a hold, waiting for someone to confirm;
    - `recent_failures`: its HOME_FAILURES most recently failed posts;
    - `google_notices`: its HOME_GOOGLE_NOTICES latest posts Google rejected or removed whose
      notice nobody dismissed yet.
    """
    now = timezone.now()
    shown = Post.objects.only(*HOME_POST_FIELDS)
    scheduled = shown.filter(status=Post.Status.SCHEDULED)
    upcoming = scheduled.filter(scheduled_at__gt=now).order_by("scheduled_at", "id")[:HOME_UPCOMING]
    overdue = scheduled.filter(scheduled_at__lte=now).order_by("scheduled_at", "id")[:HOME_UPCOMING]
    missed = shown.filter(MISSED_TIME).order_by("scheduled_at", "id")[:HOME_UPCOMING]
    failures = shown.filter(status=Post.Status.FAILED).order_by("-updated_at", "id")[:HOME_FAILURES]
    notices = shown.filter(GOOGLE_NOTICE_OPEN).order_by("-updated_at", "id")[:HOME_GOOGLE_NOTICES]
    if user_is_headquarters(user):
        is_admin = Value(True, output_field=BooleanField())
    else:
        is_admin = Exists(Membership.objects.filter(franchise=OuterRef("pk"), user=user, role=Membership.Role.ADMIN))
    # A correlated count rather than a JOIN + GROUP BY: no grouping over every franchise column.
    drafts = (
        Post.objects.filter(franchise=OuterRef("pk"), status=Post.Status.DRAFT, source=Post.Source.AI)
        .order_by()
        .values("franchise")
        .annotate(n=Count("id"))
        .values("n")
    )
    needs_reconnect = ExpressionWrapper(NEEDS_RECONNECT, output_field=BooleanField())
    franchises = franchises_matching(franchises_for_user(user=user), search=search)
    if attention:
        failed = Post.objects.filter(franchise=OuterRef("pk"), status=Post.Status.FAILED)
        noticed = Post.objects.filter(GOOGLE_NOTICE_OPEN, franchise=OuterRef("pk"))
        waiting = Post.objects.filter(franchise=OuterRef("pk"), status=Post.Status.DRAFT, source=Post.Source.AI)
        held = Post.objects.filter(MISSED_TIME, franchise=OuterRef("pk"))
        franchises = franchises.filter(
            NEEDS_RECONNECT | Exists(failed) | Exists(noticed) | Exists(waiting) | Exists(held)
        )
    return (
        franchises.annotate(
            drafts_waiting=Coalesce(Subquery(drafts, output_field=IntegerField()), 0),
            user_is_admin=is_admin,
            google_connected=ExpressionWrapper(CONNECTED, output_field=BooleanField()),
            google_needs_reconnect=needs_reconnect,
        )
        # The page shows whether there is a token, never the token: skip reading and decrypting them.
        .defer("google_refresh_token", "google_access_token")
        .prefetch_related(
            Prefetch("posts", queryset=upcoming, to_attr="upcoming"),
            Prefetch("posts", queryset=overdue, to_attr="overdue"),
            Prefetch("posts", queryset=missed, to_attr="missed"),
            Prefetch("posts", queryset=failures, to_attr="recent_failures"),
            Prefetch("posts", queryset=notices, to_attr="google_notices"),
        )
        .order_by("-google_needs_reconnect", "name", "pk")
    )


STUCK_LIST_LIMIT = 100


def posts_stuck_in_publishing_list(*, now: dt.datetime | None = None) -> QuerySet[Post]:
    """The posts behind the health check's stuck-lock count (locks older than
    HEALTH_STUCK_LOCK_MINUTES), oldest lock first, at most STUCK_LIST_LIMIT."""
    cutoff = (now or timezone.now()) - dt.timedelta(minutes=settings.HEALTH_STUCK_LOCK_MINUTES)
    return (
        Post.objects.filter(publishing_at__isnull=False, publishing_at__lt=cutoff)
        .select_related("franchise")
        .order_by("publishing_at", "id")[:STUCK_LIST_LIMIT]
    )


ACTIVITY_LISTED = 50  # posts each section of the activity page lists; the counts cover them all
ON_TIME_MINUTES = 15  # a post out within this of its time went out "on time" (a margin over the publish job's minute)


def activity_for_user(*, user: AbstractBaseUser, days: int, now: dt.datetime | None = None) -> dict:
    """The activity page, in a staff member's words: over the last `days` days, the posts that went
    out (and whether Google kept them), those that did not and why, and what waits now (posts that
    missed their time during a hold, posts held back by their franchise or by Google, AI drafts to
    review), the user's franchises only. Each list is the ACTIVITY_LISTED most relevant, with its
    full count."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=days)
    posts = of_franchises(Post.objects.all(), franchises_for_user(user=user)).select_related("franchise")
    went_out = posts.filter(status=Post.Status.PUBLISHED, published_at__gte=since, published_at__lte=now)
    failed = posts.filter(status=Post.Status.FAILED, updated_at__gte=since)
    # Scheduled posts that will not go out at their time: their franchise is on hold (franchises/
    # holds.py), Google asked to be tried again, or their time has come and gone.
    on_hold = ~Q(franchise__in=Franchise.objects.publishable()) | Q(franchise__google_location_can_post=False)
    held_back = posts.filter(
        on_hold | Q(next_attempt_at__isnull=False) | Q(scheduled_at__lte=now), status=Post.Status.SCHEDULED
    )
    missed = posts.filter(MISSED_TIME)
    late = dt.timedelta(minutes=ON_TIME_MINUTES)
    counted = went_out.aggregate(
        n=Count("id"), on_time=Count("id", filter=Q(published_at__lte=F("scheduled_at") + late))
    )
    return {
        "days": days,
        "since": since,
        "went_out": list(went_out.order_by("-published_at", "id")[:ACTIVITY_LISTED]),
        "went_out_count": counted["n"],
        "on_time_count": counted["on_time"],
        "on_time_minutes": ON_TIME_MINUTES,
        "failed": list(failed.order_by("-updated_at", "id")[:ACTIVITY_LISTED]),
        "failed_count": failed.count(),
        "missed": list(missed.order_by("scheduled_at", "id")[:ACTIVITY_LISTED]),
        "held_back": list(held_back.order_by("scheduled_at", "id")[:ACTIVITY_LISTED]),
        "waiting_count": missed.count() + held_back.count(),
        "drafts_waiting": posts.filter(status=Post.Status.DRAFT, source=Post.Source.AI).count(),
        "coming_up": posts.filter(
            status=Post.Status.SCHEDULED, scheduled_at__gt=now, scheduled_at__lte=now + dt.timedelta(days=7)
        ).count(),
    }
