"""Template context every page may use: how many requests to take a live post down wait for the
signed-in user as an admin (the "Requests" link, shown while some wait)."""

from __future__ import annotations

from django.http import HttpRequest

from .selectors import takedown_requests_waiting


def takedown_requests(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # A callable: only a page that shows the navigation counts them (one query).
    return {"takedown_requests_waiting": lambda: takedown_requests_waiting(user=user).order_by().count()}
