from django.contrib import admin
from django.utils import timezone

from .models import Franchise, FranchiseEvent, GoogleConnection, Invitation, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Franchise)
class FranchiseAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "city",
        "is_active",
        "connected",
        "google_auth_valid",
        "google_location_title",
        "posts_per_week",
        "timezone",
    ]
    list_filter = ["is_active", "google_auth_valid", "ai_drafts_enabled", "timezone"]
    search_fields = ["name", "city", "google_location_title", "google_location_id"]
    inlines = [MembershipInline]
    # The token columns are never shown or editable here: connecting happens through Google's
    # consent flow, and the ciphertext is of no use to a person.
    exclude = ["google_refresh_token", "google_access_token"]
    # The Google connection and its mirrored state change only through the connect pages.
    readonly_fields = [
        "connected",
        "google_connection",
        "google_auth_valid",
        "google_auth_error",
        "google_token_expires_at",
        "google_account_id",
        "google_location_id",
        "google_location_title",
        "google_connected_at",
        "created_at",
        "updated_at",
    ]

    actions = ["deactivate"]

    @admin.display(boolean=True, description="Connected to Google")
    def connected(self, obj: Franchise) -> bool:
        return obj.is_connected

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting would forget its posts' copies on Google and the deletions still pending there;
        # a franchise that stops is deactivated, and the jobs still finish what Google was sent.
        return False

    @admin.action(description="Deactivate (publish nothing more; what is on Google stays managed)")
    def deactivate(self, request, queryset) -> None:
        count = queryset.filter(is_active=True).update(is_active=False, updated_at=timezone.now())
        self.message_user(request, f"{count} franchise(s) deactivated.")


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
