"""Headquarters' pages: the operators' publishing metrics (percentiles, AI tokens and costs; a
franchise's staff and admins have the activity page instead) and the system page with the health
checks and the jobs to run now."""

from __future__ import annotations

import datetime as dt
import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from franchises.access import headquarters_required
from franchises.google.quota_plan import quota_plan
from franchises.selectors import franchises_for_user
from gbp_scheduler.jobs import JOBS, JobBroke, job_get, job_run
from gbp_scheduler.times import duration_text
from generation.selectors import TOKEN_FIELDS, generation_costs_by_franchise, generation_costs_by_month
from health.checks import EVERYTHING, health_report
from health.metrics import publishing_metrics
from health.selectors import job_runs_last

from ..job_results import job_result_words
from ..selectors import posts_stuck_in_publishing_list

logger = logging.getLogger(__name__)

METRICS_PAGE_DAYS = (7, 30)
METRICS_PAGE_SIZE = 50  # franchises a page in the per-franchise table and charts
COST_MONTHS = 6
CHECK_TITLES = {
    "database": "Database",
    "googleAuth": "Google authorization",
    "anthropic": "Anthropic API",
    "tokenEncryption": "Token encryption",
    "publishLocks": "Publish locks",
    "generationQueue": "Generation queue",
}


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _metrics_row(name: str, stats: dict) -> dict:
    times = stats["timeToPublishSeconds"]
    return {
        "name": name,
        **stats,
        "success": _percent(stats["successRate"]),
        "mean": duration_text(times["mean"]),
        "median": duration_text(times["median"]),
        "p95": duration_text(times["p95"]),
    }


@headquarters_required("see the operators' metrics (your franchises' posts are on the Activity page)")
@require_GET
def metrics_page(request: HttpRequest) -> HttpResponse:
    """Success rate, time to publish and failures by reason of the user's franchises, with charts
    drawn by static/js/metrics.js from the same numbers (embedded with json_script): overall for
    all of them, and per franchise METRICS_PAGE_SIZE a page (`?page=`), by name."""
    days = request.GET.get("days", "")
    days = int(days) if days.isdigit() and int(days) in METRICS_PAGE_DAYS else METRICS_PAGE_DAYS[0]
    franchises = franchises_for_user(user=request.user)
    # The table and charts list a page of franchises by name; the overall figures cover them all.
    page = Paginator(franchises.order_by("name", "pk").values_list("pk", flat=True), METRICS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    data = publishing_metrics(franchises=franchises, days=days, listed=list(page.object_list))
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
        "ai_costs": _ai_costs(franchises=franchises, since=dt.datetime.fromisoformat(data["since"])),
        "days": days,
        "since": dt.datetime.fromisoformat(data["since"]),
        "until": dt.datetime.fromisoformat(data["until"]),
        "day_choices": METRICS_PAGE_DAYS,
        "metrics": data,
        "overall": _metrics_row("All your franchises", data["overall"]),
        "rows": rows,
        "page": page,
        "query": urlencode({"days": days}),
        "chart": chart,
    }
    return render(request, "dashboard/metrics.html", context)


def _dollars(amount: float | None) -> str:
    """Cents from a dollar up; below that, enough digits to tell a draft's cost (~$0.001) from 0."""
    if amount is None:
        return "—"
    return f"${amount:,.2f}" if amount >= 1 or amount == 0 else f"${amount:.4f}"


def _cost_row(row: dict) -> dict:
    batch_share = row["batch_requests"] / row["requests"] if row["requests"] else None
    return {
        **row,
        **{f"{field}_text": f"{row[field]:,}" for field in TOKEN_FIELDS},
        "batch_share": _percent(batch_share),
        "cost_text": _dollars(row["cost"]),
        "assist_cost_text": _dollars(row["assist_cost"]),
        "per_draft_text": _dollars(row["cost_per_draft"]),
    }


def _ai_costs(*, franchises, since: dt.datetime) -> dict:
    """What Claude cost: per franchise over the page's period, and per month over COST_MONTHS
    calendar months (UTC), priced with the ANTHROPIC_PRICE_* settings."""
    month_start = timezone.now().astimezone(dt.UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    for _ in range(COST_MONTHS - 1):
        month_start = (month_start - dt.timedelta(days=1)).replace(day=1)
    return {
        "by_franchise": [_cost_row(r) for r in generation_costs_by_franchise(franchises=franchises, since=since)],
        "by_month": [_cost_row(r) for r in generation_costs_by_month(franchises=franchises, since=month_start)],
        "months": COST_MONTHS,
        "prices": {
            "input": settings.ANTHROPIC_PRICE_INPUT_PER_MTOK,
            "output": settings.ANTHROPIC_PRICE_OUTPUT_PER_MTOK,
            "cache_read": settings.ANTHROPIC_PRICE_CACHE_READ_PER_MTOK,
            "cache_write": settings.ANTHROPIC_PRICE_CACHE_WRITE_PER_MTOK,
            "batch_percent": round(settings.ANTHROPIC_BATCH_PRICE_FACTOR * 100),
            "model": settings.ANTHROPIC_MODEL,
        },
    }


@never_cache
@headquarters_required("see the system page")
@require_GET
def system_page(request: HttpRequest) -> HttpResponse:
    """The health checks with details, the posts stuck in publishing, and buttons to run a job now."""
    report, _status = health_report(viewer=lambda: EVERYTHING)
    checks = [{"key": key, "title": CHECK_TITLES.get(key, key), **check} for key, check in report["checks"].items()]
    context = {
        "report": report,
        "checks": checks,
        "auth_problems": [
            f for f in report["checks"]["googleAuth"].get("franchises", []) if f["connected"] and not f["authValid"]
        ],
        "stuck": list(posts_stuck_in_publishing_list()),
        "stuck_minutes": settings.HEALTH_STUCK_LOCK_MINUTES,
        "jobs": _job_rows(),
        "plan": quota_plan(),
    }
    return render(request, "dashboard/system.html", context)


def _job_rows() -> list[dict]:
    """Each job with its last run (from any entry point) and that run's result in words."""
    last = job_runs_last()
    rows = []
    for job in JOBS:
        run = last.get(job.name)
        words = job_result_words(job.name, run.summary) if run is not None and run.ok else []
        rows.append({"job": job, "run": run, "words": words})
    return rows


@headquarters_required("run jobs")
@require_POST
def system_job_run(request: HttpRequest, job: str) -> HttpResponse:
    """Run one job now, as the cron endpoint would, and say what it did (or why it broke)."""
    found = job_get(job)
    if found is None:
        raise Http404("No such job.")
    try:
        summary = job_run(found)
    except JobBroke as exc:
        messages.error(request, f"{job}: {exc}")
    else:
        logger.info("job %s run from the system page by %s", job, request.user.get_username())
        words = "; ".join(job_result_words(job, summary))
        messages.success(request, f"{job} ran: {words}", extra_tags="job-summary")
    return redirect("dashboard:system")
