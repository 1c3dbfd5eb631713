"""Locked fields of an announcement: the parts headquarters keeps as it sent them (Announcement.locked,
keys of content.LOCKS). A franchise may adjust the other parts of its own post of the announcement,
never these; only the announcement itself ("edit all") changes them. Every way into a post's
content asks here: the editor, the bulk write, the Django admin (through post_update)."""

from __future__ import annotations

from .content import LOCKED_BY, LOCKS


def locked_names(locks) -> list[str]:
    """The content fields the lock keys `locks` hold."""
    return [name for key in LOCKS if key in (locks or ()) for name in LOCKED_BY[key]]


def announcement_locks(announcement_ids) -> dict:
    """Each announcement's locks, by id, in one query (none for an empty list)."""
    from .models import Announcement

    ids = {pk for pk in announcement_ids if pk}
    if not ids:
        return {}
    return dict(Announcement.objects.filter(pk__in=ids).values_list("pk", "locked"))


def post_locks(post) -> list[str]:
    """The lock keys of the announcement `post` was sent as (none for a post of its own)."""
    return announcement_locks([post.announcement_id]).get(post.announcement_id) or []


def locks_broken(post, fields: dict, locks) -> list[str]:
    """The locks (by label) that setting `fields` on `post` would break: a locked field whose new
    value differs from the post's."""
    return [
        LOCKS[key]
        for key in LOCKS
        if key in (locks or ())
        and any(name in fields and fields[name] != getattr(post, name) for name in LOCKED_BY[key])
    ]


def locked_message(labels: list[str]) -> str:
    """Why a change was refused, in words a franchise can act on."""
    what = ", ".join(label.lower() for label in labels)
    return (
        f"Headquarters locked this announcement's {what}: it cannot be changed on one post. "
        "Change the parts not locked, or ask headquarters to change the announcement."
    )


def lock_note(locks) -> str:
    """The editor's note beside a post of a locked announcement."""
    what = ", ".join(LOCKS[key].lower() for key in LOCKS if key in (locks or ()))
    return f"Headquarters locked this announcement's {what}. You can adjust the rest for your location."
