"""Claude's drafts of replies to reviews, for a person to approve (nothing is sent from here).

A single review is drafted by one call (the review page's button, or the job when only a few are
waiting). A backlog (a first sync of many locations) goes through a Message Batch at half the
price: the reviews join the batch by one conditional UPDATE (`draft_batch` from empty to the
batch), so a review is in at most one batch; a result becomes a draft only while the review is
still in that batch and has no draft; a batch that failed or expired gives its reviews back. The
draft-review-replies job sends backlogs and reads batches that ended. Each answer's tokens are
recorded (ReplyDraftUsage) for the cost, like the post drafts'.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q

from gbp_scheduler import clock
from gbp_scheduler.jobs import TimeBudget
from generation import anthropic_client as claude

from ..models import DraftSource, ReplyDraftBatch, ReplyDraftUsage, Review
from .replies import REPLY_MAX, ReplyError, review_draft_save

logger = logging.getLogger(__name__)

SYSTEM_PROMPT = """\
You write the owner's reply to a customer's Google review of a local business. Each request gives \
the business's profile, the group's rules for replies and the review.

Write exactly one reply:
- 30 to 90 words of plain text, no markdown, no hashtags, at most one emoji.
- In the tone the business asks for, speaking as the business ("we"), addressing the reviewer \
by first name when the review gives one.
- Thank them; for a low rating, acknowledge the problem without excuses and invite them to \
talk to the business directly; for a high one, mention something specific they liked.
- Only facts from the profile and the review. Follow every rule of the group.

Answer with the JSON object the output schema describes and nothing else."""
SCHEMA: dict = {
    "type": "object",
    "properties": {"reply": {"type": "string", "description": "The reply, plain text, under 1,000 characters."}},
    "required": ["reply"],
    "additionalProperties": False,
}
MAX_TOKENS = 600
TIMEOUT_SECONDS = 30.0  # a person may be waiting
BATCH_MIN = 10  # fewer waiting reviews are drafted one by one
BATCH_MAX = 5000
BACKLOG_DAYS = 90  # older unanswered reviews are not drafted by the job
POLL_LEASE = dt.timedelta(minutes=5)


def _one_line(text: str) -> str:
    return " ".join((text or "").split())


def reply_brief(review: Review) -> str:
    franchise = review.franchise
    services = ", ".join(s.strip() for s in franchise.services.splitlines() if s.strip())
    return "\n".join(
        [
            f"Business name: {_one_line(franchise.name)}",
            f"City: {_one_line(franchise.city) or '(not given)'}",
            f"Services: {services or '(not given)'}",
            f"Tone: {_one_line(franchise.tone) or 'friendly and professional'}",
            f"About: {_one_line(franchise.description)[:600] or '(not given)'}",
            f"Group rules: {_one_line(settings.REVIEW_REPLY_RULES)}",
            f"Reviewer: {_one_line(review.reviewer_name) or 'a Google user'}",
            f"Stars: {review.stars} of 5",
            f"Review: {_one_line(review.comment)[:2000] or '(a rating without words)'}",
        ]
    )


def reply_params(review: Review) -> dict:
    return claude.message_params(
        system=[{"type": "text", "text": SYSTEM_PROMPT}],
        messages=[{"role": "user", "content": reply_brief(review)}],
        output_schema=SCHEMA,
        max_tokens=MAX_TOKENS,
    )


def reply_parse(text: str) -> str:
    """The reply of Claude's JSON answer; ReplyError when it is not a usable one."""
    import json

    try:
        reply = json.loads(text).get("reply")
    except (ValueError, AttributeError):
        reply = None
    if not isinstance(reply, str) or not reply.strip():
        raise ReplyError("Claude's answer had no reply in it.")
    if len(reply) > REPLY_MAX:
        raise ReplyError("Claude's reply was too long for Google.")
    return reply.strip()


def _usage(review: Review, reply: claude.MessageReply, *, batch: bool) -> None:
    u = reply.usage
    ReplyDraftUsage.objects.create(
        franchise_id=review.franchise_id,
        batch=batch,
        input_tokens=u.input,
        output_tokens=u.output,
        cache_read_tokens=u.cache_read,
        cache_write_tokens=u.cache_write,
    )


def review_reply_draft(*, review: Review, user: AbstractBaseUser | None, timeout: float = TIMEOUT_SECONDS) -> str:
    """One call: Claude's draft of the review's reply, kept as its draft for approval."""
    if not settings.ANTHROPIC_API_KEY:
        raise ReplyError("AI drafts are not set up here (no ANTHROPIC_API_KEY).")
    try:
        reply = claude.messages_create(params=reply_params(review), timeout=timeout)
    except claude.AnthropicTransientError as exc:
        raise ReplyError("Claude is busy right now; try again in a minute.") from exc
    except claude.AnthropicError as exc:
        raise ReplyError(f"AI drafts are unavailable: {exc}") from exc
    _usage(review, reply, batch=False)
    text = reply_parse(reply.text)
    review_draft_save(review=review, text=text, user=user, source=DraftSource.AI)
    return text


