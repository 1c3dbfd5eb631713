from django.urls import path

from gbp_scheduler.cron import cron_view

from .publishing import posts_publish_due

app_name = "posts"

urlpatterns = [
    path("api/cron/publish-scheduled", cron_view("publish-scheduled", posts_publish_due), name="cron_publish"),
]
