"""Who may open a view, said on the view itself.

Two roles above a franchise's staff: its admins, and headquarters (`user_is_headquarters`). A view
for one of them is wrapped in a decorator here, which both enforces the role and marks the view
with `access`, so the project's URL walk (gbp_scheduler/tests/test_tenant_isolation.py) finds every
admin-only and headquarters-only view from the code and checks that the others are refused:

- `franchise_admin_required(what)`: the view takes a `franchise_id`; another tenant's id is a 404
  (it does not exist for them), a staff member of the franchise gets 403. The view receives the
  `franchise` instead of the id.
- `headquarters_required(what)`: 403 for every franchise user.
- `marked(access)`: only the mark, for a view that checks the role itself because the order of its
  checks matters (e.g. a 404 for another tenant's object must come before the 403).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from .models import Franchise
from .selectors import franchise_get_for_user, user_is_franchise_admin, user_is_headquarters


class Access(StrEnum):
    FRANCHISE_ADMIN = "franchise admin"  # a franchise's admins, and headquarters
    HEADQUARTERS = "headquarters"


def franchise_for_admin(*, user, franchise_id, what: str) -> Franchise:
    """The franchise if `user` administers it; 404 outside their franchises, 403 for its staff."""
    franchise = franchise_get_for_user(user=user, franchise_id=franchise_id)
    if not user_is_franchise_admin(user=user, franchise=franchise):
        raise PermissionDenied(f"Only the franchise's admins can {what}. Ask one of them, or headquarters.")
    return franchise


def marked(access: Access) -> Callable:
    def mark(view: Callable) -> Callable:
        view.access = access
        return view

    return mark


def franchise_admin_required(what: str) -> Callable:
    """For views of one franchise (a `franchise_id` in the URL) that only its admins may use; `what`
    completes "Only the franchise's admins can ..." on the 403 page."""

    def decorate(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args, franchise_id, **kwargs):
            franchise = franchise_for_admin(user=request.user, franchise_id=franchise_id, what=what)
            return view(request, *args, franchise=franchise, **kwargs)

        return marked(Access.FRANCHISE_ADMIN)(wrapped)

    return decorate


def headquarters_required(what: str) -> Callable:
    """Log in first (redirect), then headquarters only (403); `what` completes "Only headquarters
    can ..."."""

    def decorate(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if not user_is_headquarters(request.user):
                raise PermissionDenied(f"Only headquarters can {what}.")
            return view(request, *args, **kwargs)

        return marked(Access.HEADQUARTERS)(wrapped)

    return decorate
