from django.urls import path

from . import views

app_name = "health"

urlpatterns = [
    path("api/health", views.health, name="health"),
    path("api/health/live", views.live, name="live"),
    path("api/metrics", views.metrics, name="metrics"),
]
