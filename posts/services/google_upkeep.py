"""The work a publish run does before publishing, so that Google ends each run equal to the
database whatever staff, the admin and Google's failures did in between:

1. **Stale locks are released**, for every franchise. A published post whose lock went stale
   was being changed on Google by someone who died: Google may hold either version, so it is
   marked for an update from the row.
2. **Deletions finish**: a post deleted here whose copy on Google is not confirmed gone
   (`GoogleDeletion`) is deleted there; a copy that may have landed unseen is looked for first.
3. **Updates finish**: a published post whose copy on Google is older than the row
   (`google_needs_update`) is patched from the row.
4. **Unknown creates settle** on posts no longer scheduled (failed or back to draft) whose last
   create may have landed: a failed post's copy is adopted (it is on Google after all); a
   draft's copy is removed (a draft is not on Google); no copy clears the marker.

Each item is handled alone: a failure leaves that item for a later run with the reason, and the
run goes on.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections import Counter

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.db.models import Q
from django.utils import timezone

from franchises.google import business_profile
from franchises.google.tokens import GoogleReauthorizationRequired, GoogleTokenTransientError
from franchises.models import Franchise
from gbp_scheduler.jobs import TimeBudget
from gbp_scheduler.times import backoff_seconds, human_duration, parse_rfc3339

from ..gbp_mapping import PostNotPublishable, local_post_body
from ..models import GOOGLE_REMOVED, GoogleDeletion, Post, PostEvent, lock_stale_before
from .google_copy import PATCH_MASK, copy_find, copy_matches_body, names_owned
from .google_notices import post_google_problem_record
from .history import post_event_record
from .locks import GoogleCallGuard, Lost, OutOfTime, lock_free, post_lock_release, post_lock_take, post_write_fenced

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
RETRY_CAP_SECONDS = 6 * 3600
GOOGLE_ERRORS = (business_profile.GbpError, GoogleTokenTransientError, GoogleReauthorizationRequired)
RUN_BREAKING = (OperationalError, InterfaceError)
UPKEEP_COUNT_KEYS = ["locks_released", "deleted_on_google", "updated_on_google", "settled"]


def google_upkeep_run(*, budget: TimeBudget) -> dict:
    counts: Counter = Counter({key: 0 for key in UPKEEP_COUNT_KEYS})
    counts["locks_released"] = stale_locks_release(now=timezone.now())
    for key, candidates, handle in (
        ("deleted_on_google", _deletions_due, google_deletion_try),
        ("updated_on_google", _updates_due, post_google_update),
        ("settled", _unknown_creates_to_settle, post_unknown_create_settle),
    ):
        for item_id in candidates(now=timezone.now()):
            if budget.exhausted:
                return dict(counts)
            try:
                counts[key] += int(handle(item_id=item_id, deadline=budget.deadline))
            except OutOfTime:
                return dict(counts)
            except RUN_BREAKING:
                raise
            except Exception:
                logger.exception("upkeep: %s of %s failed unexpectedly; left for a later run", key, item_id)
    return dict(counts)


# --- 1. stale locks -----------------------------------------------------------------------------


def stale_locks_release(*, now: dt.datetime) -> int:
    """Release every lock older than the timeout; the number released."""
    stale = lock_stale_before(now)
    released = Post.objects.filter(status=Post.Status.PUBLISHED, publishing_at__lt=stale).update(
        publishing_at=None, google_needs_update=True
    )
    released += (
        Post.objects.exclude(status=Post.Status.PUBLISHED).filter(publishing_at__lt=stale).update(publishing_at=None)
    )
    GoogleDeletion.objects.filter(claimed_at__lt=stale).update(claimed_at=None)
    if released:
        logger.warning("Released %s stale publish lock(s)", released)
    return released


def _publishable() -> Q:
    return Q(franchise__in=Franchise.objects.publishable())


def _retry_due(now: dt.datetime) -> Q:
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


def _backoff(attempts: int) -> dt.timedelta:
    seconds = backoff_seconds(attempts, base=settings.PUBLISH_RETRY_BASE_SECONDS, cap=RETRY_CAP_SECONDS)
    return dt.timedelta(seconds=seconds)


# --- 2. deletions -------------------------------------------------------------------------------


def _deletions_due(*, now: dt.datetime) -> list:
    due = GoogleDeletion.objects.filter(_publishable(), _retry_due(now), claimed_at__isnull=True)
    return list(due.order_by("created_at").values_list("pk", flat=True)[:BATCH_SIZE])


def google_deletion_try(*, item_id, deadline: float | None = None) -> bool:
    """Remove a deleted post's copy from Google; True when it is gone (or never landed) and the
    deletion row is done, False when it stays for a later run (the reason on the row)."""
    now = timezone.now()
    if GoogleDeletion.objects.filter(pk=item_id, claimed_at__isnull=True).update(claimed_at=now) != 1:
        return False
    deletion = GoogleDeletion.objects.select_related("franchise").get(pk=item_id)
    guard = GoogleCallGuard(now, deadline)
    fenced = GoogleDeletion.objects.filter(pk=item_id, claimed_at=now)
    try:
        name = deletion.google_post_name
        if not name:
            owned = names_owned(franchise=deletion.franchise)
            found = copy_find(
                franchise=deletion.franchise,
                body=deletion.sent_body or {},
                since=deletion.sent_at,
                owned=owned,
                guard=guard,
            )
            name = found["name"] if found else ""
        if name:
            with contextlib.suppress(business_profile.GbpNotFoundError):  # gone already is what we want
                business_profile.local_post_delete(franchise=deletion.franchise, name=name, deadline=guard.deadline)
    except OutOfTime:
        fenced.update(claimed_at=None)
        raise
    except GOOGLE_ERRORS as exc:
        attempts = deletion.attempts + 1
        fenced.update(
            claimed_at=None,
            attempts=attempts,
            next_attempt_at=timezone.now() + _backoff(attempts),
            last_error=f"Removing the deleted post from Google failed: {exc}",
        )
        logger.info("Deletion %s deferred: %s", item_id, exc)
        return False
    except BaseException:
        fenced.update(claimed_at=None)
        raise
    fenced.delete()
    return True


# --- 3. updates ---------------------------------------------------------------------------------


def _updates_due(*, now: dt.datetime) -> list:
    due = Post.objects.filter(
        _publishable(), lock_free(now), _retry_due(now), status=Post.Status.PUBLISHED, google_needs_update=True
    )
    return list(due.order_by("updated_at").values_list("pk", flat=True)[:BATCH_SIZE])


def post_google_update(*, item_id, deadline: float | None = None) -> bool:
    """Patch a published post's copy on Google from the row; True when Google has it now."""
    lock = post_lock_take(post_id=item_id, status=Post.Status.PUBLISHED, google_needs_update=True)
    if lock is None:
        return False
    post = Post.objects.select_related("franchise").get(pk=item_id)
    guard = GoogleCallGuard(lock, deadline)
    try:
        body = local_post_body(post)
        updated = business_profile.local_post_patch(
            franchise=post.franchise,
            name=post.google_post_name,
            body=body,
            update_mask=PATCH_MASK,
            before_send=guard.before_send,
            deadline=guard.deadline,
        )
    except OutOfTime:
        post_lock_release(post_id=item_id, lock=lock)
        raise
    except business_profile.GbpNotFoundError:
        released = post_lock_release(
            post_id=item_id,
            lock=lock,
            google_needs_update=False,
            google_state=GOOGLE_REMOVED,
            last_error="Google no longer has this post (removed on Google): republish it if needed.",
        )
        if released and post.google_state != GOOGLE_REMOVED:
            post_google_problem_record(post_id=item_id, state=GOOGLE_REMOVED)
        return False
    except (PostNotPublishable, *GOOGLE_ERRORS) as exc:
        attempts = post.attempts + 1
        delay = _backoff(attempts)
        post_lock_release(
            post_id=item_id,
            lock=lock,
            attempts=attempts,
            next_attempt_at=timezone.now() + delay,
            last_error=(
                f"Google still shows an older version of this post: {exc} "
                f"(retrying in about {human_duration(delay.total_seconds())}; editing the post also retries)."
            ),
        )
        return False
    except BaseException:
        post_lock_release(post_id=item_id, lock=lock)
        raise
    post_lock_release(
        post_id=item_id,
        lock=lock,
        google_needs_update=False,
        google_state=(updated.get("state") or post.google_state)[:20],
        google_search_url=(updated.get("searchUrl") or post.google_search_url)[:1000],
        google_update_time=parse_rfc3339(updated.get("updateTime")) or post.google_update_time,
        attempts=0,
        next_attempt_at=None,
        last_error="",
    )
    return True


