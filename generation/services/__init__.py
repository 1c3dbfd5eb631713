"""The generation jobs, each `fn(*, budget) -> counts` for gbp_scheduler.jobs: generate-drafts
fills the queue (fill.py), process-generation-queue turns rows into posts with Claude (process.py:
through Message Batches, batches.py, or one synchronous conversation per row, drafting.py). The
editor's AI help is assist.py."""

from __future__ import annotations

from generation.services.drafting import generation_row_process
from generation.services.fill import generation_queue_fill
from generation.services.process import (
    generation_queue_process,
    generation_queue_reclaim,
    generation_row_claim,
)

__all__ = [
    "generation_queue_fill",
    "generation_queue_process",
    "generation_queue_reclaim",
    "generation_row_claim",
    "generation_row_process",
]
