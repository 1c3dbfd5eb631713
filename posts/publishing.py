"""Publishing due posts to Google exactly once (the publish-scheduled job).

Google's create has no idempotency key, cron runs overlap, and a run can be killed at any
point. The rules that make "once, never twice, never silently not" hold:

1. A post is claimed with one compare-and-set UPDATE that re-checks everything that made it due
   (still scheduled, still due, the lock value we read) and stamps `publishing_at` (the lock).
   A lost claim is logged ("Lock acquired by another process") and skipped.
2. The claim also records, in `google_create_sent_at`, that an attempt which may create the post
   began (keeping the earliest such time). No transaction or row lock is held while Google is
   called.
3. An attempt that finds `google_create_sent_at` already set does not know whether the earlier
   attempt reached Google (it died, timed out, or lost the answer): it lists the location's
   posts and adopts a post with the same text created since then, and creates only when there
   is none.
4. Every write-back is fenced on the lock value this run set, so a run that lost its claim to a
   stale-lock takeover changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import zoneinfo
from collections import Counter, OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from franchises import gbp_client
from franchises.google_tokens import GoogleReauthorizationRequired, GoogleTokenTransientError
from gbp_scheduler.cron import TimeBudget

from .gbp_mapping import PostNotPublishable, local_post_body
from .history import post_event_record
from .models import Post, PostEvent
from .rate_limit import RateLimiter
from .selectors import lock_stale_before, posts_due

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# Google's clock and ours differ a little: look for an adopted post this far before the attempt.
RECONCILE_CLOCK_SKEW = dt.timedelta(minutes=2)
RETRY_CAP_SECONDS = 6 * 3600
NOT_CONNECTED_MESSAGE = "This franchise is not connected to Google: connect it on the franchise page to publish."
REAUTH_MESSAGE = "Google access for {name} was revoked or expired: reconnect the Google account to publish."
MISSED_WINDOW_MESSAGE = (
    "The post missed its publishing window: it was due {due} and is now more than {hours:g} hours late. "
    "Reschedule it to publish."
)

COUNT_KEYS = [
    "published",
    "failed",
    "deferred",
    "skipped_locked",
    "skipped_reauth",
    "skipped_not_connected",
    "reconciled",
    "left_for_next_run",
]


@dataclass
class Result:
    post_id: str
    outcome: str  # one of COUNT_KEYS[:5]
    message: str = ""
    reconciled: bool = False


class _Lost(Exception):
    """This run no longer holds the post's claim."""


def retry_delay_seconds(attempts: int, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter, never sooner than Google's Retry-After."""
    ceiling = min(RETRY_CAP_SECONDS, settings.PUBLISH_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1))
    delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not cryptography
    return max(delay, retry_after or 0.0)


# --- the job ------------------------------------------------------------------------------------


def posts_publish_due(*, budget: TimeBudget, on_result: Callable[[Result], None] | None = None) -> dict:
    """Publish every due post this run has time for; the JSON counts of SPEC section 4."""
    counts: Counter = Counter({key: 0 for key in COUNT_KEYS})
    counts.update(_skip_unpublishable_franchises(now=timezone.now()))
    limiter = RateLimiter(settings.GOOGLE_REQUESTS_PER_MINUTE)
    seen: set = set()
    lock = threading.Lock()

    def record(result: Result) -> None:
        with lock:
            counts[result.outcome] += 1
            counts["reconciled"] += int(result.reconciled)
        if on_result:
            on_result(result)

    while not budget.exhausted:
        batch = list(
            posts_due(now=timezone.now())
            .filter(franchise__google_refresh_token__isnull=False, franchise__google_auth_valid=True)
            .exclude(pk__in=seen)
            .select_related("franchise")[:BATCH_SIZE]
        )
        if not batch:
            break
        seen.update(post.pk for post in batch)
        # A franchise's posts go out one after another, in scheduled order; franchises in parallel.
        by_franchise: OrderedDict = OrderedDict()
        for post in batch:
            by_franchise.setdefault(post.franchise_id, []).append(post)
        left = _run_groups(list(by_franchise.values()), budget=budget, limiter=limiter, record=record)
        counts["left_for_next_run"] += left
    return dict(counts)


def _run_groups(groups: list[list[Post]], *, budget: TimeBudget, limiter: RateLimiter, record) -> int:
    def work(posts: list[Post]) -> int:
        try:
            for index, post in enumerate(posts):
                if budget.exhausted:
                    return len(posts) - index
                record(post_publish(post=post, limiter=limiter, deadline=budget.deadline))
            return 0
        finally:
            if threading.current_thread() is not threading.main_thread():
                connection.close()  # each worker thread has its own connection

    workers = max(1, settings.PUBLISH_CONCURRENCY)
    if workers == 1:
        return sum(work(posts) for posts in groups)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="publish") as pool:
        return sum(pool.map(work, groups))


