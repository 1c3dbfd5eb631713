"""Posts whose time passed while their franchise was on hold (franchises/holds.py) wait for a
person when the hold ends, instead of going out late unasked: each becomes a draft that keeps its
time and says why (`held_reason`), and the history says so. Publishing it now, or scheduling it
for a new time, clears the reason (editing.post_schedule).

Runs inside the transaction that ended the hold, with the same conditions as unscheduling (a
post nobody is publishing), so no publish run can take one of them in between.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from franchises.holds import hold_passed_words
from gbp_scheduler import clock
from gbp_scheduler.times import when_text

from ..models import Post, PostEvent, cancelled
from .history import post_event_build
from .locks import lock_free


def posts_hold_release(*, franchise_ids, why: str, user: AbstractBaseUser | None = None) -> int:
    """The franchises' scheduled posts whose time has passed become drafts waiting for a person;
    how many did."""
    now = clock.now()
    missed = (
        Post.objects.filter(lock_free(now), franchise_id__in=franchise_ids, status=Post.Status.SCHEDULED)
        .filter(scheduled_at__lte=now)
        .exclude(cancelled())
        .select_related("franchise")
    )
    events = []
    with transaction.atomic():
        for post in missed:
            reason = (
                f"Its time ({when_text(post.scheduled_at, post.franchise, named=True)}) passed "
                f"{hold_passed_words(why, name=post.franchise.name)}, so it was not sent late unasked."
            )
            changed = Post.objects.filter(
                lock_free(now), pk=post.pk, status=Post.Status.SCHEDULED
            ).update(
                status=Post.Status.DRAFT,
                next_attempt_at=None,
                publishing_at=None,
                last_error="",  # the wait's reason, superseded by why it waits for a person now
                held_reason=reason[:500],
            )
            if changed:
                post.status, post.held_reason = Post.Status.DRAFT, reason
                events.append(post_event_build(post=post, action=PostEvent.Action.HELD, user=user, detail=reason))
        PostEvent.objects.bulk_create(events)
    return len(events)


def on_hold_ended(sender, *, franchise_ids, why: str, user=None, **kwargs) -> None:
    """franchises.holds.hold_ended's receiver (posts/apps.py connects it)."""
    posts_hold_release(franchise_ids=franchise_ids, why=why, user=user)
