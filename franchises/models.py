"""A franchise is one business location on Google; members are the staff who run it."""

from __future__ import annotations

import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from gbp_scheduler.encryption import EncryptedTextField

MAX_POSTS_PER_WEEK = 14


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone name (e.g. America/New_York).")


# The states a job or a page asks about, named once (as Q objects, so an annotation can use them too).
CONNECTED = Q(google_refresh_token__isnull=False)  # the seed's `google_refresh_token IS NOT NULL`
NEEDS_RECONNECT = CONNECTED & Q(google_auth_valid=False)  # Google refused the grant: an admin must reconnect
PUBLISHABLE = CONNECTED & Q(is_active=True, google_auth_valid=True)  # the jobs may call Google for it


class FranchiseQuerySet(models.QuerySet):
    def connected(self) -> FranchiseQuerySet:
        return self.filter(CONNECTED)

    def needs_reconnect(self) -> FranchiseQuerySet:
        return self.filter(NEEDS_RECONNECT)

    def publishable(self) -> FranchiseQuerySet:
        return self.filter(PUBLISHABLE)

    def wanting_drafts(self) -> FranchiseQuerySet:
        """Active and connected franchises that asked for weekly AI drafts."""
        return self.filter(CONNECTED, is_active=True, ai_drafts_enabled=True, posts_per_week__gt=0)


class Franchise(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True, help_text="Inactive franchises are skipped by every job.")
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])

    # Google connection. NULL refresh token means "not connected".
    google_refresh_token = EncryptedTextField(null=True, blank=True)
    google_access_token = EncryptedTextField(null=True, blank=True)
    google_token_expires_at = models.DateTimeField(null=True, blank=True)
    google_auth_valid = models.BooleanField(default=True)
    google_auth_error = models.TextField(blank=True, default="")
    google_account_id = models.CharField(max_length=64, blank=True, default="")
    google_location_id = models.CharField(max_length=64, blank=True, default="")
    google_location_title = models.CharField(max_length=300, blank=True, default="")
    google_connected_at = models.DateTimeField(null=True, blank=True)
    # When the franchise admins were emailed that Google access broke; cleared on reconnect, so
    # they hear about each breakage once.
    google_auth_alerted_at = models.DateTimeField(null=True, blank=True)
    # A refresh in flight holds this lease until the given time (see franchises/google/tokens.py):
    # concurrent callers wait for its result instead of refreshing too.
    google_token_refresh_lease_until = models.DateTimeField(null=True, blank=True)

    # AI drafts and the business profile they are written from.
    posts_per_week = models.PositiveSmallIntegerField(default=2, help_text="AI drafts a week; 0 = none.")
    ai_drafts_enabled = models.BooleanField(default=True)
    auto_schedule_ai_posts = models.BooleanField(
        default=False, help_text="Schedule AI posts directly instead of leaving them as drafts for review."
    )
    description = models.TextField(blank=True, default="")
    services = models.TextField(blank=True, default="", help_text="One service per line.")
    city = models.CharField(max_length=120, blank=True, default="")
    website = models.URLField(blank=True, default="")
    tone = models.CharField(max_length=200, blank=True, default="friendly and professional")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FranchiseQuerySet.as_manager()

    class Meta:
        db_table = "franchises"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(posts_per_week__lte=MAX_POSTS_PER_WEEK), name="franchises_posts_per_week_max"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The franchise's time zone: local times are read and shown in it."""
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def is_connected(self) -> bool:
        return self.google_refresh_token is not None

    @property
    def needs_reauthorization(self) -> bool:
        return self.is_connected and not self.google_auth_valid

    @property
    def google_location_name(self) -> str:
        """The GBP v4 resource name, `accounts/{a}/locations/{l}`."""
        return f"accounts/{self.google_account_id}/locations/{self.google_location_id}"


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        STAFF = "staff", "Staff"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "franchise_memberships"
        constraints = [
            models.UniqueConstraint(fields=["user", "franchise"], name="franchise_memberships_one_per_user"),
            models.CheckConstraint(condition=Q(role__in=["admin", "staff"]), name="franchise_memberships_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.franchise} ({self.role})"
