"""The AI draft queue: one row per franchise, week and slot, processed by the queue cron."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from franchises.models import Franchise
from posts.models import Post


class GenerationQueue(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="generation_queue")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    week_start = models.DateField(help_text="Monday of the week the draft is for.")
    slot = models.PositiveSmallIntegerField(help_text="0-based position within the week.")
    scheduled_for = models.DateTimeField(help_text="When the resulting post is meant to go out.")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    error = models.TextField(blank=True, default="")
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "generation_queue"
        ordering = ["scheduled_for"]
        constraints = [
            models.UniqueConstraint(fields=["franchise", "week_start", "slot"], name="generation_queue_one_per_slot"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "processing", "completed", "failed"]),
                name="generation_queue_status_valid",
            ),
        ]
        indexes = [
            # The queue cron's claim: pending rows whose retry time has come.
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="genq_pending_idx"),
            # Taking back rows left in processing by a run that died.
            models.Index(
                fields=["processing_started_at"], condition=Q(status="processing"), name="genq_processing_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.franchise} {self.week_start} #{self.slot} ({self.status})"
