"""Each franchise's weekly digest to its admins: the AI drafts waiting for review, the posts that
failed and the posts that went out in the last seven days, the new Google reviews with their
average stars and the reviews waiting for a reply, with links. Sent by the send-digests
job (hourly) once the franchise's Monday 08:00 has come, once per franchise and week: the INSERT
of its FranchiseDigest row is the claim. A week with nothing to tell sends nothing. Who gets it:
franchises/recipients.py (an admin who turned the digest off in their profile is left out)."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse

from franchises.models import Franchise
from franchises.recipients import AdminEmail, franchise_admin_recipients
from gbp_scheduler.jobs import TimeBudget
from gbp_scheduler.times import day_text
from posts.models import MISSED_TIME, Post, PostEvent
from posts.status import post_state
from reviews.selectors import review_week

from .models import FranchiseDigest

logger = logging.getLogger(__name__)

SEND_AT = dt.time(8, 0)  # Monday morning, the franchise's own time
LISTED = 5  # posts named in each part of the email


def digests_job(*, budget: TimeBudget) -> dict:
    """The send-digests job: the digests due now, until the budget runs out."""
    from django.utils import timezone

    return franchise_digests_send(now=timezone.now(), budget=budget)


def franchise_digests_send(*, now: dt.datetime, budget: TimeBudget | None = None) -> dict:
    """Send the digest of every franchise whose week has started and was not told yet; the counts
    `digests_sent` and `left_for_next_run` (franchises due that the budget left no time for)."""
    counts = {"digests_sent": 0, "left_for_next_run": 0}
    due = _due(now=now)
    for done, (franchise, week_start) in enumerate(due):
        if budget is not None and budget.exhausted:
            counts["left_for_next_run"] = len(due) - done
            break
        try:
            with transaction.atomic():
                digest = FranchiseDigest.objects.create(franchise=franchise, week_start=week_start, sent_at=now)
        except IntegrityError:
            continue  # another run has it
        digest.recipients = _send(franchise=franchise, week_start=week_start, now=now)
        FranchiseDigest.objects.filter(pk=digest.pk).update(recipients=digest.recipients)
        counts["digests_sent"] += int(digest.recipients > 0)
    return counts


def _week_start(franchise: Franchise, now: dt.datetime) -> dt.date | None:
    """This week's Monday in the franchise's zone, once its Monday 08:00 has come (else None)."""
    local = now.astimezone(franchise.zone)
    monday = local.date() - dt.timedelta(days=local.weekday())
    if local.weekday() == 0 and local.time() < SEND_AT:
        return None
    return monday


def _due(*, now: dt.datetime) -> list[tuple[Franchise, dt.date]]:
    franchises = list(Franchise.objects.filter(is_active=True).order_by("name"))
    weeks = {franchise.pk: _week_start(franchise, now) for franchise in franchises}
    told = set(
        FranchiseDigest.objects.filter(week_start__in={w for w in weeks.values() if w}).values_list(
            "franchise_id", "week_start"
        )
    )
    return [(f, weeks[f.pk]) for f in franchises if weeks[f.pk] and (f.pk, weeks[f.pk]) not in told]


def _not_live(post: Post) -> str:
    """ " (Rejected by Google)" for a post that went out and came off again (posts/status.py)."""
    state = post_state(post)
    return "" if state.key == "published" else f" ({state.label})"


def _send(*, franchise: Franchise, week_start: dt.date, now: dt.datetime) -> int:
    since = now - dt.timedelta(days=7)
    posts = Post.objects.filter(franchise=franchise)
    waiting = posts.filter(status=Post.Status.DRAFT, source=Post.Source.AI).count()
    failed_this_week = PostEvent.objects.filter(
        post=OuterRef("pk"), action=PostEvent.Action.FAILED, created_at__gte=since
    )
    failed = list(posts.filter(Exists(failed_this_week), status=Post.Status.FAILED).order_by("-scheduled_at")[:50])
    published = list(posts.filter(status=Post.Status.PUBLISHED, published_at__gte=since).order_by("-published_at"))
    missed = list(posts.filter(MISSED_TIME).order_by("scheduled_at")[:50])
    for post in (*failed, *published, *missed):
        post.franchise = franchise
    reviews = review_week(franchise=franchise, since=since)
    if not (waiting or failed or published or missed or reviews["new"] or reviews["waiting"]):
        return 0
    emails = list(franchise_admin_recipients(franchise_ids=[franchise.pk], email=AdminEmail.WEEKLY_DIGEST))
    if not emails:
        return 0
    site = settings.SITE_URL
    lines = [f"{franchise.name}, the week to {day_text(week_start)}:", ""]
    drafts_link = f"{site}{reverse('generation:drafts')}?franchise={franchise.pk}"
    lines.append(f"AI drafts waiting for review: {waiting}" + (f" ({drafts_link})" if waiting else ""))
    lines.append(f"Posts that failed: {len(failed)}")
    lines += [f"  - {post.summary[:80]}: {site}{reverse('posts:detail', args=[post.pk])}" for post in failed[:LISTED]]
    if missed:
        lines.append(f"Posts that missed their time while on hold, waiting for you: {len(missed)}")
        lines += [
            f"  - {post.summary[:80]}: {site}{reverse('posts:detail', args=[post.pk])}" for post in missed[:LISTED]
        ]
    lines.append(f"Posts that went out on Google: {len(published)}")
    lines += [f"  - {post.summary[:80]}{_not_live(post)}" for post in published[:LISTED]]
    stars = f", {reviews['average']} stars on average" if reviews["new"] else ""
    lines.append(f"New Google reviews: {reviews['new']}{stars}")
    inbox = f"{site}{reverse('reviews:inbox')}?franchise={franchise.pk}&answered=no"
    lines.append(f"Reviews waiting for a reply: {reviews['waiting']}" + (f" ({inbox})" if reviews["waiting"] else ""))
    lines += [
        "",
        f"All its posts: {site}{reverse('posts:franchise_list', args=[franchise.pk])}",
        f"Turn this weekly email off in your profile: {site}{reverse('dashboard:profile')}",
    ]
    subject = f"{franchise.name}: your week on Google"
    sent = 0
    for email in emails:
        try:
            send_mail(subject, "\n".join(lines) + "\n", None, [email])
            sent += 1
        except Exception:
            logger.exception("Could not send the digest of %s to %s", franchise, email)
    return sent
