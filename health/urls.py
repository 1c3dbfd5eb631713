from django.urls import path

from gbp_scheduler.cron import cron_view

from . import services, views

app_name = "health"

urlpatterns = [
    path("api/health", views.health, name="health"),
    path("api/health/live", views.live, name="live"),
    path("api/metrics", views.metrics, name="metrics"),
    # Operator alerts for a scheduler that only speaks HTTP (Vercel Cron); crontab runs
    # `manage.py check_alerts` instead.
    path("api/cron/check-alerts", cron_view("check-alerts", services.alerts_job), name="cron-check-alerts"),
]
