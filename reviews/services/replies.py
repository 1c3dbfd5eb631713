"""Replies: what people do to a review's reply, and sending it to Google exactly once.

A person's action changes the reply they want (`reply_text` while `reply_wanted`) and bumps
`reply_version`; `review_reply_push` then makes Google match it:

1. **Claim** the send with one conditional UPDATE: the version read is still the review's, it is
   not what Google has, and nobody holds the send (`reply_sending_at` empty or stale, DB time).
2. **Send** with nothing held: `updateReply` (a PUT: the same text twice is one reply) or
   `deleteReply` (a reply already gone is what was wanted). The send is refused once half the
   claim's life has gone, as a post's write is (posts.services.locks.GoogleCallGuard), so a slow
   holder never overwrites a newer text sent after its claim went stale.
3. **Write back** `reply_sent_version` and Google's answer only while the claim holds. An edit
   that raced the send bumped the version: the review is still pending and is sent again at once,
   so the latest text always ends on Google.

A transient failure leaves the reply pending (sync-reviews sends it on its next run); a permanent
one is kept on the review with the version that failed, until someone changes the reply.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F, Q

from franchises.google import business_profile
from franchises.google.business_profile import GOOGLE_ERRORS, TRANSIENT, GbpNotFoundError
from franchises.google.quota import QuotaDeadline
from franchises.google.tokens import GoogleReauthorizationRequired
from gbp_scheduler import clock
from gbp_scheduler.times import parse_rfc3339
from posts.services.locks import GoogleCallGuard

from ..models import REPLY_PENDING, DraftSource, ReplyState, Review, ReviewEvent

logger = logging.getLogger(__name__)

REPLY_MAX = 4096  # characters Google takes in a reply
MAX_SENDS = 5  # sends of one review in a row while edits keep racing them


class ReplyError(Exception):
    """A reply action a person asked for cannot be done; the message says why."""


def reply_text_clean(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise ReplyError("Write the reply first: it is empty.")
    if len(text) > REPLY_MAX:
        raise ReplyError(f"The reply is {len(text)} characters long; Google takes at most {REPLY_MAX}.")
    return text


def _event(review: Review, what: str, user: AbstractBaseUser | None = None) -> None:
    ReviewEvent.objects.create(review=review, user=user if user and user.is_authenticated else None, what=what[:300])


def review_draft_save(*, review: Review, text: str, user: AbstractBaseUser | None, source: str = DraftSource.MANUAL):
    """Keep a draft reply for someone to approve (nothing goes to Google)."""
    text = reply_text_clean(text)
    Review.objects.filter(pk=review.pk).update(draft_text=text, draft_source=source, drafted_at=clock.now())
    _event(review, "Reply drafted by Claude" if source == DraftSource.AI else "Reply draft saved", user)


def review_reply_set(*, review: Review, text: str, user: AbstractBaseUser | None) -> Review:
    """A person's reply (typed, or a draft approved): wanted on Google from now, sent at once."""
    text = reply_text_clean(text)
    if review.gone_at is not None:
        raise ReplyError("This review is no longer on Google: it cannot be answered.")
    Review.objects.filter(pk=review.pk).update(
        reply_text=text,
        reply_wanted=True,
        reply_version=F("reply_version") + 1,
        draft_text="",
        draft_source="",
        drafted_at=None,
        reply_error="",
        replied_by=user if user and user.is_authenticated else None,
    )
    _event(review, "Reply approved", user)
    return review_reply_push(review_id=review.pk)


def review_drafts_approve(*, reviews: list[Review], user: AbstractBaseUser | None) -> tuple[int, list[str]]:
    """Approve the drafts of many reviews at once: each is sent as its reply. How many were
    approved, and a line per review that could not be."""
    approved, problems = 0, []
    for review in reviews:
        if not review.draft_text:
            problems.append(f"{review.reviewer_name or 'A review'}: there is no draft to approve.")
            continue
        try:
            review_reply_set(review=review, text=review.draft_text, user=user)
        except ReplyError as exc:
            problems.append(f"{review.reviewer_name or 'A review'}: {exc}")
            continue
        approved += 1
    return approved, problems


def review_reply_delete(*, review: Review, user: AbstractBaseUser | None) -> Review:
    """Take the reply off Google (deleteReply), at once."""
    if not review.reply_wanted and review.google_reply is None:
        raise ReplyError("This review has no reply to delete.")
    Review.objects.filter(pk=review.pk).update(reply_wanted=False, reply_version=F("reply_version") + 1, reply_error="")
    _event(review, "Reply deleted on Google", user)
    return review_reply_push(review_id=review.pk)


