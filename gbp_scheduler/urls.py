from django.contrib import admin
from django.urls import include, path

from .jobs import JOBS, cron_view

urlpatterns = [
    # Every scheduled job at /api/cron/<name>, for Vercel Cron (jobs.py declares them).
    *[path(f"api/cron/{job.name}", cron_view(job), name=f"cron-{job.name}") for job in JOBS],
    path("admin/", admin.site.urls),
    # The REST API v1 (api/urls.py), its OpenAPI document and reference page.
    path("api/v1/", include("api.urls")),
    path("profile/api-keys/", include("api.page_urls")),
    # The MCP server (mcp_server/): the same keys, tools over the same services.
    path("", include("mcp_server.urls")),
    # Login, logout, password change and reset (Django's views; names `login`, `logout`, ...), the
    # reset throttled.
    path("accounts/", include("franchises.account_urls")),
    path("", include("health.urls")),
    path("", include("posts.urls")),
    path("", include("franchises.urls")),
    path("", include("generation.urls")),
    path("", include("reviews.urls")),
    path("", include("insights.urls")),
    path("", include("webhooks.urls")),
    path("", include("dashboard.urls")),
]
