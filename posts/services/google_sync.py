"""Google's side of published posts, kept in the database (the sync-google-posts job).

Publishing ends at Google's answer to the create, but Google reviews a post after accepting it
(PROCESSING, then LIVE or REJECTED), and a location's owner can delete a post in Google's own
interface. Each run, location by location, the least recently synced first:

1. **Claim the location** with one conditional UPDATE of `franchises.google_posts_synced_at`
   (from the value read to now), so overlapping runs share the locations instead of repeating
   them, and the location goes to the back of the line. A location is due as often as the quota
   plan says (franchises/google/quota_plan.py): one with a post published in the last
   RECENT_DAYS (whose states still change) every hour in a small group and less often in a big
   one, the others (every post older than that: a state rarely changes) once a day. Never one
   synced less than GOOGLE_SYNC_MIN_INTERVAL_SECONDS before a run began: runs that overlap (a
   cron and a "run now", two crons) make one round between them, not one each.
2. **Read what we know**: the location's published posts with a name on Google (not REMOVED).
3. **List the location's posts on Google**: one paged `list`, stopping once every known post was
   seen. A known post the list did not show is asked for once (`get`): pages can shift while
   they are read, and only Google's 404 makes a post REMOVED. A post still on a location the
   franchise has left is asked for by name; there a 404 counts only while that location can be
   read (google_copy.copy_gone): after a move to another Google account, the old location answers
   403 or 404 for everything, and such posts are left as they are (`unreachable`).
4. **Write back** Google's `state`, `searchUrl` and `updateTime`, each post with one UPDATE fenced
   on the Google name read in step 2 (a republish or a delete meanwhile wins) and on the state
   being different (so one run, not two, records a change).
5. **Tell people** when a post became REJECTED or REMOVED: its history, and one email to the
   franchise's admins per post (google_notices.py).

Locations are synced by as many workers as the quota and Google's latency call for
(franchises/google/location_runs.py): one after another, a run at Google's 300 ms could not make
the requests an hour the plan gives the job at 10,000 locations. The job never creates, changes or
deletes anything on Google, and holds no lock and no transaction across a call to Google. Every
request takes a slot of the shared quota and none is waited for past the run's deadline. A
location that fails is left for a later run with the reason on the franchise
(`google_posts_sync_error`); the run goes on with the next.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce

from franchises.google import business_profile
from franchises.google.business_profile import TRANSIENT
from franchises.google.location_runs import due_locations_read
from franchises.google.quota_plan import Need, quota_plan_log
from franchises.google.tokens import GoogleReauthorizationRequired
from franchises.models import Franchise
from gbp_scheduler import clock
from gbp_scheduler.jobs import TimeBudget
from gbp_scheduler.times import parse_rfc3339

from ..models import GOOGLE_REMOVED, OFF_GOOGLE_STATES, Post
from .google_copy import LocationUnreachable, copy_gone
from .google_notices import post_google_problem_note, post_google_problem_tell
from .locks import OutOfTime

MAX_PAGES = 200  # 20,000 posts on one location: past that a nextPageToken is runaway
COUNT_KEYS = [
    "locations_synced",
    "posts_checked",
    "updated",
    "rejected",
    "removed",
    "deferred",
    "failed",
    "skipped_reauth",
    "unreachable",
    "left_for_next_run",
    "google_requests",
]


JOB = "sync-google-posts"
RECENT_DAYS = 14  # a post's state after two weeks rarely changes
# The cadences the quota plan may give, most frequent first (hours).
RECENT_EVERY = (1, 2, 3, 4, 6, 8, 12, 24)
SETTLED_EVERY = (24, 48, 72)


def google_sync_needs() -> list[Need]:
    """What the job asks of Google's quota: a request a location a round (a page of its posts),
    locations with recent posts and the others apart (quota_plan)."""
    now = clock.now()
    hour_ago = now - dt.timedelta(hours=1)
    kinds = {
        "recent": (f"post states (a post of the last {RECENT_DAYS} days)", True, RECENT_EVERY),
        "settled": (f"post states (every post older than {RECENT_DAYS} days)", False, SETTLED_EVERY),
    }
    figures = {}
    for key, (_, recent, _) in kinds.items():  # one read for both kinds
        mine = Q(recent=recent)
        figures |= {
            f"{key}_items": Count("pk", filter=mine),
            f"{key}_oldest": Min(Coalesce("google_posts_synced_at", "google_connected_at"), filter=mine),
            f"{key}_hour": Count("pk", filter=mine & Q(google_posts_synced_at__gte=hour_ago)),
        }
    got = locations_on_google(now=now).aggregate(**figures)
    needs = []
    for key, (data, _, every) in kinds.items():
        oldest = got[f"{key}_oldest"]
        stale = (now - oldest).total_seconds() / 3600 if oldest else None
        needs.append(Need(key, data, got[f"{key}_items"], 1.0, every, got[f"{key}_hour"] / 60, stale))
    return needs


def google_posts_sync(*, budget: TimeBudget, report: Callable[[str], None] | None = None) -> dict:
    """Sync every location this run has time for, the least recently synced first, with as many
    workers as the quota and Google's latency call for (location_runs); the counts."""
    counts: Counter = Counter({key: 0 for key in COUNT_KEYS})
    now = clock.now()
    plan = quota_plan_log(JOB)
    floor = settings.GOOGLE_SYNC_MIN_INTERVAL_SECONDS
    due = {
        "recent_before": plan.served_before(JOB, "recent", default=1, now=now, floor_seconds=floor),
        "settled_before": plan.served_before(JOB, "settled", default=24, now=now, floor_seconds=floor),
    }

    def read_one(franchise_id, synced_at, mine: Counter) -> str:
        return location_posts_sync(
            franchise_id=franchise_id, synced_at=synced_at, deadline=budget.deadline, counts=mine
        )

    def failed(franchise_id, exc: Exception) -> None:
        Franchise.objects.filter(pk=franchise_id).update(
            google_posts_sync_error=f"Reading the posts on Google stopped on an unexpected error ({exc})."[:1000]
        )

    due_locations_read(
        job=JOB,
        due=lambda: locations_to_sync(now=now, **due),
        stamp="google_posts_synced_at",
        read_one=read_one,
        failed=failed,
        budget=budget,
        counts=counts,
        report=report,
    )
    return dict(counts)


