from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    # Login, logout, password change and reset (Django's own views; names `login`, `logout`, ...).
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("health.urls")),
    path("", include("posts.urls")),
    path("", include("generation.urls")),
    path("", include("franchises.urls")),
]
