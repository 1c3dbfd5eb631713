from gbp_scheduler.jobs import job_command

Command = job_command("materialise-series")
