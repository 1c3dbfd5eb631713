"""`manage.py draft_review_replies`: the draft-review-replies job (declared in gbp_scheduler/jobs.py)."""

from gbp_scheduler.jobs import job_command

Command = job_command("draft-review-replies")