def _skip_unpublishable_franchises(*, now: dt.datetime) -> dict:
    """Due posts of franchises that cannot publish keep their schedule and say why (no Google call)."""
    due = posts_due(now=now).order_by()
    not_connected = due.filter(franchise__google_refresh_token__isnull=True)
    skipped_not_connected = not_connected.count()
    not_connected.exclude(last_error=NOT_CONNECTED_MESSAGE).update(last_error=NOT_CONNECTED_MESSAGE)

    needs_reauth = due.filter(franchise__google_refresh_token__isnull=False, franchise__google_auth_valid=False)
    skipped_reauth = 0
    for franchise_id, name in needs_reauth.values_list("franchise_id", "franchise__name").distinct():
        message = REAUTH_MESSAGE.format(name=name)
        posts = needs_reauth.filter(franchise_id=franchise_id)
        skipped_reauth += posts.count()
        posts.exclude(last_error=message).update(last_error=message)
    return {"skipped_reauth": skipped_reauth, "skipped_not_connected": skipped_not_connected}


# --- one post -----------------------------------------------------------------------------------


def post_claim(*, post: Post, now: dt.datetime) -> dt.datetime | None:
    """Compare-and-set the publish lock; the lock value on success, None when another run has it."""
    read_lock = post.publishing_at
    if read_lock is not None and read_lock >= lock_stale_before(now):
        return None
    # Everything this attempt will act on must still be as we read it: the lock, and the
    # outcome-unknown marker and attempt count an earlier attempt may have written meanwhile (a
    # stale copy would skip the reconcile and create the post a second time).
    claimed = (
        Post.objects.filter(
            _same(publishing_at=read_lock),
            _same(google_create_sent_at=post.google_create_sent_at),
            pk=post.pk,
            attempts=post.attempts,
            status=Post.Status.SCHEDULED,
            scheduled_at__lte=now,
        )
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(publishing_at=now, google_create_sent_at=Coalesce("google_create_sent_at", now))
    )
    return now if claimed == 1 else None


def _same(**field: dt.datetime | None) -> Q:
    """`field = value`, where a None value means IS NULL."""
    ((name, value),) = field.items()
    return Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})


def post_publish(
    *, post: Post, limiter: RateLimiter | None = None, deadline: float | None = None, actor=None
) -> Result:
    """Claim `post`, make sure it is on Google once, and write the outcome back (fenced).
    The history names `actor` (a user who pressed "Publish now") or, when None, the job."""
    limiter = limiter or RateLimiter(settings.GOOGLE_REQUESTS_PER_MINUTE)
    now = timezone.now()
    claim = post_claim(post=post, now=now)
    if claim is None:
        logger.info("Lock acquired by another process: post %s skipped", post.pk)
        return Result(str(post.pk), "skipped_locked")
    unknown_since = post.google_create_sent_at  # an earlier attempt may have created it
    attempt = _Attempt(post=post, claim=claim, limiter=limiter, deadline=deadline, actor=actor)
    try:
        return attempt.run(unknown_since=unknown_since)
    except _Lost:
        logger.warning("Post %s: this run lost its claim to a stale-lock takeover; nothing written", post.pk)
        return Result(str(post.pk), "skipped_locked")


