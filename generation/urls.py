from django.urls import path

from . import views

app_name = "generation"

urlpatterns = [
    path("drafts/", views.drafts_queue, name="drafts"),
]
