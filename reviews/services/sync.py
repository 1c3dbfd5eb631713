"""The sync-reviews job: each connected location's Google reviews, kept one row per review.

A location is due as often as the quota plan says (hourly, and less often in a group too big for
Google's quota: franchises/google/quota_plan.py), never sooner than MIN_INTERVAL_MINUTES after
its last read (overlapping runs make one round between them); a run takes them the least
recently synced first, and reads up to BATCH_LOCATIONS locations of one Google account per request
(`batchGetReviews`), as many groups at once as the quota and Google's latency call for:

1. **Claim** each location of the group with one conditional UPDATE of its `review_syncs` row
   (from the `synced_at` read to now): overlapping runs share the locations.
2. **Read newest first** (updateTime desc), page by page, and stop at the first page that reaches
   reviews not changed since the group's last complete read began (`read_through`, less
   READ_OVERLAP for Google's lag and clocks): a second sync reads one page per group. An edited
   review comes back to the top, so it is read again. Once every FULL_READ_DAYS (and the
   first time) every page is read, and a review no longer there is marked gone.
3. **Store** by upsert on the review's Google name; a reply being sent is left to its sender.
4. **Write back** how far it read, fenced on the claim.

Before the reads, replies waiting to be sent are sent (services/replies.py); after them, replies
still in Google's moderation are read again one by one (their state changes without the review's
updateTime moving). Google refusing a group's request for good is answered by reading its
locations one by one (`reviews.list`), so one bad location never stops the others; its reason stays
on its row. Every request takes a slot of the shared quota and none is waited for past the run's
deadline; nothing is held across a call to Google.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Min, Q, QuerySet

from franchises.google import business_profile, quota
from franchises.google.business_profile import GOOGLE_ERRORS, TRANSIENT, GbpNotFoundError
from franchises.google.quota import QuotaDeadline
from franchises.google.quota_plan import Need, quota_plan_log
from franchises.google.tokens import GoogleReauthorizationRequired
from franchises.models import Franchise
from gbp_scheduler import clock
from gbp_scheduler.events import EventType, event_announce
from gbp_scheduler.jobs import RUN_BREAKING, TimeBudget
from gbp_scheduler.pace import Pace, concurrency_cap, paced_work
from gbp_scheduler.times import iso_utc, parse_rfc3339

from ..models import ReplyState, Review, ReviewSync
from . import notices
from .replies import review_reply_mirror_fields, review_reply_push, reviews_replies_pending

logger = logging.getLogger(__name__)

JOB = "sync-reviews"
MIN_INTERVAL_MINUTES = 10
FULL_READ_DAYS = 7
READ_OVERLAP = dt.timedelta(hours=1)  # reviews Google dates just before a read are read again
BATCH_LOCATIONS = business_profile.REVIEWS_BATCH_LOCATIONS
MAX_PAGES = 2000  # of one read: a runaway nextPageToken must not loop forever
REPLY_STATE_CHECKS = 100  # replies in moderation read again per run
STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}
REAUTH_MESSAGE = "Google access for {name} was revoked or expired: reconnect the Google account to see its reviews."
COUNT_KEYS = [
    "locations_synced",
    "reviews_new",
    "reviews_updated",
    "reviews_gone",
    "replies_sent",
    "reply_states_read",
    "deferred",
    "failed",
    "skipped_reauth",
    "left_for_next_run",
    "google_requests",
]


def locations_with_reviews() -> QuerySet[Franchise]:
    """Franchises Google may be asked about (active, connected, valid auth) with a location."""
    return Franchise.objects.on_google()


# The cadences the plan may give the reviews of every location (most frequent first): hourly keeps a
# new review within two hours.
EVERY = (1.0, 2.0, 4.0, 8.0, 24.0)


def reviews_needs() -> list[Need]:
    """What the job asks of Google's quota (quota_plan): a first page a location a round, read for
    BATCH_LOCATIONS locations in one request (a location with new reviews may take more pages)."""
    now = clock.now()
    got = ReviewSync.objects.filter(franchise__in=locations_with_reviews()).aggregate(
        items=Count("pk"),
        oldest=Min("synced_at"),
        hour=Count("pk", filter=Q(synced_at__gte=now - dt.timedelta(hours=1))),
    )
    stale = (now - got["oldest"]).total_seconds() / 3600 if got["oldest"] else None
    per_minute_now = got["hour"] / BATCH_LOCATIONS / 60
    return [Need("reviews", "reviews", got["items"], 1 / BATCH_LOCATIONS, EVERY, per_minute_now, stale)]


def reviews_due(*, before: dt.datetime) -> QuerySet[ReviewSync]:
    """Locations not read since `before`, the least recently read first."""
    return (
        ReviewSync.objects.filter(franchise__in=locations_with_reviews())
        .filter(Q(synced_at__isnull=True) | Q(synced_at__lt=before))
        .order_by(F("synced_at").asc(nulls_first=True), "pk")
    )


@dataclass
class Group:
    """Locations of one Google account read together: {franchise id: synced_at as read}."""

    account: tuple
    read: dict = field(default_factory=dict)


def groups_of(rows: list[tuple]) -> list[Group]:
    """Due rows (pk, synced_at, connection, account), least recently synced first, as groups of
    up to BATCH_LOCATIONS locations of one account, in the order their oldest location came."""
    groups: list[Group] = []
    open_groups: dict[tuple, Group] = {}
    for pk, synced_at, connection_id, account_id in rows:
        key = (connection_id, account_id)
        group = open_groups.get(key)
        if group is None or len(group.read) >= BATCH_LOCATIONS:
            group = open_groups[key] = Group(key)
            groups.append(group)
        group.read[pk] = synced_at
    return groups


def reviews_sync_due(*, budget: TimeBudget, report: Callable[[str], None] | None = None) -> dict:
    """Send waiting replies, read every due location this run has time for, read the state of
    replies in moderation; the run's counts."""
    counts: Counter = Counter({key: 0 for key in COUNT_KEYS})
    now = clock.now()
    before = quota_plan_log(JOB).served_before(
        JOB, "reviews", default=EVERY[0], now=now, floor_seconds=MIN_INTERVAL_MINUTES * 60
    )
    _sync_rows_create()
    counts["skipped_reauth"] += _reconnect_needed_record()
    try:
        _replies_send(counts, budget=budget)
        _locations_read(counts, before=before, budget=budget, report=report)
        _reply_states_read(counts, budget=budget)
    except QuotaDeadline:
        pass  # the run's time is up: what is left waits for the next run
    counts["left_for_next_run"] = reviews_due(before=before).count()
    return dict(counts)


