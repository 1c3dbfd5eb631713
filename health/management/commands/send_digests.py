"""`manage.py send_digests`: the send-digests job (declared in gbp_scheduler/jobs.py)."""

from gbp_scheduler.jobs import job_command

Command = job_command("send-digests")
