"""`manage.py deliver_webhooks`: the deliver-webhooks job (declared in gbp_scheduler/jobs.py)."""

from gbp_scheduler.jobs import job_command

Command = job_command("deliver-webhooks")
