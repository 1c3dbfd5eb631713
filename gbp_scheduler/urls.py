from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("health.urls")),
    path("", include("posts.urls")),
    path("", include("generation.urls")),
    path("", include("franchises.urls")),
]
