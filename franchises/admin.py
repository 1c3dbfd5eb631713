from django.contrib import admin, messages

from .forms import FranchiseProfileForm
from .models import (
    Franchise,
    FranchiseEvent,
    FranchiseVariable,
    FranchiseVariableValue,
    GoogleConnection,
    GroupSettings,
    Invitation,
    Membership,
)
from .services import PROFILE_FIELDS, FranchiseError, franchise_active_set, franchise_create, franchise_rename


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class VariableValueInline(admin.TabularInline):
    """The franchise's values of headquarters' variables (franchises/variables.py)."""

    model = FranchiseVariableValue
    extra = 0
    fields = ["variable", "value"]


class FranchiseAdminForm(FranchiseProfileForm):
    """The dashboard's labels, and the time zone picked from the zone menu rather than typed."""

    class Meta(FranchiseProfileForm.Meta):
        fields = ["name", *PROFILE_FIELDS]


# Kept by the Google connection pages and the jobs (connect, token refresh, sync, posting
# rights): shown, never typed here.
GOOGLE_FIELDS = [
    "connected",
    "google_connection",
    "google_location_title",
    "google_account_id",
    "google_location_id",
    "google_connected_at",
    "google_auth_valid",
    "google_auth_error",
    "google_token_expires_at",
    "google_location_can_post",
    "google_location_verified",
    "google_location_checked_at",
    "google_posts_synced_at",
    "google_posts_sync_error",
]


@admin.register(Franchise)
class FranchiseAdmin(admin.ModelAdmin):
    form = FranchiseAdminForm
    list_display = [
        "name",
        "city",
        "is_active",
        "connected",
        "google_access",
        "location",
        "ai_drafts",
        "timezone",
        "approval_policy",
    ]
    list_filter = ["approval_policy", "is_active", "google_auth_valid", "ai_drafts_enabled", "timezone"]
    search_fields = ["name", "city", "google_location_title", "google_location_id"]
    inlines = [MembershipInline, VariableValueInline]
    # The token columns are never shown or editable here: connecting happens through Google's
    # consent flow, and the ciphertext is of no use to a person.
    exclude = ["google_refresh_token", "google_access_token"]
    fieldsets = [
        (None, {"fields": ["name", "is_active", "city", "website", "timezone"]}),
        ("Business profile (what AI drafts are written from)", {"fields": ["description", "services", "tone"]}),
        ("AI drafts", {"fields": ["ai_drafts_enabled", "posts_per_week", "auto_schedule_ai_posts"]}),
        ("Approvals (franchises/approval_policy.py)", {"fields": ["approval_policy"]}),
        ("Google (changed through the franchise's Google connection pages)", {"fields": GOOGLE_FIELDS}),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]
    # Deactivated and reactivated by the actions (and headquarters' page), which keep the history
    # and refuse two active franchises on one location.
    readonly_fields = ["is_active", *GOOGLE_FIELDS, "created_at", "updated_at"]

    actions = ["deactivate", "reactivate"]

    @admin.display(boolean=True, description="Connected to Google")
    def connected(self, obj: Franchise) -> bool:
        return obj.is_connected

    @admin.display(boolean=True, description="Google access works", ordering="google_auth_valid")
    def google_access(self, obj: Franchise) -> bool:
        return obj.google_auth_valid

    @admin.display(description="Location on Google", ordering="google_location_title")
    def location(self, obj: Franchise) -> str:
        return obj.google_location_title

    @admin.display(description="AI drafts a week", ordering="posts_per_week")
    def ai_drafts(self, obj: Franchise) -> int:
        return obj.posts_per_week if obj.ai_drafts_enabled else 0

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting would forget its posts' copies on Google and the deletions still pending there;
        # a franchise that stops is deactivated, and the jobs still finish what Google was sent.
        return False

    def save_model(self, request, obj: Franchise, form, change: bool) -> None:
        """Added and renamed through the services, which keep the franchise's history."""
        if not change:
            created = franchise_create(
                actor=request.user, **{name: form.cleaned_data[name] for name in FranchiseAdminForm.Meta.fields}
            )
            obj.pk = created.pk
            return
        new_name = obj.name
        obj.name = form.initial["name"]
        super().save_model(request, obj, form, change)
        franchise_rename(franchise=obj, name=new_name, actor=request.user)

    @admin.action(description="Deactivate (publish nothing more; what is on Google stays managed)")
    def deactivate(self, request, queryset) -> None:
        count = sum(
            franchise_active_set(franchise=franchise, active=False, actor=request.user)
            for franchise in queryset.filter(is_active=True)
        )
        self.message_user(request, f"{count} franchise(s) deactivated.")

    @admin.action(description="Reactivate")
    def reactivate(self, request, queryset) -> None:
        count = 0
        for franchise in queryset.filter(is_active=False):
            try:
                count += franchise_active_set(franchise=franchise, active=True, actor=request.user)
            except FranchiseError as exc:
                self.message_user(request, str(exc), messages.ERROR)
        self.message_user(request, f"{count} franchise(s) reactivated.")


@admin.register(GroupSettings)
class GroupSettingsAdmin(admin.ModelAdmin):
    """The group's one row: its default approval policy."""

    list_display = ["__str__", "approval_policy", "updated_at"]

    def has_add_permission(self, request) -> bool:
        return not GroupSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "franchise", "role", "created_at"]
    list_filter = ["role", "franchise"]
    search_fields = ["user__username", "user__email", "franchise__name"]
    autocomplete_fields = ["user", "franchise"]
    list_select_related = ["user", "franchise"]


@admin.register(GoogleConnection)
class GoogleConnectionAdmin(admin.ModelAdmin):
    """Read-only: a connection is made, renewed and removed through Google's consent flow."""

    list_display = ["__str__", "auth_valid", "token_expires_at", "connected_at"]
    list_filter = ["auth_valid"]
    search_fields = ["google_email", "google_user_id"]
    exclude = ["refresh_token", "access_token"]
    readonly_fields = [f.name for f in GoogleConnection._meta.fields if f.name not in ("refresh_token", "access_token")]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FranchiseEvent)
class FranchiseEventAdmin(admin.ModelAdmin):
    list_display = ["franchise", "action", "actor", "created_at"]
    list_filter = ["action"]
    list_select_related = ["franchise", "actor"]
    readonly_fields = [f.name for f in FranchiseEvent._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read-only: invitations are sent, sent again and withdrawn from a franchise's Members page
    (the nonce in the emailed link is never shown)."""

    list_display = ["email", "franchise", "role", "sent_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["role"]
    search_fields = ["email", "franchise__name"]
    list_select_related = ["franchise"]
    exclude = ["nonce"]
    readonly_fields = [f.name for f in Invitation._meta.fields if f.name != "nonce"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FranchiseVariable)
class FranchiseVariableAdmin(admin.ModelAdmin):
    """Headquarters defines the fields every franchise fills in ({key} in announcements, repeating
    posts and AI drafts); each franchise's values are on its own page (settings, or here inline)."""

    list_display = ["label", "key", "position"]
    ordering = ["position", "label"]
