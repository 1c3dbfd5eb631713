from django.urls import path

from . import pages

app_name = "api_keys"

urlpatterns = [
    path("new/", pages.api_key_new, name="new"),
    path("<uuid:key_id>/revoke/", pages.api_key_revoke_view, name="revoke"),
]
