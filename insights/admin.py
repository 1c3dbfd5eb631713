from django.contrib import admin

from .models import DailyMetric, InsightsFetch


@admin.register(DailyMetric)
class DailyMetricAdmin(admin.ModelAdmin):
    list_display = ["franchise", "metric", "day", "value", "fetched_at"]
    list_filter = ["metric"]
    search_fields = ["franchise__name"]
    date_hierarchy = "day"

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # Google's figures, as Google reported them


@admin.register(InsightsFetch)
class InsightsFetchAdmin(admin.ModelAdmin):
    """Read-only: fetch-insights keeps it (when it last read each location, and how far)."""

    list_display = ["franchise", "fetched_at", "fetched_through", "last_error"]
    search_fields = ["franchise__name"]
    readonly_fields = ["franchise", "fetched_at", "fetched_through", "last_error"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
