"""A Google Business Profile post: drafted, scheduled, published once, or failed."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from franchises.models import Franchise

SUMMARY_MAX_LENGTH = 1500  # Google rejects longer summaries.


class Post(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        PUBLISHED = "published", "Published"
        FAILED = "failed", "Failed"

    class Source(models.TextChoices):
        MANUAL = "manual", "Manual"
        AI = "ai", "AI"

    class TopicType(models.TextChoices):
        STANDARD = "STANDARD", "Update"
        EVENT = "EVENT", "Event"
        OFFER = "OFFER", "Offer"
        ALERT = "ALERT", "Alert"

    class ActionType(models.TextChoices):
        NONE = "", "No button"
        BOOK = "BOOK", "Book"
        ORDER = "ORDER", "Order online"
        SHOP = "SHOP", "Buy"
        LEARN_MORE = "LEARN_MORE", "Learn more"
        SIGN_UP = "SIGN_UP", "Sign up"
        CALL = "CALL", "Call now"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="posts")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)

    # Publishing: scheduled_at is when it should go out; publishing_at is the publish lock
    # (the time a runner claimed it), NULL when nobody holds it.
    scheduled_at = models.DateTimeField(null=True, blank=True)
    publishing_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    # When the latest attempt that may have sent a create to Google began. Google's create has no
    # idempotency key, so while this is set the outcome of that attempt is unknown: the next
    # attempt first looks for the post on Google (reconciles) before creating it again.
    google_create_sent_at = models.DateTimeField(null=True, blank=True)

    # The LocalPost fields.
    summary = models.TextField()
    language_code = models.CharField(max_length=16, default="en")
    topic_type = models.CharField(max_length=10, choices=TopicType.choices, default=TopicType.STANDARD)
    cta_action_type = models.CharField(max_length=12, choices=ActionType.choices, blank=True, default="")
    cta_url = models.URLField(max_length=1000, blank=True, default="")
    media_url = models.URLField(max_length=1000, blank=True, default="")
    event_title = models.CharField(max_length=200, blank=True, default="")
    event_start = models.DateTimeField(null=True, blank=True)
    event_end = models.DateTimeField(null=True, blank=True)
    offer_coupon_code = models.CharField(max_length=100, blank=True, default="")
    offer_redeem_url = models.URLField(max_length=1000, blank=True, default="")
    offer_terms = models.TextField(blank=True, default="")

    # What Google returned.
    google_post_name = models.CharField(max_length=300, blank=True, default="")
    google_search_url = models.URLField(max_length=1000, blank=True, default="")
    google_state = models.CharField(max_length=20, blank=True, default="")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "posts"
        ordering = ["-scheduled_at", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "scheduled", "published", "failed"]), name="posts_status_valid"
            ),
            models.CheckConstraint(condition=Q(source__in=["manual", "ai"]), name="posts_source_valid"),
            models.CheckConstraint(
                condition=Q(topic_type__in=["STANDARD", "EVENT", "OFFER", "ALERT"]), name="posts_topic_type_valid"
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("summary"), SUMMARY_MAX_LENGTH), name="posts_summary_max_length"
            ),
            models.CheckConstraint(
                condition=~Q(status="scheduled") | Q(scheduled_at__isnull=False),
                name="posts_scheduled_needs_time",
            ),
        ]
        indexes = [
            # The publish cron's due query: scheduled posts by time.
            models.Index(fields=["scheduled_at"], condition=Q(status="scheduled"), name="posts_due_idx"),
            # The seed's "stuck in publishing" query and stale-lock takeover.
            models.Index(fields=["publishing_at"], condition=Q(publishing_at__isnull=False), name="posts_lock_idx"),
            # Dashboard lists and calendars: a franchise's posts by time.
            models.Index(fields=["franchise", "scheduled_at"], name="posts_franchise_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.summary[:60]} ({self.status})"

    @property
    def is_locked(self) -> bool:
        return self.publishing_at is not None


class PostEvent(models.Model):
    """One change to a post, kept as its history: who did what, when.

    The post may be gone (deleted or rejected); its franchise and an excerpt of its text stay
    so the franchise's history still reads."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        EDITED = "edited", "Edited"
        SCHEDULED = "scheduled", "Approved and scheduled"
        UNSCHEDULED = "unscheduled", "Unscheduled"
        PUBLISHED = "published", "Published"
        FAILED = "failed", "Failed to publish"
        RETRIED = "retried", "Retried"
        DUPLICATED = "duplicated", "Duplicated"
        REJECTED = "rejected", "Rejected"
        DELETED = "deleted", "Deleted"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="post_events")
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    # NULL actor: the publish job (or another automatic process) did it.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=12, choices=Action.choices)
    detail = models.CharField(max_length=500, blank=True, default="")
    post_excerpt = models.CharField(max_length=120, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "post_events"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["franchise", "-created_at"], name="post_events_franchise_idx"),
            models.Index(fields=["post", "-created_at"], name="post_events_post_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor or 'the system'} at {self.created_at:%Y-%m-%d %H:%M}"
