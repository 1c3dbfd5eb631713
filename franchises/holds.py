"""Why a franchise's posts cannot go out now (a hold), in the words every page and email use, and
the signal that a hold ended.

The publish job leaves a held franchise's posts alone (PUBLISHABLE and the location's posting
rights). When the hold ends, posts whose time passed meanwhile must not go out late unasked:
`hold_ended` tells the posts layer, which turns them into drafts that wait for a person
(posts/services/holds.py), in the same transaction that ended the hold, so no publish run sees
them due in between.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.dispatch import Signal

from .models import PUBLISHABLE, Franchise, cannot_post_message

# Sent inside the transaction that ended a hold, with `franchise_ids` (those now able to publish)
# and `why` (the Hold key that ended) and `user` (who ended it, or None).
hold_ended = Signal()


@dataclass(frozen=True)
class Hold:
    key: str  # stable: data attributes and tests
    label: str  # a badge's words
    detail: str  # what it means and what to do, in a sentence or two


# key: (label, what it means and what to do, "while ..." said of a post whose time passed during it)
HOLDS = {
    "inactive": (
        "Waiting: franchise inactive",
        "{name} is inactive, so its posts wait until headquarters makes it active again.",
        "while {name} was inactive",
    ),
    "not_connected": (
        "Waiting: not connected to Google",
        "{name} is not connected to Google yet: its admins connect it on its page, then its posts go out.",
        "while {name} was not connected to Google",
    ),
    "reconnect": (
        "Waiting: reconnect Google",
        "Google stopped accepting this site's access for {name} (revoked, or unused for months). An admin "
        "reconnects it with Reconnect Google on its page; until then its posts wait.",
        "while Google access for {name} was broken",
    ),
    "no_location": (
        "Waiting: no Google location",
        "{name} has no location on Google picked yet: its admins pick one on its page.",
        "while {name} had no Google location",
    ),
    "cannot_post": (
        "Waiting: location cannot take posts",
        "",  # cannot_post_message, which also says whether the location is verified
        "while Google did not let {name}'s location take posts",
    ),
}


def hold_key(franchise: Franchise) -> str | None:
    """Which hold keeps the franchise's posts from going out (None: they can go). Reads the
    `google_connected` annotation where a list added it (the home page defers the tokens)."""
    connected = getattr(franchise, "google_connected", None)
    if connected is None:
        connected = franchise.is_connected
    if not franchise.is_active:
        return "inactive"
    if not connected:
        return "not_connected"
    if not franchise.google_auth_valid:
        return "reconnect"
    if not franchise.google_location_id:
        return "no_location"
    if not franchise.google_location_can_post:
        return "cannot_post"
    return None


def franchise_hold(franchise: Franchise) -> Hold | None:
    """The franchise's hold in words, or None when its posts can go out."""
    key = hold_key(franchise)
    if key is None:
        return None
    label, detail, _ = HOLDS[key]
    if key == "cannot_post":
        detail = cannot_post_message(name=franchise.name, verified=franchise.google_location_verified)
    return Hold(key, label, detail.format(name=franchise.name))


def hold_passed_words(key: str, *, name: str) -> str:
    """ "while Google access for Columbus was broken": when a post's time passed."""
    return HOLDS[key][2].format(name=name)


def hold_ended_tell(*, franchise_ids, why: str, user=None) -> None:
    """Tell the layers above that these franchises' hold (`why`) ended, for those that can now
    publish; call it inside the transaction that ended it."""
    ready = list(
        Franchise.objects.filter(PUBLISHABLE, pk__in=list(franchise_ids), google_location_can_post=True).values_list(
            "pk", flat=True
        )
    )
    if ready:
        hold_ended.send(sender=Franchise, franchise_ids=ready, why=why, user=user)
