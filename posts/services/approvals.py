"""Approvals: the one service every path that would put a post on the schedule goes through
(the editor, the post's actions, bulk scheduling, the importer, repeating posts, AI posts that
schedule themselves, and the API of later issues), and the approvers' decisions.

Who must approve is franchises/approval_policy.py's answer. A post waiting for approval stays a
`draft` with its planned time and `approval_waiting_for` set (the database refuses that on any
other status), so the publish job, which claims only `scheduled` posts, can never take it:

1. `approval_gate` says who must approve what `user` schedules (blank: nobody, schedule it).
2. `approval_waiting_fields` are the columns a path writes instead of `status=scheduled`.
3. An approver approves (`posts_approve`: brand rules checked again, then scheduled at its time,
   or now when that passed) or rejects with a reason (`posts_approval_reject`: a draft again; the
   author is emailed and the history keeps the reason); either can be undone for UNDO_WINDOW.
4. A signed link lets a reviewer without a login decide on one post, once, before it expires.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse

from franchises.approval_policy import APPROVER_WORDS, NOBODY, approver_needed, user_may_approve
from franchises.models import ApprovalPolicy, Franchise
from franchises.selectors import franchises_administered_by, user_is_headquarters
from gbp_scheduler import clock
from gbp_scheduler.times import when_text

from ..brand import post_check_messages
from ..models import FRESH_START, REJECTION_REASON_MAX_LENGTH, ApprovalDecision, ApprovalLink, Post, PostEvent
from .errors import PostActionError
from .history import post_event_record
from .locks import lock_free

logger = logging.getLogger(__name__)

UNDO_WINDOW = dt.timedelta(minutes=30)
LINK_LIFETIME = dt.timedelta(days=3)
LINK_SALT = "posts.approval-link"
WAITING = ~Q(approval_waiting_for="")


class SentForApproval(PostActionError):
    """A "publish now" (or republish) that needs an approver first: the post waits for them."""


def approval_gate(*, franchise: Franchise, user: AbstractBaseUser | None, group: str | None = None) -> str:
    """Who must approve a post `user` puts on the schedule of `franchise`: "" (nobody), "admin"
    or "headquarters". `group`: the group's default policy, when the caller read it once for many."""
    return approver_needed(franchise=franchise, user=user, group=group)


def approval_waiting_fields(*, level: str, user: AbstractBaseUser | None, now: dt.datetime) -> dict:
    """The columns of a post that waits for `level` to approve it, asked by `user`."""
    return {
        "status": Post.Status.DRAFT,
        "approval_waiting_for": level,
        "approval_requested_by": user if user is not None and user.is_authenticated else None,
        "approval_requested_at": now,
    }


def approval_waiting_words(level: str) -> str:
    return f"Waiting for {APPROVER_WORDS.get(level, level)} to approve it."


def post_submit_for_approval(
    *, post: Post, at: dt.datetime, level: str, user: AbstractBaseUser | None, note: str = ""
) -> Post:
    """Put a draft in the approvers' queue, planned for `at` (instead of scheduling it)."""
    problems = post_check_messages(post)
    if problems:
        raise PostActionError(" ".join(problems))
    now = clock.now()
    count = Post.objects.filter(lock_free(now), pk=post.pk, status__in=[Post.Status.DRAFT, Post.Status.FAILED]).update(
        scheduled_at=at,
        **FRESH_START,
        **approval_waiting_fields(level=level, user=user, now=now),
    )
    if count != 1:
        raise PostActionError("This post changed while you worked on it; reload and try again.")
    post.refresh_from_db()
    detail = f"{note}For {when_text(at, post.franchise, named=True)}. {approval_waiting_words(level)}"
    post_event_record(post=post, action=PostEvent.Action.APPROVAL_ASKED, user=user, detail=detail)
    return post


# --- the queue --------------------------------------------------------------------------------------


