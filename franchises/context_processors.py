"""What every page's template may ask about the signed-in user's roles."""

from __future__ import annotations

from django.http import HttpRequest

from .selectors import user_is_headquarters


def roles(request: HttpRequest) -> dict:
    # A callable: templates call it only where they ask, so a page that does not need the user
    # does not load it.
    return {"is_headquarters": lambda: user_is_headquarters(getattr(request, "user", None))}
