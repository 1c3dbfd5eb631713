from gbp_scheduler.cron import JobCommand, TimeBudget
from posts.services import Result, posts_publish_due


class Command(JobCommand):
    help = "Publish due scheduled posts to Google, exactly once (the publish-scheduled cron job)."
    job_name = "publish-scheduled"

    def job(self, *, budget: TimeBudget) -> dict:
        return posts_publish_due(budget=budget, on_result=self.progress)

    def progress(self, result: Result) -> None:
        note = " (found on Google, adopted)" if result.reconciled else ""
        detail = f": {result.message}" if result.message else ""
        self.stdout.write(f"post {result.post_id} {result.outcome}{note}{detail}")
