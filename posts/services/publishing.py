"""Publishing due posts to Google exactly once (the publish-scheduled job).

Google's create has no idempotency key, cron runs overlap, staff edit posts while runs work,
and a run can be killed at any point. The rules that keep Google equal to the database:

1. A post is claimed with one compare-and-set UPDATE that re-checks everything that made it due
   (still scheduled, still due, the lock value we read) and stamps `publishing_at` (the lock).
   A lost claim is logged ("Lock acquired by another process") and skipped.
2. The claimed row is read again, so the attempt sends the content as it is now, not as the run
   read it minutes earlier; while the lock is held nobody else changes it (edits wait or are
   refused), and every write-back is fenced on the lock.
3. Before a create is sent, the body, the location and the time are written down (the marker:
   `google_sent_body`, `google_sent_location`, `google_create_sent_at`), and only when no other
   create with the same location, type and text is outstanding (google_copy.create_record): a
   post behind one waits. An attempt that finds the marker set does not know whether that create
   reached Google: it looks for that body where it was sent, adopts a copy it finds (patching it
   when the post was edited since) and creates only when there is none. A marker on a location
   the franchise has left becomes a pending deletion there.
4. Running out of time is nobody's fault: a post the run had no time for is released as it was
   found, with no attempt counted.
5. Anything unexpected while handling one post fails that post, with the reason, and releases
   its lock; the run goes on with the next.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Q, QuerySet

from franchises.google import business_profile, quota
from franchises.google.business_profile import GOOGLE_ERRORS
from franchises.google.quota_plan import Need
from franchises.google.rights import posting_rights_refresh
from franchises.google.tokens import GoogleReauthorizationRequired, GoogleTokenTransientError
from franchises.holds import franchise_hold
from franchises.models import Franchise
from gbp_scheduler import clock
from gbp_scheduler.events import EventType, event_for_record
from gbp_scheduler.jobs import RUN_BREAKING, TimeBudget
from gbp_scheduler.pace import Pace, concurrency_cap, paced_work
from gbp_scheduler.times import backoff_seconds, human_duration, when_text

from ..brand import post_check
from ..brand_rules import brand_rules_held
from ..gbp_mapping import PostNotPublishable, local_post_body
from ..models import Post, PostEvent, cancelled, lock_stale_before
from ..selectors import BACKLOG, posts_due, posts_due_in_turn
from .google_copy import (
    MARKER_CLEARED,
    PATCH_MASK,
    copy_find,
    copy_matches_body,
    create_record,
    marker_body,
    marker_location,
    names_owned,
    post_published_write,
)
from .google_upkeep import google_upkeep_run, unknown_create_left_behind
from .history import post_event_record
from .locks import GoogleCallGuard, Lost, OutOfTime, post_update_returning, post_write_fenced

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
RETRY_CAP_SECONDS = 6 * 3600
SAME_TEXT_MESSAGE = (
    "Waiting for Google: another post with the same text at this location was sent and its outcome is not known "
    "yet. This one goes out once that is settled, so that Google's copies cannot be mixed up."
)
MISSED_WINDOW_MESSAGE = (
    "The post missed its publishing window: it was due {due} and is now more than {hours:g} hours late. "
    "Reschedule it to publish."
)
UNREADABLE_MESSAGE = (
    "This post holds a value the database cannot read back ({error}), so it cannot be published. "
    "Ask an administrator to correct its dates in the Django admin, then schedule it again."
)
BRAND_MESSAGE = (
    "Not published: it breaks the brand rules, which changed after it was scheduled. {problems} "
    "Edit the post and schedule it again."
)
UNEXPECTED_MESSAGE = (
    "Publishing stopped on an unexpected error ({error}). Check the post's fields (dates especially) and "
    "schedule it again; if it happens again, tell your administrator."
)

COUNT_KEYS = [
    "published",
    "failed",
    "deferred",
    "skipped_locked",
    "skipped_reauth",
    "skipped_not_connected",
    "skipped_no_location",
    "skipped_cannot_post",
    "reconciled",
    "left_for_next_run",
]


@dataclass
class Result:
    post_id: str
    outcome: str  # one of COUNT_KEYS[:5] or "left_for_next_run"
    message: str = ""
    reconciled: bool = False


def retry_delay_seconds(attempts: int, retry_after: float | None = None) -> float:
    return backoff_seconds(
        attempts, base=settings.PUBLISH_RETRY_BASE_SECONDS, cap=RETRY_CAP_SECONDS, retry_after=retry_after
    )


# --- the job ------------------------------------------------------------------------------------


def publishing_needs() -> list[Need]:
    """What publishing asks of Google's quota (quota_plan): a create a post; the plan sets the
    coming week's average aside before the other jobs share the rest."""
    now = clock.now()
    week = Post.objects.filter(
        status=Post.Status.SCHEDULED, scheduled_at__gte=now, scheduled_at__lt=now + dt.timedelta(days=7)
    ).count()
    last_day = Post.objects.filter(status=Post.Status.PUBLISHED, published_at__gte=now - dt.timedelta(days=1)).count()
    return [Need("posts", "posts due in the next 7 days", week, 1.0, (168,), last_day / 1440)]


