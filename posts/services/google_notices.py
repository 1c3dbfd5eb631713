"""Telling people that Google took a published post off: its review rejected it (REJECTED), or
it is gone (REMOVED: the location's owner deleted it in Google's own interface, or Google did).

Each time a post becomes REJECTED or REMOVED its history says so, in words saying what it means
and what to do; the franchise's admins get one email per post (until it is republished, which
starts over). The post page, the posts list and the home page show the notice until someone
republishes the post or dismisses it (posts/services/editing.py).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from franchises.recipients import AdminEmail, franchise_admin_recipients
from gbp_scheduler.events import EventType, event_for_record

from ..models import GOOGLE_REJECTED, GOOGLE_REMOVED, OFF_GOOGLE_STATES, Post, PostEvent
from ..status import GOOGLE_MEANING, GOOGLE_WHAT_TO_DO
from .history import post_event_record

logger = logging.getLogger(__name__)

# What each state means and what to do: the post status vocabulary's words.
MEANING, WHAT_TO_DO = GOOGLE_MEANING, GOOGLE_WHAT_TO_DO
ACTIONS = {GOOGLE_REJECTED: PostEvent.Action.GOOGLE_REJECTED, GOOGLE_REMOVED: PostEvent.Action.GOOGLE_REMOVED}


def post_google_problem_record(*, post_id, state: str) -> bool:
    """The post just became REJECTED or REMOVED (the caller changed its state): record it in the
    history and, the first time for this post, email the franchise's admins. True when emailed."""
    with transaction.atomic():
        post = post_google_problem_note(post_id=post_id, state=state)
    if post is None:
        return False
    post_google_problem_tell(post=post, state=state)
    return True


def post_google_problem_note(*, post_id, state: str) -> Post | None:
    """The history's entry and the announced event of a post that just became REJECTED or
    REMOVED, in the transaction that changed its state (the caller's); the post when its admins
    are yet to be told (the first time: post_google_problem_tell, after the commit), else None."""
    if state not in OFF_GOOGLE_STATES:
        raise ValueError(f"{state!r} is not a state that takes a post off Google")
    post = Post.objects.select_related("franchise").filter(pk=post_id).first()
    if post is None:
        return None
    announced = event_for_record(
        type=EventType.POST_REJECTED if state == GOOGLE_REJECTED else EventType.POST_REMOVED,
        franchise_id=post.franchise_id,
        data={"post_id": str(post.pk), "summary": post.summary, "google_post_name": post.google_post_name},
    )
    post_event_record(
        post=post, action=ACTIONS[state], detail=f"{MEANING[state]} {WHAT_TO_DO[state]}", announced=announced
    )
    # Once per post, whatever runs follow: the first to set the time sends.
    first = Post.objects.filter(pk=post_id, google_notice_sent_at__isnull=True).update(
        google_notice_sent_at=timezone.now()
    )
    return post if first == 1 else None


def post_google_problem_tell(*, post: Post, state: str) -> None:
    """Email the admins of `post`'s franchise that Google took it off (outside any transaction:
    a slow mail server must not hold the post's row)."""
    _admins_email(post=post, state=state)


def post_google_state_seen(*, post_id, before: str, after: str) -> bool:
    """A write just put Google's `after` state on a published post that had `before` (an edit's or
    the job's patch, an adopted copy): when that takes it off Google, people are told, as the sync
    job tells them. True when emailed."""
    if after in OFF_GOOGLE_STATES and after != before:
        return post_google_problem_record(post_id=post_id, state=after)
    return False


def _admins_email(*, post: Post, state: str) -> None:
    franchise = post.franchise
    emails = list(franchise_admin_recipients(franchise_ids=[franchise.pk], email=AdminEmail.POST_PROBLEMS))
    if not emails:
        logger.info("Post %s of %s is %s on Google; no admin of it has an email", post.pk, franchise, state)
        return
    subject = (
        f"Google rejected a post of {franchise.name}"
        if state == GOOGLE_REJECTED
        else f"A post of {franchise.name} was removed from Google"
    )
    link = f"{settings.SITE_URL}{reverse('posts:detail', args=[post.pk])}"
    body = (
        f'The post "{post.summary[:200]}" of {franchise.name}:\n\n'
        f"{MEANING[state]}\n\nWhat to do: {WHAT_TO_DO[state]}\n\n{link}\n"
    )
    try:
        for email in emails:  # one each: admins of a franchise do not see each other's addresses
            send_mail(subject, body, None, [email])
    except Exception:
        # The notice is recorded and the pages show it; a mail outage must not break the job.
        logger.exception("Could not email the admins of %s about post %s", franchise, post.pk)
