"""Whether Google lets each location take posts, and telling the admins when it stops.

Business Information's location metadata says whether a location may take local posts
(`canOperateLocalPost`) and whether it is verified (`hasVoiceOfMerchant`). A location that may not
refuses every new post, so the app reads it before posting: when a location is picked or mapped
(the listing asks for the metadata anyway), and by the hourly check-posting-rights job: once a day
for every location, and every hour for those with a post due in the next DUE_SOON_HOURS, so a
location that loses its rights is known before its next post goes out. The job lists each
account's locations a page of 100 at a time (one request per page, under the shared quota) rather
than asking location by location.

What Google says is kept on the franchise (`google_location_can_post`, `google_location_verified`).
While a location cannot post, the publish job leaves its due posts waiting with the reason
(posts/services/publishing.py): no failed attempt, no email per post. The change itself is one
entry in the franchise's history and, when the location stops being able to post, one email to
the franchise's admins (changed by a conditional UPDATE, so overlapping checks tell them once).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict
from collections.abc import Callable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from gbp_scheduler.jobs import TimeBudget

from ..holds import hold_ended_tell
from ..models import Franchise, FranchiseEvent, cannot_post_message
from ..recipients import AdminEmail, franchise_admins_tell
from . import business_profile
from .business_profile import PostingRights
from .quota import QuotaDeadline
from .quota_plan import Need
from .tokens import franchise_reconnect_url

logger = logging.getLogger(__name__)

CHECK_EVERY_HOURS = 20  # every location once a day
DUE_SOON_HOURS = 2  # and hourly while a post of it is due this soon
RECHECK_MINUTES = 50  # "hourly": not checked again by a run that starts less than this after
COUNT_KEYS = ["accounts_checked", "locations_checked", "cannot_post", "changed", "failed", "google_requests"]


def posting_rights_record(
    *, franchise_id, rights: PostingRights, actor: AbstractBaseUser | None = None, notify: bool = True
) -> bool:
    """Keep what Google says of the franchise's location; whether it could post changed. A change is
    one history entry; a change to "cannot post" also emails its admins once the change commits
    (unless `notify` is false: the caller sends one email for many, cannot_post_emails_send)."""
    now = timezone.now()
    with transaction.atomic():
        changed = (
            Franchise.objects.filter(pk=franchise_id)
            .exclude(google_location_can_post=rights.can_post)
            .update(
                google_location_can_post=rights.can_post,
                google_location_verified=rights.verified,
                google_location_checked_at=now,
            )
        )
        if not changed:
            Franchise.objects.filter(pk=franchise_id).update(
                google_location_verified=rights.verified, google_location_checked_at=now
            )
            return False
        franchise = Franchise.objects.get(pk=franchise_id)
        detail = (
            "Google says the location can take posts again."
            if rights.can_post
            else cannot_post_message(name=franchise.name, verified=rights.verified)
        )
        actor = actor if actor is not None and actor.is_authenticated else None
        FranchiseEvent.objects.create(
            franchise_id=franchise_id, actor=actor, action=FranchiseEvent.Action.GOOGLE_POSTING, detail=detail[:500]
        )
        if notify and not rights.can_post:
            transaction.on_commit(lambda: cannot_post_emails_send(franchise_ids=[franchise_id]))
        if rights.can_post:
            hold_ended_tell(franchise_ids=[franchise_id], why="cannot_post", user=actor)
    return True


def cannot_post_emails_send(*, franchise_ids: list) -> None:
    """Tell each admin of the franchises once, in one email listing theirs; franchises with no admin
    with an email go to the operators (ADMINS). The flag is kept and the pages show it: a mail
    outage must not break the check."""
    franchise_admins_tell(
        franchise_ids=franchise_ids,
        email=AdminEmail.GOOGLE_BLOCKS_POSTING,
        message=_cannot_post_message,
        about="locations that cannot take posts",
    )


def _cannot_post_message(franchises: list[Franchise]) -> tuple[str, str]:
    names = franchises[0].name if len(franchises) == 1 else f"{len(franchises)} franchises"
    subject = f"Google does not let {names} take posts: scheduled posts wait"
    lines = "\n\n".join(
        f"- {cannot_post_message(name=f.name, verified=f.google_location_verified)}\n"
        f"  {franchise_reconnect_url(franchise=f)}"
        for f in franchises
    )
    body = (
        f"{lines}\n\n"
        "Nothing is lost: the posts stay scheduled and none is counted as failed. Verify the location in "
        "Google Business Profile (or pick another location on the franchise page); the next check, within "
        "the hour, notices and the posts go out.\n"
    )
    return subject, body


def posting_rights_refresh(*, franchise: Franchise, deadline: float | None = None) -> PostingRights | None:
    """Ask Google now what it says of the franchise's location, and keep it (telling the admins
    once if it can no longer take posts): a publish run asks when Google refused a post, as the
    location may have lost its rights since the last check. None when Google did not say."""
    page_token = None
    while True:
        page, page_token = business_profile.locations_page(
            connection=franchise.google_connection,
            account_id=franchise.google_account_id,
            page_token=page_token,
            deadline=deadline,
        )
        for location in page:
            if str(location.get("name", "")).rsplit("/", 1)[-1] == franchise.google_location_id:
                rights = business_profile.posting_rights(location)
                if rights is not None:
                    posting_rights_record(franchise_id=franchise.pk, rights=rights)
                return rights
        if not page_token:
            return None


# --- the check-posting-rights job ------------------------------------------------------------------


def posting_rights_needs() -> list[Need]:
    """What the job asks of Google's quota (quota_plan): at worst every location's page (of 100)
    each hour, when a post is due soon at every one."""
    locations = Franchise.objects.on_google().count()
    return [Need("pages", "posting rights (a page of 100 locations)", locations, 0.01, (1,))]


def posting_rights_check(*, budget: TimeBudget, report: Callable[[str], None] | None = None) -> dict:
    """Read Google's metadata of the publishable franchises' locations due a check (the module
    docstring), an account's locations a page at a time, and keep it; the run's counts. One account
    that fails never stops the run."""
    counts: Counter = Counter({key: 0 for key in COUNT_KEYS})
    now = timezone.now()
    stale = Q(google_location_checked_at__isnull=True) | Q(
        google_location_checked_at__lt=now - dt.timedelta(hours=CHECK_EVERY_HOURS)
    )
    # `posts` is the posts app's reverse relation, named here rather than imported (it is a layer up).
    posting_soon = Q(
        google_location_checked_at__lt=now - dt.timedelta(minutes=RECHECK_MINUTES),
        posts__status="scheduled",
        posts__scheduled_at__lt=now + dt.timedelta(hours=DUE_SOON_HOURS),
    )
    franchises = (
        Franchise.objects.publishable()
        .exclude(google_location_id="")
        .filter(stale | posting_soon)
        .distinct()
        .select_related("google_connection")
    )
    by_account: dict[tuple, list[Franchise]] = defaultdict(list)
    for franchise in franchises.order_by("google_connection_id", "google_account_id", "name"):
        by_account[(franchise.google_connection_id, franchise.google_account_id)].append(franchise)
    stopped: list = []  # franchises that just stopped being able to post: one email per admin at the end
    for (_connection_id, account_id), theirs in by_account.items():
        if budget.exhausted:
            break
        try:
            line = _account_check(
                account_id=account_id, franchises=theirs, budget=budget, counts=counts, stopped=stopped
            )
        except QuotaDeadline:
            break
        except business_profile.GOOGLE_ERRORS as exc:
            counts["failed"] += 1
            line = f"accounts/{account_id}: not checked: {exc}"
            logger.warning("check-posting-rights: %s", line)
        if report:
            report(line)
    if stopped:
        cannot_post_emails_send(franchise_ids=stopped)
    return dict(counts)


def _account_check(
    *, account_id: str, franchises: list[Franchise], budget: TimeBudget, counts: Counter, stopped: list
) -> str:
    connection = franchises[0].google_connection
    ours = {franchise.google_location_id: franchise for franchise in franchises}
    seen: dict[str, PostingRights] = {}
    page_token = None
    while True:
        page, page_token = business_profile.locations_page(
            connection=connection, account_id=account_id, page_token=page_token, deadline=budget.deadline
        )
        counts["google_requests"] += 1
        for location in page:
            location_id = str(location.get("name", "")).rsplit("/", 1)[-1]
            rights = business_profile.posting_rights(location)
            if location_id in ours and rights is not None:
                seen[location_id] = rights
        if not page_token or len(seen) == len(ours):
            break
    counts["accounts_checked"] += 1
    for location_id, rights in seen.items():
        counts["locations_checked"] += 1
        counts["cannot_post"] += int(not rights.can_post)
        pk = ours[location_id].pk
        if posting_rights_record(franchise_id=pk, rights=rights, notify=False):
            counts["changed"] += 1
            if not rights.can_post:
                stopped.append(pk)
    blocked = [ours[location_id].name for location_id, rights in seen.items() if not rights.can_post]
    return f"accounts/{account_id}: {len(seen)} location{'s' if len(seen) != 1 else ''} checked" + (
        f"; cannot take posts: {', '.join(blocked)}" if blocked else ""
    )
