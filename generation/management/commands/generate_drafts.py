"""`manage.py generate_drafts`: the generate-drafts job (declared in gbp_scheduler/jobs.py)."""

from gbp_scheduler.jobs import job_command

Command = job_command("generate-drafts")
