"""The AI draft queue: one row per franchise, week and slot, processed by the queue cron; the
Message Batches its rows are sent in; and the tokens every Anthropic answer cost."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from franchises.models import Franchise
from posts.models import Post


class GenerationBatch(models.Model):
    """One Message Batch sent to Anthropic. While it is live (submitting or in progress), the
    queue rows it holds are `processing` with `batch` pointing here; a row is in at most one."""

    class Status(models.TextChoices):
        SUBMITTING = "submitting", "Submitting"  # rows claimed; Anthropic's batch id not recorded yet
        IN_PROGRESS = "in_progress", "In progress"  # Anthropic has it: polled until every row is handled
        DONE = "done", "Done"  # every row it held has been handled
        FAILED = "failed", "Failed"  # the create failed or never finished: its rows went back to pending
        LOST = "lost", "Lost"  # Anthropic no longer has it: its rows went back to pending

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    anthropic_id = models.CharField(max_length=100, blank=True, default="", help_text="msgbatch_...")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SUBMITTING)
    request_count = models.PositiveIntegerField(default=0)
    # The processing_started_at its rows were claimed with: a row still at this value has not been
    # taken up by a run collecting the results.
    claimed_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True, help_text="When Anthropic finished processing it.")
    # The lease of the run polling it or reading its results (one at a time).
    polling_since = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "generation_batches"
        ordering = ["-created_at"]
        verbose_name = "AI draft batch"
        verbose_name_plural = "AI draft batches"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["submitting", "in_progress", "done", "failed", "lost"]),
                name="generation_batches_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.anthropic_id or self.id} ({self.status}, {self.request_count} requests)"


class GenerationQueue(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="generation_queue")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # A weekly draft's week and slot; a repeating post's variation has neither (`series` instead).
    week_start = models.DateField(null=True, blank=True, help_text="Monday of the week the draft is for.")
    slot = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0-based position within the week.")
    # A variation of a repeating post's text for one occurrence (`post`, the draft waiting for it).
    series = models.ForeignKey(
        "posts.PostSeries", null=True, blank=True, on_delete=models.CASCADE, related_name="variation_rows"
    )
    scheduled_for = models.DateTimeField(help_text="When the resulting post is meant to go out.")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    error = models.TextField(blank=True, default="")
    # Tokens of every answer spent on this row (retries and corrections too), as Anthropic counted
    # them: uncached input, output, input read from and written to the prompt cache.
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cache_read_tokens = models.PositiveIntegerField(default=0)
    cache_write_tokens = models.PositiveIntegerField(default=0)
    # The batch holding the row while it is processing there; once completed, the one it went through.
    batch = models.ForeignKey(GenerationBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="rows")
    from_batch = models.BooleanField(default=False, help_text="The draft is a batch's answer (at half price).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "generation_queue"
        ordering = ["scheduled_for"]
        verbose_name = "AI draft to write"
        verbose_name_plural = "AI drafts to write (the generation queue)"
        constraints = [
            models.UniqueConstraint(fields=["franchise", "week_start", "slot"], name="generation_queue_one_per_slot"),
            models.CheckConstraint(
                condition=Q(series__isnull=False) | Q(week_start__isnull=False, slot__isnull=False),
                name="generation_queue_weekly_has_slot",
            ),
            models.UniqueConstraint(
                fields=["post"], condition=Q(series__isnull=False), name="generation_queue_one_variation_per_post"
            ),
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
        if self.series_id:
            return f"{self.franchise} variation for {self.scheduled_for:%Y-%m-%d} ({self.status})"
        return f"{self.franchise} {self.week_start} #{self.slot} ({self.status})"

    @property
    def is_variation(self) -> bool:
        return self.series_id is not None


class GenerationUsage(models.Model):
    """The tokens of one Anthropic answer: what the metrics page prices. An answer is billed
    whether or not it became a post, so every one is recorded, the AI help in the editor too."""

    class Purpose(models.TextChoices):
        DRAFT = "draft", "Weekly draft"
        ASSIST = "assist", "Editor help"
        VARIATION = "variation", "Repeating post variation"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="+")
    queue_row = models.ForeignKey(
        GenerationQueue, null=True, blank=True, on_delete=models.SET_NULL, related_name="usage"
    )
    purpose = models.CharField(max_length=10, choices=Purpose.choices, default=Purpose.DRAFT)
    batch = models.BooleanField(default=False, help_text="Answered in a Message Batch (half price).")
    model = models.CharField(max_length=100, blank=True, default="")
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cache_read_tokens = models.PositiveIntegerField(default=0)
    cache_write_tokens = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "generation_usage"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["franchise", "created_at"], name="generation_usage_franchise_idx"),
            models.Index(fields=["created_at"], name="generation_usage_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.input_tokens}+{self.output_tokens} tokens{' (batch)' if self.batch else ''}"


class DraftRejection(models.Model):
    """An AI draft rejected from the review queue, kept for a while so the rejection can be undone:
    what the draft was (`snapshot`, to write it again as a new draft), and the history event that
    carries the reason (an undone rejection's reason is not given to the next drafts). Rejected
    together (one click on many drafts), rejections share a `batch` and are undone together."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    batch = models.UUIDField(db_index=True)
    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="+")
    post_id = models.UUIDField(help_text="The rejected post's id (the row itself is gone).")
    event_id = models.UUIDField(help_text="Its REJECTED history event (post_events).")
    snapshot = models.JSONField(help_text="The draft's content and planned time.")
    reason = models.CharField(max_length=300, blank=True, default="")
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rejected_at = models.DateTimeField(default=timezone.now)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "generation_draft_rejections"
        ordering = ["-rejected_at"]
        indexes = [models.Index(fields=["rejected_by", "-rejected_at"], name="draft_rejections_user_idx")]

    def __str__(self) -> str:
        return f"Rejected draft {self.post_id} at {self.rejected_at:%Y-%m-%d %H:%M}"
