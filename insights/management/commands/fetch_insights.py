"""`manage.py fetch_insights`: the fetch-insights job (declared in gbp_scheduler/jobs.py)."""

from gbp_scheduler.jobs import job_command

Command = job_command("fetch-insights")
