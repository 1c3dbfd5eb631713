"""Each job's last run, recorded from the `job_finished` signal of gbp_scheduler.jobs (every entry
point: cron URL, management command, the System page), for the System page to show. Kept apart
from services.py so that loading it at start-up costs nothing."""

from __future__ import annotations

import datetime as dt

from .models import JobRun


def job_run_record(*, job: str, started_at: dt.datetime, duration_ms: int, summary: dict, error: str) -> JobRun:
    """The run as the job's last; one row per job, overwritten."""
    run, _ = JobRun.objects.update_or_create(
        job=job,
        defaults={
            "started_at": started_at,
            "duration_ms": duration_ms,
            "ok": not error,
            "summary": summary,
            "error": error[:2000],
        },
    )
    return run


def job_run_record_received(sender, *, job, started_at, duration_ms, summary, error, **kwargs) -> None:
    job_run_record(job=job.name, started_at=started_at, duration_ms=duration_ms, summary=summary, error=error)