def posts_publish_due(
    *,
    budget: TimeBudget,
    on_result: Callable[[Result], None] | None = None,
    report: Callable[[str], None] | None = None,
) -> dict:
    """Publish every due post this run has time for, after the upkeep that keeps Google equal to
    the database (stale locks, pending updates and deletions); the run's JSON counts.
    `on_result` is given each post's Result, `report` a line about it."""
    counts: Counter = Counter({key: 0 for key in COUNT_KEYS})
    counts.update(google_upkeep_run(budget=budget))
    counts.update(_skip_unpublishable_franchises(now=clock.now()))
    pace = Pace(per_minute=settings.GOOGLE_REQUESTS_PER_MINUTE, cap=concurrency_cap(), burst=quota.shared().burst)
    seen: set = set()
    lock = threading.Lock()

    def record(result: Result) -> None:
        with lock:
            counts[result.outcome] += 1
            counts["reconciled"] += int(result.reconciled)
        if on_result:
            on_result(result)
        if report:
            note = " (found on Google, adopted)" if result.reconciled else ""
            report(f"post {result.post_id} {result.outcome}{note}" + (f": {result.message}" if result.message else ""))

    while not budget.exhausted:
        # Only ids and franchises here: a row is read whole once claimed, alone, so a row that
        # cannot be read fails by itself instead of failing the batch.
        now = clock.now()
        batch = list(
            _publishable(posts_due_in_turn(now=now))
            .exclude(pk__in=seen)
            .values_list("pk", "franchise_id", "publishing_at", "scheduled_at", "turn")[:BATCH_SIZE]
        )
        if not batch:
            break
        rows = [*_older_of_their_franchises(batch, now=now, seen=seen), *(row[:4] for row in batch)]
        seen.update(row[0] for row in rows)
        # The batch's franchises with their connections in one read; each claim checks in the
        # same statement that what decides publishing is still as read (_claim).
        franchises = franchises_read({row[1] for row in rows})
        # A franchise's posts go out one after another, in scheduled order; franchises in parallel,
        # in the order of their first post's turn.
        by_franchise: OrderedDict = OrderedDict((row[1], []) for row in batch if row[1] in franchises)
        for pk, franchise_id, lock_value, scheduled_at in rows:
            if franchise_id in franchises:
                by_franchise[franchise_id].append((pk, lock_value, franchises[franchise_id], scheduled_at))
        for group in by_franchise.values():
            group.sort(key=lambda row: row[3])  # stable: the batch's order among equal times
        with brand_rules_held():  # the batch's posts check the rules as read once
            _run_groups(list(by_franchise.values()), budget=budget, record=record, pace=pace)
    counts["peak_concurrency"] = pace.peak
    return dict(counts)


NOT_ATTEMPTED = {"skipped_locked", "left_for_next_run"}


def _publishable(due: QuerySet[Post]) -> QuerySet[Post]:
    """Due posts a run publishes: their franchises' others wait (_skip_unpublishable_franchises)."""
    return due.filter(franchise__in=Franchise.objects.publishable()).filter(franchise__google_location_can_post=True)


def _older_of_their_franchises(batch: list[tuple], *, now: dt.datetime, seen: set) -> list[tuple]:
    """The due posts, not in the batch, of the franchises whose posts in it went ahead of the
    backlog (posts_due_in_turn), older than those: they join the batch so that a franchise's
    posts still go out in scheduled order. One read, only when some post went ahead."""
    ahead: dict = {}
    for _, franchise_id, _, scheduled_at, turn in batch:
        if turn < BACKLOG:
            ahead[franchise_id] = min(ahead.get(franchise_id, scheduled_at), scheduled_at)
    if not ahead:
        return []
    taken = seen | {row[0] for row in batch}
    older = _publishable(posts_due(now=now)).filter(franchise_id__in=list(ahead))
    return [
        row
        for row in older.values_list("pk", "franchise_id", "publishing_at", "scheduled_at")[:BATCH_SIZE]
        if row[0] not in taken and row[3] < ahead[row[1]]
    ]


