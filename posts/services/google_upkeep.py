"""The work a publish run does before publishing, so that Google ends each run equal to the
database whatever staff, the admin and Google's failures did in between:

1. **Stale locks are released**, for every franchise. A published post whose lock went stale
   was being changed on Google by someone who died: Google may hold either version, so it is
   marked for an update from the row.
2. **Cancellations finish**: a post cancelled while a publish attempt held it (an announcement's
   "cancel all", a series ended) and not published by that attempt is deleted.
3. **Deletions finish**: a post deleted here whose copy on Google is not confirmed gone
   (`GoogleDeletion`) is deleted there, on the location the copy is on; a copy that may have
   landed unseen is looked for first.
4. **Updates finish**: a published post whose copy on Google is older than the row
   (`google_needs_update`) is patched from the row.
5. **Unknown creates settle** on posts no longer scheduled (failed or back to draft) whose last
   create may have landed: a failed post's copy is adopted (it is on Google after all); a
   draft's copy is removed (a draft is not on Google); no copy clears the marker.

Steps 3 to 5 work for every franchise Google can be asked about (connected, valid grant), active
or not and whatever its location now: what was sent to Google is finished where it went.

Each item is handled alone: a failure leaves that item for a later run with the reason and a
retry time that backs off, and the run goes on. One franchise whose Google calls fail costs a
run at most one failed call (its other items wait for a later run), and the upkeep as a whole
takes at most UPKEEP_SHARE of the run's time, so due posts of every franchise still go out.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections import Counter

from django.conf import settings
from django.db.models import F, Q

from franchises.google import business_profile
from franchises.google.business_profile import GOOGLE_ERRORS
from franchises.models import Franchise
from gbp_scheduler import clock
from gbp_scheduler.jobs import RUN_BREAKING, TimeBudget
from gbp_scheduler.times import backoff_seconds, human_duration, parse_rfc3339

from ..gbp_mapping import PostNotPublishable, local_post_body
from ..models import GOOGLE_REMOVED, GoogleDeletion, Post, PostCancellation, PostEvent, cancelled, lock_stale_before
from .google_copy import (
    MARKER_CLEARED,
    PATCH_MASK,
    copy_find,
    copy_gone,
    copy_matches_body,
    marker_body,
    marker_location,
    marker_to_deletion,
    names_owned,
    post_published_write,
)
from .google_notices import post_google_problem_record, post_google_state_seen
from .history import post_event_record
from .locks import GoogleCallGuard, Lost, OutOfTime, lock_free, post_lock_release, post_lock_take
from .removal import post_row_remove

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
RETRY_CAP_SECONDS = 6 * 3600
# A failed post's unknown create is looked at again within this: a post with the same text at the
# same location waits for it before its own create (google_copy.create_record).
SETTLE_RETRY_CAP_SECONDS = 3600
UPKEEP_SHARE = 0.5
UPKEEP_COUNT_KEYS = ["locks_released", "cancelled", "deleted_on_google", "updated_on_google", "settled"]
CANCELLED_DETAIL = "Cancelled while it was being published; that attempt did not put it on Google."


def google_upkeep_run(*, budget: TimeBudget) -> dict:
    """The steps of the module docstring, within UPKEEP_SHARE of `budget`; the counts."""
    counts: Counter = Counter({key: 0 for key in UPKEEP_COUNT_KEYS})
    counts["locks_released"] = stale_locks_release(now=clock.now())
    own = budget.part(UPKEEP_SHARE)
    troubled: set = set()  # franchises whose Google calls failed in this run: the rest of theirs waits
    for key, candidates, handle in (
        ("cancelled", _cancellations_due, post_cancellation_finish),
        ("deleted_on_google", _deletions_due, google_deletion_try),
        ("updated_on_google", _updates_due, post_google_update),
        ("settled", _unknown_creates_to_settle, post_unknown_create_settle),
    ):
        for item_id, franchise_id in candidates(now=clock.now()):
            if own.exhausted:
                return dict(counts)
            if franchise_id in troubled:
                continue
            try:
                done = handle(item_id=item_id, deadline=own.deadline)
            except OutOfTime:
                return dict(counts)
            except RUN_BREAKING:
                raise
            except Exception:
                logger.exception("upkeep: %s of %s failed unexpectedly; left for a later run", key, item_id)
                continue
            if done is False:
                troubled.add(franchise_id)
            counts[key] += int(bool(done))
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


def _reachable() -> Q:
    return Q(franchise__in=Franchise.objects.reachable())


def _retry_due(now: dt.datetime) -> Q:
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


def _backoff(attempts: int, cap: float = RETRY_CAP_SECONDS) -> dt.timedelta:
    return dt.timedelta(seconds=backoff_seconds(attempts, base=settings.PUBLISH_RETRY_BASE_SECONDS, cap=cap))


# --- 2. cancellations -----------------------------------------------------------------------------


def _cancellations_due(*, now: dt.datetime) -> list:
    # Cancellations a publish won (made before the post's last publish: models.cancelled) are
    # dropped here, in bulk, instead of by each publish.
    PostCancellation.objects.filter(requested_at__lte=F("post__published_at")).delete()
    due = Post.objects.filter(cancelled(), lock_free(now)).exclude(status=Post.Status.PUBLISHED)
    return list(due.order_by("cancellation__requested_at").values_list("pk", "franchise_id")[:BATCH_SIZE])


def post_cancellation_finish(*, item_id, deadline: float | None = None) -> bool | None:
    """Delete a post cancelled while it was being published (its copy, should one exist, goes
    to GoogleDeletion: removed in the next step). None when it is held again or was published."""
    removed = post_row_remove(post_id=item_id, only=cancelled() & ~Q(status=Post.Status.PUBLISHED))
    if removed is None:
        return None
    row, _deletion = removed
    post_event_record(post=row, action=PostEvent.Action.DELETED, detail=CANCELLED_DETAIL, post_gone=True)
    return True


# --- 3. deletions -------------------------------------------------------------------------------


def _deletions_due(*, now: dt.datetime) -> list:
    due = GoogleDeletion.objects.filter(_reachable(), _retry_due(now), claimed_at__isnull=True)
    return list(due.order_by("created_at").values_list("pk", "franchise_id")[:BATCH_SIZE])


def google_deletion_try(*, item_id, deadline: float | None = None) -> bool | None:
    """Remove a deleted post's copy from Google, where it is; True when it is gone (or never
    landed) and the deletion row is done, False when it stays for a later run (the reason and
    the retry time on the row), None when another worker has it."""
    now = clock.now()
    if GoogleDeletion.objects.filter(pk=item_id, claimed_at__isnull=True).update(claimed_at=now) != 1:
        return None
    deletion = GoogleDeletion.objects.select_related("franchise").get(pk=item_id)
    franchise = deletion.franchise
    guard = GoogleCallGuard(now, deadline)
    fenced = GoogleDeletion.objects.filter(pk=item_id, claimed_at=now)
    try:
        name = deletion.google_post_name
        if not name:
            location = deletion.location or franchise.google_location_name
            found = copy_find(
                franchise=franchise,
                location=location,
                body=deletion.sent_body or {},
                since=deletion.sent_at,
                owned=names_owned(location=location),
                guard=guard,
            )
            if found is None:
                fenced.delete()
                return True
            # Known from now on: a retry deletes it by name, and the key is free for new creates.
            name = found["name"]
            fenced.update(google_post_name=name)
        try:
            business_profile.local_post_delete(franchise=franchise, name=name, deadline=guard.deadline)
        except business_profile.GbpNotFoundError:
            copy_gone(franchise=franchise, name=name, deadline=guard.deadline)  # gone already is what we want
    except OutOfTime:
        fenced.update(claimed_at=None)
        raise
    except GOOGLE_ERRORS as exc:
        attempts = deletion.attempts + 1
        fenced.update(
            claimed_at=None,
            attempts=attempts,
            next_attempt_at=clock.now() + _backoff(attempts),
            last_error=f"Removing the deleted post from Google failed: {exc}"[:1000],
        )
        logger.info("Deletion %s deferred: %s", item_id, exc)
        return False
    except BaseException:
        fenced.update(claimed_at=None)
        raise
    fenced.delete()
    return True


# --- 4. updates ---------------------------------------------------------------------------------


def unknown_create_left_behind(*, post: Post, lock: dt.datetime, deadline: float | None) -> None:
    """The post's unknown create went to a location its franchise has left since: a copy there is
    no post's any more. It becomes a pending deletion there (under the post's lock), tried at once;
    what Google does not finish now a later run does, backing off."""
    deletion = marker_to_deletion(post=post, lock=lock)
    with contextlib.suppress(OutOfTime):
        google_deletion_try(item_id=deletion.pk, deadline=deadline)


def _updates_due(*, now: dt.datetime) -> list:
    due = Post.objects.filter(
        _reachable(), lock_free(now), _retry_due(now), status=Post.Status.PUBLISHED, google_needs_update=True
    )
    return list(due.order_by("updated_at").values_list("pk", "franchise_id")[:BATCH_SIZE])


def post_google_update(*, item_id, deadline: float | None = None) -> bool | None:
    """Patch a published post's copy on Google from the row; True when Google has it now, False
    when it stays for a later run (or Google no longer has it), None when someone else has it."""
    lock = post_lock_take(post_id=item_id, status=Post.Status.PUBLISHED, google_needs_update=True)
    if lock is None:
        return None
    post = Post.objects.select_related("franchise").get(pk=item_id)
    guard = GoogleCallGuard(lock, deadline)
    try:
        try:
            updated = business_profile.local_post_patch(
                franchise=post.franchise,
                name=post.google_post_name,
                body=local_post_body(post),
                update_mask=PATCH_MASK,
                before_send=guard.before_send,
                deadline=guard.deadline,
            )
        except business_profile.GbpNotFoundError:
            copy_gone(franchise=post.franchise, name=post.google_post_name, deadline=guard.deadline)
            released = post_lock_release(
                post_id=item_id,
                lock=lock,
                google_needs_update=False,
                google_state=GOOGLE_REMOVED,
                last_error="Google no longer has this post (removed on Google): republish it if needed.",
            )
            if released and post.google_state != GOOGLE_REMOVED:
                post_google_problem_record(post_id=item_id, state=GOOGLE_REMOVED)
            return True
    except OutOfTime:
        post_lock_release(post_id=item_id, lock=lock)
        raise
    except (PostNotPublishable, *GOOGLE_ERRORS) as exc:
        attempts = post.attempts + 1
        delay = _backoff(attempts)
        post_lock_release(
            post_id=item_id,
            lock=lock,
            attempts=attempts,
            next_attempt_at=clock.now() + delay,
            last_error=(
                f"Google still shows an older version of this post: {exc} "
                f"(retrying in about {human_duration(delay.total_seconds())}; editing the post also retries)."
            ),
        )
        return False
    except BaseException:
        post_lock_release(post_id=item_id, lock=lock)
        raise
    state = (updated.get("state") or post.google_state)[:20]
    released = post_lock_release(
        post_id=item_id,
        lock=lock,
        google_needs_update=False,
        google_state=state,
        google_search_url=(updated.get("searchUrl") or post.google_search_url)[:1000],
        google_update_time=parse_rfc3339(updated.get("updateTime")) or post.google_update_time,
        attempts=0,
        next_attempt_at=None,
        last_error="",
    )
    if released:
        post_google_state_seen(post_id=item_id, before=post.google_state, after=state)
    return True


# --- 5. unknown creates on posts no longer scheduled ----------------------------------------------


def _unknown_creates_to_settle(*, now: dt.datetime) -> list:
    waiting = Post.objects.filter(
        _reachable(),
        lock_free(now),
        _retry_due(now),
        google_create_sent_at__isnull=False,
        status__in=[Post.Status.DRAFT, Post.Status.FAILED],
    )
    return list(waiting.order_by("google_create_sent_at").values_list("pk", "franchise_id")[:BATCH_SIZE])


def post_unknown_create_settle(*, item_id, deadline: float | None = None) -> bool | None:
    """Find out whether the last create of a failed or draft post landed, and make Google agree.
    True when settled, False when Google could not tell yet (looked at again after a backoff),
    None when someone else has the post."""
    lock = post_lock_take(
        post_id=item_id,
        google_create_sent_at__isnull=False,
        status__in=[Post.Status.DRAFT, Post.Status.FAILED],
    )
    if lock is None:
        return None
    post = Post.objects.select_related("franchise").get(pk=item_id)
    guard = GoogleCallGuard(lock, deadline)
    try:
        location = marker_location(post)
        if location != post.franchise.google_location_name:
            unknown_create_left_behind(post=post, lock=lock, deadline=deadline)
            post_lock_release(post_id=item_id, lock=lock)
            return True
        found = copy_find(
            franchise=post.franchise,
            location=location,
            body=marker_body(post),
            since=post.google_create_sent_at,
            owned=names_owned(location=location, besides=post.pk),
            guard=guard,
        )
        if found is None:
            post_lock_release(post_id=item_id, lock=lock, next_attempt_at=None, **MARKER_CLEARED)
            return True
        if post.status == Post.Status.DRAFT:
            with contextlib.suppress(business_profile.GbpNotFoundError):
                business_profile.local_post_delete(
                    franchise=post.franchise, name=found["name"], before_send=guard.before_send, deadline=guard.deadline
                )
            post_lock_release(post_id=item_id, lock=lock, next_attempt_at=None, **MARKER_CLEARED)
            post_event_record(
                post=post,
                action=PostEvent.Action.EDITED,
                detail="An earlier attempt had put it on Google after all; that copy was removed, as it is a draft.",
            )
            return True
        _failed_post_adopt(post=post, found=found, lock=lock, guard=guard)
        return True
    except Lost:
        return None
    except GOOGLE_ERRORS as exc:
        # The marker stays: a later run looks again, after a backoff of its own.
        attempts = post.attempts + 1
        post_lock_release(
            post_id=item_id,
            lock=lock,
            attempts=attempts,
            next_attempt_at=clock.now() + _backoff(attempts, cap=SETTLE_RETRY_CAP_SECONDS),
        )
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
    post_published_write(
        post=post,
        lock=lock,
        google_post=found,
        needs_update=needs_update,
        detail="Found on Google: an attempt recorded as failed had published it after all.",
    )
