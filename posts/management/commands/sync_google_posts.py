"""`manage.py sync_google_posts`: the sync-google-posts job (declared in gbp_scheduler/jobs.py)."""

from gbp_scheduler.jobs import job_command

Command = job_command("sync-google-posts")
