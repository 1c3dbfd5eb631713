from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The top layer: the home page, headquarters' metrics and system pages, and the demo data.
    It reads every app below it; nothing imports it."""

    name = "dashboard"
