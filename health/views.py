"""The JSON API for monitors and operators: /api/health, /api/health/live and /api/metrics, thin
over checks.py and metrics.py. (The pages that show the same figures are in dashboard/.)"""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from franchises.models import Franchise
from franchises.selectors import franchises_for_user, user_is_headquarters
from gbp_scheduler.jobs import bearer_secret_ok

from .checks import EVERYTHING, PUBLIC, Viewer, health_report
from .metrics import publishing_metrics

logger = logging.getLogger(__name__)

METRICS_MAX_DAYS = 365


def _viewer(request: HttpRequest) -> Viewer:
    """The bearer secret and headquarters see every detail; a signed-in member of a franchise sees
    the checks' messages and their own franchises; everybody else statuses and counts. Never by
    Django's `is_staff` flag, which is about the admin site only.

    request.user is lazy: touching it loads the session and the user from the database, which is
    why health_report asks only after the database check passed."""
    if bearer_secret_ok(request):
        return EVERYTHING
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return PUBLIC
    if user_is_headquarters(user):
        return EVERYTHING
    franchises = franchises_for_user(user=user)
    return Viewer(details=True, franchises=franchises) if franchises.exists() else PUBLIC


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    report, status = health_report(viewer=lambda: _viewer(request))
    return JsonResponse(report, status=status)


@never_cache
@require_safe
def live(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches no database, cache or outside service."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def metrics(request: HttpRequest) -> JsonResponse:
    """Publishing metrics: every franchise for the bearer secret or headquarters; a user's own
    otherwise (never more for Django's `is_staff` flag)."""
    if bearer_secret_ok(request):
        franchises = Franchise.objects.all()
    elif request.user.is_authenticated:
        franchises = franchises_for_user(user=request.user)
    else:
        return JsonResponse({"error": "Log in, or send Authorization: Bearer <CRON_SECRET>."}, status=401)
    try:
        days = int(request.GET.get("days", "7"))
    except ValueError:
        days = 0
    if not 1 <= days <= METRICS_MAX_DAYS:
        return JsonResponse({"error": f"days must be a whole number from 1 to {METRICS_MAX_DAYS}."}, status=400)
    return JsonResponse(publishing_metrics(franchises=franchises, days=days))
