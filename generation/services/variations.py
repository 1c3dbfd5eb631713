"""A repeating post's variations: one queue row per occurrence waiting for Claude's new words.

The series makes each occurrence of a series that asks for variations as a draft in its own words
(posts/services/series.py); this puts a row for it on the generation queue, and the queue (the
synchronous path, or a Message Batch for rows that can wait) asks Claude to say the text again
differently. The answer replaces the draft's text and makes it an AI draft, reviewed in the drafts
review like a weekly one (rows.py: row_complete): nothing is published before a person approves it.
"""

from __future__ import annotations

import datetime as dt

from gbp_scheduler import clock
from generation.models import GenerationQueue
from posts.services.series import series_variations_wanted


def variation_rows_fill(*, now: dt.datetime) -> int:
    """A pending row for each occurrence waiting for a variation that has none yet; idempotent (one
    row per occurrence: a unique constraint, so two runs at once insert it once). Rows added."""
    # Rows whose post is gone hold NULL, which would make NOT IN match nothing: left out.
    queued = GenerationQueue.objects.filter(series__isnull=False, post__isnull=False).values("post_id")
    waiting = series_variations_wanted(now=now).exclude(pk__in=queued)
    rows = [
        GenerationQueue(
            franchise_id=post.franchise_id, series_id=post.series_id, post_id=post.pk, scheduled_for=post.scheduled_at
        )
        for post in waiting.only("id", "franchise_id", "series_id", "scheduled_at")[:1000]
    ]
    return len(GenerationQueue.objects.bulk_create(rows, ignore_conflicts=True)) if rows else 0


def variation_wanted(*, row: GenerationQueue) -> bool:
    """The row's occurrence still waits for its variation (not edited, scheduled or deleted since,
    its series still running and asking for one, its time still ahead)."""
    return row.post_id is not None and series_variations_wanted(now=clock.now()).filter(pk=row.post_id).exists()