# --- 4. unknown creates on posts no longer scheduled ----------------------------------------------


def _unknown_creates_to_settle(*, now: dt.datetime) -> list:
    waiting = Post.objects.filter(
        _publishable(),
        lock_free(now),
        google_create_sent_at__isnull=False,
        status__in=[Post.Status.DRAFT, Post.Status.FAILED],
    )
    return list(waiting.order_by("google_create_sent_at").values_list("pk", flat=True)[:BATCH_SIZE])


def post_unknown_create_settle(*, item_id, deadline: float | None = None) -> bool:
    """Find out whether the last create of a failed or draft post landed, and make Google agree."""
    lock = post_lock_take(
        post_id=item_id,
        google_create_sent_at__isnull=False,
        status__in=[Post.Status.DRAFT, Post.Status.FAILED],
    )
    if lock is None:
        return False
    post = Post.objects.select_related("franchise").get(pk=item_id)
    guard = GoogleCallGuard(lock, deadline)
    cleared = {"google_create_sent_at": None, "google_sent_body": None}
    try:
        found = copy_find(
            franchise=post.franchise,
            body=post.google_sent_body or {"summary": post.summary, "topicType": post.topic_type},
            since=post.google_create_sent_at,
            owned=names_owned(franchise=post.franchise, besides=post.pk),
            guard=guard,
        )
        if found is None:
            post_lock_release(post_id=item_id, lock=lock, **cleared)
            return True
        if post.status == Post.Status.DRAFT:
            with contextlib.suppress(business_profile.GbpNotFoundError):
                business_profile.local_post_delete(
                    franchise=post.franchise, name=found["name"], before_send=guard.before_send
                )
            post_lock_release(post_id=item_id, lock=lock, **cleared)
            post_event_record(
                post=post,
                action=PostEvent.Action.EDITED,
                detail="An earlier attempt had put it on Google after all; that copy was removed, as it is a draft.",
            )
            return True
        _failed_post_adopt(post=post, found=found, lock=lock, guard=guard)
        return True
    except GOOGLE_ERRORS as exc:
        post_lock_release(post_id=item_id, lock=lock)  # the marker stays: a later run looks again
        logger.info("Post %s: could not settle its unknown create yet: %s", item_id, exc)
        return False
    except BaseException:  # OutOfTime included: released as found
        post_lock_release(post_id=item_id, lock=lock)
        raise


