"""process-generation-queue: turn due queue rows into posts with Claude."""

from __future__ import annotations

import datetime as dt
import logging
import random
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections, transaction
from django.db.models import F
from django.utils import timezone

from franchises.models import Franchise
from gbp_scheduler.jobs import TimeBudget
from generation import anthropic_client as claude
from generation import prompt
from generation.models import GenerationQueue
from generation.selectors import franchise_wants_drafts, generation_queue_due, post_summaries_recent
from generation.validation import Draft, DraftInvalid, draft_parse
from posts.models import Post
from posts.services import post_create

logger = logging.getLogger(__name__)

MAX_TOKENS = 1024  # a 1,500-character post is ~400 tokens; room for the JSON around it
MAX_BACKOFF_SECONDS = 6 * 3600
MIN_CALL_SECONDS = 2.0  # below this even a healthy answer could not arrive
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
    result: str  # completed | failed | deferred | skipped | lost_claim
    detail: str = ""
    stop_run: bool = False  # rate limited or the key is refused: later rows would fare no better


def generation_queue_process(*, budget: TimeBudget, report: Callable[[str], None] | None = None) -> dict:
    """Turn due queue rows into posts.

    1. Take back rows left in `processing` past GENERATION_LEASE_SECONDS by a run that died.
    2. Claim one due row at a time (a short committed UPDATE), so a row never waits in this run
       while its lease runs; up to GENERATION_CONCURRENCY rows are with Claude at once.
    3. Stop claiming when the time budget is spent, or when Anthropic rate-limits us or refuses
       the key, model or account; rows already in flight finish.
    Without ANTHROPIC_API_KEY the run refuses to start (bad configuration), touching no row.
    """
    if not settings.ANTHROPIC_API_KEY:
        raise ImproperlyConfigured("ANTHROPIC_API_KEY is not set: process-generation-queue cannot write drafts.")
    counts = {"completed": 0, "failed": 0, "deferred": 0, "skipped": 0, "lost_claim": 0}
    counts["reclaimed"], counts["failed"] = generation_queue_reclaim(now=timezone.now())
    concurrency = max(1, settings.GENERATION_CONCURRENCY)
    handled: set[uuid.UUID] = set()  # a row deferred with a tiny jitter must wait for the next run
    stop = False

    def take(outcome: Outcome) -> None:
        nonlocal stop
        counts[outcome.result] += 1
        stop = stop or outcome.stop_run
        if report:
            report(f"{outcome.row_id} {outcome.result}{': ' + outcome.detail if outcome.detail else ''}")

    def next_claim() -> Claim | None:
        if stop or budget.exhausted:
            return None
        claim = generation_row_claim(exclude_ids=handled)
        if claim:
            handled.add(claim.id)
        return claim

    if concurrency == 1:
        # In the caller's thread and connection: no pool to pay for, and it sees the caller's transaction.
        while claim := next_claim():
            take(_row_process_guarded(claim, budget))
        return counts

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="generation") as pool:
        running: set[Future[Outcome]] = set()
        while True:
            if len(running) >= concurrency:
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    take(future.result())
                continue
            claim = next_claim()
            if claim is None:
                break
            running.add(pool.submit(_row_process_in_thread, claim, budget))
        for future in running:
            take(future.result())
    return counts


def _row_process_guarded(claim: Claim, budget: TimeBudget | None = None) -> Outcome:
    """A bug while handling one row fails that row with the reason, not the whole run. Database
    errors still break the run: then nothing can be recorded anyway."""
    try:
        return generation_row_process(claim=claim, budget=budget)
    except GenerationQueue.DoesNotExist:
        return Outcome(claim.id, "lost_claim", "the row was deleted (its franchise too?) while processing")
    except DatabaseError:
        raise
    except Exception as exc:
        logger.exception("generation row %s broke", claim.id)
        row_attempts = GenerationQueue.objects.filter(id=claim.id).values_list("attempts", flat=True).first() or 0
        error = f"Internal error while generating ({exc.__class__.__name__}): {exc}"
        return _row_finish(claim, "failed", status=Status.FAILED, error=error, attempts=row_attempts + 1)


def _row_process_in_thread(claim: Claim, budget: TimeBudget) -> Outcome:
    try:
        return _row_process_guarded(claim, budget)
    finally:
        connections.close_all()  # this thread's connections only; a pool thread must not leak them