def reviews_waiting_for_draft(*, now: dt.datetime):
    """Unanswered reviews of franchises that want AI drafts, with no draft and in no batch."""
    return Review.objects.filter(
        gone_at__isnull=True,
        google_reply__isnull=True,
        reply_wanted=False,
        draft_text="",
        draft_batch__isnull=True,
        created_at__gte=now - dt.timedelta(days=BACKLOG_DAYS),
        franchise__is_active=True,
        franchise__ai_drafts_enabled=True,
    ).select_related("franchise")


def review_replies_draft_due(*, budget: TimeBudget) -> dict:
    """The draft-review-replies job: read the batches that ended, then draft what waits (a
    backlog of BATCH_MIN or more in a new Message Batch, fewer by single calls)."""
    counts = {"batches_read": 0, "drafts_from_batches": 0, "batches_sent": 0, "sent_in_batches": 0, "drafted": 0}
    counts["failed"] = 0
    for batch in ReplyDraftBatch.objects.filter(status=ReplyDraftBatch.Status.SUBMITTED).order_by("created_at"):
        if budget.exhausted:
            break
        made = _batch_read(batch)
        if made is not None:
            counts["batches_read"] += 1
            counts["drafts_from_batches"] += made
    if not settings.ANTHROPIC_API_KEY:
        return counts
    waiting = list(reviews_waiting_for_draft(now=clock.now()).order_by("-created_at")[:BATCH_MAX])
    if len(waiting) >= BATCH_MIN:
        sent = _batch_send(waiting)
        counts["batches_sent"] += 1 if sent else 0
        counts["sent_in_batches"] += sent
        return counts
    for review in waiting:
        if budget.exhausted:
            break
        try:
            review_reply_draft(review=review, user=None, timeout=max(1.0, min(TIMEOUT_SECONDS, budget.remaining)))
            counts["drafted"] += 1
        except ReplyError as exc:
            logger.info("draft-review-replies: review %s: %s", review.pk, exc)
            counts["failed"] += 1
    return counts


def _batch_send(reviews: list[Review]) -> int:
    """Claim the reviews for a new batch and send it; how many went."""
    batch = ReplyDraftBatch.objects.create(request_count=0)
    claimed = Review.objects.filter(pk__in=[r.pk for r in reviews], draft_batch__isnull=True, draft_text="").update(
        draft_batch=batch
    )
    mine = [r for r in Review.objects.filter(draft_batch=batch).select_related("franchise")]
    if not claimed or not mine:
        batch.delete()
        return 0
    requests = [{"custom_id": str(r.pk), "params": reply_params(r)} for r in mine]
    try:
        info = claude.batch_create(requests=requests)
    except claude.AnthropicError as exc:
        _batch_give_up(batch, f"Sending the batch failed: {exc}")
        return 0
    ReplyDraftBatch.objects.filter(pk=batch.pk).update(anthropic_id=info.id, request_count=len(mine))
    return len(mine)


def _batch_give_up(batch: ReplyDraftBatch, error: str) -> None:
    Review.objects.filter(draft_batch=batch).update(draft_batch=None)
    ReplyDraftBatch.objects.filter(pk=batch.pk).update(status=ReplyDraftBatch.Status.FAILED, error=error[:1000])


def _batch_read(batch: ReplyDraftBatch) -> int | None:
    """Poll the batch (one run at a time: a lease); once ended, its results become drafts. How many
    drafts, or None when it is not done yet or another run has it."""
    now = clock.now()
    free = Q(polling_since__isnull=True) | Q(polling_since__lt=now - POLL_LEASE)
    if ReplyDraftBatch.objects.filter(free, pk=batch.pk).update(polling_since=now) != 1:
        return None
    try:
        if not batch.anthropic_id:
            _batch_give_up(batch, "The batch was never sent.")
            return None
        try:
            info = claude.batch_retrieve(batch_id=batch.anthropic_id)
        except claude.AnthropicNotFoundError:
            _batch_give_up(batch, "Anthropic no longer has this batch.")
            return None
        if info.processing_status != "ended":
            return None
        made = 0
        reviews = {str(r.pk): r for r in Review.objects.filter(draft_batch=batch).select_related("franchise")}
        for result in claude.batch_results(batch_id=batch.anthropic_id):
            review = reviews.get(result.custom_id)
            if review is None:
                continue
            if result.type == "succeeded" and result.reply is not None:
                _usage(review, result.reply, batch=True)
                try:
                    text = reply_parse(result.reply.text)
                except ReplyError:
                    continue
                made += Review.objects.filter(pk=review.pk, draft_batch=batch, draft_text="").update(
                    draft_text=text, draft_source=DraftSource.AI, drafted_at=clock.now(), draft_batch=None
                )
        Review.objects.filter(draft_batch=batch).update(draft_batch=None)  # the rest wait for the next run
        ReplyDraftBatch.objects.filter(pk=batch.pk).update(status=ReplyDraftBatch.Status.ENDED, ended_at=clock.now())
        return made
    except claude.AnthropicError as exc:
        logger.warning("draft-review-replies: batch %s: %s", batch.anthropic_id, exc)
        return None
    finally:
        ReplyDraftBatch.objects.filter(pk=batch.pk, polling_since=now).update(polling_since=None)