def _sync_rows_create() -> None:
    missing = locations_with_reviews().filter(review_sync__isnull=True).values_list("pk", flat=True)
    ReviewSync.objects.bulk_create([ReviewSync(franchise_id=pk) for pk in missing], ignore_conflicts=True)


def _reconnect_needed_record() -> int:
    flagged = Franchise.objects.needs_reconnect().filter(is_active=True).exclude(google_location_id="")
    skipped = 0
    for franchise_id, name in flagged.values_list("pk", "name"):
        message = REAUTH_MESSAGE.format(name=name)
        ReviewSync.objects.get_or_create(franchise_id=franchise_id)
        ReviewSync.objects.filter(pk=franchise_id).exclude(last_error=message).update(last_error=message)
        skipped += 1
    return skipped


def _replies_send(counts: Counter, *, budget: TimeBudget) -> None:
    for review_id in list(reviews_replies_pending(now=clock.now()).values_list("pk", flat=True)[:500]):
        if budget.exhausted:
            return
        try:
            review = review_reply_push(review_id=review_id, deadline=budget.deadline)
        except RUN_BREAKING:
            raise
        except QuotaDeadline:
            raise
        except Exception:
            logger.exception("sync-reviews: sending the reply of review %s failed unexpectedly", review_id)
            continue
        counts["google_requests"] += 1
        if not review.reply_pending:
            counts["replies_sent"] += 1


