"""Which zone a page's times read in: a franchise's own pages in the franchise's zone, every
other page in the signed-in user's (the zone most of their franchises are in). The page names it
once (base.html); gbp_scheduler/times.py formats every time."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from gbp_scheduler.times import LazyZone

from .models import Franchise
from .selectors import franchises_for_user


def user_zone_name(*, user: AbstractBaseUser | None) -> str:
    """The zone most of the user's active franchises are in (every franchise's for headquarters),
    else the site's TIME_ZONE."""
    if user is None or not user.is_authenticated:
        return settings.TIME_ZONE
    franchises = franchises_for_user(user=user)
    # A member's franchises come through their memberships (a franchise once per membership);
    # headquarters' are the table itself, counted without sorting 10,000 ids to drop repeats.
    repeats = franchises.query.has_filters()
    counted = (
        franchises.filter(is_active=True)
        .order_by()
        .values("timezone")
        .annotate(n=Count("id", distinct=True) if repeats else Count("*"))
        .order_by("-n", "timezone")
    )
    first = counted.first()
    return first["timezone"] if first else settings.TIME_ZONE


class UserZoneMiddleware:
    """Every request reads its times in the user's zone, found when a page first shows one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with timezone.override(LazyZone(lambda: user_zone_name(user=getattr(request, "user", None)))):
            return self.get_response(request)


def render_in_zone(
    request: HttpRequest, franchise: Franchise, template: str, context: dict, status: int = 200
) -> HttpResponse:
    """A franchise's own page: its times, form values and {{ dates }} in the franchise's zone."""
    with timezone.override(franchise.zone):
        return render(request, template, {"franchise": franchise, "zone": franchise.timezone, **context}, status=status)
