"""Errors and job runs reach Sentry when SENTRY_DSN is set, and nothing is sent when it is not;
logs are JSON lines carrying the request's or the job run's id with LOG_FORMAT=json.

Sentry's ingest is stood in for by a local HTTP server that records what sentry-sdk posts to it
(envelopes), and the app runs in a fresh process, started the way production starts it: the
settings read SENTRY_DSN and LOG_FORMAT at start-up."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.test import RequestFactory

from gbp_scheduler.observability import REQUEST_ID, LogContext, RequestIdMiddleware

BASE_DIR = Path(__file__).resolve().parents[2]

# The app, as one process: a view that breaks, a job that runs, a job that cannot run.
APP = """
import json, logging, sys
import django
django.setup()
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import path
from gbp_scheduler.jobs import Job, JobBroke, job_finished, job_run

def boom(request):
    raise RuntimeError("the view broke")

def nightly(*, budget):
    logging.getLogger("nightly").info("nightly ran")
    return {"done": 1}

def misconfigured(*, budget):
    from django.core.exceptions import ImproperlyConfigured
    raise ImproperlyConfigured("ANTHROPIC_API_KEY is not set")

urlpatterns = [path("boom/", boom)]
job_finished.disconnect(dispatch_uid="health.job_run_record")  # this process has no tables

with override_settings(ROOT_URLCONF="__main__"):
    response = Client(raise_request_exception=False).get(
        "/boom/", HTTP_AUTHORIZATION="Bearer cron-secret-value", HTTP_COOKIE="sessionid=session-cookie-value"
    )
job_run(Job("nightly", "__main__:nightly", "5 4 * * *", ""))
try:
    job_run(Job("broken", "__main__:misconfigured", "*/15 * * * *", ""))
except JobBroke:
    pass
import sentry_sdk
sentry_sdk.flush(timeout=10)
print(json.dumps({"status": response.status_code, "request_id": response["X-Request-ID"]}))
"""


class Ingest(ThreadingHTTPServer):
    """Sentry's ingest on 127.0.0.1: keeps each envelope's items as (item header, payload)."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), IngestHandler)
        self.items: list[tuple[dict, dict]] = []
        self.raw = b""

    @property
    def dsn(self) -> str:
        return f"http://publickey@127.0.0.1:{self.server_address[1]}/42"

    def of_type(self, kind: str) -> list[dict]:
        return [payload for header, payload in self.items if header.get("type") == kind]


class IngestHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        assert self.path == "/api/42/envelope/", self.path
        self.server.raw += body
        lines = body.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            self.server.items.append((json.loads(header), json.loads(payload)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def ingest() -> Iterator[Ingest]:
    server = Ingest()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def run_app(**env: str) -> tuple[dict, list[dict]]:
    """The app's answer and its log lines (JSON), from a fresh process with `env` set."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "gbp_scheduler.settings", "LOG_FORMAT": "json"}
    environment.update(DATABASE_URL="sqlite:///:memory:", CRON_SECRET="cron-secret-value", **env)
    result = subprocess.run(
        [sys.executable, "-c", APP], cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    logs = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]  # not warnings
    return json.loads(result.stdout.strip().splitlines()[-1]), logs


def test_with_a_dsn_errors_and_job_runs_reach_sentry_without_secrets(ingest):
    answer, logs = run_app(SENTRY_DSN=ingest.dsn, SENTRY_ENVIRONMENT="preview")

    assert answer["status"] == 500
    [event] = [e for e in ingest.of_type("event") if "exception" in e]
    assert event["exception"]["values"][-1]["value"] == "the view broke"
    assert event["tags"]["request_id"] == answer["request_id"] and event["environment"] == "preview"
    checkins = [(c["monitor_slug"], c["status"]) for c in ingest.of_type("check_in")]
    assert checkins == [("nightly", "in_progress"), ("nightly", "ok"), ("broken", "in_progress"), ("broken", "error")]
    nightly = ingest.of_type("check_in")[1]
    assert nightly["monitor_config"]["schedule"] == {"type": "crontab", "value": "5 4 * * *"}
    assert nightly["duration"] >= 0
    # The log line "job broken cannot run" is an error: it reaches Sentry too.
    assert any("job broken cannot run" in str(e.get("logentry")) for e in ingest.of_type("event"))
    assert b"cron-secret-value" not in ingest.raw and b"session-cookie-value" not in ingest.raw

    # A run's log lines carry its id, which is its check-in's id; a request's, the request's id.
    broken_run = ingest.of_type("check_in")[3]["check_in_id"]
    assert any(line["message"] == "nightly ran" and line["job_run_id"] for line in logs)
    [refused] = [line for line in logs if "job broken cannot run" in line["message"]]
    assert (
        refused["job_run_id"] == broken_run
        and refused["level"] == "ERROR"
        and refused["logger"] == "gbp_scheduler.jobs"
    )
    [request_error] = [line for line in logs if line["logger"] == "django.request"]
    assert request_error["request_id"] == answer["request_id"] and request_error["job_run_id"] == ""


def test_without_a_dsn_nothing_is_sent(ingest):
    answer, logs = run_app(SENTRY_DSN="")
    assert answer["status"] == 500
    assert ingest.items == [] and ingest.raw == b""
    assert any(line["logger"] == "django.request" for line in logs)


def test_a_request_keeps_the_proxys_id_when_it_looks_like_one_and_answers_it():
    seen = []

    def view(request):
        from django.http import HttpResponse

        seen.append(REQUEST_ID.get())
        return HttpResponse()

    middleware = RequestIdMiddleware(view)
    given = middleware(RequestFactory().get("/", HTTP_X_VERCEL_ID="iad1::abcde-1733400000000-0123456789ab"))
    assert given["X-Request-ID"] == seen[0] == "iad1::abcde-1733400000000-0123456789ab"
    junk = middleware(RequestFactory().get("/", HTTP_X_REQUEST_ID='"}\n{"forged": 1'))
    assert junk["X-Request-ID"] == seen[1] and len(seen[1]) == 32 and "forged" not in seen[1]
    assert REQUEST_ID.get() == ""  # nothing leaks into the next request on this thread


def test_log_records_outside_a_request_or_a_run_carry_empty_ids():
    import logging

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    assert LogContext().filter(record) and (record.request_id, record.job_run_id) == ("", "")
