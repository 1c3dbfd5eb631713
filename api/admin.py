from django.contrib import admin

from .keys import api_key_revoke
from .models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys as their users see them on their profile: never the secret (only its digest is kept).
    Made by users on their profile page; here headquarters can see and revoke them."""

    list_display = ["name", "prefix", "user", "scope", "all_franchises", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["scope", "revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    fields = ["name", "prefix", "user", "scope", "all_franchises", "franchises", "expires_at", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset) -> None:
        for key in queryset:
            api_key_revoke(key=key)
