"""`manage.py fetch_search_keywords`: the fetch-search-keywords job (declared in gbp_scheduler/jobs.py)."""

from gbp_scheduler.jobs import job_command

Command = job_command("fetch-search-keywords")
