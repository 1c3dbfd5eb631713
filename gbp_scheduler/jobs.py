"""The scheduled jobs, declared once, and everything every job shares.

`JOBS` below is the only list of jobs. From it come:

- the cron endpoints `/api/cron/<name>` (`gbp_scheduler/urls.py`, through `cron_view`),
- the management commands (each app's `management/commands/<command>.py` is one line naming its
  job, through `job_command`),
- the System page's list and its "Run now" buttons (`dashboard`),
- `vercel.json`'s crons (a test checks that file against this list),
- `make run`'s local scheduler (`scripts/run_local.py`).

A job is a service function `run(*, budget: TimeBudget) -> dict[str, int]` returning its counts.
It is named here by its dotted path and imported only when it runs: the URL configuration loads
this module, and a cold start must not pay for the Anthropic SDK to answer a health check.
Strings, not imports, also keep this bottom layer from depending on the apps above it.

`job_run` is the one place a job's run is wrapped: the time budget, the JSON answer, and what a
broken run becomes (the database unreachable, the configuration wrong) for all three entry points.
Each run ends with the `job_finished` signal; the health app records it (the System page shows
each job's last run), as this bottom layer may not import the apps above it.
"""

from __future__ import annotations

import hmac
import importlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import InterfaceError, OperationalError
from django.dispatch import Signal

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str  # the URL path's last part, and the name in every answer and page
    target: str  # "package.module:function"
    schedule: str  # cron expression, UTC (Vercel Cron and the local scheduler)
    description: str
    reports: bool = False  # the function takes `report`, a callable given one line per item done
    # "package.module:function" returning what the job asks of Google's quota (its quota_plan.Need
    # list): a job that calls Google joins the quota plan with this line; the plan shares what
    # publishing leaves in the order of this list (franchises/google/quota_plan.py).
    demand: str = ""

    @property
    def command(self) -> str:
        """`manage.py <command>`: the name with underscores (publish-scheduled: publish_scheduled)."""
        return self.name.replace("-", "_")

    def function(self) -> Callable[..., dict]:
        module, _, attribute = self.target.partition(":")
        return getattr(importlib.import_module(module), attribute)


