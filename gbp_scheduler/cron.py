"""What every cron job shares: the bearer-secret HTTP endpoint, the time budget, the JSON answer.

A job is a service function `run(*, budget: TimeBudget) -> dict[str, int]` returning its counts.
The HTTP view (`cron_view`) and the management command (`JobCommand`) both call it, and neither
holds logic of its own.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

logger = logging.getLogger(__name__)


@dataclass
class TimeBudget:
    """A run takes no new work once `seconds` have passed since it started."""

    seconds: float = field(default_factory=lambda: float(settings.CRON_TIME_BUDGET_SECONDS))
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


Job = Callable[..., dict]


def job_run(name: str, job: Job) -> dict:
    """Run a job under a fresh budget and wrap its counts in the SPEC section 4 answer."""
    started_at = timezone.now()
    budget = TimeBudget()
    counts = job(budget=budget)
    return {
        "job": name,
        "startedAt": started_at.isoformat().replace("+00:00", "Z"),
        "durationMs": round(budget.elapsed * 1000),
        **counts,
    }


def bearer_secret_ok(request: HttpRequest) -> bool:
    """Whether the request carries `Authorization: Bearer $CRON_SECRET`, compared in constant time."""
    secret = settings.CRON_SECRET
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not secret or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(token.strip().encode(), secret.encode())


def cron_view(name: str, job: Job):
    """An endpoint for Vercel Cron (GET) and the seed's POST: 503 when CRON_SECRET is unset, 401 on a
    missing or wrong secret, otherwise the job's JSON summary (500 JSON when the run itself broke)."""

    @csrf_exempt
    @never_cache
    @require_http_methods(["GET", "POST"])
    def view(request: HttpRequest) -> JsonResponse:
        if not settings.CRON_SECRET:
            return JsonResponse(
                {"error": "CRON_SECRET is not configured; cron endpoints refuse to run open."}, status=503
            )
        if not bearer_secret_ok(request):
            return JsonResponse({"error": "Unauthorized: send Authorization: Bearer <CRON_SECRET>."}, status=401)
        try:
            return JsonResponse(job_run(name, job))
        except DatabaseError as exc:
            logger.exception("cron job %s broke", name)
            return JsonResponse({"job": name, "error": f"Database error: {exc.__class__.__name__}"}, status=500)
        except ImproperlyConfigured as exc:
            logger.error("cron job %s cannot run: %s", name, exc)
            return JsonResponse({"job": name, "error": f"Bad configuration: {exc}"}, status=500)

    view.__name__ = f"cron_{name.replace('-', '_')}"
    return view


class JobCommand(BaseCommand):
    """A management command that runs one job and prints its summary.

    Exit 0 when the run completed (even if some items failed and were recorded); non-zero when
    the run itself broke (database unreachable, bad configuration).
    """

    job_name: str = ""

    def job(self, *, budget: TimeBudget) -> dict:  # pragma: no cover - subclasses define it
        raise NotImplementedError

    def handle(self, *args, **options):
        try:
            summary = job_run(self.job_name, self.job)
        except DatabaseError as exc:
            raise CommandError(f"{self.job_name}: the run broke on a database error: {exc}") from exc
        except ImproperlyConfigured as exc:
            raise CommandError(f"{self.job_name}: bad configuration: {exc}") from exc
        parts = [f"{key}={value}" for key, value in summary.items() if key not in {"job", "startedAt"}]
        self.stdout.write(f"{self.job_name}: " + " ".join(parts))
