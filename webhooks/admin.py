from django.contrib import admin

from .models import Delivery, DeliveryAttempt, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("url", "franchise", "enabled", "created_at")
    list_filter = ("enabled",)
    exclude = ("secret",)  # encrypted at rest, and never shown here: the owner's page reveals it
    raw_id_fields = ("franchise", "created_by")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("event_id", "event_type", "status", "attempts", "last_status_code", "next_attempt_at")
    list_filter = ("status", "event_type")
    search_fields = ("event_id",)
    raw_id_fields = ("subscription", "franchise")


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(admin.ModelAdmin):
    list_display = ("delivery", "at", "status_code", "duration_ms", "error")
    raw_id_fields = ("delivery",)
