"""`manage.py generate_drafts`: queue the coming week's AI draft slots (weekly)."""

from __future__ import annotations

from gbp_scheduler.cron import JobCommand, TimeBudget
from generation.services import generation_queue_fill


class Command(JobCommand):
    help = "Queue AI draft slots for the coming week (no AI calls; safe to rerun)."
    job_name = "generate-drafts"

    def job(self, *, budget: TimeBudget) -> dict:
        return generation_queue_fill(budget=budget)
