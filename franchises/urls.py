from django.urls import path

from .views import google, headquarters, invitations, pages, picking

app_name = "franchises"

urlpatterns = [
    path("franchises/", pages.franchise_list, name="list"),
    path("franchises/new/", headquarters.franchise_new, name="new"),
    path("franchises/pick/", picking.franchise_pick, name="pick"),
    path("franchises/<uuid:franchise_id>/", pages.franchise_detail, name="detail"),
    path("franchises/<uuid:franchise_id>/manage/", headquarters.franchise_manage, name="manage"),
    path("franchises/<uuid:franchise_id>/settings/", pages.franchise_settings, name="settings"),
    path("franchises/<uuid:franchise_id>/members/", pages.franchise_members, name="members"),
    path("franchises/<uuid:franchise_id>/members/<uuid:membership_id>/role/", pages.member_role, name="member_role"),
    path(
        "franchises/<uuid:franchise_id>/members/<uuid:membership_id>/remove/",
        pages.member_remove,
        name="member_remove",
    ),
    path(
        "franchises/<uuid:franchise_id>/invitations/<uuid:invitation_id>/resend/",
        pages.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "franchises/<uuid:franchise_id>/invitations/<uuid:invitation_id>/revoke/",
        pages.invitation_revoke,
        name="invitation_revoke",
    ),
    # The emailed link: the signed token is the credential (views/invitations.py).
    path("invitations/<str:token>/", invitations.invitation_accept, name="invitation_accept"),
    path("franchises/<uuid:franchise_id>/google/connect/", google.google_connect, name="google_connect"),
    path("franchises/<uuid:franchise_id>/google/location/", google.google_pick_location, name="google_pick_location"),
    path("franchises/<uuid:franchise_id>/google/disconnect/", google.google_disconnect, name="google_disconnect"),
    # One fixed callback for every consent: Google accepts only registered redirect URIs.
    path("google/callback/", google.google_callback, name="google_callback"),
    # Many franchises through one Google account.
    path("google/connections/", google.google_connections, name="google_connections"),
    path("google/connections/<uuid:connection_id>/map/", google.google_connection_map, name="google_connection_map"),
]
