"""`manage.py check_alerts`: the check-alerts job (declared in gbp_scheduler/jobs.py)."""

from gbp_scheduler.jobs import job_command

Command = job_command("check-alerts")
