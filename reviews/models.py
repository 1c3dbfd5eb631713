"""Each location's Google reviews, the reply people want on Google, and how far the sync read.

A review mirrors Google's (reviewer, stars, text, times; its reply as Google has it, with the
moderation state and policy violation). The reply people want is ours: `reply_text` while
`reply_wanted`, at `reply_version`; `reply_sent_version` is the version Google has. A draft (by
hand or by Claude) waits in `draft_text` until someone approves it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from franchises.models import Franchise


class ReplyState(models.TextChoices):
    """Google's moderation of a reply (its ReviewReplyState)."""

    PENDING = "PENDING", "Waiting for Google's check"
    APPROVED = "APPROVED", "Published on Google"
    REJECTED = "REJECTED", "Rejected by Google"


class DraftSource(models.TextChoices):
    MANUAL = "manual", "Written by hand"
    AI = "ai", "Drafted by Claude"


# A review's reply still to be sent to Google: its wanted state is newer than what Google has, and
# sending that version has not failed for good.
REPLY_PENDING = ~Q(reply_version=F("reply_sent_version")) & ~Q(reply_failed_version=F("reply_version"))


class ReplyDraftBatch(models.Model):
    """A Message Batch of reply drafts (a backlog at half price): the reviews in it point here
    (`Review.draft_batch`) until their draft is read or the batch is given up."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted"
        ENDED = "ended"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    anthropic_id = models.CharField(max_length=100, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    request_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    polling_since = models.DateTimeField(null=True, blank=True)  # one run at a time reads it
    error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "review_reply_draft_batches"

    def __str__(self) -> str:
        return f"{self.anthropic_id or self.pk} ({self.status})"


class Review(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="reviews")
    google_name = models.CharField(max_length=300, unique=True)  # accounts/{a}/locations/{l}/reviews/{r}
    reviewer_name = models.CharField(max_length=300, blank=True, default="")
    reviewer_anonymous = models.BooleanField(default=False)
    stars = models.PositiveSmallIntegerField()  # 1..5
    comment = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()  # Google's createTime
    google_updated_at = models.DateTimeField()  # Google's updateTime
    gone_at = models.DateTimeField(null=True, blank=True)  # no longer on Google (taken down)
    reply_url = models.URLField(max_length=500, blank=True, default="")

    # The reply as Google has it (None: no reply on Google), and Google's moderation of it.
    google_reply = models.TextField(null=True, blank=True)
    google_reply_at = models.DateTimeField(null=True, blank=True)
    google_reply_state = models.CharField(max_length=10, choices=ReplyState.choices, blank=True, default="")
    policy_violation = models.JSONField(default=dict, blank=True)

    # A draft waiting for approval.
    draft_text = models.TextField(blank=True, default="")
    draft_source = models.CharField(max_length=10, choices=DraftSource.choices, blank=True, default="")
    drafted_at = models.DateTimeField(null=True, blank=True)
    draft_batch = models.ForeignKey(
        ReplyDraftBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="reviews"
    )

    # The reply people want on Google; versions fence the send (services/replies.py).
    reply_text = models.TextField(blank=True, default="")
    reply_wanted = models.BooleanField(default=False)
    reply_version = models.PositiveIntegerField(default=0)
    reply_sent_version = models.PositiveIntegerField(default=0)
    reply_failed_version = models.PositiveIntegerField(default=0)
    reply_sending_at = models.DateTimeField(null=True, blank=True)  # the send's claim (DB time)
    reply_error = models.TextField(blank=True, default="")
    replied_at = models.DateTimeField(null=True, blank=True)  # when our first reply reached Google
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    low_star_notice_at = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "reviews"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["franchise", "-created_at"], name="reviews_franchise_created"),
            models.Index(fields=["-created_at"], name="reviews_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="reviews_stars_one_to_five"),
        ]

    def __str__(self) -> str:
        return f"{self.stars}★ {self.reviewer_name}: {self.comment[:40]}"

    @property
    def is_answered(self) -> bool:
        return self.google_reply is not None

    @property
    def reply_pending(self) -> bool:
        return self.reply_version != self.reply_sent_version and self.reply_failed_version != self.reply_version


class ReviewEvent(models.Model):
    """A review's history: what people and Google did to it and its reply."""

    id = models.BigAutoField(primary_key=True)
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    what = models.CharField(max_length=300)

    class Meta:
        db_table = "review_events"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.what


class ReviewSync(models.Model):
    """How far the sync-reviews job has read a location: `synced_at` is when a run last took it
    (claimed by a conditional UPDATE), `read_through` when its last complete read began (a later
    run stops paging at reviews not changed since, less an overlap), `full_read_at` when it last
    read every page (to notice deleted reviews), `last_error` why the last try failed."""

    franchise = models.OneToOneField(Franchise, on_delete=models.CASCADE, primary_key=True, related_name="review_sync")
    synced_at = models.DateTimeField(null=True, blank=True)
    read_through = models.DateTimeField(null=True, blank=True)
    full_read_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "review_syncs"

    def __str__(self) -> str:
        return f"Reviews of {self.franchise_id} read {self.synced_at}"


class ReplyDraftUsage(models.Model):
    """The tokens Claude spent drafting replies (one row per call or batch result)."""

    id = models.BigAutoField(primary_key=True)
    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    batch = models.BooleanField(default=False)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cache_read_tokens = models.PositiveIntegerField(default=0)
    cache_write_tokens = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "review_reply_draft_usage"

    def __str__(self) -> str:
        return f"{self.input_tokens} in, {self.output_tokens} out"
