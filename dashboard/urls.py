from django.urls import path

from .views import activity, headquarters, home, profile

app_name = "dashboard"

urlpatterns = [
    path("", home.home, name="home"),
    path("activity/", activity.activity_page, name="activity"),
    path("metrics/", headquarters.metrics_page, name="metrics"),
    path("profile/", profile.profile, name="profile"),
    path("system/", headquarters.system_page, name="system"),
    path("system/jobs/<slug:job>/run/", headquarters.system_job_run, name="system_job_run"),
]
