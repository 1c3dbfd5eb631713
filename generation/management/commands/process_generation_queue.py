"""`manage.py process_generation_queue`: the process-generation-queue job (declared in gbp_scheduler/jobs.py)."""

from gbp_scheduler.jobs import job_command

Command = job_command("process-generation-queue")
