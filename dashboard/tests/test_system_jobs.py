"""The System page tells each job's last run, from any entry point (cron URL, command, Run now),
with its time and its outcome in words, and why a run broke."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from dashboard.job_results import NOTHING, job_result_words
from health.models import JobRun
from testkit.factories import make_user
from testkit.web import logged_in

pytestmark = pytest.mark.django_db

SYSTEM = reverse("dashboard:system")


def _row(body: str, job: str) -> str:
    return re.search(rf'<tr id="job-{job}".*?</tr>', body, re.S).group(0)


def test_a_job_never_run_says_so(client):
    body = logged_in(client, make_user(superuser=True)).get(SYSTEM).content.decode()
    row = _row(body, "generate-drafts")
    assert 'data-outcome="never"' in row and "Not run yet" in row


@time_machine.travel(dt.datetime(2026, 11, 29, 5, 0, 3, tzinfo=dt.UTC), tick=False)
def test_a_run_by_the_command_is_shown_with_its_time_and_outcome_in_words(client, capsys):
    call_command("generate_drafts")
    run = JobRun.objects.get(job="generate-drafts")
    assert run.ok and run.started_at == dt.datetime(2026, 11, 29, 5, 0, 3, tzinfo=dt.UTC)
    body = logged_in(client, make_user(superuser=True)).get(SYSTEM).content.decode()
    row = _row(body, "generate-drafts")
    assert 'data-outcome="ok"' in row
    assert "Sun 29 Nov 2026, 05:00" in row  # in the page's zone (UTC: no franchise to take one from)
    assert NOTHING in row  # no franchise wants drafts: said in words, not {"queued": 0, ...}
    assert "queued" not in row and "{" not in row


def test_a_run_by_the_cron_url_is_recorded_too(settings):
    settings.CRON_SECRET = "s3cret-value"
    response = Client().get("/api/cron/check-alerts", HTTP_AUTHORIZATION="Bearer s3cret-value")
    assert response.status_code == 200
    assert JobRun.objects.get(job="check-alerts").ok


def test_a_run_that_broke_shows_why(client, settings):
    settings.ANTHROPIC_API_KEY = ""
    logged_in(client, make_user(superuser=True))
    client.post(reverse("dashboard:system_job_run", args=["process-generation-queue"]))
    body = client.get(SYSTEM).content.decode()
    row = _row(body, "process-generation-queue")
    assert 'data-outcome="broke"' in row
    assert "Bad configuration: ANTHROPIC_API_KEY is not set" in row


def test_the_last_run_replaces_the_one_before():
    call_command("generate_drafts")
    call_command("generate_drafts")
    assert JobRun.objects.filter(job="generate-drafts").count() == 1


def test_counts_are_told_in_words_with_reasons_and_zeroes_left_out():
    summary = {"job": "generate-drafts", "durationMs": 12, "franchises": 9, "queued": 0, "skipped": 9}
    assert job_result_words("generate-drafts", summary) == [
        "9 franchises wanting AI drafts",
        "9 slots already queued by an earlier run, left as they were",
    ]
    publish = {"published": 1, "failed": 2, "skipped_reauth": 3, "peak_concurrency": 4, "new_count": 5}
    assert job_result_words("publish-scheduled", publish) == [
        "1 published on Google",
        "2 failed (each one's reason is on it)",
        "3 skipped: their franchise must reconnect Google",
        "5 new count",  # a count not in the table yet still shows
    ]