def _send_free(now: dt.datetime) -> Q:
    stale = now - dt.timedelta(seconds=settings.PUBLISH_LOCK_TIMEOUT_SECONDS)
    return Q(reply_sending_at__isnull=True) | Q(reply_sending_at__lt=stale)


def reviews_replies_pending(*, now: dt.datetime):
    """Reviews whose reply Google does not have yet and that nobody is sending."""
    return Review.objects.filter(REPLY_PENDING, _send_free(now), gone_at__isnull=True).order_by("pk")


def review_reply_push(*, review_id, deadline: float | None = None) -> Review:
    """Make Google's reply match the one wanted (module docstring's steps); the review as it ends.
    Raises QuotaDeadline, with nothing sent, when the run's time is up."""
    for _ in range(MAX_SENDS):
        review = Review.objects.select_related("franchise").get(pk=review_id)
        if not review.reply_pending or review.gone_at is not None:
            return review
        now = clock.now()
        version = review.reply_version
        claimed = (
            Review.objects.filter(_send_free(now), pk=review_id, reply_version=version)
            .exclude(reply_sent_version=version)
            .update(reply_sending_at=now)
        )
        if claimed != 1:
            if Review.objects.filter(_send_free(now), pk=review_id).exists():
                continue  # changed between the read and the claim: look again
            return review  # another process holds the send; it sends the latest before letting go
        if not _send_claimed(review, version=version, claim=now, deadline=deadline):
            break
    return Review.objects.get(pk=review_id)


def _send_claimed(review: Review, *, version: int, claim: dt.datetime, deadline: float | None) -> bool:
    """Send the claimed version; True when it went through (the caller looks for a newer one)."""
    ours = Review.objects.filter(pk=review.pk, reply_sending_at=claim)
    guard = GoogleCallGuard(lock=claim, deadline=deadline)
    try:
        if review.reply_wanted:
            answer = business_profile.review_reply_put(
                franchise=review.franchise,
                name=review.google_name,
                comment=review.reply_text,
                before_send=guard.before_send,
                deadline=deadline,
            )
            mirror = _reply_mirror(answer, text=review.reply_text)
        else:
            business_profile.review_reply_delete(
                franchise=review.franchise, name=review.google_name, before_send=guard.before_send, deadline=deadline
            )
            mirror = {"google_reply": None, "google_reply_at": None, "google_reply_state": "", "policy_violation": {}}
    except QuotaDeadline:
        ours.update(reply_sending_at=None)
        raise
    except GbpNotFoundError as exc:
        # The review itself is gone from Google: nothing to answer any more.
        ours.update(reply_sending_at=None, gone_at=clock.now(), reply_error=str(exc)[:1000])
        _event(review, "The review is no longer on Google")
        return False
    except GOOGLE_ERRORS as exc:
        if isinstance(exc, (*TRANSIENT, GoogleReauthorizationRequired)):
            # Google answers again later, or the franchise is reconnected: the reply waits.
            ours.update(reply_sending_at=None, reply_error=f"{exc} (sent again on the next sync)."[:1000])
        else:
            ours.update(reply_sending_at=None, reply_error=str(exc)[:1000], reply_failed_version=version)
            _event(review, f"Google refused the reply: {exc}"[:300])
        logger.warning("review %s: reply not sent: %s", review.pk, exc)
        return False
    first = {"replied_at": clock.now()} if review.reply_wanted and review.replied_at is None else {}
    written = ours.update(reply_sending_at=None, reply_sent_version=version, reply_error="", **mirror, **first)
    return written == 1


def _reply_mirror(answer: dict, *, text: str) -> dict:
    """Google's ReviewReply as the review's mirror fields."""
    state = answer.get("state") if answer.get("state") in ReplyState.values else ""
    violation = answer.get("policyViolation")
    return {
        "google_reply": answer.get("comment") if isinstance(answer.get("comment"), str) else text,
        "google_reply_at": parse_rfc3339(answer.get("updateTime")) or clock.now(),
        "google_reply_state": state,
        "policy_violation": violation if isinstance(violation, dict) else {},
    }


def review_reply_mirror_fields(review: dict) -> dict:
    """The mirror fields of a Review resource's reply (none: no reply on Google)."""
    reply = review.get("reviewReply")
    if not isinstance(reply, dict):
        return {"google_reply": None, "google_reply_at": None, "google_reply_state": "", "policy_violation": {}}
    return _reply_mirror(reply, text=str(reply.get("comment") or ""))
