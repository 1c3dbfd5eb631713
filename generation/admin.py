from django.contrib import admin

from .models import GenerationQueue


@admin.register(GenerationQueue)
class GenerationQueueAdmin(admin.ModelAdmin):
    list_display = [
        "franchise",
        "week_start",
        "slot",
        "scheduled_for",
        "status",
        "attempts",
        "next_attempt_at",
        "short_error",
    ]
    list_filter = ["status", "week_start", "franchise"]
    search_fields = ["franchise__name", "error"]
    list_select_related = ["franchise"]
    autocomplete_fields = ["franchise"]
    raw_id_fields = ["post"]
    readonly_fields = ["processing_started_at", "input_tokens", "output_tokens", "created_at", "updated_at"]

    @admin.display(description="Error")
    def short_error(self, obj: GenerationQueue) -> str:
        return obj.error[:80]
