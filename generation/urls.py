from __future__ import annotations

from django.urls import path

from generation import views

app_name = "generation"

urlpatterns = [
    path("api/cron/generate-drafts", views.generate_drafts, name="cron-generate-drafts"),
    path("api/cron/process-generation-queue", views.process_generation_queue, name="cron-process-generation-queue"),
]
