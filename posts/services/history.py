"""A post's history: who created, edited, approved, published or deleted it, and when."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from gbp_scheduler.events import Event

from ..models import Post, PostEvent

EXCERPT_LENGTH = 120


def post_event_build(
    *, post: Post, action: str, user: AbstractBaseUser | None = None, detail: str = "", post_gone: bool = False
) -> PostEvent:
    """One change to `post`, unsaved. `user` None means the publish job (or another automatic
    process); `post_gone` keeps the event after the post itself is deleted."""
    return PostEvent(
        franchise_id=post.franchise_id,
        post=None if post_gone else post,
        actor=user if user is not None and user.is_authenticated else None,
        action=action,
        detail=detail[:500],
        post_excerpt=(post.summary or "")[:EXCERPT_LENGTH],
    )


def post_event_record(
    *,
    post: Post,
    action: str,
    user: AbstractBaseUser | None = None,
    detail: str = "",
    post_gone: bool = False,
    announced: Event | None = None,
) -> PostEvent:
    """Record one change to `post` (see post_event_build). `announced`: the event the change
    announces (gbp_scheduler.events.event_for_record), kept on the entry for deliver-webhooks."""
    event = post_event_build(post=post, action=action, user=user, detail=detail, post_gone=post_gone)
    event.announced = announced.stored() if announced is not None else None
    event.save()
    return event