def _locations_read(counts: Counter, *, before: dt.datetime, budget: TimeBudget, report) -> None:
    rows = list(
        reviews_due(before=before).values_list(
            "pk", "synced_at", "franchise__google_connection_id", "franchise__google_account_id"
        )
    )
    pending = deque(groups_of(rows))
    pace = Pace(per_minute=settings.GOOGLE_REQUESTS_PER_MINUTE, cap=concurrency_cap())
    lock = threading.Lock()
    out_of_time = threading.Event()

    def one(group: Group) -> None:
        mine: Counter = Counter()
        started, waited = time.monotonic(), quota.seconds_waited()
        try:
            lines = group_sync(group=group, now=clock.now(), deadline=budget.deadline, counts=mine)
        except QuotaDeadline:
            out_of_time.set()
            lines = []
        except RUN_BREAKING:
            raise  # paced_work stops the other workers and the run raises it
        except Exception as exc:
            # One group breaking on something unforeseen fails its locations alone.
            logger.exception("sync-reviews: a group of %s locations failed unexpectedly", len(group.read))
            ReviewSync.objects.filter(pk__in=list(group.read)).update(
                last_error=f"Reading the reviews from Google stopped on an unexpected error ({exc})."[:1000]
            )
            mine["failed"] += len(group.read)
            lines = [f"{len(group.read)} locations: failed unexpectedly ({type(exc).__name__})"]
        requests = max(1, mine["google_requests"])
        pace.observe((time.monotonic() - started - (quota.seconds_waited() - waited)) / requests)
        with lock:
            counts.update(mine)
        for line in lines if report else []:
            report(line)

    paced_work(pending, one=one, pace=pace, name=JOB, stop=lambda: budget.exhausted or out_of_time.is_set())


def group_sync(*, group: Group, now: dt.datetime, deadline: float | None, counts: Counter) -> list[str]:
    """Claim and read one group of locations (module docstring's steps); a line per location for
    the run's report. Raises QuotaDeadline with the group released as it was found."""
    claimed = {
        pk: synced_at
        for pk, synced_at in group.read.items()
        if ReviewSync.objects.filter(
            Q(synced_at__isnull=True) if synced_at is None else Q(synced_at=synced_at), pk=pk
        ).update(synced_at=now)
        == 1
    }
    if not claimed:
        return []
    syncs = {s.pk: s for s in ReviewSync.objects.filter(pk__in=claimed).select_related("franchise")}
    full_before = now - dt.timedelta(days=FULL_READ_DAYS)
    full = [
        pk
        for pk, s in syncs.items()
        if s.read_through is None or s.full_read_at is None or s.full_read_at < full_before
    ]
    lines: list[str] = []
    try:
        for part, is_full in ((full, True), ([pk for pk in syncs if pk not in full], False)):
            if part:
                lines += _part_sync([syncs[pk] for pk in part], full=is_full, now=now, deadline=deadline, counts=counts)
    except QuotaDeadline:
        for pk, synced_at in claimed.items():
            ReviewSync.objects.filter(pk=pk, synced_at=now).update(synced_at=synced_at)
        raise
    return lines


def _part_sync(syncs: list[ReviewSync], *, full: bool, now, deadline, counts: Counter) -> list[str]:
    """Read these locations together (batchGetReviews), or one by one when there is one, or when
    Google refuses the group's request for good."""
    if len(syncs) > 1:
        try:
            return _read_and_store(syncs, full=full, now=now, deadline=deadline, counts=counts)
        except GoogleReauthorizationRequired as exc:
            return [_failed(s, exc, counts) for s in syncs]
        except GOOGLE_ERRORS as exc:
            if isinstance(exc, TRANSIENT):
                return [_failed(s, exc, counts) for s in syncs]
            logger.info(
                "sync-reviews: Google refused a group of %s locations (%s); reading them one by one", len(syncs), exc
            )
    lines = []
    for sync in syncs:
        try:
            lines += _read_and_store([sync], full=full, now=now, deadline=deadline, counts=counts)
        except GOOGLE_ERRORS as exc:
            lines.append(_failed(sync, exc, counts))
    return lines


