"""Operator alerts already sent, so that every process agrees on "at most once an hour"."""

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
