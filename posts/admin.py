from django.contrib import admin

from .models import Post


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = [
        "short_summary",
        "franchise",
        "status",
        "source",
        "topic_type",
        "scheduled_at",
        "published_at",
        "publishing_at",
        "attempts",
    ]
    list_filter = ["status", "source", "topic_type", "franchise"]
    search_fields = ["summary", "franchise__name", "google_post_name", "last_error"]
    date_hierarchy = "scheduled_at"
    list_select_related = ["franchise"]
    autocomplete_fields = ["franchise"]
    readonly_fields = [
        "publishing_at",
        "published_at",
        "google_post_name",
        "google_search_url",
        "google_state",
        "created_by",
        "created_at",
        "updated_at",
    ]

    @admin.display(description="Summary")
    def short_summary(self, obj: Post) -> str:
        return obj.summary if len(obj.summary) <= 80 else obj.summary[:77] + "…"