def approvals_waiting_for_user(*, user: AbstractBaseUser) -> QuerySet[Post]:
    """The posts waiting that `user` may approve, oldest asked first: every one for headquarters,
    those waiting for a franchise admin of the franchises they administer for an admin, none for
    staff."""
    waiting = Post.objects.filter(WAITING).select_related("franchise", "approval_requested_by")
    if not user_is_headquarters(user):
        waiting = waiting.filter(
            approval_waiting_for=ApprovalPolicy.ADMIN, franchise__in=franchises_administered_by(user=user)
        )
    return waiting.order_by("approval_requested_at", "pk")


@dataclass
class Outcome:
    done: list[Post] = field(default_factory=list)
    refused: dict = field(default_factory=dict)  # {post id: why}
    batch: uuid.UUID = field(default_factory=uuid.uuid4)


def _pick(user: AbstractBaseUser | None, post_ids: Collection, link: ApprovalLink | None) -> list[Post]:
    if link is not None:  # the link speaks for its one post, whoever opens it
        return list(Post.objects.filter(WAITING, pk=link.post_id).select_related("franchise"))
    return list(approvals_waiting_for_user(user=user).filter(pk__in=list(post_ids)))


def posts_approve(*, user: AbstractBaseUser | None, post_ids: Collection, link: ApprovalLink | None = None) -> Outcome:
    """Approve posts waiting for approval: each is checked against the brand rules again, then
    scheduled at its planned time (now, when that passed while it waited). A post the user may not
    approve is left out as if it were not there (the selection is scoped)."""
    outcome = Outcome()
    wanted = set(map(str, post_ids)) if link is None else {str(link.post_id)}
    posts = _pick(user, post_ids, link)
    for post in posts:
        if link is None and not user_may_approve(user=user, franchise=post.franchise, level=post.approval_waiting_for):
            outcome.refused[post.pk] = "You may not approve it."
            continue
        if problems := post_check_messages(post):
            outcome.refused[post.pk] = "It breaks a brand rule: " + " ".join(problems)
            continue
        now = clock.now()
        at = max(post.scheduled_at or now, now)
        level = post.approval_waiting_for
        with transaction.atomic():
            count = Post.objects.filter(
                lock_free(now), pk=post.pk, approval_waiting_for=level, version=post.version
            ).update(status=Post.Status.SCHEDULED, scheduled_at=at, approval_waiting_for="", publishing_at=None)
            if count != 1:
                outcome.refused[post.pk] = "It changed meanwhile: reload and look again."
                continue
            post.status, post.scheduled_at, post.approval_waiting_for = Post.Status.SCHEDULED, at, ""
            _decision(post, ApprovalDecision.Decision.APPROVED, level, user, outcome.batch, link=link)
            how = _through(link)
            detail = f"Approved{how}; goes out {when_text(at, post.franchise, named=True)}."
            post_event_record(post=post, action=PostEvent.Action.APPROVED, user=user, detail=detail)
        outcome.done.append(post)
    for missing in wanted - {str(post.pk) for post in posts}:
        outcome.refused[missing] = "It is not waiting for your approval (any more)."
    return outcome


def posts_approval_reject(
    *, user: AbstractBaseUser | None, post_ids: Collection, reason: str, link: ApprovalLink | None = None
) -> Outcome:
    """Reject posts waiting for approval: each becomes a plain draft again, its author is emailed
    the reason and its history keeps it."""
    reason = " ".join(reason.split())[:REJECTION_REASON_MAX_LENGTH]
    if not reason:
        raise PostActionError("Say why it is not approved: the author reads it.")
    outcome = Outcome()
    for post in _pick(user, post_ids, link):
        if link is None and not user_may_approve(user=user, franchise=post.franchise, level=post.approval_waiting_for):
            outcome.refused[post.pk] = "You may not reject it."
            continue
        level = post.approval_waiting_for
        with transaction.atomic():
            count = Post.objects.filter(lock_free(clock.now()), pk=post.pk, approval_waiting_for=level).update(
                approval_waiting_for=""
            )
            if count != 1:
                outcome.refused[post.pk] = "It changed meanwhile: reload and look again."
                continue
            post.approval_waiting_for = ""
            _decision(post, ApprovalDecision.Decision.REJECTED, level, user, outcome.batch, link=link, reason=reason)
            detail = f"Not approved{_through(link)}. Reason: {reason}"
            post_event_record(post=post, action=PostEvent.Action.APPROVAL_REFUSED, user=user, detail=detail)
            transaction.on_commit(lambda post=post: _author_tell(post, reason))
        outcome.done.append(post)
    return outcome