def generation_queue_reclaim(*, now: dt.datetime) -> tuple[int, int]:
    """Rows in `processing` longer than the lease belong to a run that died (or hung past any
    timeout). Their try counts as an attempt. Returns (taken back to pending, failed for good)."""
    stale = GenerationQueue.objects.filter(
        status=Status.PROCESSING,
        processing_started_at__lt=now - dt.timedelta(seconds=settings.GENERATION_LEASE_SECONDS),
    )
    reason = f"A processing run did not finish within {settings.GENERATION_LEASE_SECONDS} s."
    max_attempts = settings.GENERATION_MAX_ATTEMPTS
    failed = stale.filter(attempts__gte=max_attempts - 1).update(
        status=Status.FAILED,
        attempts=F("attempts") + 1,
        processing_started_at=None,
        error=f"{reason} Gave up after {max_attempts} attempts.",
        updated_at=now,
    )
    taken_back = stale.update(
        status=Status.PENDING,
        attempts=F("attempts") + 1,
        processing_started_at=None,
        next_attempt_at=None,
        error=f"{reason} Taken back for another try.",
        updated_at=now,
    )
    return taken_back, failed


def generation_row_claim(*, exclude_ids: set[uuid.UUID] | frozenset = frozenset()) -> Claim | None:
    """Claim the next due row with a compare-and-set UPDATE that re-checks everything that made it
    due (still pending, retry time come). Autocommit: the claim is visible to other runs before
    anything slow happens. A lost race moves on to the next candidate."""
    while True:
        now = timezone.now()
        candidates = list(generation_queue_due(now=now, exclude_ids=exclude_ids).values_list("id", flat=True)[:10])
        if not candidates:
            return None
        for row_id in candidates:
            won = (
                generation_queue_due(now=now)
                .filter(id=row_id)
                .update(status=Status.PROCESSING, processing_started_at=now, updated_at=now)
            )
            if won:
                return Claim(id=row_id, started_at=now)


def generation_row_process(*, claim: Claim, budget: TimeBudget | None = None) -> Outcome:
    """Ask Claude for one post for a claimed row and record what happened. No transaction is open
    during the call to Anthropic; results are written only while the claim still holds."""
    row = GenerationQueue.objects.select_related("franchise").get(id=claim.id)
    franchise = row.franchise
    if not franchise_wants_drafts(franchise=franchise):
        reason = "Skipped: the franchise is inactive, disconnected from Google, or no longer wants AI drafts."
        return _row_finish(claim, "skipped", status=Status.FAILED, error=reason, attempts=row.attempts)
    tokens = {"input": 0, "output": 0}
    try:
        draft = _draft_ask(row=row, franchise=franchise, tokens=tokens, budget=budget)
    except claude.AnthropicTransientError as exc:
        return _row_defer(
            claim,
            row=row,
            reason=str(exc),
            retry_after=exc.retry_after,
            tokens=tokens,
            stop_run=(isinstance(exc, claude.AnthropicRateLimitedError)),
        )
    except claude.AnthropicError as exc:
        return _row_finish(
            claim,
            "failed",
            status=Status.FAILED,
            error=str(exc),
            attempts=row.attempts + 1,
            tokens=tokens,
            stop_run=isinstance(exc, claude.AnthropicAccountError),
        )
    except DraftInvalid as exc:
        error = f"The model's answer was invalid twice; last problem: {exc}"
        return _row_finish(claim, "failed", status=Status.FAILED, error=error, attempts=row.attempts + 1, tokens=tokens)
    return _row_complete(claim, row=row, franchise=franchise, draft=draft, tokens=tokens)


def _draft_ask(
    *, row: GenerationQueue, franchise: Franchise, tokens: dict[str, int], budget: TimeBudget | None
) -> Draft:
    """The conversation: the brief; if the answer fails validation, the answer and what was wrong
    with it, once. Raises DraftInvalid when the second answer fails too."""
    messages: list[dict] = [
        {
            "role": "user",
            "content": prompt.user_message(
                franchise=franchise,
                slot_at=row.scheduled_for,
                recent_summaries=post_summaries_recent(franchise_id=franchise.id),
            ),
        }
    ]
    for attempt in range(2):
        reply = claude.messages_create(
            system=prompt.system_blocks(),
            messages=messages,
            output_schema=prompt.OUTPUT_SCHEMA,
            max_tokens=MAX_TOKENS,
            timeout=_call_timeout(budget),
        )
        tokens["input"] += reply.input_tokens
        tokens["output"] += reply.output_tokens
        try:
            if reply.stop_reason == "max_tokens":
                raise DraftInvalid("The answer was cut off; write a shorter post.")
            if reply.stop_reason == "refusal":
                raise DraftInvalid("The model declined to write this post.")
            return draft_parse(text=reply.text, website=franchise.website)
        except DraftInvalid as exc:
            if attempt == 1:
                raise
            messages += [
                {"role": "assistant", "content": reply.text or "(no answer)"},
                {"role": "user", "content": prompt.correction_message(str(exc))},
            ]
    raise AssertionError("unreachable")  # pragma: no cover