def locations_on_google(*, now: dt.datetime) -> QuerySet[Franchise]:
    """Locations Google may be asked about (active, connected, valid auth, a location picked) that
    have published posts on Google, each with `recent`: one of them published in the last
    RECENT_DAYS."""
    on_google = (
        Post.objects.filter(franchise=OuterRef("pk"), status=Post.Status.PUBLISHED)
        .exclude(google_post_name="")
        .exclude(google_state=GOOGLE_REMOVED)
    )
    since = now - dt.timedelta(days=RECENT_DAYS)
    return (
        Franchise.objects.publishable()
        .exclude(google_location_id="")
        .filter(Exists(on_google))
        .annotate(recent=Exists(on_google.filter(published_at__gte=since)))
    )


def locations_to_sync(
    *, now: dt.datetime, recent_before: dt.datetime, settled_before: dt.datetime
) -> QuerySet[Franchise]:
    """Locations on Google (locations_on_google) not synced since `recent_before` (those with a
    recent post) or `settled_before` (the others); the least recently synced first (never synced
    leads)."""
    return (
        locations_on_google(now=now)
        .filter(
            Q(google_posts_synced_at__isnull=True)
            | Q(recent=True, google_posts_synced_at__lt=recent_before)
            | Q(recent=False, google_posts_synced_at__lt=settled_before)
        )
        .order_by(F("google_posts_synced_at").asc(nulls_first=True), "pk")
    )