JOBS: list[Job] = [
    Job(
        name="publish-scheduled",
        target="posts.services.publishing:posts_publish_due",
        # Every minute: a due post waits a minute at most, and runs overlapping (each stops after
        # CRON_TIME_BUDGET_SECONDS) keep publishing at the full quota through an announcement to
        # thousands of locations (overlapping runs are safe: docs/exactly-once.md).
        schedule="* * * * *",
        demand="posts.services.publishing:publishing_needs",
        description="Publish due posts to Google exactly once, after finishing pending updates and deletions there.",
        reports=True,
    ),
    Job(
        name="generate-drafts",
        target="generation.services.fill:generation_queue_fill",
        schedule="0 5 * * 0",
        description="Queue the coming week's AI drafts (no AI calls).",
    ),
    Job(
        name="process-generation-queue",
        target="generation.services.process:generation_queue_process",
        schedule="*/15 * * * *",
        description="Ask Claude for the queued drafts that are due.",
        reports=True,
    ),
    Job(
        name="sync-google-posts",
        target="posts.services.google_sync:google_posts_sync",
        # Hourly, at a minute no other job starts on: it shares Google's quota with publishing. Each
        # run takes the locations due by the quota plan (hourly for a small group, less often
        # for a big one and for locations whose posts are all older than two weeks).
        schedule="7 * * * *",
        demand="posts.services.google_sync:google_sync_needs",
        description="Read Google's state of published posts (live, in review, rejected, removed); tell the "
        "franchise's admins about rejected and removed posts.",
        reports=True,
    ),
    Job(
        name="materialise-series",
        target="posts.services.series:series_materialise_due",
        # Hourly: a series' occurrences are made four weeks ahead, so any run can be missed.
        schedule="41 * * * *",
        description="Make repeating posts' next occurrences, four weeks ahead, as scheduled posts.",
    ),
    Job(
        name="check-posting-rights",
        target="franchises.google.rights:posting_rights_check",
        demand="franchises.google.rights:posting_rights_needs",
        # Hourly, at a minute no other job starts on: every location once a day, those with a post due
        # soon every hour; a page of an account's locations a request.
        schedule="53 * * * *",
        description="Read from Google whether each connected location can take posts (daily; hourly before a "
        "post is due); posts of one that cannot wait, and its admins are told once.",
        reports=True,
    ),
    Job(
        name="fetch-insights",
        target="insights.services:insights_fetch_due",
        # Each location is fetched once a day (or as the quota plan says); a run each hour from the
        # morning on, so a group too large for one run's budget is finished by the next ones.
        schedule="23 6-17 * * *",
        demand="insights.services:insights_needs",
        description="Read each connected location's daily figures on Google (views, clicks, calls, directions) "
        "for the last days it lacks.",
        reports=True,
    ),
    Job(
        name="fetch-search-keywords",
        target="insights.keywords:search_keywords_fetch_due",
        demand="insights.keywords:search_keywords_needs",
        # Monthly: Google counts a month's keywords once it is over. Three days early in the month,
        # so a location Google had nothing for yet, or a run short of time, is done by a later one.
        schedule="37 9 5-7 * *",
        description="Read each connected location's search keywords of the last month (how many people found "
        "it on Google by each).",
        reports=True,
    ),
    Job(
        name="sync-reviews",
        target="reviews.services.sync:reviews_sync_due",
        demand="reviews.services.sync:reviews_needs",
        # Every 20 minutes, at minutes no other job starts on: it shares Google's quota with
        # publishing. A location is read hourly (the quota plan's cadence); the runs between make
        # up for one an announcement's backlog took whole, so a new review waits under 2 h.
        schedule="9,29,49 * * * *",
        description="Send the replies waiting for Google, read each connected location's new and changed "
        "Google reviews (many locations a request), and Google's checks of replies.",
        reports=True,
    ),
    Job(
        name="draft-review-replies",
        target="reviews.services.drafting:review_replies_draft_due",
        # After each hour's sync-reviews, and again while a batch may have ended.
        schedule="44 * * * *",
        description="Ask Claude for drafts of replies to new reviews (a backlog in a Message Batch at half the "
        "price), for people to approve.",
    ),
    Job(
        name="check-alerts",
        target="health.services:alerts_job",
        schedule="*/10 * * * *",
        description="Email the operators about stuck publish locks and a stalled generation queue, and "
        "franchise admins about posts that failed (once per post).",
    ),
    Job(
        name="send-digests",
        target="health.digests:digests_job",
        # Hourly: each franchise's digest is due from its own Monday 08:00, in every time zone.
        schedule="53 * * * *",
        description="Email each franchise's admins their weekly digest, from Monday 08:00 in the franchise's zone.",
    ),
    Job(
        name="prune-idempotency-keys",
        target="api.idempotency:idempotent_requests_prune",
        # Daily, at a quiet minute: an API answer kept for a repeat is kept a day.
        schedule="11 3 * * *",
        description="Delete the API's answers kept for repeated requests (Idempotency-Key) once a day old.",
    ),
    Job(
        name="deliver-webhooks",
        target="webhooks.delivery:webhooks_deliver_due",
        # Every minute: an event reaches its subscribers within a minute or so; overlapping runs
        # take different rows (webhooks/delivery.py).
        schedule="* * * * *",
        description="POST the events waiting in the webhook outbox to their subscribers, signed; retry "
        "failures for about a day.",
    ),
]


# The database connection itself broke: that ends the run (exit 1 / HTTP 500), it is no item's
# fault. A job's loop over its items lets these through rather than recording them on one item.
RUN_BREAKING = (OperationalError, InterfaceError)

# Sent at the end of every run, from every entry point: job (a Job), started_at, duration_ms,
# summary (the JSON answer; {} when the run broke) and error ("" when it completed).
job_finished = Signal()


def job_get(name: str) -> Job | None:
    return next((job for job in JOBS if job.name == name), None)


# --- the time budget -------------------------------------------------------------------------------


@dataclass
class TimeBudget:
    """A run takes no new work once `seconds` have passed since it started."""

    seconds: float = field(default_factory=lambda: float(_settings().CRON_TIME_BUDGET_SECONDS))
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def remaining(self) -> float:
        return max(0.0, self.seconds - self.elapsed)

    @property
    def deadline(self) -> float:
        """The `time.monotonic()` value at which the budget runs out."""
        return self.started + self.seconds

    @property
    def exhausted(self) -> bool:
        return self.elapsed >= self.seconds

    def part(self, share: float) -> TimeBudget:
        """A budget of its own for a part of the run: `share` of what is left of this one."""
        return TimeBudget(seconds=self.remaining * share)


def _settings():
    from django.conf import settings

    return settings


# --- running a job ---------------------------------------------------------------------------------


class JobBroke(Exception):
    """The run itself broke (not one item of it): the database or the configuration.

    `str()` is safe to answer over HTTP (a database error's text can name hosts and users, so
    only its kind is in it); `detail` is for the operator's terminal and log."""

    def __init__(self, public: str, detail: str):
        super().__init__(public)
        self.detail = detail


