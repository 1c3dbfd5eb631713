"""A queue row's claim and what is written back under it, and the record of every answer's tokens.

Both paths share these: the synchronous one (process.py) and the Message Batches one (batches.py).
A run may write to a row only while it still holds the claim: status `processing` and
`processing_started_at` the value it claimed the row with. Another run that took the row back
has changed that value, and the write finds nothing to update.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F

from franchises.models import Franchise
from gbp_scheduler import clock, times
from gbp_scheduler.events import EventType, event_announce
from gbp_scheduler.jobs import TimeBudget
from generation.anthropic_client import MessageReply, TokenUsage
from generation.models import GenerationQueue, GenerationUsage
from generation.validation import Draft
from posts.brand import post_check_messages
from posts.models import Post
from posts.services import post_create
from posts.services.series import series_variation_take

MAX_BACKOFF_SECONDS = 6 * 3600
Status = GenerationQueue.Status


@dataclass(frozen=True)
class Claim:
    """A row this run holds: it may write to it only while status is processing and
    processing_started_at is still `started_at` (nobody took it back)."""

    id: uuid.UUID
    started_at: dt.datetime


@dataclass(frozen=True)
class Outcome:
    row_id: uuid.UUID
    result: str  # completed | failed | deferred | skipped | lost_claim | returned (to pending, from a batch)
    detail: str = ""
    stop_run: bool = False  # rate limited or the key is refused: later rows would fare no better


@dataclass
class Run:
    """One run of process-generation-queue: its budget, counts and whether to stop taking work."""

    budget: TimeBudget
    counts: dict[str, int]
    report: Callable[[str], None] | None = None
    stop: bool = False  # rate limited, or the key refused: later work would fare no better

    @property
    def over(self) -> bool:
        return self.stop or self.budget.exhausted

    def take(self, outcome: Outcome) -> None:
        self.counts[outcome.result] = self.counts.get(outcome.result, 0) + 1
        self.stop = self.stop or outcome.stop_run
        if self.report:
            self.report(f"{outcome.row_id} {outcome.result}{': ' + outcome.detail if outcome.detail else ''}")

    def tally(self, key: str, n: int, detail: str = "") -> None:
        self.counts[key] = self.counts.get(key, 0) + n
        if self.report and n and detail:
            self.report(detail)


@dataclass
class Spent:
    """The tokens a row's answers have cost so far in this run (kept when a later call fails)."""

    usage: TokenUsage = field(default_factory=TokenUsage)


def usage_record(
    *, franchise_id: uuid.UUID, reply: MessageReply, batch: bool, row_id: uuid.UUID | None = None, purpose: str
) -> None:
    """One answer's tokens, for the metrics page's cost. Anthropic bills an answer whether or not
    it became a post, so this is written at once and never depends on a claim."""
    u = reply.usage
    GenerationUsage.objects.create(
        franchise_id=franchise_id,
        queue_row_id=row_id,
        purpose=purpose,
        batch=batch,
        model=reply.model[:100],
        input_tokens=u.input,
        output_tokens=u.output,
        cache_read_tokens=u.cache_read,
        cache_write_tokens=u.cache_write,
    )


def held(claim: Claim):
    return GenerationQueue.objects.filter(id=claim.id, status=Status.PROCESSING, processing_started_at=claim.started_at)


def _token_updates(usage: TokenUsage) -> dict:
    return {
        "input_tokens": F("input_tokens") + usage.input,
        "output_tokens": F("output_tokens") + usage.output,
        "cache_read_tokens": F("cache_read_tokens") + usage.cache_read,
        "cache_write_tokens": F("cache_write_tokens") + usage.cache_write,
    }


def row_finish(
    claim: Claim,
    result: str,
    *,
    status: str,
    error: str,
    attempts: int,
    usage: TokenUsage | None = None,
    next_attempt_at: dt.datetime | None = None,
    stop_run: bool = False,
) -> Outcome:
    """Write a row's end (failed) or its way back to pending, if the claim still holds. A row back
    in pending belongs to no batch."""
    extra = {"batch": None} if status == Status.PENDING else {}
    written = held(claim).update(
        status=status,
        error=error,
        attempts=attempts,
        next_attempt_at=next_attempt_at,
        processing_started_at=None,
        updated_at=clock.now(),
        **_token_updates(usage or TokenUsage()),
        **extra,
    )
    if not written:
        return Outcome(claim.id, "lost_claim", "the row was taken back before this run finished", stop_run)
    return Outcome(claim.id, result, error, stop_run)


def backoff_seconds(*, attempts: int, retry_after: float | None) -> float:
    """Exponential backoff with full jitter, at least a second; Anthropic's retry-after is a floor."""
    delay = times.backoff_seconds(
        attempts,
        base=settings.GENERATION_RETRY_BASE_SECONDS,
        cap=MAX_BACKOFF_SECONDS,
        retry_after=retry_after,
        jitter="full",
    )
    return max(1.0, delay)


