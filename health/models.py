"""Operator alerts already sent, so that every process agrees on "at most once an hour"; each
job's last run, for the System page."""

from __future__ import annotations

from django.db import models


class AlertSent(models.Model):
    """The last time the alert for one condition (e.g. "stuck-locks") went out.

    One row per condition; the alert service claims a send with a conditional UPDATE on
    `sent_at`, so two cron runs at once send one email, not two.
    """

    key = models.CharField(max_length=100, primary_key=True)
    sent_at = models.DateTimeField()
    detail = models.TextField(blank=True, default="", help_text="What the last alert said.")

    class Meta:
        db_table = "health_alerts_sent"
        verbose_name = "alert sent"
        verbose_name_plural = "alerts sent"

    def __str__(self) -> str:
        return f"{self.key} at {self.sent_at:%Y-%m-%d %H:%M}"


class JobRun(models.Model):
    """The last run of one job (gbp_scheduler.jobs.JOBS), from any entry point: the cron URL, the
    management command or the System page's "Run now". One row per job, overwritten by each run."""

    job = models.CharField(max_length=64, primary_key=True)
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    ok = models.BooleanField(help_text="False when the run itself broke (database, configuration).")
    summary = models.JSONField(default=dict, blank=True, help_text="The run's JSON answer.")
    error = models.TextField(blank=True, default="", help_text="Why the run broke.")

    class Meta:
        db_table = "health_job_runs"
        ordering = ["job"]

    def __str__(self) -> str:
        return f"{self.job} at {self.started_at:%Y-%m-%d %H:%M} ({'ok' if self.ok else 'broke'})"


class PostFailureNotice(models.Model):
    """A failed post whose franchise's admins were emailed about it: once per post. The row's
    INSERT is the claim, so two runs at once send one email."""

    post = models.OneToOneField("posts.Post", on_delete=models.CASCADE, primary_key=True, related_name="+")
    sent_at = models.DateTimeField()
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "health_post_failure_notices"

    def __str__(self) -> str:
        return f"Failure of post {self.post_id} told at {self.sent_at:%Y-%m-%d %H:%M}"


class FranchiseDigest(models.Model):
    """A franchise's weekly digest, sent to its admins once per week (`week_start`, the Monday in
    the franchise's zone). The row's INSERT is the claim."""

    id = models.BigAutoField(primary_key=True)
    franchise = models.ForeignKey("franchises.Franchise", on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField()
    sent_at = models.DateTimeField()
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "health_franchise_digests"
        constraints = [models.UniqueConstraint(fields=["franchise", "week_start"], name="franchise_digest_once_a_week")]

    def __str__(self) -> str:
        return f"Digest of {self.franchise_id} for the week of {self.week_start}"
