"""Template context every page may use: in demo mode (`make run`), the demo logins for the sign-in
page, while the demo's users exist."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest

from .demo_logins import DEMO_LOGINS, DEMO_USERNAME


def _demo_logins() -> list[tuple[str, str, str]]:
    # Called by the template only where it shows them (one query, on the sign-in page).
    return DEMO_LOGINS if get_user_model().objects.filter(username=DEMO_USERNAME).exists() else []


def demo(request: HttpRequest) -> dict:
    return {"demo_logins": _demo_logins} if settings.DEMO_MODE else {}
