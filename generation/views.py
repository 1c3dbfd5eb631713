"""The cron endpoints: thin wrappers over the two jobs (auth, budget and JSON in gbp_scheduler.cron)."""

from __future__ import annotations

from gbp_scheduler.cron import cron_view
from generation.services import generation_queue_fill, generation_queue_process

generate_drafts = cron_view("generate-drafts", generation_queue_fill)
process_generation_queue = cron_view("process-generation-queue", generation_queue_process)
