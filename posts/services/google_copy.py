"""Google's copy of a post: its identity while a create's outcome is unknown, finding it, telling
whether it matches the database, and where it lives.

Google's create has no idempotency key. When an attempt sent a create and never learned the
outcome (its answer was lost, it timed out, its process died), the row carries the marker: when
(`google_create_sent_at`), what (`google_sent_body`) and where (`google_sent_location`) it sent.
The next holder lists that location's posts and looks for that body, created since then and not
owned by another post or a pending deletion, before it creates anything again.

Text and type are all a copy can be known by (Google may rewrite links and media), and two posts
may share them: a repeating post's occurrences do, as may two locations' announcements. So a
copy's identity is its key (`copy_key`: location, type, text), and **at most one create per key
is ever outstanding**: `create_record` writes a post's marker only when no other post and no
pending deletion holds an unknown create with the same key (checked and written under one lock
per key). A copy found by its key since the marker's time, and owned by no row, can then only be
the marker's own: another post with that text either finished its create (its name is owned) or
had not sent it (it waits until this one is settled).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Exists

from franchises.google import business_profile
from franchises.models import Franchise
from gbp_scheduler import clock
from gbp_scheduler.events import EventType, event_for_record
from gbp_scheduler.times import parse_rfc3339

from ..content import line_breaks_normalized
from ..gbp_mapping import PATCH_MASK
from ..models import GoogleDeletion, Post, PostEvent
from .google_notices import post_google_state_seen
from .history import post_event_record
from .locks import GoogleCallGuard, Lost, post_write_fenced

# Google's clock and ours differ a little: look for a copy this far before the attempt.
RECONCILE_CLOCK_SKEW = dt.timedelta(minutes=2)
# Google's answers that mean "this connection cannot see that location" (or it is gone).
UNREACHABLE = (business_profile.GbpNotFoundError, business_profile.GbpPermissionDeniedError)


class LocationUnreachable(business_profile.GbpError):
    """A copy lives on a location the franchise's Google connection cannot read (any more): whether
    it is still there cannot be told, so it is neither adopted, nor counted gone."""

    permanent = False

    def __init__(self, location: str):
        super().__init__(
            f"This post's copy on Google is on {location}, which the franchise's Google connection cannot "
            "reach any more (the franchise moved to another location or Google account). Reconnect through the "
            "Google account that manages that location, or delete the copy in Google's own interface."
        )


def text_normalized(text: str | None) -> str:
    """Text as Google keeps it: one kind of line break, no surrounding blanks."""
    return line_breaks_normalized(text or "").strip()


def copy_key(location: str, body: dict) -> str:
    """The identity of a copy whose create's outcome is unknown: its location, type and text."""
    kind = body.get("topicType") or "STANDARD"
    return hashlib.sha256(f"{location}\n{kind}\n{text_normalized(body.get('summary'))}".encode()).hexdigest()


def copy_is_of(item: dict, body: dict) -> bool:
    """Whether Google's copy came from `body`: the same text and type. Only these two are compared
    to find a copy: Google may rewrite the rest (links, media), and a copy missed here would be
    created a second time."""
    same_text = text_normalized(item.get("summary")) == text_normalized(body.get("summary"))
    return same_text and item.get("topicType", "STANDARD") == body.get("topicType", "STANDARD")


def copy_matches_body(item: dict, body: dict) -> bool:
    """Whether Google's copy carries every field of `body`; if not, it needs a patch."""
    return copy_is_of(item, body) and all(
        _comparable(item.get(field)) == _comparable(body.get(field)) for field in PATCH_MASK[1:]
    )


def _comparable(value):
    """Google adds output-only bits to a copy (a media item's name and googleUrl): ignore them."""
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items() if k not in {"name", "googleUrl"}}
    return value


# --- the marker: one unknown create per key ------------------------------------------------------


def create_record(*, post_id, lock: dt.datetime, location: str, body: dict) -> bool:
    """Write the marker of the create about to be sent (fenced on `lock`), unless another post or
    a pending deletion holds an unknown create of the same key: then nothing is written and the
    caller waits (False). Raises Lost when the lock is no longer ours.

    One statement: the check and the write share one snapshot, and a pending deletion only ever
    takes a key over from a post in the same transaction as that post lets go of it (removal.py,
    marker_to_deletion), so the snapshot shows the key held by one or the other. Two posts
    writing the same key at once both see it free: the unique index
    (posts_one_unknown_create_per_key) lets the first through and refuses the second."""
    key = copy_key(location, body)
    others = Post.objects.filter(google_sent_key=key, google_create_sent_at__isnull=False).exclude(pk=post_id)
    deletions = GoogleDeletion.objects.filter(sent_key=key, google_post_name="")
    try:
        with transaction.atomic():  # on PostgreSQL a refused write must not spoil an outer transaction
            written = (
                Post.objects.filter(pk=post_id, publishing_at=lock)
                .exclude(Exists(others))
                .exclude(Exists(deletions))
                .update(
                    google_create_sent_at=lock,
                    google_sent_body=body,
                    google_sent_location=location,
                    google_sent_key=key,
                )
            )
    except IntegrityError:
        written = 0
    if written:
        return True
    if not Post.objects.filter(pk=post_id, publishing_at=lock).exists():
        raise Lost
    return False


MARKER_CLEARED = {
    "google_create_sent_at": None,
    "google_sent_body": None,
    "google_sent_location": "",
    "google_sent_key": "",
}


