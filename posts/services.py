"""Writes of posts: schedule, edit (on Google too once published), retry, delete."""

from __future__ import annotations

import contextlib
import datetime as dt
import zoneinfo

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from franchises import gbp_client

from .gbp_mapping import local_post_body, post_problems
from .history import post_event_record
from .models import Post, PostEvent
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


def post_publish_now(*, post: Post, user: AbstractBaseUser | None = None) -> Result:
    """Schedule for now and publish in this request, through the same exactly-once path as the
    cron; the history names `user` as the one who published (or failed) it."""
    post = post_schedule(post=post, at=timezone.now())
    return post_publish(post=Post.objects.select_related("franchise").get(pk=post.pk), actor=user)


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


# --- history: the same actions, recorded as PostEvent rows (who, what, when) ----------------------
#
# The dashboard calls these `*_by` wrappers; the functions above stay free of history so the
# publisher and other callers keep their behaviour. An action that raises records nothing.


def _when(at: dt.datetime, post: Post) -> str:
    local = at.astimezone(zoneinfo.ZoneInfo(post.franchise.timezone))
    return f"{local:%Y-%m-%d %H:%M} ({post.franchise.timezone})"


def post_check_editable(*, post: Post) -> None:
    """Raise PostActionError (with the words to show) when the post cannot be changed now."""
    _refuse_if_publishing(post)


def post_create_by(*, franchise, user: AbstractBaseUser | None, **fields) -> Post:
    post = post_create(franchise=franchise, user=user, **fields)
    post_event_record(post=post, action=PostEvent.Action.CREATED, user=user)
    return post


def post_update_by(*, post: Post, user: AbstractBaseUser | None, **fields) -> Post:
    changed = sorted(name for name, value in fields.items() if getattr(post, name) != value)
    post = post_update(post=post, **fields)
    if changed:
        detail = "Changed: " + ", ".join(Post._meta.get_field(name).verbose_name for name in changed) + "."
        if post.status == Post.Status.PUBLISHED:
            detail += " Updated on Google too."
        post_event_record(post=post, action=PostEvent.Action.EDITED, user=user, detail=detail)
    return post


def post_schedule_by(*, post: Post, at: dt.datetime, user: AbstractBaseUser | None) -> Post:
    post = post_schedule(post=post, at=at)
    post_event_record(post=post, action=PostEvent.Action.SCHEDULED, user=user, detail=f"For {_when(at, post)}.")
    return post


def post_unschedule_by(*, post: Post, user: AbstractBaseUser | None) -> Post:
    post = post_unschedule(post=post)
    post_event_record(post=post, action=PostEvent.Action.UNSCHEDULED, user=user, detail="Back to draft.")
    return post


def post_retry_by(*, post: Post, user: AbstractBaseUser | None, at: dt.datetime | None = None) -> Post:
    error = post.last_error
    post = post_retry(post=post, at=at)
    detail = f"Scheduled again for {_when(post.scheduled_at, post)}."
    if error:
        detail += f" Last error: {error}"
    post_event_record(post=post, action=PostEvent.Action.RETRIED, user=user, detail=detail)
    return post


def post_publish_now_by(*, post: Post, user: AbstractBaseUser | None) -> Result:
    return post_publish_now(post=post, user=user)


def post_duplicate_by(*, post: Post, user: AbstractBaseUser | None) -> Post:
    copy = post_duplicate(post=post, user=user)
    post_event_record(post=copy, action=PostEvent.Action.CREATED, user=user, detail="Duplicated from another post.")
    post_event_record(post=post, action=PostEvent.Action.DUPLICATED, user=user, detail="Copied to a new draft.")
    return copy


def post_delete_by(*, post: Post, user: AbstractBaseUser | None) -> None:
    on_google = post.status == Post.Status.PUBLISHED and bool(post.google_post_name)
    post_delete(post=post)
    detail = "Deleted on Google too." if on_google else ""
    post_event_record(post=post, action=PostEvent.Action.DELETED, user=user, detail=detail, post_gone=True)


def post_reject_by(*, post: Post, user: AbstractBaseUser | None) -> None:
    """Reject a draft (an AI draft under review): it is deleted; the history keeps its excerpt."""
    if post.status != Post.Status.DRAFT:
        raise PostActionError("Only a draft can be rejected; unschedule it first.")
    post_delete(post=post)
    post_event_record(
        post=post, action=PostEvent.Action.REJECTED, user=user, detail="Draft rejected and deleted.", post_gone=True
    )


# --- headquarters announcements ------------------------------------------------------------------


def announcement_text(*, template: str, franchise) -> str:
    """The announcement text for one franchise: {name} and {city} filled in. Plain replacement,
    not str.format, so other braces in the text stay as typed."""
    return template.replace("{name}", franchise.name).replace("{city}", franchise.city or "")


def announcement_time(*, franchise, date: dt.date, local_time: dt.time) -> dt.datetime:
    """The same wall-clock time in each franchise's own zone."""
    zone = zoneinfo.ZoneInfo(franchise.timezone)
    return dt.datetime.combine(date, local_time).replace(tzinfo=zone)


def announcement_preview(*, franchises, template: str, date: dt.date, local_time: dt.time, **fields) -> list[dict]:
    """One unsaved post per franchise with what Google would reject in it, for review before scheduling."""
    rows = []
    for franchise in franchises:
        post = Post(
            franchise=franchise,
            summary=announcement_text(template=template, franchise=franchise),
            scheduled_at=announcement_time(franchise=franchise, date=date, local_time=local_time),
            **fields,
        )
        rows.append({"franchise": franchise, "post": post, "problems": post_problems(post)})
    return rows


def announcement_schedule(
    *, franchises, template: str, date: dt.date, local_time: dt.time, user: AbstractBaseUser, **fields
) -> list[Post]:
    """Create and schedule one post per franchise, all or none.

    1. build every franchise's post and refuse the lot if any would be rejected by Google;
    2. create them scheduled, each with its history, in one transaction."""
    rows = announcement_preview(franchises=franchises, template=template, date=date, local_time=local_time, **fields)
    problems = [f"{row['franchise'].name}: {' '.join(row['problems'])}" for row in rows if row["problems"]]
    if problems:
        raise PostActionError(" ".join(problems))
    created = []
    with transaction.atomic():
        for row in rows:
            post = row["post"]
            post.status = Post.Status.SCHEDULED
            post.created_by = user
            post.full_clean()
            post.save()
            post_event_record(
                post=post,
                action=PostEvent.Action.SCHEDULED,
                user=user,
                detail=f"Headquarters announcement, for {_when(post.scheduled_at, post)}.",
            )
            created.append(post)
    return created
