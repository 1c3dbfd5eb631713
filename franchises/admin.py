from django.contrib import admin

from .models import Franchise, Membership


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
    readonly_fields = [
        "connected",
        "google_token_expires_at",
        "google_account_id",
        "google_location_id",
        "google_location_title",
        "google_connected_at",
        "google_auth_alerted_at",
        "google_token_refresh_lease_until",
        "created_at",
        "updated_at",
    ]

    @admin.display(boolean=True, description="Connected to Google")
    def connected(self, obj: Franchise) -> bool:
        return obj.is_connected


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "franchise", "role", "created_at"]
    list_filter = ["role", "franchise"]
    search_fields = ["user__username", "user__email", "franchise__name"]
    autocomplete_fields = ["user", "franchise"]
    list_select_related = ["user", "franchise"]
