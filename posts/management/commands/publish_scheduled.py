"""`manage.py publish_scheduled`: the publish-scheduled job (declared in gbp_scheduler/jobs.py)."""

from gbp_scheduler.jobs import job_command

Command = job_command("publish-scheduled")
