"""`manage.py prune_idempotency_keys`: the prune-idempotency-keys job (declared in gbp_scheduler/jobs.py)."""

from gbp_scheduler.jobs import job_command

Command = job_command("prune-idempotency-keys")
