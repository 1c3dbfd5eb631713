"""`manage.py process_generation_queue`: turn due queue rows into posts with Claude (every 15 min)."""

from __future__ import annotations

from gbp_scheduler.cron import JobCommand, TimeBudget
from generation.services import generation_queue_process


class Command(JobCommand):
    help = "Write AI drafts for due generation queue rows; prints one line per row, then the summary."
    job_name = "process-generation-queue"

    def job(self, *, budget: TimeBudget) -> dict:
        return generation_queue_process(budget=budget, report=self.stdout.write)
