"""`manage.py check_posting_rights`: the check-posting-rights job (declared in gbp_scheduler/jobs.py)."""

from gbp_scheduler.jobs import job_command

Command = job_command("check-posting-rights")
