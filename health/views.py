"""Health, liveness and metrics endpoints: thin over checks.py and metrics.py; and the dashboard's
metrics page and the superusers' system page."""

from __future__ import annotations

import datetime as dt
import json
import logging
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST, require_safe

from franchises.models import Franchise
from franchises.selectors import franchises_for_user
from gbp_scheduler.cron import bearer_secret_ok, job_run
from generation.services import generation_queue_fill, generation_queue_process
from posts.services import posts_publish_due

from .checks import health_report
from .metrics import publishing_metrics
from .selectors_system import posts_stuck_in_publishing_list

logger = logging.getLogger(__name__)

METRICS_MAX_DAYS = 365


def _is_staff(request: HttpRequest) -> bool:
    # request.user is lazy: touching it loads the session and the user from the database,
    # which is why health_report asks only after the database check passed.
    try:
        user = getattr(request, "user", None)
        return bool(user is not None and user.is_authenticated and user.is_staff)
    except DatabaseError:
        return False


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    report, status = health_report(can_see_details=lambda: bearer_secret_ok(request) or _is_staff(request))
    return JsonResponse(report, status=status)


@never_cache
@require_safe
def live(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches no database, cache or outside service."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def metrics(request: HttpRequest) -> JsonResponse:
    """Publishing metrics: every franchise for the bearer secret or staff; a user's own otherwise."""
    if bearer_secret_ok(request) or _is_staff(request):
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


# --- dashboard pages ---------------------------------------------------------------------------

METRICS_PAGE_DAYS = (7, 30)

# The jobs a superuser may run from the system page: the same service functions as the cron
# endpoints and the management commands.
CRON_JOBS = {
    "publish-scheduled": posts_publish_due,
    "process-generation-queue": generation_queue_process,
    "generate-drafts": generation_queue_fill,
}
CHECK_TITLES = {
    "database": "Database",
    "googleAuth": "Google authorization",
    "anthropic": "Anthropic API",
    "publishLocks": "Publish locks",
    "generationQueue": "Generation queue",
}


def _duration(seconds: float | None) -> str:
    """12.3 -> "12 s", 754 -> "12 min 34 s", 7300 -> "2 h 1 min"."""
    if seconds is None:
        return "—"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _metrics_row(name: str, stats: dict) -> dict:
    times = stats["timeToPublishSeconds"]
    return {
        "name": name,
        **stats,
        "success": _percent(stats["successRate"]),
        "mean": _duration(times["mean"]),
        "median": _duration(times["median"]),
        "p95": _duration(times["p95"]),
    }


@login_required
@require_GET
def metrics_page(request: HttpRequest) -> HttpResponse:
    """Success rate, time to publish and failures by reason of the user's franchises, with charts
    drawn by static/js/metrics.js from the same numbers (embedded with json_script)."""
    days = request.GET.get("days", "")
    days = int(days) if days.isdigit() and int(days) in METRICS_PAGE_DAYS else METRICS_PAGE_DAYS[0]
    data = publishing_metrics(franchises=franchises_for_user(user=request.user), days=days)
    rows = [_metrics_row(f["name"], f) for f in data["franchises"]]
    chart = {
        "labels": [f["name"] for f in data["franchises"]],
        "successRate": [
            None if f["successRate"] is None else round(f["successRate"] * 100, 1) for f in data["franchises"]
        ],
        "published": [f["published"] for f in data["franchises"]],
        "failed": [f["failed"] for f in data["franchises"]],
        "mean": [f["timeToPublishSeconds"]["mean"] for f in data["franchises"]],
        "median": [f["timeToPublishSeconds"]["median"] for f in data["franchises"]],
        "p95": [f["timeToPublishSeconds"]["p95"] for f in data["franchises"]],
        "reasons": data["overall"]["failuresByReason"],
    }
    context = {
        "days": days,
        "since": dt.datetime.fromisoformat(data["since"]),
        "until": dt.datetime.fromisoformat(data["until"]),
        "day_choices": METRICS_PAGE_DAYS,
        "metrics": data,
        "overall": _metrics_row("All your franchises", data["overall"]),
        "rows": rows,
        "chart": chart,
    }
    return render(request, "health/metrics.html", context)


def superuser_required(view):
    """Log in first (redirect), then superusers only (403)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not request.user.is_superuser:
            raise PermissionDenied("Only headquarters (superusers) can see the system page.")
        return view(request, *args, **kwargs)

    return wrapped


@never_cache
@superuser_required
@require_GET
def system_page(request: HttpRequest) -> HttpResponse:
    """The health checks with details, the posts stuck in publishing, and buttons to run a job now."""
    report, _status = health_report(can_see_details=lambda: True)
    checks = [{"key": key, "title": CHECK_TITLES.get(key, key), **check} for key, check in report["checks"].items()]
    context = {
        "report": report,
        "checks": checks,
        "auth_problems": [
            f for f in report["checks"]["googleAuth"].get("franchises", []) if f["connected"] and not f["authValid"]
        ],
        "stuck": list(posts_stuck_in_publishing_list()),
        "stuck_minutes": settings.HEALTH_STUCK_LOCK_MINUTES,
        "jobs": list(CRON_JOBS),
    }
    return render(request, "health/system.html", context)


@superuser_required
@require_POST
def system_job_run(request: HttpRequest, job: str) -> HttpResponse:
    """Run one cron job now, as the cron endpoint would, and show its JSON summary."""
    if job not in CRON_JOBS:
        raise Http404("No such job.")
    try:
        summary = job_run(job, CRON_JOBS[job])
    except DatabaseError as exc:
        logger.exception("job %s run from the system page broke", job)
        messages.error(request, f"{job} broke on a database error ({exc.__class__.__name__}).")
    else:
        logger.info("job %s run from the system page by %s", job, request.user.get_username())
        messages.success(request, json.dumps(summary), extra_tags="job-summary")
    return redirect("franchises:system")
