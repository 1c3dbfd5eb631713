"""Operating with eyes open: errors and job runs to Sentry when SENTRY_DSN is set, and log lines
that say which request or job run wrote them (JSON lines with LOG_FORMAT=json).

- `sentry_init` (called by the settings when SENTRY_DSN is set) starts sentry-sdk with its Django
  integration: unhandled errors and every ERROR log line become Sentry events. Unset, sentry-sdk is
  never even imported and nothing is sent.
- `RequestIdMiddleware` gives each request an id (the proxy's X-Request-ID or X-Vercel-Id, else a
  new one), answers it in X-Request-ID, and puts it on every log line and Sentry event it causes.
- `job_observed` wraps each job run (gbp_scheduler.jobs.job_run): the run's id goes on its log
  lines, and with Sentry on the run is a cron monitor check-in (in progress, then ok or error),
  so Sentry also notices a run that never came.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="")
JOB_RUN_ID: ContextVar[str] = ContextVar("job_run_id", default="")

# An id from the proxy is kept only if it looks like one (it is copied into logs and headers).
_SAFE_ID = re.compile(r"[A-Za-z0-9:._-]{1,128}")
_sentry_on = False


# --- logs --------------------------------------------------------------------------------------


class LogContext(logging.Filter):
    """Adds `request_id` and `job_run_id` (empty outside a request or a run) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        record.job_run_id = JOB_RUN_ID.get()
        return True


def logging_config(*, log_format: str, level: str) -> dict:
    """Django's LOGGING: plain lines for a terminal, or one JSON object a line (python-json-logger)
    for Vercel's log drains and any log stack."""
    if log_format not in ("plain", "json"):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {log_format!r}.")
    formatters = {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(job_run_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        # Invitation, reset and OAuth-callback URLs carry credentials: every record is redacted before
        # a handler writes it (gbp_scheduler/log_redaction.py).
        "filters": {
            "context": {"()": "gbp_scheduler.observability.LogContext"},
            "redact_credentials": {"()": "gbp_scheduler.log_redaction.RedactCredentialUrls"},
            "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        },
        "formatters": {log_format: formatters[log_format]},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["context", "redact_credentials"],
            },
            # Django's own: a 500 is emailed to ADMINS outside DEBUG.
            "mail_admins": {
                "level": "ERROR",
                "class": "django.utils.log.AdminEmailHandler",
                "filters": ["require_debug_false", "redact_credentials"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's defaults give these handlers of their own that write without the redaction:
            # replaced, so their records reach the console only through the root's.
            "django": {"handlers": ["mail_admins"], "level": "INFO"},
            "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
            # django-axes announces itself at INFO on every start; its lockouts are WARNING.
            "axes": {"level": "WARNING"},
            # The MCP SDK announces at INFO the session manager and transport each /mcp request
            # starts and ends.
            "mcp.server.streamable_http_manager": {"level": "WARNING"},
            "mcp.server.streamable_http": {"level": "WARNING"},
        },
    }


# --- requests ----------------------------------------------------------------------------------


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID") or request.headers.get("X-Vercel-Id") or ""
        request_id = given if _SAFE_ID.fullmatch(given) else uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        try:
            if _sentry_on:
                import sentry_sdk

                sentry_sdk.set_tag("request_id", request_id)
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            return response
        finally:
            REQUEST_ID.reset(token)


# --- job runs ----------------------------------------------------------------------------------


@contextmanager
def job_observed(job) -> Iterator[str]:
    """Around one run of `job` (a gbp_scheduler.jobs.Job); yields the run's id, which is also its
    Sentry check-in's id. The run counts as an error in Sentry when it raises (JobBroke included)."""
    run_id = uuid.uuid4().hex
    token = JOB_RUN_ID.set(run_id)
    started = time.monotonic()
    _checkin(job, run_id, "in_progress")
    try:
        yield run_id
    except BaseException:
        _checkin(job, run_id, "error", duration=time.monotonic() - started)
        raise
    else:
        _checkin(job, run_id, "ok", duration=time.monotonic() - started)
    finally:
        JOB_RUN_ID.reset(token)


def _checkin(job, run_id: str, status: str, *, duration: float | None = None) -> None:
    if not _sentry_on:
        return
    from sentry_sdk.crons import capture_checkin

    capture_checkin(
        monitor_slug=job.name,
        check_in_id=run_id,
        status=status,
        duration=duration,
        # Sentry keeps the monitor's schedule in step with the registry's, and reports a run that
        # did not come within 5 minutes, or ran past Vercel's function limit.
        monitor_config={
            "schedule": {"type": "crontab", "value": job.schedule},
            "timezone": "UTC",
            "checkin_margin": 5,
            "max_runtime": 6,
        },
    )


# --- Sentry ------------------------------------------------------------------------------------


def sentry_init(*, dsn: str, environment: str, release: str) -> None:
    """Start sentry-sdk with the Django integration. No personal data (user ids, cookies, bodies):
    send_default_pii stays off, and the SDK scrubs headers and fields named like secrets."""
    global _sentry_on
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        traces_sample_rate=0.0,
    )
    _sentry_on = True
