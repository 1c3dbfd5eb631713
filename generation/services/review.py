"""The drafts review queue's actions on many drafts at once: approve each at its planned time,
reject with an optional reason (kept for a while so it can be undone), and undo.

Each is one request's work in a constant number of queries however many drafts are picked; the
writes to posts go through the posts services (posts_schedule_many, posts_reject_many,
posts_create_many)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from generation.models import DraftRejection
from generation.selectors import UNDO_WINDOW, draft_rejections_of_user, drafts_pick_for_user
from posts.content import DATETIMES
from posts.models import REJECTION_REASON_MARK, Post
from posts.services import EDITABLE_FIELDS, PostActionError, posts_reject_many, posts_schedule_many
from posts.services.editing import post_build, posts_create_many


@dataclass
class Outcome:
    """What a click on many drafts did: how many, and why the others were not (by post id)."""

    done: int = 0
    refused: dict = field(default_factory=dict)
    batch: uuid.UUID | None = None  # a rejection's, for its undo


def drafts_approve(*, user: AbstractBaseUser, post_ids: Collection) -> Outcome:
    """Schedule each picked draft at its own planned time."""
    posts = drafts_pick_for_user(user=user, post_ids=post_ids)
    scheduled, refused = posts_schedule_many(posts=posts, user=user)
    return Outcome(done=len(scheduled), refused=refused)


def drafts_reject(*, user: AbstractBaseUser, post_ids: Collection, reason: str = "") -> Outcome:
    """Reject the picked drafts with one reason (optional; the franchise's next drafts are told),
    keeping each one's content for UNDO_WINDOW so the click can be undone."""
    posts = drafts_pick_for_user(user=user, post_ids=post_ids)
    batch = uuid.uuid4()
    with transaction.atomic():
        rejected, refused = posts_reject_many(posts=posts, user=user, reason=reason)
        DraftRejection.objects.bulk_create(
            DraftRejection(
                batch=batch,
                franchise_id=post.franchise_id,
                post_id=post.pk,
                event_id=event.pk,
                snapshot=_snapshot(post),
                reason=event.detail.partition(REJECTION_REASON_MARK)[2],
                rejected_by=user if user.is_authenticated else None,
            )
            for post, event in rejected
        )
        # Past the window a rejection's copy serves nothing (its reason stays in the history);
        # an undone one is kept, so its reason stays out of the next drafts' prompts.
        DraftRejection.objects.filter(undone_at__isnull=True, rejected_at__lt=timezone.now() - UNDO_WINDOW).delete()
    return Outcome(done=len(rejected), refused=refused, batch=batch if rejected else None)


def drafts_reject_undo(*, user: AbstractBaseUser, batch: uuid.UUID, now: dt.datetime | None = None) -> Outcome:
    """Undo one of the user's own rejection clicks within UNDO_WINDOW: the drafts are written again
    (as new drafts, with the same content and planned time) and their reasons no longer count.
    Only in franchises the user is a member of now: someone removed since cannot write there."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            draft_rejections_of_user(user=user, now=now)
            .select_for_update()
            .select_related("franchise")
            .filter(batch=batch)
        )
        if not rows:
            raise PostActionError("This rejection can no longer be undone (it is too old, or was undone already).")
        posts = [
            post_build(
                franchise=row.franchise,
                status=Post.Status.DRAFT,
                source=Post.Source.AI,
                scheduled_at=dt.datetime.fromisoformat(row.snapshot["scheduled_at"])
                if row.snapshot.get("scheduled_at")
                else None,
                validate_constraints=False,
                **{name: _field(name, row.snapshot.get(name)) for name in EDITABLE_FIELDS if name in row.snapshot},
            )
            for row in rows
        ]
        posts_create_many(posts=posts, user=user, history_detail="Restored: its rejection was undone.")
        DraftRejection.objects.filter(pk__in=[row.pk for row in rows]).update(undone_at=now)
    return Outcome(done=len(posts))


def _snapshot(post: Post) -> dict:
    data = {name: getattr(post, name) for name in EDITABLE_FIELDS}
    for name in DATETIMES:
        data[name] = data[name].isoformat() if data[name] else None
    data["scheduled_at"] = post.scheduled_at.isoformat() if post.scheduled_at else None
    return data


def _field(name: str, value):
    if name in DATETIMES and value:
        return dt.datetime.fromisoformat(value)
    return value