def _failed(sync: ReviewSync, exc: Exception, counts: Counter) -> str:
    ours = ReviewSync.objects.filter(pk=sync.pk, synced_at=sync.synced_at)
    name = sync.franchise.name
    if isinstance(exc, GoogleReauthorizationRequired):
        ours.update(last_error=REAUTH_MESSAGE.format(name=name))
        counts["skipped_reauth"] += 1
        return f"{name}: Google needs re-authorization"
    counts["google_requests"] += 1
    if isinstance(exc, TRANSIENT):
        ours.update(last_error=f"{exc} (retried next run)."[:1000])
        counts["deferred"] += 1
        return f"{name}: deferred: {exc}"
    ours.update(last_error=str(exc)[:1000])
    counts["failed"] += 1
    return f"{name}: failed: {exc}"


def _read_and_store(syncs: list[ReviewSync], *, full: bool, now, deadline, counts: Counter) -> list[str]:
    by_location = {s.franchise.google_location_name: s for s in syncs}
    known = [s.read_through for s in syncs if s.read_through is not None]
    stop_at = None if full or len(known) < len(syncs) else min(known) - READ_OVERLAP
    seen: set[str] = set()
    stored: Counter = Counter()
    token = None
    for _ in range(MAX_PAGES):
        if len(syncs) == 1:
            reviews, token = business_profile.reviews_page(
                franchise=syncs[0].franchise, page_token=token, deadline=deadline
            )
            items = [(syncs[0].franchise.google_location_name, r) for r in reviews]
        else:
            items, token = business_profile.reviews_batch_page(
                franchise=syncs[0].franchise, locations=list(by_location), page_token=token, deadline=deadline
            )
        counts["google_requests"] += 1
        stored += reviews_store(items=items, syncs=by_location, seen=seen)
        oldest = min((parse_rfc3339(r.get("updateTime")) for _, r in items), default=None, key=lambda t: t or now)
        if not token or (stop_at is not None and oldest is not None and oldest <= stop_at):
            break
    if full:
        gone = (
            Review.objects.filter(franchise__in=[s.franchise_id for s in syncs], gone_at__isnull=True)
            .exclude(google_name__in=seen)
            .update(gone_at=now)
        )
        stored["gone"] += gone
    lines = []
    for sync in by_location.values():
        fields = {"read_through": now, "last_error": ""}
        if full:
            fields["full_read_at"] = now
        ReviewSync.objects.filter(pk=sync.pk, synced_at=sync.synced_at).update(**fields)
        counts["locations_synced"] += 1
        lines.append(f"{sync.franchise.name}: reviews read{' (all pages)' if full else ''}")
    counts["reviews_new"] += stored["new"]
    counts["reviews_updated"] += stored["updated"]
    counts["reviews_gone"] += stored["gone"]
    return lines


def review_fields(review: dict) -> dict | None:
    """A Review resource as our columns (None when it is not one: no name or rating)."""
    stars = STARS.get(review.get("starRating"))
    name = review.get("name")
    created, updated = parse_rfc3339(review.get("createTime")), parse_rfc3339(review.get("updateTime"))
    if not stars or not isinstance(name, str) or created is None:
        return None
    reviewer = review.get("reviewer") if isinstance(review.get("reviewer"), dict) else {}
    return {
        "google_name": name[:300],
        "reviewer_name": str(reviewer.get("displayName") or "")[:300],
        "reviewer_anonymous": bool(reviewer.get("isAnonymous")),
        "stars": stars,
        "comment": str(review.get("comment") or ""),
        "created_at": created,
        "google_updated_at": updated or created,
        "reply_url": str(review.get("reviewReplyUrl") or "")[:500],
        **review_reply_mirror_fields(review),
    }