def _run_groups(groups: list[list[tuple]], *, budget: TimeBudget, record, pace: Pace) -> None:
    """Work through the franchises' groups with as many workers as the pace wants (pace.py:
    paced_work): a worker publishes a franchise's next post, then puts the rest of its group back
    at the end of the queue, so a franchise's posts go out in order, one at a time, and the
    franchises take turns (a worker keeping a whole group would leave the run's end to the few
    franchises with posts left, one 1.5 s create after another, with the quota's slots unused). A
    worker that breaks (the database went away: RUN_BREAKING) stops the others, and the run raises it."""
    pending = deque(groups)

    def work(rows: list[tuple]) -> None:
        if budget.exhausted:
            for pk, *_ in rows:
                record(Result(str(pk), "left_for_next_run"))
            return
        (pk, lock_value, franchise, _), rest = rows[0], rows[1:]
        started, waited = time.monotonic(), quota.seconds_waited()
        result = post_publish_by_id(post_id=pk, read_lock=lock_value, deadline=budget.deadline, franchise=franchise)
        record(result)
        # The time a post takes when it does not queue for the quota: the database, Google's
        # answer, our own work. The pace keeps enough posts in flight to cover it. A post another
        # run had (a claim lost in a moment) or this one had no time for says nothing of that.
        if result.outcome not in NOT_ATTEMPTED:
            pace.observe(time.monotonic() - started - (quota.seconds_waited() - waited))
        if rest:
            pending.append(rest)

    paced_work(pending, one=work, pace=pace, name="publish")


# A run's count of a post that waits, by the hold that keeps its franchise's posts back.
HOLD_COUNTS = {
    "inactive": "skipped_inactive",
    "not_connected": "skipped_not_connected",
    "reconnect": "skipped_reauth",
    "no_location": "skipped_no_location",
    "cannot_post": "skipped_cannot_post",
}


def franchise_waiting(franchise) -> tuple[str, str] | None:
    """Why the franchise's due posts wait (franchises/holds.py), as (count key, message), or None
    when it can publish. The one-post form of _skip_unpublishable_franchises (a run's, in bulk)."""
    hold = franchise_hold(franchise)
    return None if hold is None else (HOLD_COUNTS[hold.key], hold.detail)


def _skip_unpublishable_franchises(*, now: dt.datetime) -> dict:
    """Due posts of franchises on hold (franchises/holds.py: not connected, reconnect, no location,
    a location Google takes no posts from) keep their schedule and say why; no Google call, no
    attempt counted. The run's counts of them, by hold."""
    counts = dict.fromkeys(HOLD_COUNTS.values(), 0)
    del counts["skipped_inactive"]  # posts_due leaves inactive franchises out
    due = posts_due(now=now).order_by()
    held = due.exclude(franchise__in=Franchise.objects.publishable().filter(google_location_can_post=True))
    for franchise in Franchise.objects.filter(pk__in=held.values("franchise_id")):
        hold = franchise_hold(franchise)
        if hold is None:
            continue
        posts = held.filter(franchise_id=franchise.pk)
        counts[HOLD_COUNTS[hold.key]] += posts.count()
        posts.exclude(last_error=hold.detail).update(last_error=hold.detail)
    return counts


# --- one post -----------------------------------------------------------------------------------


def post_claim(*, post: Post, now: dt.datetime) -> dt.datetime | None:
    """Compare-and-set the publish lock; the lock value on success, None when another run has it."""
    claimed = _claimable(read_lock=post.publishing_at, now=now).filter(pk=post.pk).update(publishing_at=now)
    return now if claimed else None


def _claimable(*, read_lock: dt.datetime | None, now: dt.datetime) -> QuerySet[Post]:
    """Posts a claim may take: still scheduled, due, not cancelled, the lock still as read."""
    if read_lock is not None and read_lock >= lock_stale_before(now):
        return Post.objects.none()  # a live lock is not even tried
    lock_as_read = Q(publishing_at__isnull=True) if read_lock is None else Q(publishing_at=read_lock)
    return Post.objects.filter(~cancelled(), lock_as_read, status=Post.Status.SCHEDULED, scheduled_at__lte=now).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