def location_posts_sync(*, franchise_id, synced_at: dt.datetime | None, deadline: float | None, counts: Counter) -> str:
    """Sync one location (the module docstring's steps); a line for the run's report ("" when
    another run had it). Raises OutOfTime with the location released as it was found."""
    now = clock.now()
    as_read = Q(google_posts_synced_at__isnull=True) if synced_at is None else Q(google_posts_synced_at=synced_at)
    if Franchise.objects.filter(as_read, pk=franchise_id).update(google_posts_synced_at=now) != 1:
        return ""  # another run claimed it
    ours = Franchise.objects.filter(pk=franchise_id, google_posts_synced_at=now)
    franchise = Franchise.objects.get(pk=franchise_id)
    known = {
        row["google_post_name"]: row
        for row in Post.objects.filter(franchise=franchise, status=Post.Status.PUBLISHED)
        .exclude(google_post_name="")
        .exclude(google_state=GOOGLE_REMOVED)
        .values("pk", "google_post_name", "google_state", "google_search_url", "google_update_time")
    }
    try:
        found = _google_copies(franchise=franchise, names=set(known), deadline=deadline, counts=counts)
    except OutOfTime:
        ours.update(google_posts_synced_at=synced_at)
        raise
    except GoogleReauthorizationRequired as exc:
        # The token layer has flagged the franchise and told its admins; reconnecting brings it back.
        ours.update(google_posts_synced_at=synced_at, google_posts_sync_error=str(exc)[:1000])
        counts["skipped_reauth"] += 1
        return f"{franchise.name}: Google needs re-authorization"
    except TRANSIENT as exc:
        # Back in line as it was, so it comes first again next run.
        ours.update(google_posts_synced_at=synced_at, google_posts_sync_error=f"{exc} (retried next run)."[:1000])
        counts["deferred"] += 1
        return f"{franchise.name}: deferred: {exc}"
    except business_profile.GbpError as exc:
        # Permanent (the location is gone, the Cloud project needs setting up): the reason stays
        # on the franchise; the location goes to the back of the line.
        ours.update(google_posts_sync_error=str(exc)[:1000])
        counts["failed"] += 1
        return f"{franchise.name}: failed: {exc}"
    changed = sum(_write_back(row=row, item=found[name], counts=counts) for name, row in known.items() if name in found)
    unreachable = len(known) - len(found)
    counts["unreachable"] += unreachable
    ours.update(
        google_posts_sync_error=(
            f"{unreachable} published posts are on a location this franchise's Google connection can no longer "
            "reach (it moved to another location or Google account); they are left as they are."
            if unreachable
            else ""
        )
    )
    counts["locations_synced"] += 1
    counts["posts_checked"] += len(found)
    return f"{franchise.name}: {len(found)} posts checked, {changed} changed" + (
        f", {unreachable} unreachable" if unreachable else ""
    )


def _google_copies(*, franchise: Franchise, names: set[str], deadline: float | None, counts: Counter) -> dict:
    """{name: Google's post, or None when Google no longer has it} for each of `names` whose fate
    Google can tell (a name on a location this connection cannot read is left out)."""
    found: dict[str, dict | None] = {}
    here = {name for name in names if business_profile.location_of(name) == franchise.google_location_name}
    page_token = None
    for _ in range(MAX_PAGES if here else 0):
        items, page_token = business_profile.local_posts_list(
            franchise=franchise, page_token=page_token, deadline=deadline
        )
        counts["google_requests"] += 1
        found.update((item["name"], item) for item in items if item.get("name") in here)
        if not page_token or len(found) == len(here):
            break
    for name in sorted(names - set(found)):
        try:
            found[name] = business_profile.local_post_get(franchise=franchise, name=name, deadline=deadline)
        except business_profile.GbpNotFoundError:
            try:
                copy_gone(franchise=franchise, name=name, deadline=deadline)
            except LocationUnreachable:
                continue
            found[name] = None
        except business_profile.GbpPermissionDeniedError:
            if name in here:
                raise
            continue  # another account's location now: nobody can tell from here
        finally:
            counts["google_requests"] += 1
    return found


def _write_back(*, row: dict, item: dict | None, counts: Counter) -> bool:
    """Google's view of one post onto its row; True when the row changed."""
    if item is None:
        state, search_url, update_time = GOOGLE_REMOVED, row["google_search_url"], row["google_update_time"]
    else:
        state = (item.get("state") or row["google_state"])[:20]
        search_url = (item.get("searchUrl") or row["google_search_url"])[:1000]
        update_time = parse_rfc3339(item.get("updateTime")) or row["google_update_time"]
    if (state, search_url, update_time) == (row["google_state"], row["google_search_url"], row["google_update_time"]):
        return False
    fenced = Post.objects.filter(pk=row["pk"], status=Post.Status.PUBLISHED, google_post_name=row["google_post_name"])
    if state != row["google_state"]:
        # Only one of two overlapping runs sees the change happen, and records it.
        fenced = fenced.exclude(google_state=state)
    taken_off = state != row["google_state"] and state in OFF_GOOGLE_STATES
    with transaction.atomic():  # the state, its history and its announced event commit together
        if fenced.update(google_state=state, google_search_url=search_url, google_update_time=update_time) != 1:
            return False
        to_tell = taken_off and post_google_problem_note(post_id=row["pk"], state=state)
    counts["updated"] += 1
    if taken_off:
        counts["removed" if state == GOOGLE_REMOVED else "rejected"] += 1
    if to_tell:
        post_google_problem_tell(post=to_tell, state=state)
    return True