MIRRORED = ["reviewer_name", "reviewer_anonymous", "stars", "comment", "google_updated_at", "reply_url"]
REPLY_MIRRORED = ["google_reply", "google_reply_at", "google_reply_state", "policy_violation"]


def reviews_store(*, items: list[tuple[str, dict]], syncs: dict[str, ReviewSync], seen: set) -> Counter:
    """Upsert one page of (location, review); counts new and updated. Notes every name in `seen`."""
    stored: Counter = Counter()
    parsed: dict[str, tuple[ReviewSync, dict]] = {}
    for location, review in items:
        sync = syncs.get(location) or syncs.get(location.rsplit("/reviews/", 1)[0])
        fields = review_fields(review)
        if sync is None or fields is None:
            continue
        parsed[fields["google_name"]] = (sync, fields)
        seen.add(fields["google_name"])
    existing = {r.google_name: r for r in Review.objects.filter(google_name__in=list(parsed))}
    new = [
        Review(franchise_id=sync.franchise_id, **fields)
        for name, (sync, fields) in parsed.items()
        if name not in existing
    ]
    first_reads = {s.pk for s, _ in parsed.values() if s.read_through is None}
    with transaction.atomic():  # the reviews and their announced events commit together
        Review.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
        # A location's first read finds its past reviews: not news, as for the low-star emails.
        for review in (r for r in new if r.franchise_id not in first_reads):
            # Keyed by Google's name: an overlapping run that read the same review announces the
            # same event, which the receivers write once.
            event_announce(
                type=EventType.REVIEW_RECEIVED,
                franchise_id=review.franchise_id,
                key=review.google_name,
                data={
                    "review_id": review.google_name,
                    "stars": review.stars,
                    "comment": review.comment,
                    "reviewer_name": review.reviewer_name,
                    "created_at": iso_utc(review.created_at),
                },
            )
    stored["new"] += len(new)
    for name, (_sync, fields) in parsed.items():
        row = existing.get(name)
        if row is None:
            continue
        changes = {k: fields[k] for k in MIRRORED if getattr(row, k) != fields[k]}
        if row.gone_at is not None:
            changes["gone_at"] = None
        if row.reply_sending_at is None:
            changes.update({k: fields[k] for k in REPLY_MIRRORED if getattr(row, k) != fields[k]})
        if changes:
            # A send that started since the read writes Google's reply itself.
            Review.objects.filter(pk=row.pk, reply_sending_at__isnull=True).update(**changes)
            stored["updated"] += 1
    notices.low_star_reviews_notify(
        names=[r.google_name for r in new if r.franchise_id not in first_reads and r.stars <= notices.LOW_STARS]
    )
    return stored


def _reply_states_read(counts: Counter, *, budget: TimeBudget) -> None:
    """Read again the replies Google is still checking (PENDING): approved or rejected since?"""
    waiting = (
        Review.objects.filter(
            google_reply_state=ReplyState.PENDING, gone_at__isnull=True, reply_sending_at__isnull=True
        )
        .select_related("franchise")
        .filter(franchise__in=locations_with_reviews())
        .order_by("google_reply_at")
    )
    for review in waiting[:REPLY_STATE_CHECKS]:
        if budget.exhausted:
            return
        try:
            answer = business_profile.review_get(
                franchise=review.franchise, name=review.google_name, deadline=budget.deadline
            )
        except GbpNotFoundError:
            Review.objects.filter(pk=review.pk, gone_at__isnull=True).update(gone_at=clock.now())
            counts["reviews_gone"] += 1
            continue
        except GOOGLE_ERRORS as exc:
            logger.info("sync-reviews: reading review %s again failed: %s", review.pk, exc)
            continue
        finally:
            counts["google_requests"] += 1
        Review.objects.filter(
            pk=review.pk, reply_sending_at__isnull=True, reply_sent_version=review.reply_sent_version
        ).update(**review_reply_mirror_fields(answer))
        counts["reply_states_read"] += 1
