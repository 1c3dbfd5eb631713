"""Google's copy of a post: finding a copy whose create may have landed unseen, and telling
whether a copy matches what the database says.

Google's create has no idempotency key. When an attempt sent a create and never learned the
outcome (its answer was lost, it timed out, its process died), the post carries
`google_create_sent_at` and `google_sent_body`, what was sent. The next holder of the post lists
the location's posts and looks for that body, created since then and not already owned by
another post (or by a pending deletion), before it creates anything again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from franchises.google import business_profile
from franchises.models import Franchise
from gbp_scheduler.times import parse_rfc3339

from ..models import GoogleDeletion, Post
from .locks import GoogleCallGuard

# Google's clock and ours differ a little: look for a copy this far before the attempt.
RECONCILE_CLOCK_SKEW = dt.timedelta(minutes=2)
# The LocalPost fields our posts set, and so the fields an update rewrites.
PATCH_MASK = ["summary", "callToAction", "media", "event", "offer"]


def text_normalized(text: str | None) -> str:
    """Text as Google keeps it: one kind of line break, no surrounding blanks."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


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


def names_owned(*, franchise: Franchise, besides: object = None) -> set[str]:
    """Copies on the location that belong to a post (other than `besides`) or a pending deletion."""
    posts = Post.objects.filter(franchise=franchise).exclude(google_post_name="")
    if besides is not None:
        posts = posts.exclude(pk=besides)
    deletions = GoogleDeletion.objects.filter(franchise=franchise).exclude(google_post_name="")
    return set(posts.values_list("google_post_name", flat=True)) | set(
        deletions.values_list("google_post_name", flat=True)
    )


def copy_find(
    *, franchise: Franchise, body: dict, since: dt.datetime, owned: Iterable[str], guard: GoogleCallGuard
) -> dict | None:
    """A copy of `body` on the franchise's location created since `since` and owned by nothing else.

    Google lists newest first, so paging stops at the first page that reaches back past `since`."""
    earliest = since - RECONCILE_CLOCK_SKEW
    owned = set(owned)
    page_token = None
    while True:
        items, page_token = business_profile.local_posts_list(
            franchise=franchise, page_token=page_token, deadline=guard.deadline
        )
        for item in items:
            created = parse_rfc3339(item.get("createTime"))
            if created is not None and created < earliest:
                continue
            if item.get("name") not in owned and copy_is_of(item, body):
                return item
        times = [t for t in (parse_rfc3339(i.get("createTime")) for i in items) if t is not None]
        if not page_token or (times and min(times) < earliest):
            return None
