"""Weekly drafts through Anthropic's Message Batches, at half the price of synchronous calls.

Invariants, each held by one conditional UPDATE:

- A row joins a batch only from `pending`, by the UPDATE that claims it (status `processing`,
  `batch` set, `processing_started_at` = the batch's `claimed_at`). Two runs submitting at once
  never claim one row twice: the loser's UPDATE finds it no longer pending. So a row is in at
  most one live batch, and `custom_id` (the row's id) is unique within it.
- A row leaves its batch only by an UPDATE fenced on `batch`, `status` = processing and its
  `processing_started_at`: to a post (completed), to failed, or back to pending (with no batch).
- A result is handled by whoever first moves its row's `processing_started_at` from the batch's
  `claimed_at` to now ("takes it up"); one run at a time polls or reads a batch (`polling_since`,
  a lease). A row is never generated twice by two runs, and a post is created only while the
  row's claim holds, so a result can never become a second post.
- A batch Anthropic no longer has (404), a request that ended `expired` or `canceled`, and a
  batch whose submission never finished put their rows back to pending. A batch a run created
  after its rows were taken back is canceled at Anthropic at once.
- One gap is left: when the answer to a create is lost (a timeout), Anthropic may have the batch
  without our knowing its id. Its rows go back to pending and may be answered there twice (paid
  twice, at batch price), but a post only ever comes from the batch recorded on the row.

Rows are sent only when their slot is GENERATION_SYNC_LEAD_HOURS or more away; the rest, and any
row whose batch answer failed, are written through the synchronous path (drafting.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
from collections.abc import Iterator

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from gbp_scheduler import clock
from generation import anthropic_client as claude
from generation.models import GenerationBatch, GenerationQueue
from generation.selectors import (
    generation_queue_batchable,
    post_summaries_recent,
    rejection_reasons_for_drafts,
)
from generation.services.drafting import (
    draft_brief,
    draft_check,
    draft_params,
    generation_row_process,
    row_wanted,
    usage_purpose,
)
from generation.services.rows import Claim, Outcome, Run, Spent, row_complete, row_finish, usage_record
from generation.validation import DraftInvalid

logger = logging.getLogger(__name__)
Status = GenerationQueue.Status
BatchStatus = GenerationBatch.Status
MAX_BATCH_BYTES = 128 * 1024 * 1024  # half of Anthropic's 256 MB: some 25,000 requests of ~5 KB


def _lease_seconds() -> dt.timedelta:
    return dt.timedelta(seconds=settings.GENERATION_LEASE_SECONDS)


# --- submitting ----------------------------------------------------------------------------------


def generation_batches_submit(*, run: Run) -> None:
    """Send the batchable rows to Anthropic, GENERATION_BATCH_MAX_REQUESTS a batch, until none is
    left, the budget is spent, or Anthropic refuses (then the rows wait for a later run).

    1. Claim rows into a new local batch (status submitting), in one UPDATE, committed.
    2. Build each row's request, the same params as a synchronous call, custom_id = the row's id.
    3. Create the batch at Anthropic, with no transaction open, then record its id while the
       local batch is still submitting; if it is not (taken back meanwhile), cancel it there.
    """
    while not run.over:
        claimed = _rows_claim_into_batch(now=clock.now())
        if claimed is None:
            return
        batch, rows = claimed
        requests = _requests_build(batch, rows, run)
        if not requests:
            _batch_mark(batch, BatchStatus.DONE, error="No row left to send.")
            continue
        GenerationBatch.objects.filter(id=batch.id).update(request_count=len(requests))
        try:
            info = claude.batch_create(requests=requests, timeout=_create_timeout(run))
        except claude.AnthropicError as exc:
            # Transient or not, the rows go back to pending and wait: past the lead time they are
            # written synchronously. A lost answer means Anthropic may have the batch; nobody reads it.
            returned = _batch_give_up(batch, status=BatchStatus.FAILED, reason=f"Sending the batch failed: {exc}")
            run.tally("returned", returned, f"batch {batch.id}: not sent ({exc}); {returned} rows back to pending")
            run.stop = run.stop or isinstance(exc, claude.AnthropicRateLimitedError | claude.AnthropicAccountError)
            return
        now = clock.now()
        recorded = GenerationBatch.objects.filter(id=batch.id, status=BatchStatus.SUBMITTING).update(
            status=BatchStatus.IN_PROGRESS,
            anthropic_id=info.id,
            request_count=len(requests),
            submitted_at=now,
            expires_at=info.expires_at,
            updated_at=now,
        )
        if not recorded:
            logger.warning("batch %s was taken back while being sent; canceling %s at Anthropic", batch.id, info.id)
            try:
                claude.batch_cancel(batch_id=info.id)
            except claude.AnthropicError:
                logger.exception("could not cancel batch %s", info.id)
            continue
        run.tally("batches", 1)
        run.tally("submitted", len(requests), f"batch {info.id}: {len(requests)} rows sent")


def _create_timeout(run: Run) -> float:
    return min(settings.ANTHROPIC_TIMEOUT_SECONDS, max(5.0, run.budget.remaining))


def _rows_claim_into_batch(*, now: dt.datetime) -> tuple[GenerationBatch, list[GenerationQueue]] | None:
    """Up to GENERATION_BATCH_MAX_REQUESTS batchable rows, claimed into a new local batch. The
    UPDATE re-checks that each row is still batchable, so a row another run claimed first stays
    that run's. None when there is nothing left to send."""
    limit = max(1, min(settings.GENERATION_BATCH_MAX_REQUESTS, 100_000))
    while True:
        candidates = list(generation_queue_batchable(now=now).values_list("id", flat=True)[:limit])
        if not candidates:
            return None
        batch = GenerationBatch.objects.create(status=BatchStatus.SUBMITTING, claimed_at=now)
        won = (
            generation_queue_batchable(now=now)
            .filter(id__in=candidates)
            .update(status=Status.PROCESSING, processing_started_at=now, batch=batch, updated_at=now)
        )
        if won:
            rows = GenerationQueue.objects.filter(batch=batch, status=Status.PROCESSING).select_related(
                "franchise", "post"
            )
            return batch, list(rows.order_by("scheduled_for", "id"))
        batch.delete()  # every candidate went to another run: look again


