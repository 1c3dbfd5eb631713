"""A franchise is one business location on Google; members are the staff who run it."""

from __future__ import annotations

import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from gbp_scheduler.encryption import EncryptedTextField

MAX_POSTS_PER_WEEK = 14


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone name (e.g. America/New_York).")


# The states a job or a page asks about, named once (as Q objects, so an annotation can use them too).
CONNECTED = Q(google_refresh_token__isnull=False)  # the seed's `google_refresh_token IS NOT NULL`
NEEDS_RECONNECT = CONNECTED & Q(google_auth_valid=False)  # Google refused the grant: an admin must reconnect
LOCATION_PICKED = ~Q(google_location_id="")  # between consent and picking a location there is none
# The jobs may call Google for it: to finish what was already sent (updates, deletions), even for
# an inactive franchise or one between locations, whose copies stay where they were made.
REACHABLE = CONNECTED & Q(google_auth_valid=True)
# ...and to publish new posts: active, with a location to publish to.
PUBLISHABLE = REACHABLE & LOCATION_PICKED & Q(is_active=True)


def cannot_post_message(*, name: str, verified: bool) -> str:
    """Why a franchise's due posts wait while Google says its location cannot take posts."""
    why = "it is not verified on Google" if not verified else "Google does not let it take posts"
    return (
        f"Google says the location of {name} cannot take posts ({why}), so its posts wait and keep their "
        "times. Once the location is verified in Google Business Profile, posts still ahead go out as planned; "
        "those whose time passed meanwhile wait for someone to publish them or pick new times."
    )


class FranchiseQuerySet(models.QuerySet):
    def connected(self) -> FranchiseQuerySet:
        return self.filter(CONNECTED)

    def needs_reconnect(self) -> FranchiseQuerySet:
        return self.filter(NEEDS_RECONNECT)

    def reachable(self) -> FranchiseQuerySet:
        return self.filter(REACHABLE)

    def publishable(self) -> FranchiseQuerySet:
        return self.filter(PUBLISHABLE)

    def on_google(self) -> FranchiseQuerySet:
        """Publishable franchises with a location: those Google may be asked about."""
        return self.publishable().exclude(google_location_id="")

    def wanting_drafts(self) -> FranchiseQuerySet:
        """Active and connected franchises that asked for weekly AI drafts."""
        return self.filter(CONNECTED, is_active=True, ai_drafts_enabled=True, posts_per_week__gt=0)


class ApprovalPolicy(models.TextChoices):
    """Who approves a post before it may go out (franchises/approval_policy.py): nobody (`direct`),
    a franchise admin, or headquarters. Set per franchise by headquarters; a franchise without one
    follows the group's default (GroupSettings)."""

    DIRECT = "direct", "Publish directly"
    ADMIN = "admin", "A franchise admin approves"
    HEADQUARTERS = "headquarters", "Headquarters approves"


