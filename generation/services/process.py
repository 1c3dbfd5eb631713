"""process-generation-queue: turn queue rows into posts with Claude, through Message Batches
(batches.py) for rows that can wait and synchronous calls (drafting.py) for the rest."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections
from django.db.models import F

from gbp_scheduler import clock
from gbp_scheduler.jobs import TimeBudget
from generation.models import GenerationQueue
from generation.selectors import generation_queue_due
from generation.services.batches import (
    generation_batches_collect,
    generation_batches_reclaim,
    generation_batches_submit,
)
from generation.services.drafting import generation_row_process
from generation.services.rows import Claim, Outcome, Run, row_finish
from generation.services.variations import variation_rows_fill

logger = logging.getLogger(__name__)
Status = GenerationQueue.Status
Task = Callable[[], Outcome]


def generation_queue_process(*, budget: TimeBudget, report: Callable[[str], None] | None = None) -> dict:
    """Turn queue rows into posts.

    1. Take back rows left in `processing` past GENERATION_LEASE_SECONDS by a run that died, and
       the rows of batches whose submission never finished; queue a row for each repeating post's
       occurrence waiting for Claude's variation (variations.py).
    2. With ANTHROPIC_USE_BATCHES, send the due rows whose slot is GENERATION_SYNC_LEAD_HOURS or
       more away to Anthropic in Message Batches (one custom_id per row), and go on: the batch
       is collected by this or a later run.
    3. Read the results of every batch that has ended: an answer that passes the checks becomes a
       post; one that fails them gets its correction, and a failed request a fresh try, through
       the synchronous path; an expired or lost request goes back to pending.
    4. Claim the other due rows (with batches on: those due soon) one at a time and ask Claude
       synchronously, so a row never waits in this run while its lease runs.
    Up to GENERATION_CONCURRENCY calls are with Claude at once. The run stops taking work when
    the time budget is spent, or when Anthropic rate-limits us or refuses the key, model or
    account. Without ANTHROPIC_API_KEY it refuses to start (bad configuration), touching no row.
    """
    if not settings.ANTHROPIC_API_KEY:
        raise ImproperlyConfigured("ANTHROPIC_API_KEY is not set: process-generation-queue cannot write drafts.")
    run = Run(budget=budget, report=report, counts=dict.fromkeys(
        ("completed", "failed", "deferred", "skipped", "lost_claim", "returned", "submitted", "batches"), 0
    ))  # fmt: skip
    now = clock.now()
    reclaimed, failed = generation_queue_reclaim(now=now)
    run.tally("reclaimed", reclaimed)
    run.tally("failed", failed)
    run.tally("returned", generation_batches_reclaim(now=now))
    run.tally("variations_queued", variation_rows_fill(now=now))
    if settings.ANTHROPIC_USE_BATCHES:
        generation_batches_submit(run=run)
    # Batches are collected even with ANTHROPIC_USE_BATCHES turned off: their rows wait on them.
    _tasks_run(run, _work(run))
    return run.counts


def _work(run: Run) -> Iterator[Task]:
    """What this run does, lazily: first the results of ended batches, then synchronous claims."""
    yield from generation_batches_collect(run=run)
    handled: set[uuid.UUID] = set()  # a row deferred with a tiny jitter must wait for the next run
    sync_before = (
        clock.now() + dt.timedelta(hours=settings.GENERATION_SYNC_LEAD_HOURS)
        if settings.ANTHROPIC_USE_BATCHES
        else None
    )
    while not run.over and (claim := generation_row_claim(exclude_ids=handled, sync_before=sync_before)):
        handled.add(claim.id)
        yield functools.partial(generation_row_process, claim=claim, budget=run.budget)


def _tasks_run(run: Run, tasks: Iterator[Task]) -> None:
    concurrency = max(1, settings.GENERATION_CONCURRENCY)
    try:
        if concurrency == 1:
            # In the caller's thread and connection: no pool to pay for, and it sees the caller's transaction.
            for task in tasks:
                run.take(_guarded(task))
                if run.over:
                    break
            return
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="generation") as pool:
            running: set[Future[Outcome]] = set()
            while True:
                if len(running) >= concurrency:
                    done, running = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        run.take(future.result())
                    continue
                task = None if run.over else next(tasks, None)
                if task is None:
                    break
                running.add(pool.submit(_in_thread, task))
            for future in running:
                run.take(future.result())
    finally:
        tasks.close()  # a batch being collected gives back its lease


def _guarded(task: Task) -> Outcome:
    """A bug while handling one row fails that row with the reason, not the whole run. Database
    errors still break the run: then nothing can be recorded anyway."""
    claim: Claim = task.keywords["claim"]
    try:
        return task()
    except GenerationQueue.DoesNotExist:
        return Outcome(claim.id, "lost_claim", "the row was deleted (its franchise too?) while processing")
    except DatabaseError:
        raise
    except Exception as exc:
        logger.exception("generation row %s broke", claim.id)
        row_attempts = GenerationQueue.objects.filter(id=claim.id).values_list("attempts", flat=True).first() or 0
        error = f"Internal error while generating ({exc.__class__.__name__}): {exc}"
        return row_finish(claim, "failed", status=Status.FAILED, error=error, attempts=row_attempts + 1)


def _in_thread(task: Task) -> Outcome:
    try:
        return _guarded(task)
    finally:
        connections.close_all()  # this thread's connections only; a pool thread must not leak them


def generation_queue_reclaim(*, now: dt.datetime) -> tuple[int, int]:
    """Rows in `processing` longer than the lease belong to a run that died (or hung past any
    timeout). Their try counts as an attempt. Rows still waiting in a batch are the batch's (a
    batch may take 24 h); one that a run collecting the batch had taken up is not. Returns
    (taken back to pending, failed for good)."""
    stale = GenerationQueue.objects.filter(
        status=Status.PROCESSING,
        processing_started_at__lt=now - dt.timedelta(seconds=settings.GENERATION_LEASE_SECONDS),
    ).exclude(batch__isnull=False, processing_started_at=F("batch__claimed_at"))
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
        batch=None,
        error=f"{reason} Taken back for another try.",
        updated_at=now,
    )
    return taken_back, failed


def generation_row_claim(
    *, exclude_ids: set[uuid.UUID] | frozenset = frozenset(), sync_before: dt.datetime | None = None
) -> Claim | None:
    """Claim the next due row (with `sync_before`: whose slot is before it) with a compare-and-set
    UPDATE that re-checks everything that made it due (still pending, retry time come). Autocommit:
    the claim is visible to other runs before anything slow happens. A lost race moves on."""
    while True:
        now = clock.now()
        due = generation_queue_due(now=now, exclude_ids=exclude_ids, sync_before=sync_before)
        candidates = list(due.values_list("id", flat=True)[:10])
        if not candidates:
            return None
        for row_id in candidates:
            won = (
                generation_queue_due(now=now, sync_before=sync_before)
                .filter(id=row_id)
                .update(status=Status.PROCESSING, processing_started_at=now, batch=None, updated_at=now)
            )
            if won:
                return Claim(id=row_id, started_at=now)