class _Attempt:
    def __init__(self, *, post: Post, claim: dt.datetime, limiter: RateLimiter, deadline: float | None, actor):
        self.post = post
        self.actor = actor
        self.claim = claim
        self.limiter = limiter
        self.deadline = deadline
        self.reconciled_nothing = False  # a reconcile found no post: earlier attempts created none
        self.create_sent = False  # this attempt sent its create: an unanswered one may have landed

    def run(self, *, unknown_since: dt.datetime | None) -> Result:
        post = self.post
        try:
            if unknown_since is not None:
                found = self._find_on_google(since=unknown_since)
                if found:
                    self._published(found, detail="Found on Google from an earlier attempt (not created twice).")
                    logger.info("Post %s: found on Google as %s, adopted (not created again)", post.pk, found["name"])
                    return Result(str(post.pk), "published", found["name"], reconciled=True)
                self.reconciled_nothing = True
            if post.scheduled_at < self.claim - dt.timedelta(seconds=settings.PUBLISH_LATENESS_CUTOFF_SECONDS):
                due = timezone.localtime(post.scheduled_at, _zone(post)).strftime("%Y-%m-%d %H:%M %Z")
                hours = settings.PUBLISH_LATENESS_CUTOFF_SECONDS / 3600
                return self._failed(MISSED_WINDOW_MESSAGE.format(due=due, hours=hours))
            body = local_post_body(post)
            self._wait_for_slot()
            self.create_sent = True
            created = gbp_client.local_post_create(
                franchise=post.franchise, body=body, before_send=self._refuse_if_claim_too_old
            )
        except PostNotPublishable as exc:
            return self._failed(f"Google would refuse this post: {exc}")
        except GoogleReauthorizationRequired as exc:
            return self._released("skipped_reauth", str(exc))
        except GoogleTokenTransientError as exc:
            return self._transient(str(exc))
        except gbp_client.GbpRateLimitedError as exc:
            self.limiter.pause(exc.retry_after or 60.0)
            return self._transient(str(exc), retry_after=exc.retry_after)
        except gbp_client.GbpTransientError as exc:
            return self._transient(str(exc), create_unknown=self.create_sent and exc.maybe_applied)
        except gbp_client.GbpError as exc:
            return self._failed(str(exc))
        self._published(created)
        return Result(str(post.pk), "published", created.get("name", ""))

    # -- Google ---------------------------------------------------------------------------------

    def _wait_for_slot(self) -> None:
        if not self.limiter.acquire(deadline=self.deadline):
            raise gbp_client.GbpRateLimitedError("The run's time budget ended while waiting for Google's quota.")

    def _refuse_if_claim_too_old(self) -> None:
        """Send a create only in the first half of the lock's life.

        Another run may take the post over once the lock is PUBLISH_LOCK_TIMEOUT_SECONDS old, and
        its reconcile must already see any create of ours. A create sent before half the timeout
        has passed has landed (or failed) by then, since one call to Google takes at most
        GOOGLE_HTTP_TIMEOUT_SECONDS, which settings keep below half the timeout. A slow attempt
        (a starved process, a long quota wait) stops here and tries again in a later run.
        """
        half_life = dt.timedelta(seconds=settings.PUBLISH_LOCK_TIMEOUT_SECONDS / 2)
        if timezone.now() > self.claim + half_life:
            raise gbp_client.GbpTransientError(
                "This attempt ran too long to create the post safely; it will be retried."
            )

    def _find_on_google(self, *, since: dt.datetime) -> dict | None:
        """A post on Google with this post's text, created since `since` and not owned by another post."""
        post = self.post
        owned = set(
            Post.objects.filter(franchise_id=post.franchise_id)
            .exclude(pk=post.pk)
            .exclude(google_post_name="")
            .values_list("google_post_name", flat=True)
        )
        earliest = since - RECONCILE_CLOCK_SKEW
        page_token = None
        while True:
            self._wait_for_slot()
            items, page_token = gbp_client.local_posts_list(franchise=post.franchise, page_token=page_token)
            for item in items:
                created = _parse_google_time(item.get("createTime"))
                if created is not None and created < earliest:
                    continue
                if item.get("summary", "").strip() == post.summary.strip() and item.get("name") not in owned:
                    return item
            oldest = min((_parse_google_time(i.get("createTime")) for i in items), default=None, key=_sort_key)
            if not page_token or (oldest is not None and oldest < earliest):
                return None

    # -- write-backs, fenced on our claim ----------------------------------------------------------

    def _write(self, **fields) -> None:
        updated = Post.objects.filter(pk=self.post.pk, publishing_at=self.claim).update(**fields)
        if updated != 1:
            raise _Lost

    def _published(self, google_post: dict, *, detail: str = "Live on Google.") -> None:
        self._write(
            status=Post.Status.PUBLISHED,
            published_at=timezone.now(),
            publishing_at=None,
            google_create_sent_at=None,
            google_post_name=google_post.get("name", ""),
            google_search_url=google_post.get("searchUrl", ""),
            google_state=google_post.get("state", ""),
            last_error="",
            next_attempt_at=None,
        )
        post_event_record(post=self.post, action=PostEvent.Action.PUBLISHED, user=self.actor, detail=detail)

    def _failed(self, message: str, *, create_unknown: bool = False) -> Result:
        # A retry by hand starts with a reconcile while the marker says a create may have landed.
        self._write(
            status=Post.Status.FAILED,
            publishing_at=None,
            google_create_sent_at=self._create_marker(create_unknown),
            last_error=message,
            next_attempt_at=None,
        )
        post_event_record(post=self.post, action=PostEvent.Action.FAILED, user=self.actor, detail=message)
        logger.info("Post %s failed: %s", self.post.pk, message)
        return Result(str(self.post.pk), "failed", message)

    def _create_marker(self, create_unknown: bool) -> dt.datetime | None:
        """What `google_create_sent_at` should say after this attempt."""
        if create_unknown:
            # This attempt's create may have landed; so may an earlier one unless we ruled it out.
            return self.claim if self.reconciled_nothing else (self.post.google_create_sent_at or self.claim)
        return None if self.reconciled_nothing else self.post.google_create_sent_at

    def _released(self, outcome: str, message: str) -> Result:
        self._write(publishing_at=None, google_create_sent_at=self._create_marker(False), last_error=message)
        return Result(str(self.post.pk), outcome, message)

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
            next_attempt_at=timezone.now() + dt.timedelta(seconds=delay),
            publishing_at=None,
            google_create_sent_at=self._create_marker(create_unknown),
            last_error=f"{message} (attempt {attempts}; retrying in about {_human(delay)})",
        )
        logger.info("Post %s deferred after attempt %s: %s", self.post.pk, attempts, message)
        return Result(str(self.post.pk), "deferred", message)


# --- small helpers ------------------------------------------------------------------------------


def _zone(post: Post) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(post.franchise.timezone)


def _parse_google_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _sort_key(value: dt.datetime | None) -> dt.datetime:
    return value or dt.datetime.max.replace(tzinfo=dt.UTC)


def _human(seconds: float) -> str:
    if seconds < 90:
        return f"{round(seconds)} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"
