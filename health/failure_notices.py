"""Telling a franchise's admins that one of its posts failed to publish: one email per post, with
the reason and a link to the post's page, where "Fix and retry" is. Run by the check-alerts job
(every 10 minutes) for posts that failed in the last day; an admin who turned these emails off in
their profile is left out.

Once per post: the INSERT of the post's PostFailureNotice is the claim, so overlapping runs send
one email; a post fixed and failing again later is not emailed about again (its page says it).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse

from franchises.recipients import AdminEmail, franchise_admin_recipients
from posts.models import Post, PostEvent

from .models import PostFailureNotice

logger = logging.getLogger(__name__)

RECENT = dt.timedelta(days=1)  # older failures (before this feature, say) are not emailed about
PER_RUN = 200


def posts_failed_notify(*, now: dt.datetime) -> int:
    """Email the admins of each post that failed in the last day and was not told yet; how many
    posts were told."""
    told = 0
    for post in _posts_to_tell(now=now)[:PER_RUN]:
        try:
            with transaction.atomic():
                notice = PostFailureNotice.objects.create(post=post, sent_at=now)
        except IntegrityError:
            continue  # another run told it
        notice.recipients = _email_admins(post)
        PostFailureNotice.objects.filter(pk=notice.pk).update(recipients=notice.recipients)
        told += 1
    return told


def _posts_to_tell(*, now: dt.datetime):
    failed_lately = PostEvent.objects.filter(
        post=OuterRef("pk"), action=PostEvent.Action.FAILED, created_at__gte=now - RECENT
    )
    told = PostFailureNotice.objects.filter(post=OuterRef("pk"))
    return (
        Post.objects.filter(status=Post.Status.FAILED, franchise__is_active=True)
        .filter(Exists(failed_lately))
        .exclude(Exists(told))
        .select_related("franchise")
        .order_by("updated_at")
    )


def _email_admins(post: Post) -> int:
    franchise = post.franchise
    emails = list(franchise_admin_recipients(franchise_ids=[franchise.pk], email=AdminEmail.POST_PROBLEMS))
    if not emails:
        return 0
    link = f"{settings.SITE_URL}{reverse('posts:detail', args=[post.pk])}"
    subject = f"A post of {franchise.name} could not be published"
    body = (
        f'The post "{post.summary[:200]}" of {franchise.name} could not be published on Google.\n\n'
        f"Why: {post.last_error or 'no reason was recorded.'}\n\n"
        'What to do: open it, press "Fix and retry", change what the reason points at, and send it '
        f"again (on the next publish run, or now):\n\n{link}\n\n"
        f"You get this because you administer {franchise.name}; turn these emails off in your profile: "
        f"{settings.SITE_URL}{reverse('dashboard:profile')}\n"
    )
    sent = 0
    for email in emails:  # one each: admins of a franchise do not see each other's addresses
        try:
            send_mail(subject, body, None, [email])
            sent += 1
        except Exception:
            # The post's page shows the failure anyway; a mail outage must not break the job.
            logger.exception("Could not email %s about failed post %s", email, post.pk)
    return sent
