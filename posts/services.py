"""Writes of posts: schedule, edit (on Google too once published), retry, delete."""

from __future__ import annotations

import contextlib
import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from franchises import gbp_client

from .gbp_mapping import local_post_body, post_problems
from .models import Post
from .publishing import Result, post_publish

# Fields of a LocalPost a patch rewrites: those the editor can change.
PATCH_MASK = ["summary", "callToAction", "media", "event", "offer"]
EDITABLE_FIELDS = [
    "summary",
    "topic_type",
    "cta_action_type",
    "cta_url",
    "media_url",
    "event_title",
    "event_start",
    "event_end",
    "offer_coupon_code",
    "offer_redeem_url",
    "offer_terms",
    "language_code",
]


class PostActionError(Exception):
    """The action cannot be done on this post now; the message says why and what to do."""


def _refuse_if_publishing(post: Post) -> None:
    if post.publishing_at is not None:
        raise PostActionError("This post is being published right now and cannot be changed. Try again in a minute.")


def post_create(*, franchise, user: AbstractBaseUser | None = None, **fields) -> Post:
    post = Post(franchise=franchise, created_by=user, **fields)
    post.full_clean()
    post.save()
    return post


def post_update(*, post: Post, **fields) -> Post:
    """Change a post's content; a published post is patched on Google first, so both agree."""
    _refuse_if_publishing(post)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(post, name, value)
    post.full_clean()
    if post.status == Post.Status.PUBLISHED and post.google_post_name:
        updated = gbp_client.local_post_patch(
            franchise=post.franchise, name=post.google_post_name, body=local_post_body(post), update_mask=PATCH_MASK
        )
        post.google_state = updated.get("state", post.google_state)
        post.google_search_url = updated.get("searchUrl", post.google_search_url)
    # Only if nobody claimed it meanwhile: a publish that started since must not be overwritten.
    saved = Post.objects.filter(pk=post.pk, publishing_at__isnull=True).update(
        **{name: getattr(post, name) for name in [*EDITABLE_FIELDS, "google_state", "google_search_url"]},
        updated_at=timezone.now(),
    )
    if saved != 1:
        raise PostActionError("This post started publishing while you edited it; your changes were not saved.")
    return post


def post_schedule(*, post: Post, at: dt.datetime) -> Post:
    """Approve a draft (or move a scheduled or failed post) to go out at `at`."""
    _refuse_if_publishing(post)
    if post.status == Post.Status.PUBLISHED:
        raise PostActionError("This post is already on Google; duplicate it to post it again.")
    problems = post_problems(post)
    if problems:
        raise PostActionError(" ".join(problems))
    updated = Post.objects.filter(pk=post.pk, publishing_at__isnull=True).exclude(status=Post.Status.PUBLISHED)
    count = updated.update(
        status=Post.Status.SCHEDULED, scheduled_at=at, attempts=0, next_attempt_at=None, last_error=""
    )
    if count != 1:
        raise PostActionError("This post changed while you worked on it; reload and try again.")
    post.refresh_from_db()
    return post


def post_unschedule(*, post: Post) -> Post:
    _refuse_if_publishing(post)
    count = Post.objects.filter(pk=post.pk, status=Post.Status.SCHEDULED, publishing_at__isnull=True).update(
        status=Post.Status.DRAFT, next_attempt_at=None
    )
    if count != 1:
        raise PostActionError("Only a scheduled post that is not being published can be unscheduled.")
    post.refresh_from_db()
    return post


def post_retry(*, post: Post, at: dt.datetime | None = None) -> Post:
    """Schedule a failed post again. If an earlier attempt may have reached Google, the next
    attempt looks for it there first (the marker is kept), so a retry never duplicates."""
    if post.status != Post.Status.FAILED:
        raise PostActionError("Only a failed post can be retried.")
    return post_schedule(post=post, at=at or timezone.now())


def post_publish_now(*, post: Post) -> Result:
    """Schedule for now and publish in this request, through the same exactly-once path as the cron."""
    post = post_schedule(post=post, at=timezone.now())
    return post_publish(post=Post.objects.select_related("franchise").get(pk=post.pk))


def post_duplicate(*, post: Post, user: AbstractBaseUser | None = None) -> Post:
    return post_create(
        franchise=post.franchise,
        user=user,
        status=Post.Status.DRAFT,
        source=Post.Source.MANUAL,
        **{name: getattr(post, name) for name in EDITABLE_FIELDS},
    )


def post_delete(*, post: Post) -> None:
    """Delete the post, on Google first when it is published there (gone already is fine)."""
    _refuse_if_publishing(post)
    if post.status == Post.Status.PUBLISHED and post.google_post_name:
        with contextlib.suppress(gbp_client.GbpNotFoundError):  # already deleted on Google
            gbp_client.local_post_delete(franchise=post.franchise, name=post.google_post_name)
    with transaction.atomic():
        deleted, _ = Post.objects.filter(pk=post.pk, publishing_at__isnull=True).delete()
    if deleted == 0:
        raise PostActionError("This post started publishing meanwhile and was not deleted; try again in a minute.")
