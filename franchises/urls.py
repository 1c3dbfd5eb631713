from django.urls import path

from . import views

app_name = "franchises"

urlpatterns = [
    path("franchises/", views.franchise_list, name="list"),
    path("franchises/<uuid:franchise_id>/", views.franchise_detail, name="detail"),
    path("franchises/<uuid:franchise_id>/settings/", views.franchise_settings, name="settings"),
    path("franchises/<uuid:franchise_id>/members/", views.franchise_members, name="members"),
    path("franchises/<uuid:franchise_id>/members/<uuid:membership_id>/role/", views.member_role, name="member_role"),
    path(
        "franchises/<uuid:franchise_id>/members/<uuid:membership_id>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path("franchises/<uuid:franchise_id>/google/connect/", views.google_connect, name="google_connect"),
    path("franchises/<uuid:franchise_id>/google/location/", views.google_pick_location, name="google_pick_location"),
    path("franchises/<uuid:franchise_id>/google/disconnect/", views.google_disconnect, name="google_disconnect"),
    # One fixed callback for every franchise: Google accepts only registered redirect URIs.
    path("google/callback/", views.google_callback, name="google_callback"),
]
