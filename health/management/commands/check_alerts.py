"""Email the operators (ADMINS) about stuck publish locks and generation-queue trouble.

Run it every few minutes from cron; each alert goes out at most once an hour per condition.
"""

from __future__ import annotations

from gbp_scheduler.cron import JobCommand, TimeBudget
from health.services import alerts_job


class Command(JobCommand):
    help = "Email the operators about stuck publish locks and generation-queue failures (once an hour each)."
    job_name = "check-alerts"

    def job(self, *, budget: TimeBudget) -> dict:
        return alerts_job(budget=budget)
