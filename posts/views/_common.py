"""What every dashboard view shares: the errors an action can end with, and zone handling."""

from __future__ import annotations

import zoneinfo

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from franchises.google import business_profile
from franchises.google.tokens import GoogleReauthorizationRequired, GoogleTokenTransientError
from franchises.models import Franchise

from ..gbp_mapping import PostNotPublishable
from ..services import PostActionError

# An action refused or failed for a reason the person can act on: shown as a message, not a 500.
ACTION_ERRORS = (
    PostActionError,
    PostNotPublishable,
    business_profile.GbpError,
    GoogleReauthorizationRequired,
    GoogleTokenTransientError,
)


def zone_of(franchise: Franchise) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(franchise.timezone)


def render_in_zone(
    request: HttpRequest, franchise: Franchise, template: str, context: dict, status: int = 200
) -> HttpResponse:
    """Render with the franchise's zone active, so form values and {{ dates }} are local to it."""
    with timezone.override(zone_of(franchise)):
        return render(request, template, {"franchise": franchise, "zone": franchise.timezone, **context}, status=status)