def post_published_write(
    *,
    post: Post,
    lock: dt.datetime,
    google_post: dict,
    detail: str,
    actor: AbstractBaseUser | None = None,
    needs_update: bool = False,
) -> None:
    """Record that `post`, held under `lock`, is on Google as `google_post` (Google's answer to its
    create, or its copy found there): published, with Google's name, link and state, the marker
    cleared, and its history. `needs_update`: the copy is older than the row. Raises Lost when
    the lock is no longer ours. Publishing and the upkeep's adoption of a copy both end here."""
    state = (google_post.get("state") or "")[:20]
    with transaction.atomic():  # the row, its history and its announced event commit together
        post_write_fenced(
            post_id=post.pk,
            lock=lock,
            status=Post.Status.PUBLISHED,
            published_at=clock.now(),
            publishing_at=None,
            google_post_name=google_post.get("name", ""),
            google_search_url=(google_post.get("searchUrl") or "")[:1000],
            google_state=state,
            google_update_time=parse_rfc3339(google_post.get("updateTime")),
            google_needs_update=needs_update,
            last_error="",
            next_attempt_at=None,
            **MARKER_CLEARED,
        )
        # A cancellation made while this attempt held the post lost to it (models.cancelled): the
        # post went out, and stays; the upkeep drops such rows.
        announced = event_for_record(
            type=EventType.POST_PUBLISHED,
            franchise_id=post.franchise_id,
            data={
                "post_id": str(post.pk),
                "summary": post.summary,
                "google_post_name": google_post.get("name", ""),
                "google_search_url": (google_post.get("searchUrl") or "")[:1000],
            },
        )
        post_event_record(post=post, action=PostEvent.Action.PUBLISHED, user=actor, detail=detail, announced=announced)
    post_google_state_seen(post_id=post.pk, before="", after=state)


def marker_body(post: Post) -> dict:
    """What the unknown create sent (rows from before bodies were kept: the text as it is)."""
    return post.google_sent_body or {"summary": text_normalized(post.summary), "topicType": post.topic_type}


def marker_location(post: Post) -> str:
    """Where the unknown create went (rows from before locations were kept: the current one)."""
    return post.google_sent_location or post.franchise.google_location_name


def marker_to_deletion(*, post: Post, lock: dt.datetime) -> GoogleDeletion:
    """Hand the unknown create of `post` (held under `lock`) to a pending deletion: the copy, if
    it landed, is on a location the franchise has left, where the post no longer belongs. The
    deletion takes the key over in the same transaction. Raises Lost when the lock is not ours."""
    with transaction.atomic():
        deletion = GoogleDeletion.objects.create(
            franchise_id=post.franchise_id,
            post_id=post.pk,
            location=marker_location(post),
            sent_body=marker_body(post),
            sent_at=post.google_create_sent_at,
            sent_key=post.google_sent_key or copy_key(marker_location(post), marker_body(post)),
        )
        post_write_fenced(post_id=post.pk, lock=lock, **MARKER_CLEARED)
    return deletion


# --- finding a copy -------------------------------------------------------------------------------


def names_owned(*, location: str, besides: object = None) -> set[str]:
    """Copies on `location` that belong to a post (other than `besides`) or a pending deletion."""
    prefix = f"{location}/localPosts/"
    posts = Post.objects.filter(google_post_name__startswith=prefix)
    if besides is not None:
        posts = posts.exclude(pk=besides)
    deletions = GoogleDeletion.objects.filter(google_post_name__startswith=prefix)
    return set(posts.values_list("google_post_name", flat=True)) | set(
        deletions.values_list("google_post_name", flat=True)
    )


def copy_find(
    *,
    franchise: Franchise,
    location: str,
    body: dict,
    since: dt.datetime,
    owned: Iterable[str],
    guard: GoogleCallGuard,
) -> dict | None:
    """A copy of `body` on `location` created since `since` and owned by nothing else.

    Google lists newest first, so paging stops at the first page that reaches back past `since`.
    A location the franchise has left and its connection cannot read raises LocationUnreachable."""
    earliest = since - RECONCILE_CLOCK_SKEW
    owned = set(owned)
    page_token = None
    while True:
        try:
            # A write of a post waits on this search (the create may have landed): publishing's turn.
            items, page_token = business_profile.local_posts_list(
                franchise=franchise,
                location=location,
                page_token=page_token,
                deadline=guard.deadline,
                publishing=True,
            )
        except UNREACHABLE:
            if location == franchise.google_location_name:
                raise  # its own location: Google's word stands (the setup or the location is wrong)
            raise LocationUnreachable(location) from None
        for item in items:
            created = parse_rfc3339(item.get("createTime"))
            if created is not None and created < earliest:
                continue
            if item.get("name") not in owned and copy_is_of(item, body):
                return item
        times = [t for t in (parse_rfc3339(i.get("createTime")) for i in items) if t is not None]
        if not page_token or (times and min(times) < earliest):
            return None


def copy_gone(*, franchise: Franchise, name: str, deadline: float | None) -> None:
    """Google answered 404 for the copy `name`: make sure that means it is gone. On the franchise's
    own location it does. On a location it has left, only if that location can still be read;
    otherwise raise LocationUnreachable (another account may manage it now)."""
    location = business_profile.location_of(name)
    if location == franchise.google_location_name:
        return
    try:
        business_profile.local_posts_list(franchise=franchise, location=location, page_size=1, deadline=deadline)
    except UNREACHABLE:
        raise LocationUnreachable(location) from None
