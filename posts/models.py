"""A Google Business Profile post: drafted, scheduled, published once, or failed."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce, Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from franchises.models import Franchise
from gbp_scheduler import clock
from gbp_scheduler.times import EARLIEST, LATEST, validate_sane_datetime

from . import content
from .content import SUMMARY_MAX_LENGTH, PostContent, TopicType

# Google's states of a published post that take it off Google for customers: its review rejected
# it (a content policy), or it is gone (the location's owner deleted it in Google's own interface).
# Staff are told; the post can be edited and republished, or the notice dismissed.
GOOGLE_REJECTED = "REJECTED"
GOOGLE_REMOVED = "REMOVED"
OFF_GOOGLE_STATES = (GOOGLE_REJECTED, GOOGLE_REMOVED)
# A published post Google rejected or removed whose notice nobody dismissed yet.
GOOGLE_NOTICE_OPEN = Q(status="published", google_state__in=OFF_GOOGLE_STATES, google_notice_dismissed_at__isnull=True)
# A draft whose time passed while its franchise was on hold: it waits for someone (posts/services/holds.py).
MISSED_TIME = Q(status="draft") & ~Q(held_reason="")

# A post given a time again starts afresh: no attempts, backoff, error, hold or publish lock.
FRESH_START = {"attempts": 0, "next_attempt_at": None, "last_error": "", "held_reason": "", "publishing_at": None}


class Post(PostContent):
    """A post. Its content (text, type, event and offer details, button, photo, language) is
    declared once in posts/content.py, as PostContent's columns: Post.TopicType and
    Post.ActionType are its choices."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        PUBLISHED = "published", "Published"
        FAILED = "failed", "Failed"

    class Source(models.TextChoices):
        MANUAL = "manual", "Manual"
        AI = "ai", "AI"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="posts")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)

    # Publishing: scheduled_at is when it should go out; publishing_at is the publish lock
    # (the time a runner claimed it), NULL when nobody holds it.
    scheduled_at = models.DateTimeField(null=True, blank=True, validators=[validate_sane_datetime])
    publishing_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # The time a person sees for the post (lists, calendars): when it was published, else when it
    # is planned. Kept by the database itself on every write, so pages range over it and count by
    # it from an index alone. Read it from a query: after save() it is fetched again when used.
    shown_at = models.GeneratedField(
        expression=Coalesce("published_at", "scheduled_at"),
        output_field=models.DateTimeField(null=True, blank=True),
        db_persist=True,
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    # A draft whose time passed while its franchise was on hold (posts/services/holds.py): why it
    # waits for a person instead of going out late. Cleared when it is scheduled again.
    held_reason = models.CharField(max_length=500, blank=True, default="")
    # When the latest attempt that may have sent a create to Google began. Google's create has no
    # idempotency key, so while this is set the outcome of that attempt is unknown: the next
    # attempt first looks for the post on Google (reconciles) before creating it again.
    google_create_sent_at = models.DateTimeField(null=True, blank=True)
    # The LocalPost body that attempt sent (or was about to send): a later reconcile looks for
    # this, not for today's text, which staff may have edited since.
    google_sent_body = models.JSONField(null=True, blank=True)
    # Where that create went ("accounts/{a}/locations/{l}"): the franchise may have moved to
    # another location since, and the copy is looked for (or removed) where it may be.
    google_sent_location = models.CharField(max_length=300, blank=True, default="")
    # The copy's identity while its create's outcome is unknown: the location, type and text
    # (posts/services/google_copy.py: copy_key). At most one unknown create per key is ever
    # outstanding, across posts and pending deletions, so a copy found by it is no one else's.
    google_sent_key = models.CharField(max_length=64, blank=True, default="")
    # Bumped by every change of the content: a publish run sends the content it read under its
    # claim, and an editor saves only over the version it loaded.
    version = models.PositiveIntegerField(default=1)
    # A published post whose copy on Google is older than this row (an edit's PATCH did not
    # finish, or an adopted copy differed): the publish job patches Google from the row.
    google_needs_update = models.BooleanField(default=False)

    # What Google returned, kept current by the sync job (posts/services/google_sync.py).
    google_post_name = models.CharField(max_length=300, blank=True, default="")
    google_search_url = models.URLField(max_length=1000, blank=True, default="")
    google_state = models.CharField(max_length=20, blank=True, default="")
    google_update_time = models.DateTimeField(null=True, blank=True)  # Google's `updateTime`
    # A post Google rejected or removed: when its franchise's admins were told (once per post,
    # until it is republished), and when someone dismissed the notice.
    google_notice_sent_at = models.DateTimeField(null=True, blank=True)
    google_notice_dismissed_at = models.DateTimeField(null=True, blank=True)

    # An occurrence of a repeating post (posts/services/series.py): its series, the local day it
    # stands for (one post per series and day, so materialising twice never makes two), the
    # series' version it was made from, and whether a person changed it since, which keeps the
    # series' later edits off it.
    series = models.ForeignKey(
        "PostSeries", null=True, blank=True, on_delete=models.SET_NULL, related_name="occurrences"
    )
    series_day = models.DateField(null=True, blank=True)
    series_version = models.PositiveIntegerField(null=True, blank=True)
    series_edited = models.BooleanField(default=False)
    # Which of the series' texts it was made from (0 = its main text), kept so that changing the
    # list does not reshuffle the posts already made (posts/services/series.py: rotation).
    series_text = models.PositiveSmallIntegerField(null=True, blank=True)
    # The headquarters announcement it was sent as (posts/services/announcements.py), if any.
    announcement = models.ForeignKey(
        "Announcement", null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )

    # Waiting for approval (posts/services/approvals.py): who must act ("admin" or "headquarters",
    # franchises/approval_policy.py), blank when nobody. Such a post stays a `draft` (the contract's
    # statuses are unchanged) with its planned time, so no publish path can take it.
    approval_waiting_for = models.CharField(max_length=12, blank=True, default="")
    approval_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approval_requested_at = models.DateTimeField(null=True, blank=True)

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
            # A post waiting for approval is a draft: never scheduled, so never published.
            models.CheckConstraint(
                condition=Q(approval_waiting_for="")
                | Q(status="draft", approval_waiting_for__in=["admin", "headquarters"]),
                name="posts_waiting_for_approval_is_draft",
            ),
            models.CheckConstraint(condition=Q(topic_type__in=TopicType.values), name="posts_topic_type_valid"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("summary"), SUMMARY_MAX_LENGTH), name="posts_summary_max_length"
            ),
            models.CheckConstraint(
                condition=~Q(status="scheduled") | Q(scheduled_at__isnull=False),
                name="posts_scheduled_needs_time",
            ),
            # Dates a person typed stay in a range every layer can read back (gbp_scheduler/times.py).
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__range": (EARLIEST, LATEST)}),
                    name=f"posts_{name}_in_range",
                )
                for name in ("scheduled_at", *content.DATETIMES)
            ],
            # No end before its start (posts/content.py: SPANS).
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{start}__isnull": True})
                    | Q(**{f"{end}__isnull": True})
                    | Q(**{f"{end}__gte": F(start)}),
                    name=f"posts_{span}_ends_after_start",
                )
                for span, (start, end) in content.SPANS.items()
            ],
            models.UniqueConstraint(
                fields=["series", "series_day"],
                condition=Q(series__isnull=False),
                name="posts_one_per_series_day",
            ),
            # At most one unknown create per copy identity among posts (google_copy.create_record):
            # two attempts writing the same key at once cannot both succeed, whatever they read.
            models.UniqueConstraint(
                fields=["google_sent_key"],
                condition=Q(google_create_sent_at__isnull=False) & ~Q(google_sent_key=""),
                name="posts_one_unknown_create_per_key",
            ),
        ]
        indexes = [
            # The approvals queue: posts waiting, oldest asked first.
            models.Index(
                fields=["approval_requested_at"], condition=~Q(approval_waiting_for=""), name="posts_approval_queue_idx"
            ),
            # The publish cron's due query: scheduled posts by time.
            models.Index(fields=["scheduled_at"], condition=Q(status="scheduled"), name="posts_due_idx"),
            # The seed's "stuck in publishing" query and stale-lock takeover.
            models.Index(fields=["publishing_at"], condition=Q(publishing_at__isnull=False), name="posts_lock_idx"),
            # Dashboard lists and calendars: a franchise's posts by time.
            models.Index(fields=["franchise", "scheduled_at"], name="posts_franchise_time_idx"),
            # The posts list across franchises: newest first by the time shown (posts_list_for_user).
            models.Index(fields=["shown_at", "created_at", "id"], name="posts_shown_idx"),
            # Calendars: a franchise's posts by the time shown, and the calendar across franchises
            # counting each day's posts by status from the index alone.
            models.Index(fields=["franchise", "shown_at", "status"], name="posts_calendar_idx"),
            # The publishing metrics (health/metrics.py): a time window of posts, every column its
            # counts and delays read, so they never touch the rows.
            models.Index(
                fields=["scheduled_at", "franchise", "status", "published_at", "id"], name="posts_metrics_idx"
            ),
            # The AI drafts queue, soonest planned first (drafts_for_review).
            models.Index(
                fields=["scheduled_at", "created_at", "id"],
                condition=Q(status="draft", source="ai"),
                name="posts_ai_drafts_idx",
            ),
            # The Results page's posts a week: a window of published posts counted per franchise
            # from the index alone (the franchise-time index read every post's row).
            models.Index(
                fields=["published_at", "franchise"], condition=Q(status="published"), name="posts_published_idx"
            ),
            # The publishing metrics' percentiles of the delay from scheduled to published: a
            # window's published posts' two times from the index alone (posts_metrics_idx holds
            # every post of the window, over twice as many entries).
            models.Index(
                fields=["scheduled_at", "published_at"],
                condition=Q(status="published", published_at__isnull=False),
                name="posts_delays_idx",
            ),
            # The publishing metrics' failures by reason: the window's failed posts and their
            # messages from the index alone.
            models.Index(fields=["scheduled_at", "last_error"], condition=Q(status="failed"), name="posts_failed_idx"),
            # The publishing metrics' posts Google took off (rejected, removed): a window's few
            # read from the index alone, not every published post's row.
            models.Index(
                fields=["scheduled_at", "franchise", "google_state", "published_at"],
                condition=Q(status="published", google_state__in=OFF_GOOGLE_STATES),
                name="posts_off_google_idx",
            ),
            # The AI drafts waiting per franchise (the home page's counts and its "needs attention"
            # filter): a lookup of each franchise's few, whatever the planner knows of the table.
            models.Index(
                fields=["franchise"], condition=Q(status="draft", source="ai"), name="posts_ai_drafts_franchise_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.summary[:60]} ({self.status})"

    @property
    def google_problem(self) -> str:
        """REJECTED or REMOVED when Google took this published post off (blank otherwise)."""
        if self.status == self.Status.PUBLISHED and self.google_state in OFF_GOOGLE_STATES:
            return self.google_state
        return ""

    @property
    def google_notice_open(self) -> bool:
        """Google took the post off and nobody dismissed the notice yet."""
        return bool(self.google_problem) and self.google_notice_dismissed_at is None

    @property
    def is_locked(self) -> bool:
        """Whether someone holds the publish lock now. A lock older than
        PUBLISH_LOCK_TIMEOUT_SECONDS is stale: its holder died, and it binds nobody."""
        return self.publishing_at is not None and self.publishing_at >= lock_stale_before(clock.now())


def lock_stale_before(now):
    """A publish lock taken before this moment is stale."""
    return now - dt.timedelta(seconds=settings.PUBLISH_LOCK_TIMEOUT_SECONDS)


class PostSeries(PostContent):
    """A post that repeats: the content every occurrence starts from (a post's, posts/content.py),
    and when it recurs.

    The recurrence is an RFC 5545 RRULE (`rule`, e.g. "FREQ=WEEKLY;BYDAY=MO,TH"), expanded by
    python-dateutil from `starts_on` at `local_time` in the franchise's zone, so 09:00 stays 09:00
    across daylight-saving changes. Occurrences become ordinary scheduled posts a few weeks ahead
    (the materialise-series job); the publish job publishes them like any other post.

    An event's or offer's dates are those of the series' first post; each later post's move with
    it, by as many days as it goes out after the first, at the same clock times
    (posts/services/series.py: occurrence_content).

    So that a location does not say the same words every week, a series may carry more texts,
    used in turn (`more_texts`: occurrence n takes text n mod k of [summary, *more_texts]), or
    ask Claude for a variation of its text for each occurrence (`vary_with_claude`: the
    occurrence waits as a draft for the variation, then for review like any AI draft)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="series")
    # When: the rule, its first day and the wall-clock time in the franchise's zone.
    rule = models.CharField(max_length=300)
    starts_on = models.DateField()
    local_time = models.TimeField()
    # Bumped by every edit; an occurrence made from an older version and not edited by hand is
    # brought up to date.
    version = models.PositiveIntegerField(default=1)
    # The last local day already materialised: the job makes only days after it, so an
    # occurrence a person deleted does not come back.
    materialised_through = models.DateField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # A headquarters announcement that repeats is one series per franchise, sharing this id.
    announcement_id = models.UUIDField(null=True, blank=True)
    # The texts after `summary`, in the order they take turns. A JSON list, not a table: the
    # list is read and written whole with the series, under its version fence, and never queried.
    more_texts = models.JSONField(default=list, blank=True)
    vary_with_claude = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "post_series"
        ordering = ["-created_at"]
        verbose_name = "repeating post"
        verbose_name_plural = "repeating posts"
        constraints = [
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("summary"), SUMMARY_MAX_LENGTH), name="post_series_summary_max_length"
            ),
            models.CheckConstraint(condition=Q(topic_type__in=TopicType.values), name="post_series_topic_type_valid"),
            # As for a post: dates in the years every layer reads back, no end before its start.
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__range": (EARLIEST, LATEST)}),
                    name=f"post_series_{name}_in_range",
                )
                for name in content.DATETIMES
            ],
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{start}__isnull": True})
                    | Q(**{f"{end}__isnull": True})
                    | Q(**{f"{end}__gte": F(start)}),
                    name=f"post_series_{span}_ends_after_start",
                )
                for span, (start, end) in content.SPANS.items()
            ],
        ]
        indexes = [
            models.Index(
                fields=["materialised_through"], condition=Q(ended_at__isnull=True), name="post_series_due_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.summary[:60]} ({self.rule})"

    @property
    def texts(self) -> list[str]:
        """Every text it takes turns with, its main one first."""
        return [self.summary, *self.more_texts]

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class Announcement(PostContent):
    """What headquarters sent to many franchises at once: the text with its {name}/{city}
    placeholders and the content every post of it shares (a post's, posts/content.py), so its
    posts can be listed, edited and cancelled as one. A one-off announcement's posts point here
    (`Post.announcement`); a repeating one is a series per franchise whose `announcement_id` is
    this id.

    Its date-times (an event's or offer's), like `date` and `local_time`, are wall-clock times
    each franchise reads in its own zone: they are kept labelled UTC (announcements.py: wall)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    summary = models.TextField(help_text="The text as typed, placeholders unfilled.")
    date = models.DateField()
    local_time = models.TimeField()
    rule = models.CharField(max_length=300, blank=True, default="", help_text="Empty: sent once.")
    franchise_count = models.PositiveIntegerField(default=0)
    # The parts headquarters locked (keys of content.LOCKS): no franchise changes them on its post.
    locked = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "announcements"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.summary[:60]

    @property
    def locked_labels(self) -> list[str]:
        """The parts locked, as people read them (content.LOCKS)."""
        return [label for key, label in content.LOCKS.items() if key in (self.locked or [])]


class PostCancellation(models.Model):
    """A post cancelled (an announcement's "cancel all", a series ended) while a publish attempt
    held it. That attempt may still put it on Google, where it then stays (and this row goes);
    otherwise the post is never claimed again, and the publish job deletes it (google_upkeep).

    A row of its own rather than a column of the post's: writing it never waits for the post's
    row, which a publish run's claim in flight may hold at that moment."""

    post = models.OneToOneField(Post, primary_key=True, on_delete=models.CASCADE, related_name="cancellation")
    requested_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "post_cancellations"

    def __str__(self) -> str:
        return f"Cancel post {self.post_id}"


# A post cancelled while a publish attempt held it (PostCancellation): never claimed again. A
# cancellation from before the post's last publish lost to it (that attempt put it on Google,
# where it stays): it counts no more, so the publish needs no statement of its own to drop it.
def cancelled() -> Q:
    """Posts cancelled, as above. Subqueries, not a join: a claim's UPDATE over a join is rewritten
    to `id IN (SELECT …)`, which PostgreSQL does not check again against a row that another claim
    changed meanwhile (two claims would both win)."""
    mine = PostCancellation.objects.filter(post_id=OuterRef("pk"))
    return Q(Exists(mine), published_at__isnull=True) | Q(
        Exists(mine.filter(requested_at__gt=OuterRef("published_at")))
    )


class GoogleDeletion(models.Model):
    """A post deleted here whose copy on Google must go too: kept until Google confirms.

    The dashboard deletes a post at once and asks Google to delete its copy; when Google cannot
    be reached (or the post's create may have landed unseen, so the copy must first be found),
    this row stays and the publish job finishes the work. Either the copy's name is known, or
    the body that was sent is, with the time it was sent, to find it by."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # PROTECT: deleting a franchise must not forget a copy still on Google (deactivate it instead).
    franchise = models.ForeignKey(Franchise, on_delete=models.PROTECT, related_name="google_deletions")
    post_id = models.UUIDField(help_text="The deleted post's id (the row itself is gone).")
    google_post_name = models.CharField(max_length=300, blank=True, default="")
    # Where the copy is ("accounts/{a}/locations/{l}"), whatever the franchise's location is now.
    location = models.CharField(max_length=300, blank=True, default="")
    sent_body = models.JSONField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The unknown create's identity (as Post.google_sent_key) while the copy's name is not known.
    sent_key = models.CharField(max_length=64, blank=True, default="")
    # The same lock and retry fields as a post's: one worker at a time, backoff on failure.
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "google_deletions"
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(google_post_name="") | Q(sent_at__isnull=False), name="google_deletions_has_target"
            ),
        ]

    def __str__(self) -> str:
        return f"Delete {self.google_post_name or 'an unconfirmed copy'} of post {self.post_id}"


# A rejected draft's event detail ends with this and the person's reason, when they gave one:
# the next AI drafts of the franchise are told why (posts.selectors.rejection_reasons_recent).
REJECTION_REASON_MARK = " Reason: "
REJECTION_REASON_MAX_LENGTH = 300


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
        GOOGLE_REJECTED = "google_rejected", "Rejected by Google"
        GOOGLE_REMOVED = "google_removed", "Removed from Google"
        REPUBLISHED = "republished", "Republished"
        NOTICE_DISMISSED = "notice_dismissed", "Google notice dismissed"
        TAKEDOWN_ASKED = "takedown_asked", "Asked an admin to take it down"
        TAKEDOWN_DECLINED = "takedown_declined", "Declined to take it down"
        HELD = "held", "Missed its time while on hold"
        APPROVAL_ASKED = "approval_asked", "Sent for approval"
        APPROVED = "approved", "Approved"
        APPROVAL_REFUSED = "approval_refused", "Not approved"
        APPROVAL_UNDONE = "approval_undone", "Approval decision undone"
        APPROVAL_LINK = "approval_link", "Approval link made"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="post_events")
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    # NULL actor: the publish job (or another automatic process) did it.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=24, choices=Action.choices)
    detail = models.CharField(max_length=500, blank=True, default="")
    post_excerpt = models.CharField(max_length=120, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    # The event this change announced (gbp_scheduler/events.py, Event.stored()), kept here until
    # deliver-webhooks fans it out to the subscriptions, then NULL: announcing it adds no statement.
    announced = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = "post_events"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["franchise", "-created_at"], name="post_events_franchise_idx"),
            models.Index(fields=["post", "-created_at"], name="post_events_post_idx"),
            models.Index(
                fields=["created_at"], name="post_events_announced_idx", condition=models.Q(announced__isnull=False)
            ),
        ]

    is_about_a_post = True  # beside a franchise's own events in its history (FranchiseEvent)

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor or 'the system'} at {self.created_at:%Y-%m-%d %H:%M}"


class TakedownRequest(models.Model):
    """A member's request that an admin take a live post down (only a franchise's admins may delete
    a post that is on Google). It waits in the admins' requests until one takes the post down
    (through post_delete, which removes Google's copy too) or declines, saying why; the post's
    history tells each step. The post's excerpt stays once the post is gone."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for an admin"
        TAKEN_DOWN = "taken_down", "Taken down"
        DECLINED = "declined", "Declined"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="takedown_requests")
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="takedown_requests")
    post_excerpt = models.CharField(max_length=120, blank=True, default="")
    reason = models.CharField(max_length=500)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answer = models.CharField(max_length=500, blank=True, default="")
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "post_takedown_requests"
        ordering = ["created_at"]
        constraints = [
            # One request waits per post: asking again adds nothing for the admins to read.
            models.UniqueConstraint(fields=["post"], condition=Q(status="open"), name="takedown_one_open_per_post"),
        ]
        indexes = [
            # The admins' requests waiting, oldest first (and the count beside "Requests").
            models.Index(fields=["franchise", "created_at"], condition=Q(status="open"), name="takedown_open_idx"),
        ]

    def __str__(self) -> str:
        return f"Take down: {self.post_excerpt[:60]} ({self.get_status_display()})"


class PostPhoto(models.Model):
    """A photo uploaded for posts: the file in the storage (a bucket, or MEDIA_ROOT) and its public
    URL, which becomes a post's `media_url` (Google fetches the photo from there). Deleted, file
    and all, with the last post that uses it (posts/services/photos.py)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # NULL: headquarters' own, uploaded for an announcement to many franchises.
    franchise = models.ForeignKey(Franchise, null=True, blank=True, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(max_length=300)  # the name in the storage
    url = models.URLField(max_length=1000, db_index=True)  # public, as given to Google
    content_type = models.CharField(max_length=20)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField(help_text="Bytes.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "post_photos"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file.name} ({self.width}x{self.height})"


class BrandRules(models.Model):
    """Headquarters' rules for what every location's posts may say (one row: the group's). Checked
    by posts/brand.py, the one checker of the editor, announcements, repeating posts, the importer
    and the publish job. Lists are one entry a line; empty means no such rule."""

    GROUP = "group"

    name = models.CharField(max_length=20, primary_key=True, default=GROUP, editable=False)
    banned_phrases = models.TextField(
        "words not allowed", blank=True, default="", help_text="One word or phrase a line; case does not matter."
    )
    offer_terms_required = models.TextField(
        "required in an offer's terms",
        blank=True,
        default="",
        help_text="One phrase a line, each of which every offer's terms must contain.",
    )
    link_domains = models.TextField(
        "allowed link domains",
        blank=True,
        default="",
        help_text="One domain a line (its subdomains count too); links elsewhere are refused. Empty: any.",
    )
    utm_tagging = models.BooleanField(
        "add the UTM tag to links",
        default=False,
        help_text="Links go to Google with utm_source=google&utm_medium=organic&utm_campaign=<announcement or "
        "repeating post>.",
    )
    photo_required = models.BooleanField("every post needs a photo", default=False)
    photo_min_width = models.PositiveIntegerField(
        "photo minimum width", default=0, help_text="Pixels, for uploaded photos; 0: no minimum."
    )
    photo_min_height = models.PositiveIntegerField(
        "photo minimum height", default=0, help_text="Pixels, for uploaded photos; 0: no minimum."
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "brand_rules"
        verbose_name = "brand rules"
        verbose_name_plural = "brand rules"

    def __str__(self) -> str:
        return "Brand rules"


class PostNote(models.Model):
    """A team note on a post: a member's comment, shown in the post's history, that may mention
    other people who can see the post (`@username`); each one mentioned is emailed once
    (posts/services/notes.py). The note stays with the post; a deleted author leaves it unsigned."""

    TEXT_MAX_LENGTH = 2000

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    mentioned = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "post_notes"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["post", "-created_at"], name="post_notes_post_idx")]

    is_note = True  # beside the post's events in its history (templates/posts/_history.html)
    is_about_a_post = True

    def __str__(self) -> str:
        return f"Note by {self.author or 'a former member'} at {self.created_at:%Y-%m-%d %H:%M}"


class ApprovalDecision(models.Model):
    """An approver's approve or reject of a post that waited for approval, kept so the click can be
    undone for a while (posts/services/approvals.py: UNDO_WINDOW). One click on many posts shares
    a `batch`. Through a signed link, `link` says which (and `decided_by` is the link's maker)."""

    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    batch = models.UUIDField(default=uuid.uuid4)
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="approval_decisions")
    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="+")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    waited_for = models.CharField(max_length=12)
    reason = models.CharField(max_length=500, blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    link = models.ForeignKey("ApprovalLink", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "post_approval_decisions"
        ordering = ["-decided_at"]
        indexes = [models.Index(fields=["decided_by", "decided_at"], name="approval_decisions_user_idx")]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} post {self.post_id}"


class ApprovalLink(models.Model):
    """A link that lets one reviewer without a login approve or reject one post, once, before it
    expires. Its id travels signed (django.core.signing); `used_at` is set by one conditional
    UPDATE, so two clicks cannot both count. It speaks for the version of the post it was made
    for: an edit since makes it void."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="approval_links")
    post_version = models.PositiveIntegerField()
    reviewer = models.CharField(max_length=200, blank=True, default="", help_text="Whom it was made for.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "post_approval_links"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Approval link for post {self.post_id}"


class PostHourCount(models.Model):
    """How many posts of franchises in `zone` are shown (posts' `shown_at`) within the UTC hour
    starting at `hour`, by status: what headquarters' calendar across franchises counts a day by
    (a month is 20,000 of these rows instead of a third of a million posts). Kept exact by the
    database itself: triggers on posts and on a franchise's zone, written in migration
    0026_post_hour_counts for both databases, so every path that changes posts (services, bulk
    updates, the admin, deletes, raw SQL) keeps it; posts/hour_counts.py recounts it."""

    zone = models.CharField(max_length=64)
    hour = models.DateTimeField()
    status = models.CharField(max_length=16)
    posts = models.IntegerField(default=0)

    class Meta:
        db_table = "posts_hour_counts"
        constraints = [
            models.UniqueConstraint(fields=["hour", "zone", "status"], name="posts_hour_counts_one"),
        ]

    def __str__(self) -> str:
        return f"{self.zone} {self.hour:%Y-%m-%d %H}:00 {self.status}: {self.posts}"


class PostScheduleHour(models.Model):
    """How many posts are scheduled (`scheduled_at`) within the UTC hour starting at `hour`, by
    status (and failed ones by reason); of those, how many have a publish time (`timed`) and the
    sum of their delays from scheduled to published in microseconds (`delay_us`): the publishing
    metrics' counts, mean and failures by reason over whole hours (posts/schedule_hours.py), some
    3,000 rows for 30 days instead of half a million posts. Kept exact by the database's triggers
    on posts (migration 0029_post_schedule_hours, both databases), as PostHourCount is."""

    hour = models.DateTimeField()
    status = models.CharField(max_length=16)
    reason = models.TextField(default="")  # a failed post's last_error; blank for the other statuses
    posts = models.IntegerField(default=0)
    timed = models.IntegerField(default=0)
    delay_us = models.BigIntegerField(default=0)

    class Meta:
        db_table = "posts_schedule_hours"
        constraints = [
            models.UniqueConstraint(fields=["hour", "status", "reason"], name="posts_schedule_hours_one"),
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}:00 {self.status} {self.reason[:40]}: {self.posts}"


class PostPublishedRunning(models.Model):
    """A franchise's published posts (with a publish time) whose UTC publish day is `day` or before:
    a row for every day from its first such day to its last, days without one carrying the count
    on; the last row is marked (`is_last`) and stands for the days after it. The count over any
    stretch of days is two rows' difference (the Results ranking's posts a week: 2 rows a
    franchise, not its 30 days of posts). Counts never fall from one day to the next. Kept exact by
    the database's triggers on posts (migration 0032_post_published_running, both databases);
    posts/published_running.py reads and recounts them."""

    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    published_through = models.IntegerField(default=0)
    is_last = models.BooleanField(default=False, help_text="The franchise's newest day: stands for the days after it.")

    class Meta:
        db_table = "posts_published_running"
        constraints = [
            models.UniqueConstraint(fields=["franchise", "day"], name="posts_published_running_one_per_day"),
        ]
        indexes = [
            models.Index(fields=["day", "franchise", "published_through"], name="posts_published_running_day"),
            models.Index(
                fields=["day", "franchise", "published_through"],
                condition=models.Q(is_last=True),
                name="posts_published_running_last",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.franchise_id} through {self.day}: {self.published_through} published"


class PostDelayHour(models.Model):
    """The published posts (with a publish time) scheduled within the UTC hour starting at `hour`,
    counted by their delay from scheduled to published: `second` is the delay's bucket, its lower
    edge in whole seconds (delays within an hour either way to the second, longer ones to the
    minute), `delay_us` the sum of its delays in microseconds. The publishing metrics' median and
    95th percentile over whole hours read this histogram (posts/schedule_hours.py: within a
    bucket's width of the exact figures), not a sort of every delay of the window. Kept exact by
    the database's triggers on posts (migration 0031_post_delay_hours, both databases)."""

    hour = models.DateTimeField()
    second = models.BigIntegerField()
    posts = models.IntegerField(default=0)
    delay_us = models.BigIntegerField(default=0)

    class Meta:
        db_table = "posts_delay_hours"
        constraints = [
            models.UniqueConstraint(fields=["hour", "second"], name="posts_delay_hours_one"),
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}:00 delay {self.second} s: {self.posts}"
