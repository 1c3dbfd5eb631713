"""Taking a live post down at a member's request. Only a franchise's admins may delete a post that
is on Google (it disappears for customers at once); its staff ask one, saying why. The request
waits in the admins' requests until one takes the post down, through post_delete like any delete
(Google's copy goes too, or is handed to GoogleDeletion), or declines, saying why. Each step is in
the post's history, and the admins are emailed when a request arrives."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from franchises.recipients import AdminEmail, franchise_admins_tell

from ..models import Post, PostEvent, TakedownRequest
from .editing import PostActionError, post_delete
from .history import EXCERPT_LENGTH, post_event_record

REASON_MAX_LENGTH = TakedownRequest._meta.get_field("reason").max_length


def _words(text: str, *, missing: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise PostActionError(missing)
    if len(text) > REASON_MAX_LENGTH:
        raise PostActionError(f"Keep it under {REASON_MAX_LENGTH} characters; it is {len(text):,}.")
    return text


def takedown_ask(*, post: Post, user: AbstractBaseUser, reason: str) -> TakedownRequest:
    """Ask the franchise's admins to take `post` down. Refused for a post not on Google (its own
    Delete does), and while a request for it waits already (saying whose)."""
    reason = _words(reason, missing="Say why it should come down: the admins read it before they act.")
    if post.status != Post.Status.PUBLISHED:
        raise PostActionError("Only a post that is on Google needs an admin to take it down; delete this one.")
    try:
        with transaction.atomic():
            request = TakedownRequest.objects.create(
                franchise_id=post.franchise_id,
                post=post,
                post_excerpt=post.summary[:EXCERPT_LENGTH],
                reason=reason,
                requested_by=user,
            )
            post_event_record(post=post, action=PostEvent.Action.TAKEDOWN_ASKED, user=user, detail=reason)
    except IntegrityError:
        waiting = TakedownRequest.objects.filter(post=post, status=TakedownRequest.Status.OPEN).first()
        who = waiting.requested_by.get_username() if waiting and waiting.requested_by else "Someone"
        raise PostActionError(f"{who} asked already; it waits in the admins' requests.") from None
    transaction.on_commit(lambda: _admins_tell(request, post))
    return request


def _admins_tell(request: TakedownRequest, post: Post) -> None:
    franchise = post.franchise
    asker = request.requested_by.get_username() if request.requested_by else "A member"

    def message(_franchises) -> tuple[str, str]:
        return (
            f"{asker} asks you to take a post of {franchise.name} down from Google",
            f"{asker} asks an admin of {franchise.name} to take this post down from Google:\n\n"
            f'"{post.summary[:300]}"\n\n'
            f"Why: {request.reason}\n\n"
            "Take it down (customers stop seeing it) or decline, saying why, in your requests:\n\n"
            f"{settings.SITE_URL}{reverse('posts:takedowns')}\n",
        )

    franchise_admins_tell(
        franchise_ids=[franchise.pk], email=AdminEmail.POST_PROBLEMS, message=message, about="a takedown request"
    )


def takedown_carry_out(*, request: TakedownRequest, user: AbstractBaseUser) -> bool:
    """Take the requested post down through post_delete (which deletes Google's copy, now or on
    the next publish run) and close the request. True when Google's side is done too."""
    post = Post.objects.select_related("franchise").filter(pk=request.post_id).first()
    if request.status != TakedownRequest.Status.OPEN or post is None:
        raise PostActionError("This request was answered already, or the post is gone.")
    asker = request.requested_by.get_username() if request.requested_by else "a member"
    # Deleted first, outside any transaction (post_delete may call Google); refused (being
    # published or changed right now), the request still waits.
    done = post_delete(post=post, user=user, note=f"Taken down at {asker}'s request: {request.reason}")
    TakedownRequest.objects.filter(pk=request.pk, status=TakedownRequest.Status.OPEN).update(
        status=TakedownRequest.Status.TAKEN_DOWN, answered_by=user, answered_at=timezone.now()
    )
    return done


def takedown_decline(*, request: TakedownRequest, user: AbstractBaseUser, answer: str) -> None:
    """Keep the post on Google, and tell the person who asked why (in the post's history)."""
    answer = _words(answer, missing="Say why it stays up: the person who asked reads it on the post's page.")
    with transaction.atomic():
        declined = TakedownRequest.objects.filter(pk=request.pk, status=TakedownRequest.Status.OPEN).update(
            status=TakedownRequest.Status.DECLINED, answered_by=user, answer=answer, answered_at=timezone.now()
        )
        if declined != 1:
            raise PostActionError("Another admin answered this request meanwhile.")
        if request.post is not None:
            post_event_record(post=request.post, action=PostEvent.Action.TAKEDOWN_DECLINED, user=user, detail=answer)