def _requests_build(batch: GenerationBatch, rows: list[GenerationQueue], run: Run) -> list[dict]:
    """The batch's requests. A row whose franchise no longer wants drafts is skipped here, and rows
    past MAX_BATCH_BYTES go back to pending for the next batch."""
    context: dict = {}  # per franchise: its recent posts and rejection reasons, read once
    requests, size = [], 0
    for n, row in enumerate(rows):
        franchise = row.franchise
        claim = Claim(row.id, batch.claimed_at)
        if skipped := row_wanted(row=row):
            run.take(row_finish(claim, "skipped", status=Status.FAILED, error=skipped, attempts=row.attempts))
            continue
        if franchise.id not in context:
            context[franchise.id] = (
                post_summaries_recent(franchise_id=franchise.id),
                rejection_reasons_for_drafts(franchise_id=franchise.id),
            )
        recent, reasons = context[franchise.id]
        brief = draft_brief(row=row, franchise=franchise, recent_summaries=recent, rejection_reasons=reasons)
        request = {"custom_id": row.id.hex, "params": draft_params(brief, variation=row.is_variation)}
        size += len(json.dumps(request)) + 2
        if size > MAX_BATCH_BYTES:
            left = [r.id for r in rows[n:]]
            GenerationQueue.objects.filter(id__in=left, batch=batch, status=Status.PROCESSING).update(
                status=Status.PENDING, batch=None, processing_started_at=None, updated_at=clock.now()
            )
            break
        requests.append(request)
    return requests


def _batch_mark(batch: GenerationBatch, status: str, *, error: str = "", **fields) -> bool:
    """Move a live batch to `status` (fenced: only from a live status)."""
    return bool(
        GenerationBatch.objects.filter(
            id=batch.id, status__in=[BatchStatus.SUBMITTING, BatchStatus.IN_PROGRESS]
        ).update(status=status, error=error, updated_at=clock.now(), **fields)
    )


def _rows_waiting(batch: GenerationBatch, *, now: dt.datetime):
    """Rows the batch holds that no run is handling: never taken up, or taken up by a run that
    died (past the lease)."""
    return GenerationQueue.objects.filter(batch=batch, status=Status.PROCESSING).filter(
        Q(processing_started_at=batch.claimed_at) | Q(processing_started_at__lt=now - _lease_seconds())
    )


def _rows_return(batch: GenerationBatch, *, reason: str) -> int:
    now = clock.now()
    return _rows_waiting(batch, now=now).update(
        status=Status.PENDING,
        batch=None,
        processing_started_at=None,
        next_attempt_at=None,
        error=reason,
        updated_at=now,
    )


def _batch_give_up(batch: GenerationBatch, *, status: str, reason: str) -> int:
    """The batch ends as `status`; the rows it still holds go back to pending. Returns their number."""
    with transaction.atomic():
        if not _batch_mark(batch, status, error=reason):
            return 0
        return _rows_return(batch, reason=f"{reason} Queued again.")


def generation_batches_reclaim(*, now: dt.datetime) -> int:
    """Batches left submitting past the lease (the run died between claiming rows and recording
    Anthropic's answer): their rows go back to pending. Anthropic may have such a batch; the run
    that sent it cancels it if it lives, and nobody reads it. Returns the rows returned."""
    stale = GenerationBatch.objects.filter(status=BatchStatus.SUBMITTING, claimed_at__lt=now - _lease_seconds())
    reason = f"A batch was not sent within {settings.GENERATION_LEASE_SECONDS} s."
    return sum(_batch_give_up(batch, status=BatchStatus.FAILED, reason=reason) for batch in stale)


# --- collecting ----------------------------------------------------------------------------------