def _call_timeout(budget: TimeBudget | None) -> float | None:
    """A call started near the end of the budget may not outlive it by much: the run must answer
    before the platform kills it (a killed run leaves its rows to the lease). Cut short, the call
    is a timeout like any other and the row is retried later."""
    if budget is None:
        return None
    return min(settings.ANTHROPIC_TIMEOUT_SECONDS, max(MIN_CALL_SECONDS, budget.remaining))


def _backoff_seconds(*, attempts: int, retry_after: float | None) -> float:
    """Exponential backoff with full jitter; Anthropic's retry-after is a floor, never shortened."""
    ceiling = min(MAX_BACKOFF_SECONDS, settings.GENERATION_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return max(1.0, random.uniform(0, ceiling), retry_after or 0.0)  # noqa: S311 - jitter, not crypto


def _row_defer(
    claim: Claim, *, row: GenerationQueue, reason: str, retry_after: float | None, tokens: dict, stop_run: bool
) -> Outcome:
    attempts = row.attempts + 1
    if attempts >= settings.GENERATION_MAX_ATTEMPTS:
        error = f"Gave up after {attempts} attempts; last error: {reason}"
        return _row_finish(
            claim, "failed", status=Status.FAILED, error=error, attempts=attempts, tokens=tokens, stop_run=stop_run
        )
    delay = _backoff_seconds(attempts=attempts, retry_after=retry_after)
    next_at = timezone.now() + dt.timedelta(seconds=delay)
    return _row_finish(
        claim,
        "deferred",
        status=Status.PENDING,
        error=f"Attempt {attempts} failed, retrying after {next_at:%Y-%m-%d %H:%M:%S} UTC: {reason}",
        attempts=attempts,
        tokens=tokens,
        next_attempt_at=next_at,
        stop_run=stop_run,
    )


def _held(claim: Claim):
    return GenerationQueue.objects.filter(id=claim.id, status=Status.PROCESSING, processing_started_at=claim.started_at)


def _row_finish(
    claim: Claim,
    result: str,
    *,
    status: str,
    error: str,
    attempts: int,
    tokens: dict | None = None,
    next_attempt_at: dt.datetime | None = None,
    stop_run: bool = False,
) -> Outcome:
    tokens = tokens or {"input": 0, "output": 0}
    written = _held(claim).update(
        status=status,
        error=error,
        attempts=attempts,
        next_attempt_at=next_attempt_at,
        processing_started_at=None,
        input_tokens=F("input_tokens") + tokens["input"],
        output_tokens=F("output_tokens") + tokens["output"],
        updated_at=timezone.now(),
    )
    if not written:
        return Outcome(claim.id, "lost_claim", "the row was taken back before this run finished", stop_run)
    return Outcome(claim.id, result, error, stop_run)


def _row_complete(claim: Claim, *, row: GenerationQueue, franchise: Franchise, draft: Draft, tokens: dict) -> Outcome:
    now = timezone.now()
    # A slot already past stays a draft: publishing it at once, at an odd hour, is not what was asked.
    schedule = franchise.auto_schedule_ai_posts and row.scheduled_for > now
    with transaction.atomic():
        post = post_create(
            franchise=franchise,
            status=Post.Status.SCHEDULED if schedule else Post.Status.DRAFT,
            source=Post.Source.AI,
            scheduled_at=row.scheduled_for,
            history_detail="Written by Claude from the franchise's profile.",
            summary=draft.summary,
            topic_type=draft.topic_type,
            cta_action_type=draft.cta_action_type,
            cta_url=draft.cta_url,
        )
        written = _held(claim).update(
            status=Status.COMPLETED,
            post=post,
            error="",
            attempts=row.attempts + 1,
            next_attempt_at=None,
            processing_started_at=None,
            input_tokens=F("input_tokens") + tokens["input"],
            output_tokens=F("output_tokens") + tokens["output"],
            updated_at=now,
        )
        if not written:
            # Another run took the row back and owns it now: keep no post from this one.
            transaction.set_rollback(True)
            return Outcome(claim.id, "lost_claim", "the row was taken back before this run finished")
    return Outcome(claim.id, "completed", f"{post.status} post {post.id} for {franchise.name}")
