"""`manage.py sync_reviews`: the sync-reviews job (declared in gbp_scheduler/jobs.py)."""

from gbp_scheduler.jobs import job_command

Command = job_command("sync-reviews")