def generation_batches_collect(*, run: Run) -> Iterator[functools.partial[Outcome]]:
    """Poll every batch in progress and, once it has ended, yield the handling of each result as
    a task (process.py runs them, several at once). One run at a time works on a batch."""
    for batch in list(GenerationBatch.objects.filter(status=BatchStatus.IN_PROGRESS).order_by("submitted_at")):
        if run.over:
            return
        lease = clock.now()
        taken = (
            GenerationBatch.objects.filter(id=batch.id, status=BatchStatus.IN_PROGRESS)
            .filter(Q(polling_since__isnull=True) | Q(polling_since__lt=lease - _lease_seconds()))
            .update(polling_since=lease)
        )
        if not taken:
            continue  # another run is on it
        try:
            yield from _batch_collect(batch, run)
        finally:
            GenerationBatch.objects.filter(id=batch.id, polling_since=lease).update(polling_since=None)


def _batch_collect(batch: GenerationBatch, run: Run) -> Iterator[functools.partial[Outcome]]:
    now = clock.now()
    if not GenerationQueue.objects.filter(batch=batch, status=Status.PROCESSING).exists():
        _batch_mark(batch, BatchStatus.DONE)  # every row handled
        return
    waiting = {row.id.hex: row for row in _rows_waiting(batch, now=now).select_related("franchise", "post")}
    if not waiting:
        return  # the rows left are being handled right now
    try:
        if batch.ended_at is None:
            info = claude.batch_retrieve(batch_id=batch.anthropic_id)
            if info.processing_status != "ended":
                return
            batch.ended_at = info.ended_at or now
            GenerationBatch.objects.filter(id=batch.id).update(ended_at=batch.ended_at, updated_at=now)
        seen: set[str] = set()
        for result in claude.batch_results(batch_id=batch.anthropic_id):
            row = waiting.get(result.custom_id)
            if row is None or result.custom_id in seen:
                continue  # not this batch's to hand out any more
            seen.add(result.custom_id)
            claim = _take_up(row, batch)
            if claim is not None:
                yield functools.partial(_result_handle, claim=claim, row=row, result=result, budget=run.budget)
            if run.over:
                return
    except claude.AnthropicNotFoundError:
        reason = f"Anthropic no longer has batch {batch.anthropic_id}."
        returned = _batch_give_up(batch, status=BatchStatus.LOST, reason=reason)
        run.tally("returned", returned, f"batch {batch.anthropic_id}: lost; {returned} rows back to pending")
        return
    except claude.AnthropicError as exc:
        logger.warning("batch %s: %s; trying again next run", batch.anthropic_id, exc)
        run.stop = run.stop or isinstance(exc, claude.AnthropicRateLimitedError | claude.AnthropicAccountError)
        return
    # Every line is read: a row the file does not mention was never processed there.
    missing = [row.id for custom_id, row in waiting.items() if custom_id not in seen]
    if missing:
        returned = (
            _rows_waiting(batch, now=clock.now())
            .filter(id__in=missing)
            .update(
                status=Status.PENDING,
                batch=None,
                processing_started_at=None,
                error="The batch ended without an answer for this draft. Queued again.",
                updated_at=clock.now(),
            )
        )
        run.tally("returned", returned, f"batch {batch.anthropic_id}: {returned} rows without a result")


def _take_up(row: GenerationQueue, batch: GenerationBatch) -> Claim | None:
    """Take a waiting row up for handling its result: the compare-and-set that makes one run,
    and one only, handle it."""
    now = clock.now()
    won = GenerationQueue.objects.filter(
        id=row.id, batch=batch, status=Status.PROCESSING, processing_started_at=row.processing_started_at
    ).update(processing_started_at=now, updated_at=now)
    return Claim(row.id, now) if won else None


def _result_handle(*, claim: Claim, row: GenerationQueue, result: claude.BatchResult, budget) -> Outcome:
    """One result: a valid answer becomes the post; an invalid one is corrected, and a failed
    request retried, through the synchronous path; an expired or canceled one goes back to pending."""
    franchise = row.franchise
    if result.type == "succeeded":
        reply = result.reply
        usage_record(franchise_id=franchise.id, row_id=row.id, reply=reply, batch=True, purpose=usage_purpose(row))
        if skipped := row_wanted(row=row):
            return row_finish(
                claim, "skipped", status=Status.FAILED, error=skipped, attempts=row.attempts, usage=reply.usage
            )
        try:
            draft = draft_check(reply=reply, franchise=franchise, variation=row.is_variation)
        except DraftInvalid as problem:
            first = (draft_brief(row=row, franchise=franchise), reply, problem)
            return generation_row_process(claim=claim, budget=budget, first=first, spent=Spent(reply.usage))
        return row_complete(claim, row=row, franchise=franchise, draft=draft, usage=reply.usage, from_batch=True)
    if result.type == "errored":
        logger.info("batch request for row %s errored (%s); writing it synchronously", row.id, result.error)
        return generation_row_process(claim=claim, budget=budget)
    reason = f"The batch request {result.type} before Claude answered. Queued again."
    return row_finish(claim, "returned", status=Status.PENDING, error=reason, attempts=row.attempts)