class GoogleConnection(models.Model):
    """One Google account's grant to this site (for one OAuth client): the tokens every franchise
    connected through that account publishes with.

    A franchise group usually connects all its locations through one headquarters account, and
    Google keeps at most 100 live refresh tokens per account and client (the 101st silently
    kills the oldest), so a grant is shared, never minted per franchise. The account is known by
    its OpenID subject (`google_user_id`); grants made before that was asked for have none.

    The seed's monitoring queries read the state on `franchises`; every change here is mirrored
    onto the connection's franchises in the same transaction (franchises/google/tokens.py).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    google_user_id = models.CharField(max_length=64, blank=True, default="")
    google_email = models.CharField(max_length=254, blank=True, default="")
    oauth_client_id = models.CharField(max_length=200, blank=True, default="")
    refresh_token = EncryptedTextField(null=True, blank=True)
    access_token = EncryptedTextField(null=True, blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    auth_valid = models.BooleanField(default=True)
    auth_error = models.TextField(blank=True, default="")
    # When the admins were emailed that this grant broke; cleared on reconnect, so they hear
    # about each breakage once.
    auth_alerted_at = models.DateTimeField(null=True, blank=True)
    # A refresh in flight holds this lease until the given time (franchises/google/tokens.py):
    # concurrent callers wait for its result instead of refreshing too.
    token_refresh_lease_until = models.DateTimeField(null=True, blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    connected_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "google_connections"
        ordering = ["google_email", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["google_user_id", "oauth_client_id"],
                condition=~Q(google_user_id=""),
                name="google_connections_one_per_account",
            ),
        ]

    def __str__(self) -> str:
        return self.google_email or f"Google connection {str(self.pk)[:8]}"

    @property
    def is_connected(self) -> bool:
        return self.refresh_token is not None


class Franchise(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True, help_text="Inactive franchises are skipped by every job.")
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])

    # The Google connection it publishes through, and its location on Google.
    google_connection = models.ForeignKey(
        GoogleConnection, null=True, blank=True, on_delete=models.PROTECT, related_name="franchises"
    )
    google_account_id = models.CharField(max_length=64, blank=True, default="")
    google_location_id = models.CharField(max_length=64, blank=True, default="")
    google_location_title = models.CharField(max_length=300, blank=True, default="")
    google_connected_at = models.DateTimeField(null=True, blank=True)
    # The connection's state, mirrored here for the seed's monitoring queries: NULL refresh token
    # means "not connected", google_auth_valid false means "must reconnect". Written only by
    # franchises/google/ (tokens.connection_mirror), never on their own.
    google_refresh_token = EncryptedTextField(null=True, blank=True)
    google_access_token = EncryptedTextField(null=True, blank=True)
    google_token_expires_at = models.DateTimeField(null=True, blank=True)
    google_auth_valid = models.BooleanField(default=True)
    google_auth_error = models.TextField(blank=True, default="")
    # The sync job (posts/services/google_sync.py): when it last read the location's posts on
    # Google (the oldest go first, so a large group is covered across runs), and why the last
    # read failed (blank when it worked).
    google_posts_synced_at = models.DateTimeField(null=True, blank=True)
    google_posts_sync_error = models.TextField(blank=True, default="")
    # Google's word on the location (Business Information's metadata): whether it may take local
    # posts (canOperateLocalPost) and is verified (hasVoiceOfMerchant). Read when the location is
    # picked or mapped and hourly by check-posting-rights (franchises/google/rights.py). While it
    # cannot post, publishing leaves its due posts waiting with cannot_post_message instead of
    # sending them to be refused one by one. True until Google says otherwise.
    google_location_can_post = models.BooleanField(default=True)
    google_location_verified = models.BooleanField(default=True)
    google_location_checked_at = models.DateTimeField(null=True, blank=True)

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
    # Who approves its posts before they go out; blank: the group's default (GroupSettings).
    approval_policy = models.CharField(
        max_length=12,
        blank=True,
        default="",
        choices=[("", "The group's default"), *ApprovalPolicy.choices],
        help_text="Set by headquarters.",
    )

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
            models.CheckConstraint(
                condition=Q(approval_policy__in=["", *ApprovalPolicy.values]), name="franchises_approval_policy_valid"
            ),
            # One location, one franchise: two active franchises publishing to the same location
            # would each post there.
            models.UniqueConstraint(
                fields=["google_account_id", "google_location_id"],
                condition=Q(is_active=True) & ~Q(google_location_id=""),
                name="franchises_one_active_per_location",
            ),
        ]
        indexes = [
            # The home page's order (dashboard/selectors.py: franchises_for_home): a page of 30 read
            # off the index instead of sorting every franchise.
            models.Index(
                models.ExpressionWrapper(NEEDS_RECONNECT, output_field=models.BooleanField()).desc(),
                models.F("name"),
                models.F("id"),
                name="franchises_home_order_idx",
            ),
            # The franchise filters of the posts list, the drafts and the calendar (every franchise
            # by name, with its id and zone) from the index alone, in order.
            models.Index(fields=["name"], include=["id", "timezone"], name="franchises_by_name_idx"),
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
    def google_cannot_post_reason(self) -> str:
        """Why its posts wait for Google ("" while the location can take posts)."""
        if self.google_location_can_post or not self.google_location_id:
            return ""
        return cannot_post_message(name=self.name, verified=self.google_location_verified)

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


class Invitation(models.Model):
    """An invitation to join a franchise with a role, sent to an email address as a signed link that
    expires and works once (franchises/services.py). Nothing about it says whether an account with
    that address exists: the invitee signs in, or creates one, when they open the link.

    Open while neither accepted nor revoked, at most one open per franchise and address; an expired
    one stays open so that inviting the address again sends a fresh link. `nonce` is in the link:
    sending again replaces it, so only the newest email's link works."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)  # lower-cased
    role = models.CharField(max_length=10, choices=Membership.Role.choices, default=Membership.Role.STAFF)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    nonce = models.CharField(max_length=64)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "franchise_invitations"
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["franchise", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="franchise_invitations_one_open_per_email",
            ),
            models.CheckConstraint(condition=Q(role__in=["admin", "staff"]), name="franchise_invitations_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.franchise} ({self.role})"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class FranchiseEvent(models.Model):
    """A change to a franchise itself, kept as its history beside its posts' (who added, renamed,
    deactivated it; who connected, reconnected, changed the location or disconnected Google; who
    invited whom, who joined, whose role changed, who was removed; and when)."""

    class Action(models.TextChoices):
        GOOGLE_CONNECTED = "google_connected", "Connected to Google"
        GOOGLE_RECONNECTED = "google_reconnected", "Reconnected Google"
        GOOGLE_LOCATION = "google_location", "Changed the Google location"
        GOOGLE_DISCONNECTED = "google_disconnected", "Disconnected Google"
        GOOGLE_REVOKED = "google_revoked", "Google access broke"
        GOOGLE_POSTING = "google_posting", "Google changed whether the location can take posts"
        MEMBER_INVITED = "member_invited", "Invited someone"
        INVITATION_RESENT = "invitation_resent", "Sent an invitation again"
        INVITATION_REVOKED = "invitation_revoked", "Withdrew an invitation"
        MEMBER_JOINED = "member_joined", "Joined"
        MEMBER_ROLE = "member_role", "Changed a member's role"
        MEMBER_REMOVED = "member_removed", "Removed a member"
        CREATED = "created", "Added the franchise"
        RENAMED = "renamed", "Renamed the franchise"
        DEACTIVATED = "deactivated", "Deactivated the franchise"
        REACTIVATED = "reactivated", "Reactivated the franchise"
        APPROVAL_POLICY = "approval_policy", "Changed the approval policy"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="events")
    # NULL actor: a job or Google itself did it.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=24, choices=Action.choices)
    detail = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "franchise_events"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["franchise", "-created_at"], name="franchise_events_franchise_idx")]

    is_about_a_post = False  # beside its posts' events in the franchise's history (PostEvent)

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor or 'the system'} at {self.created_at:%Y-%m-%d %H:%M}"