def job_run(job: Job, **options) -> dict:
    """Run `job` under a fresh budget; its counts wrapped in the JSON answer of every job.

    Raises JobBroke when the run itself broke; a failing item is the job's to record. The run's
    id is on its log lines, and it is a cron monitor check-in with Sentry on (observability.py)."""
    from .observability import job_observed

    with job_observed(job):
        return _job_run(job, **options)


def _job_run(job: Job, **options) -> dict:
    from django.core.exceptions import ImproperlyConfigured
    from django.db import DatabaseError
    from django.utils import timezone

    from .times import iso_utc

    started_at = timezone.now()
    budget = TimeBudget()
    try:
        counts = job.function()(budget=budget, **options)
    except DatabaseError as exc:
        logger.exception("job %s broke", job.name)
        broke = JobBroke(f"Database error: {exc.__class__.__name__}", f"the run broke on a database error: {exc}")
        _finished(job, started_at, budget, summary={}, error=str(broke))
        raise broke from exc
    except ImproperlyConfigured as exc:
        logger.error("job %s cannot run: %s", job.name, exc)
        broke = JobBroke(f"Bad configuration: {exc}", f"bad configuration: {exc}")
        _finished(job, started_at, budget, summary={}, error=str(broke))
        raise broke from exc
    summary = {"job": job.name, "startedAt": iso_utc(started_at), "durationMs": round(budget.elapsed * 1000), **counts}
    _finished(job, started_at, budget, summary=summary, error="")
    return summary


def _finished(job: Job, started_at, budget: TimeBudget, *, summary: dict, error: str) -> None:
    """Tell the receivers (the run's record); a receiver that fails is logged, never the run's failure."""
    duration_ms = round(budget.elapsed * 1000)
    for receiver, result in job_finished.send_robust(
        sender=Job, job=job, started_at=started_at, duration_ms=duration_ms, summary=summary, error=error
    ):
        if isinstance(result, Exception):
            logger.error("job %s: recording the run failed in %r: %s", job.name, receiver, result)


# --- over HTTP (Vercel Cron) -----------------------------------------------------------------------


def bearer_secret_ok(request) -> bool:
    """Whether the request carries `Authorization: Bearer $CRON_SECRET`, compared in constant time."""
    secret = _settings().CRON_SECRET
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not secret or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(token.strip().encode(), secret.encode())


def cron_view(job: Job):
    """The endpoint of `job` for Vercel Cron (GET) and the seed's POST: 503 when CRON_SECRET is
    unset, 401 on a missing or wrong secret, otherwise the run's JSON (500 JSON when it broke)."""
    from django.http import HttpRequest, JsonResponse
    from django.views.decorators.cache import never_cache
    from django.views.decorators.csrf import csrf_exempt
    from django.views.decorators.http import require_http_methods

    @csrf_exempt
    @never_cache
    @require_http_methods(["GET", "POST"])
    def view(request: HttpRequest) -> JsonResponse:
        if not _settings().CRON_SECRET:
            return JsonResponse(
                {"error": "CRON_SECRET is not configured; cron endpoints refuse to run open."}, status=503
            )
        if not bearer_secret_ok(request):
            return JsonResponse({"error": "Unauthorized: send Authorization: Bearer <CRON_SECRET>."}, status=401)
        try:
            return JsonResponse(job_run(job))
        except JobBroke as exc:
            return JsonResponse({"job": job.name, "error": str(exc)}, status=500)

    view.__name__ = f"cron_{job.command}"
    return view


# --- as a management command -----------------------------------------------------------------------


def job_command(name: str):
    """The management command class of the job `name`:

        Command = job_command("publish-scheduled")

    Exit 0 when the run completed (even if some items failed and were recorded); non-zero when
    the run itself broke (database unreachable, bad configuration)."""
    from django.core.management.base import BaseCommand, CommandError

    job = job_get(name)
    if job is None:
        raise LookupError(f"No job named {name!r} in gbp_scheduler.jobs.JOBS")

    class Command(BaseCommand):
        help = job.description

        def handle(self, *args, **options):
            try:
                summary = job_run(job, **({"report": self.stdout.write} if job.reports else {}))
            except JobBroke as exc:
                raise CommandError(f"{job.name}: {exc.detail}") from exc
            parts = [f"{key}={value}" for key, value in summary.items() if key not in {"job", "startedAt"}]
            self.stdout.write(f"{job.name}: " + " ".join(parts))

    Command.job = job
    return Command
