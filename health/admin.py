from django.contrib import admin

from .models import AlertSent


@admin.register(AlertSent)
class AlertSentAdmin(admin.ModelAdmin):
    list_display = ["key", "sent_at"]
    readonly_fields = ["key", "sent_at", "detail"]