def _through(link: ApprovalLink | None) -> str:
    if link is None:
        return ""
    who = f" ({link.reviewer})" if link.reviewer else ""
    return f" through a signed link{who}"


def _decision(post, decision, level, user, batch, *, link=None, reason="") -> None:
    ApprovalDecision.objects.create(
        batch=batch,
        post=post,
        franchise_id=post.franchise_id,
        decision=decision,
        waited_for=level,
        reason=reason,
        decided_by=user if user is not None and user.is_authenticated else None,
        link=link,
    )


def _author_tell(post: Post, reason: str) -> None:
    """Email the one who asked for approval why it was not given (never raises: the post's page
    and history say it too)."""
    author = post.approval_requested_by or post.created_by
    if author is None or not author.email:
        return
    subject = f"Not approved: a post of {post.franchise.name}"
    body = (
        f"Your post of {post.franchise.name} was not approved.\n\nReason: {reason}\n\n"
        f"The post: {post.summary[:200]}\n\nIt is a draft again: change it and schedule it to ask again.\n"
        f"{settings.SITE_URL}{reverse('posts:detail', args=[post.pk])}\n"
    )
    try:
        send_mail(subject, body, None, [author.email])
    except Exception:
        logger.exception("Could not email the author of post %s about its rejection", post.pk)


# --- undo -------------------------------------------------------------------------------------------


def approval_decisions_undoable(*, user: AbstractBaseUser, now: dt.datetime | None = None) -> list[dict]:
    """The user's own clicks still within UNDO_WINDOW: {"batch", "decision", "count", "decided_at"}."""
    now = now or clock.now()
    rows = {}
    for row in ApprovalDecision.objects.filter(
        decided_by=user, undone_at__isnull=True, link__isnull=True, decided_at__gte=now - UNDO_WINDOW
    ).order_by("-decided_at"):
        entry = rows.setdefault(
            row.batch, {"batch": row.batch, "decision": row.decision, "count": 0, "decided_at": row.decided_at}
        )
        entry["count"] += 1
    return list(rows.values())


def approval_decisions_undo(*, user: AbstractBaseUser, batch: uuid.UUID) -> Outcome:
    """Undo one of the user's own clicks within UNDO_WINDOW: its posts wait for approval again. An
    approved post already being published or published cannot come back (it is on Google)."""
    now = clock.now()
    decisions = list(
        ApprovalDecision.objects.filter(
            batch=batch, decided_by=user, undone_at__isnull=True, link__isnull=True, decided_at__gte=now - UNDO_WINDOW
        ).select_related("post__franchise")
    )
    if not decisions:
        raise PostActionError("Nothing to undo: it was undone already, or it is more than 30 minutes old.")
    outcome = Outcome(batch=batch)
    for decision in decisions:
        post = decision.post
        if decision.decision == ApprovalDecision.Decision.APPROVED:
            still = Q(status=Post.Status.SCHEDULED)
        else:
            still = Q(status=Post.Status.DRAFT, approval_waiting_for="")
        with transaction.atomic():
            count = Post.objects.filter(still, lock_free(now), pk=post.pk).update(
                status=Post.Status.DRAFT, approval_waiting_for=decision.waited_for, publishing_at=None
            )
            if count != 1:
                outcome.refused[post.pk] = "It changed since (published, or edited): it cannot be undone."
                continue
            ApprovalDecision.objects.filter(pk=decision.pk).update(undone_at=now)
            post_event_record(
                post=post,
                action=PostEvent.Action.APPROVAL_UNDONE,
                user=user,
                detail=f"{decision.get_decision_display()} undone. {approval_waiting_words(decision.waited_for)}",
            )
        outcome.done.append(post)
    return outcome