# What decides whether and where a franchise's post goes out (franchises/holds.py, the location
# posted to, the connection whose token is sent): a claim re-checks them as the run read them.
FRANCHISE_AS_READ = (
    "is_active",
    "google_auth_valid",
    "google_location_id",
    "google_account_id",
    "google_location_can_post",
    "google_connection_id",
)


def franchises_read(ids) -> dict:
    """Franchises by id, each with its Google connection, in one read."""
    return Franchise.objects.select_related("google_connection").in_bulk(list(ids))


def _claim(*, post_id, read_lock: dt.datetime | None, now: dt.datetime, franchise: Franchise) -> Post | None:
    """Take the post's lock and read it whole in one statement (UPDATE … RETURNING), only while
    its franchise is as `franchise` was read; the post (its franchise attached), or None."""
    as_read = {name: getattr(franchise, name) for name in FRANCHISE_AS_READ}
    as_read["google_refresh_token__isnull"] = not franchise.is_connected
    same_franchise = Franchise.objects.filter(pk=franchise.pk, **as_read)
    claimed = post_update_returning(
        _claimable(read_lock=read_lock, now=now).filter(pk=post_id, franchise__in=same_franchise), publishing_at=now
    )
    if not claimed:
        return None
    claimed[0].franchise = franchise
    return claimed[0]


def post_publish(*, post: Post, deadline: float | None = None, actor=None) -> Result:
    """Claim `post`, make sure it is on Google once with its current content, and write the
    outcome back (fenced). The history names `actor` (who pressed "Publish now") or the job."""
    return post_publish_by_id(post_id=post.pk, read_lock=post.publishing_at, deadline=deadline, actor=actor)


def post_publish_by_id(
    *, post_id, read_lock: dt.datetime | None, deadline=None, actor=None, franchise: Franchise | None = None
) -> Result:
    """Publish one post (post_publish). `franchise`: the post's franchise with its connection as
    a run read them (franchises_read); read here when not given."""
    if franchise is None:
        franchise = Franchise.objects.select_related("google_connection").filter(posts__pk=post_id).first()
    claim = clock.now()
    try:
        with transaction.atomic():  # a savepoint: an unreadable row must not spoil an outer transaction
            post = franchise and _claim(post_id=post_id, read_lock=read_lock, now=claim, franchise=franchise)
    except RUN_BREAKING:
        raise
    except (DatabaseError, ValueError, OverflowError) as exc:
        # The row cannot be read back (a date past what Python reads): the claim rolled back with
        # the savepoint, and the post fails alone, if it is still ours to take.
        logger.exception("Post %s cannot be read back", post_id)
        message = UNREADABLE_MESSAGE.format(error=type(exc).__name__)
        _claimable(read_lock=read_lock, now=claim).filter(pk=post_id).update(
            status=Post.Status.FAILED, publishing_at=None, last_error=message, next_attempt_at=None
        )
        return Result(str(post_id), "failed", message)
    if post is None:
        logger.info("Lock acquired by another process: post %s skipped", post_id)
        return Result(str(post_id), "skipped_locked")
    return _Attempt(post=post, guard=GoogleCallGuard(claim, deadline), actor=actor).run()