def _failed_post_adopt(*, post: Post, found: dict, lock: dt.datetime, guard: GoogleCallGuard) -> None:
    """A failed post whose create landed after all: it is published; its copy is brought up to date."""
    needs_update = True
    with contextlib.suppress(PostNotPublishable, OutOfTime, *GOOGLE_ERRORS):
        body = local_post_body(post)
        if copy_matches_body(found, body):
            needs_update = False
        else:
            found = (
                business_profile.local_post_patch(
                    franchise=post.franchise,
                    name=found["name"],
                    body=body,
                    update_mask=PATCH_MASK,
                    before_send=guard.before_send,
                    deadline=guard.deadline,
                )
                or found
            )
            needs_update = False
    try:
        post_write_fenced(
            post_id=post.pk,
            lock=lock,
            status=Post.Status.PUBLISHED,
            published_at=timezone.now(),
            publishing_at=None,
            google_create_sent_at=None,
            google_sent_body=None,
            google_post_name=found.get("name", ""),
            google_search_url=(found.get("searchUrl") or "")[:1000],
            google_state=(found.get("state") or "")[:20],
            google_update_time=parse_rfc3339(found.get("updateTime")),
            google_needs_update=needs_update,
            last_error="",
            next_attempt_at=None,
        )
    except Lost:
        return
    post_event_record(
        post=post,
        action=PostEvent.Action.PUBLISHED,
        detail="Found on Google: an attempt recorded as failed had published it after all.",
    )