# --- signed links -----------------------------------------------------------------------------------


def approval_link_create(*, post: Post, user: AbstractBaseUser, reviewer: str = "") -> str:
    """A link for a reviewer without a login to approve or reject `post` once, within LINK_LIFETIME;
    only someone who may approve it can make one. Returns the signed token for the URL."""
    if not post.approval_waiting_for:
        raise PostActionError("Only a post waiting for approval can be sent for review.")
    if not user_may_approve(user=user, franchise=post.franchise, level=post.approval_waiting_for):
        raise PostActionError("Only someone who may approve this post can send it for review.")
    link = ApprovalLink.objects.create(
        post=post,
        post_version=post.version,
        reviewer=" ".join(reviewer.split())[:200],
        created_by=user,
        expires_at=clock.now() + LINK_LIFETIME,
    )
    to = f" for {link.reviewer}" if link.reviewer else ""
    post_event_record(
        post=post,
        action=PostEvent.Action.APPROVAL_LINK,
        user=user,
        detail=f"A review link{to}, valid until {when_text(link.expires_at, post.franchise, named=True)}.",
    )
    return signing.dumps(str(link.pk), salt=LINK_SALT)


class LinkRefused(PostActionError):
    """The link does not work (tampered, expired, used, or the post changed): the message says which."""


def approval_link_open(*, token: str) -> ApprovalLink:
    """The link behind `token`, if it still works; LinkRefused otherwise."""
    try:
        link_id = signing.loads(token, salt=LINK_SALT, max_age=LINK_LIFETIME)
        link = ApprovalLink.objects.select_related("post__franchise", "created_by").get(pk=link_id)
    except signing.SignatureExpired:
        raise LinkRefused("This review link has expired. Ask for a new one.") from None
    except (signing.BadSignature, ApprovalLink.DoesNotExist, ValueError):
        raise LinkRefused("This review link is not valid. Check that it was copied whole.") from None
    if link.used_at is not None:
        raise LinkRefused("This review link was used already: each link works once.")
    if link.expires_at <= clock.now():
        raise LinkRefused("This review link has expired. Ask for a new one.")
    if link.post.version != link.post_version or not link.post.approval_waiting_for:
        raise LinkRefused("This post changed (or was decided on) since the link was made. Ask for a new one.")
    return link


def approval_link_decide(*, token: str, approve: bool, reason: str = "") -> Outcome:
    """Approve or reject the link's post. The link is spent by one conditional UPDATE first, so
    two clicks (or two tabs) cannot both decide; a decision that fails gives nothing back."""
    link = approval_link_open(token=token)
    if not approve and not " ".join(reason.split()):
        raise PostActionError("Say why it is not approved: the author reads it.")
    with transaction.atomic():
        spent = ApprovalLink.objects.filter(pk=link.pk, used_at__isnull=True, expires_at__gt=clock.now()).update(
            used_at=clock.now()
        )
        if spent != 1:
            raise LinkRefused("This review link was used already: each link works once.")
        if approve:
            outcome = posts_approve(user=link.created_by, post_ids=[link.post_id], link=link)
        else:
            outcome = posts_approval_reject(user=link.created_by, post_ids=[link.post_id], reason=reason, link=link)
        if not outcome.done:
            raise PostActionError(" ".join(map(str, outcome.refused.values())) or "Nothing was decided.")
    return outcome


def post_approval_level_for_edit(*, post: Post, user: AbstractBaseUser | None) -> str:
    """Who must approve `post` again once `user` changes its content: only a post already approved
    (scheduled) goes back; a draft goes through the gate when it is scheduled."""
    if post.status != Post.Status.SCHEDULED:
        return NOBODY
    return approval_gate(franchise=post.franchise, user=user)