def row_defer(
    claim: Claim, *, row: GenerationQueue, reason: str, retry_after: float | None, usage: TokenUsage, stop_run: bool
) -> Outcome:
    """A transient failure: back to pending with a later retry time, or failed at the last attempt."""
    attempts = row.attempts + 1
    if attempts >= settings.GENERATION_MAX_ATTEMPTS:
        error = f"Gave up after {attempts} attempts; last error: {reason}"
        return row_finish(
            claim, "failed", status=Status.FAILED, error=error, attempts=attempts, usage=usage, stop_run=stop_run
        )
    delay = backoff_seconds(attempts=attempts, retry_after=retry_after)
    next_at = clock.now() + dt.timedelta(seconds=delay)
    retry = times.when_text(next_at, row.franchise, named=True)
    return row_finish(
        claim,
        "deferred",
        status=Status.PENDING,
        error=f"Attempt {attempts} failed, retrying after {retry}: {reason}",
        attempts=attempts,
        usage=usage,
        next_attempt_at=next_at,
        stop_run=stop_run,
    )


def row_complete(
    claim: Claim, *, row: GenerationQueue, franchise: Franchise, draft: Draft, usage: TokenUsage, from_batch: bool
) -> Outcome:
    """The draft becomes a post and the row completed, in one transaction, only while the claim holds.
    A repeating post's variation becomes its occurrence's text instead (variation_complete)."""
    if row.is_variation:
        return variation_complete(claim, row=row, franchise=franchise, draft=draft, usage=usage, from_batch=from_batch)
    now = clock.now()
    # A slot already past stays a draft: publishing it at once, at an odd hour, is not what was asked.
    schedule = franchise.auto_schedule_ai_posts and row.scheduled_for > now
    content = dict(
        summary=draft.summary,
        topic_type=draft.topic_type,
        cta_action_type=draft.cta_action_type,
        cta_url=draft.cta_url,
    )
    detail = "Written by Claude from the franchise's profile" + (" (in a Message Batch)." if from_batch else ".")
    # A draft that breaks headquarters' brand rules waits for a person, saying why, rather than
    # being scheduled against them (or failing the row).
    if schedule and (broken := post_check_messages(Post(franchise=franchise, **content))):
        schedule = False
        detail += f" Left as a draft for review: {' '.join(broken)}"
    with transaction.atomic():
        # The claim first: a row another run took back gets no post from this one. Writing first
        # also takes SQLite's write lock at the start; a transaction that read first could only
        # fail, not wait, when it then met another writer.
        if not _completed(claim, row=row, usage=usage, from_batch=from_batch, now=now):
            return Outcome(claim.id, "lost_claim", "the row was taken back before this run finished")
        post = post_create(
            franchise=franchise,
            status=Post.Status.SCHEDULED if schedule else Post.Status.DRAFT,
            source=Post.Source.AI,
            scheduled_at=row.scheduled_for,
            history_detail=detail,
            **content,
        )
        GenerationQueue.objects.filter(id=claim.id).update(post=post)
        _draft_ready_announce(post)
    return Outcome(claim.id, "completed", f"{post.status} post {post.id} for {franchise.name}")


def _completed(claim: Claim, *, row: GenerationQueue, usage: TokenUsage, from_batch: bool, now: dt.datetime) -> int:
    """The claimed row marked completed, with its tokens, while the claim holds: 1, or 0 when the
    row was taken back meanwhile."""
    return held(claim).update(
        status=Status.COMPLETED,
        error="",
        attempts=row.attempts + 1,
        next_attempt_at=None,
        processing_started_at=None,
        from_batch=from_batch,
        updated_at=now,
        **_token_updates(usage),
    )


def variation_complete(
    claim: Claim, *, row: GenerationQueue, franchise: Franchise, draft: Draft, usage: TokenUsage, from_batch: bool
) -> Outcome:
    """Claude's variation becomes the text of the occurrence waiting for it, an AI draft for
    review (never scheduled here), and the row completed, in one transaction while the claim
    holds. An occurrence a person changed meanwhile keeps their words: the row completes without it."""
    detail = "Claude wrote a variation of the repeating post's text for this post" + (
        " (in a Message Batch)" if from_batch else ""
    )
    detail += ": waiting for review in the AI drafts."
    if broken := post_check_messages(Post(franchise=franchise, summary=draft.summary)):
        detail += f" It breaks a rule, to fix before approving: {' '.join(broken)}"
    with transaction.atomic():
        if not _completed(claim, row=row, usage=usage, from_batch=from_batch, now=clock.now()):
            return Outcome(claim.id, "lost_claim", "the row was taken back before this run finished")
        post = series_variation_take(post_id=row.post_id, summary=draft.summary, detail=detail) if row.post_id else None
        if post is None:
            GenerationQueue.objects.filter(id=claim.id).update(
                error="The post no longer waited for a variation when it arrived: not used."
            )
            return Outcome(claim.id, "completed", f"variation for {franchise.name} not used: the post changed")
        _draft_ready_announce(post)
    return Outcome(claim.id, "completed", f"variation draft {post.id} for {franchise.name}")


def _draft_ready_announce(post: Post) -> None:
    """Claude's text is on `post` (a draft for review, or scheduled by the franchise's choice)."""
    event_announce(
        type=EventType.DRAFT_READY,
        franchise_id=post.franchise_id,
        data={
            "post_id": str(post.pk),
            "summary": post.summary,
            "status": post.status,
            "scheduled_at": times.iso_utc(post.scheduled_at),
        },
    )
