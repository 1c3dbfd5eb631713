from django.contrib import admin

from .models import GenerationBatch, GenerationQueue


@admin.register(GenerationQueue)
class GenerationQueueAdmin(admin.ModelAdmin):
    list_display = [
        "franchise",
        "week_start",
        "slot",
        "scheduled_for",
        "status",
        "from_batch",
        "attempts",
        "next_attempt_at",
        "short_error",
    ]
    list_filter = ["status", "from_batch", "week_start", "franchise"]
    search_fields = ["franchise__name", "error"]
    list_select_related = ["franchise"]
    # The queue jobs' own record: what the row is for, its claim, its batch, its post and tokens.
    # Only its state stays editable, so an operator can put a failed row back to pending.
    readonly_fields = [
        "franchise",
        "week_start",
        "slot",
        "scheduled_for",
        "post",
        "batch",
        "error",
        "processing_started_at",
        "input_tokens",
        "output_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "from_batch",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False  # generate-drafts fills the queue

    @admin.display(description="Error")
    def short_error(self, obj: GenerationQueue) -> str:
        return obj.error[:80]


@admin.register(GenerationBatch)
class GenerationBatchAdmin(admin.ModelAdmin):
    """Read-only: a batch's state belongs to the queue job (its rows are fenced on it)."""

    list_display = ["anthropic_id", "status", "request_count", "submitted_at", "ended_at", "short_error"]
    list_filter = ["status"]
    search_fields = ["anthropic_id"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Error")
    def short_error(self, obj: GenerationBatch) -> str:
        return obj.error[:80]
