from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "franchises"

urlpatterns = [
    # Login and logout only: inside this app's namespace the rest of django.contrib.auth.urls
    # (password change/reset) would break, since those views reverse their un-namespaced names.
    # next_page: without LOGIN_REDIRECT_URL in settings Django would land on /accounts/profile/.
    path("accounts/login/", auth_views.LoginView.as_view(next_page="/franchises/"), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("franchises/", views.franchise_list, name="list"),
    path("franchises/<uuid:franchise_id>/", views.franchise_detail, name="detail"),
    path("franchises/<uuid:franchise_id>/google/connect/", views.google_connect, name="google_connect"),
    path("franchises/<uuid:franchise_id>/google/location/", views.google_pick_location, name="google_pick_location"),
    path("franchises/<uuid:franchise_id>/google/disconnect/", views.google_disconnect, name="google_disconnect"),
    # One fixed callback for every franchise: Google accepts only registered redirect URIs.
    path("google/callback/", views.google_callback, name="google_callback"),
]