class GoogleQuota(models.Model):
    """The pace of requests to Google, shared by every process: one row per quota, holding the
    earliest time (seconds since the epoch) the next request may go (a GCRA "theoretical arrival
    time"). See franchises/google/quota.py."""

    name = models.CharField(max_length=64, primary_key=True)
    next_slot = models.FloatField(default=0.0)

    class Meta:
        db_table = "google_quota"

    def __str__(self) -> str:
        return self.name


class GroupSettings(models.Model):
    """The franchise group's own settings, set by headquarters (one row: the group's; no row: the
    defaults)."""

    GROUP = "group"

    name = models.CharField(max_length=20, primary_key=True, default=GROUP, editable=False)
    approval_policy = models.CharField(
        "default approval policy",
        max_length=12,
        choices=ApprovalPolicy.choices,
        default=ApprovalPolicy.DIRECT,
        help_text="For every franchise that has no policy of its own.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "group_settings"
        verbose_name = "group settings"
        verbose_name_plural = "group settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(approval_policy__in=ApprovalPolicy.values), name="group_settings_approval_policy_valid"
            ),
        ]

    def __str__(self) -> str:
        return "Group settings"


class NotificationSettings(models.Model):
    """Which optional emails one user wants (their profile page). No row: the defaults, all of them.
    Read by franchises/recipients.py, which every sender asks who gets an email."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="notification_settings"
    )
    email_post_failures = models.BooleanField(
        default=True,
        help_text="Email me when a post of a franchise I administer fails to publish, or Google rejects or removes it.",
    )
    email_weekly_digest = models.BooleanField(
        default=True, help_text="Email me each franchise's week: drafts waiting, failures, what went out."
    )
    email_low_star_reviews = models.BooleanField(
        default=True, help_text="Email me a new one- or two-star Google review of a franchise I administer."
    )
    email_mentions = models.BooleanField(
        default=True, help_text="Email me when someone mentions me (@my username) in a note on a post."
    )

    class Meta:
        db_table = "notification_settings"
        verbose_name_plural = "notification settings"

    def __str__(self) -> str:
        return f"Notifications of {self.user}"


# An announcement's own placeholders, filled from the franchise's row; a variable may not take their names.
BUILT_IN_PLACEHOLDERS = ("name", "city")


def validate_variable_key(key: str) -> None:
    if key in BUILT_IN_PLACEHOLDERS:
        raise ValidationError(f"{{{key}}} is filled in from the franchise itself: pick another key.")


class FranchiseVariable(models.Model):
    """A field headquarters defines for every franchise (a phone, a coupon code, the manager's
    name, a local offer), filled in per franchise and used as `{key}` in announcements, repeating
    posts and what AI drafts are written from (franchises/variables.py)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key = models.SlugField(
        max_length=40,
        unique=True,
        validators=[
            RegexValidator(r"^[a-z][a-z0-9_]*$", "Lower-case letters, digits and _, starting with a letter."),
            validate_variable_key,
        ],
        help_text="Typed in braces in a text: {coupon_code}.",
    )
    label = models.CharField(max_length=100, help_text="As franchises see it on their settings page.")
    help_text = models.CharField(max_length=200, blank=True, default="")
    position = models.PositiveSmallIntegerField(default=0, help_text="Order on the settings page.")

    class Meta:
        db_table = "franchise_variables"
        ordering = ["position", "label"]

    def __str__(self) -> str:
        return f"{self.label} {{{self.key}}}"


class FranchiseVariableValue(models.Model):
    """One franchise's value of a variable. No row: no value (a text using it is refused for that franchise)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="variable_values")
    variable = models.ForeignKey(FranchiseVariable, on_delete=models.CASCADE, related_name="values")
    value = models.CharField(max_length=300)

    class Meta:
        db_table = "franchise_variable_values"
        constraints = [models.UniqueConstraint(fields=["franchise", "variable"], name="one_value_per_variable")]

    def __str__(self) -> str:
        return f"{self.variable.key} of {self.franchise}: {self.value}"