class _Attempt:
    def __init__(self, *, post: Post, guard: GoogleCallGuard, actor):
        self.post = post
        self.guard = guard
        self.claim = guard.lock
        self.actor = actor
        self.ruled_out = False  # a look at Google found no copy: earlier attempts created none
        self.create_sent = False  # this attempt sent its create: an unanswered one may have landed

    def run(self) -> Result:
        try:
            return self._run()
        except Lost:
            logger.warning("Post %s: this run lost its claim to a stale-lock takeover; nothing written", self.post.pk)
            return Result(str(self.post.pk), "skipped_locked")
        except OutOfTime:
            # No attempt, no backoff, no message: the post is as the run found it (less a look
            # at Google that found nothing, which the next attempt need not repeat).
            self._write(publishing_at=None, **self._marker_fields(create_unknown=False))
            return Result(str(self.post.pk), "left_for_next_run")
        except RUN_BREAKING:
            raise
        except Exception as exc:
            logger.exception("Post %s: unexpected error while publishing", self.post.pk)
            message = UNEXPECTED_MESSAGE.format(error=f"{type(exc).__name__}: {exc}"[:300])
            try:
                return self._failed(message, create_unknown=self.create_sent)
            except Lost:
                return Result(str(self.post.pk), "skipped_locked")
            except RUN_BREAKING:
                raise
            except Exception:
                # Even the failure could not be written in full: at least let go of the post.
                logger.exception("Post %s: could not record the failure", self.post.pk)
                Post.objects.filter(pk=self.post.pk, publishing_at=self.claim).update(
                    publishing_at=None, status=Post.Status.FAILED, last_error=message[:1000]
                )
                return Result(str(self.post.pk), "failed", message)

    def _run(self) -> Result:
        post = self.post
        if waiting := franchise_waiting(post.franchise):
            return self._released(*waiting)  # "Publish now" on such a franchise: as a run would skip it
        try:
            if post.google_create_sent_at is not None and marker_location(post) != post.franchise.google_location_name:
                unknown_create_left_behind(post=post, lock=self.claim, deadline=self.guard.deadline)
                post.google_create_sent_at, post.google_sent_body = None, None
                post.google_sent_location = post.google_sent_key = ""
            if post.google_create_sent_at is not None:
                found = self._find_earlier_copy()
                if found:
                    detail = "Found on Google from an earlier attempt (not created twice)."
                    self._adopt(found, detail=detail)
                    logger.info("Post %s: found on Google as %s, adopted (not created again)", post.pk, found["name"])
                    return Result(str(post.pk), "published", found["name"], reconciled=True)
                self.ruled_out = True
            if post.scheduled_at < self.claim - dt.timedelta(seconds=settings.PUBLISH_LATENESS_CUTOFF_SECONDS):
                due = when_text(post.scheduled_at, post.franchise, named=True)
                hours = settings.PUBLISH_LATENESS_CUTOFF_SECONDS / 3600
                return self._failed(MISSED_WINDOW_MESSAGE.format(due=due, hours=hours))
            # Rules that changed since it was scheduled: it fails with their words rather than go out
            # against them (Google's own checks follow in local_post_body).
            if broken := [problem.message for problem in post_check(post) if problem.rule != "google"]:
                return self._failed(BRAND_MESSAGE.format(problems=" ".join(broken)))
            body = local_post_body(post)
            # Written down before it is sent: whoever handles this post next looks for this body.
            if not create_record(
                post_id=post.pk, lock=self.claim, location=post.franchise.google_location_name, body=body
            ):
                return self._waiting(SAME_TEXT_MESSAGE)
            self.create_sent = True
            created = business_profile.local_post_create(
                franchise=post.franchise,
                body=body,
                before_send=self.guard.before_send,
                deadline=self.guard.deadline,
                just_read=True,  # the claim checked the franchise as read, with its connection
            )
        except PostNotPublishable as exc:
            return self._failed(f"Google would refuse this post: {exc}")
        except GoogleReauthorizationRequired as exc:
            return self._released("skipped_reauth", str(exc))
        except GoogleTokenTransientError as exc:
            return self._transient(str(exc))
        except business_profile.GbpRateLimitedError as exc:  # the shared quota is paused already
            return self._transient(str(exc), retry_after=exc.retry_after)
        except business_profile.GbpTransientError as exc:
            return self._transient(str(exc), create_unknown=self.create_sent and exc.maybe_applied)
        except business_profile.GbpError as exc:
            if self.create_sent and self._location_cannot_post():
                return self._released("skipped_cannot_post", post.franchise.google_cannot_post_reason)
            return self._failed(str(exc))
        self._published(created)
        return Result(str(post.pk), "published", created.get("name", ""))

    # -- Google ---------------------------------------------------------------------------------

    def _find_earlier_copy(self) -> dict | None:
        post = self.post
        location = marker_location(post)
        return copy_find(
            franchise=post.franchise,
            location=location,
            body=marker_body(post),
            since=post.google_create_sent_at,
            owned=names_owned(location=location, besides=post.pk),
            guard=self.guard,
        )

    def _location_cannot_post(self) -> bool:
        """Google refused the create: had the location lost its right to take posts since it was
        last checked? Then the post waits for it, as its franchise's others do, instead of failing."""
        try:
            rights = posting_rights_refresh(franchise=self.post.franchise, deadline=self.guard.deadline)
        except (*GOOGLE_ERRORS, OutOfTime):
            return False
        if rights is None or rights.can_post:
            return False
        self.post.franchise.refresh_from_db()
        return True

    def _adopt(self, found: dict, *, detail: str) -> None:
        """Take an earlier attempt's copy as this post's; patch it when the post changed since."""
        try:
            wanted = local_post_body(self.post)
        except PostNotPublishable:
            wanted = None  # the upkeep reports what to fix, and patches once it is fixed
        needs_update = wanted is None
        if wanted is not None and not copy_matches_body(found, wanted):
            try:
                found = (
                    business_profile.local_post_patch(
                        franchise=self.post.franchise,
                        name=found["name"],
                        body=wanted,
                        update_mask=PATCH_MASK,
                        before_send=self.guard.before_send,
                        deadline=self.guard.deadline,
                    )
                    or found
                )
                detail += " Updated on Google to the current text."
            except (*GOOGLE_ERRORS, OutOfTime) as exc:
                needs_update = True  # the upkeep patches it in a later run
                logger.info("Post %s: adopted copy not updated yet: %s", self.post.pk, exc)
        self._published(found, detail=detail, needs_update=needs_update)

    # -- write-backs, fenced on our claim ----------------------------------------------------------

    def _write(self, **fields) -> None:
        post_write_fenced(post_id=self.post.pk, lock=self.claim, **fields)

    def _published(self, google_post: dict, *, detail: str = "Live on Google.", needs_update: bool = False) -> None:
        post_published_write(
            post=self.post,
            lock=self.claim,
            google_post=google_post,
            detail=detail,
            actor=self.actor,
            needs_update=needs_update,
        )

    def _failed(self, message: str, *, create_unknown: bool = False) -> Result:
        # A retry by hand (or the upkeep) starts with a look at Google while the marker says a
        # create may have landed.
        with transaction.atomic():  # the row, its history and its announced event commit together
            self._write(
                status=Post.Status.FAILED,
                publishing_at=None,
                last_error=message,
                next_attempt_at=None,
                **self._marker_fields(create_unknown),
            )
            announced = event_for_record(
                type=EventType.POST_FAILED,
                franchise_id=self.post.franchise_id,
                data={"post_id": str(self.post.pk), "summary": self.post.summary, "error": message},
            )
            post_event_record(
                post=self.post, action=PostEvent.Action.FAILED, user=self.actor, detail=message, announced=announced
            )
        logger.info("Post %s failed: %s", self.post.pk, message)
        return Result(str(self.post.pk), "failed", message)

    def _marker_fields(self, create_unknown: bool) -> dict:
        """What the outcome-unknown marker should say after this attempt."""
        if create_unknown:
            return {}  # this attempt's record (written before its send) stands
        if self.ruled_out:
            return dict(MARKER_CLEARED)
        # An earlier attempt's record, if any, stands; this attempt's own never landed.
        return {name: getattr(self.post, name) for name in MARKER_CLEARED}

    def _released(self, outcome: str, message: str) -> Result:
        self._write(publishing_at=None, last_error=message, **self._marker_fields(False))
        return Result(str(self.post.pk), outcome, message)

    def _waiting(self, message: str) -> Result:
        """Not this post's fault: released to try again after a short wait, no attempt counted."""
        delay = dt.timedelta(seconds=settings.PUBLISH_RETRY_BASE_SECONDS)
        self._write(
            publishing_at=None, next_attempt_at=clock.now() + delay, last_error=message, **self._marker_fields(False)
        )
        return Result(str(self.post.pk), "deferred", message)

    def _transient(self, message: str, *, retry_after: float | None = None, create_unknown: bool = False) -> Result:
        attempts = self.post.attempts + 1
        if attempts >= settings.PUBLISH_MAX_ATTEMPTS:
            self._write(attempts=attempts)
            unsure = " Google may have the post already: check the location before retrying." if create_unknown else ""
            return self._failed(
                f"Gave up after {attempts} attempts. Last error: {message}.{unsure}", create_unknown=create_unknown
            )
        delay = retry_delay_seconds(attempts, retry_after)
        self._write(
            attempts=attempts,
            next_attempt_at=clock.now() + dt.timedelta(seconds=delay),
            publishing_at=None,
            last_error=f"{message} (attempt {attempts}; retrying in about {human_duration(delay)})",
            **self._marker_fields(create_unknown),
        )
        logger.info("Post %s deferred after attempt %s: %s", self.post.pk, attempts, message)
        return Result(str(self.post.pk), "deferred", message)
