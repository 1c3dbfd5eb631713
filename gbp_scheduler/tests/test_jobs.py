from __future__ import annotations

import json

import pytest
from django.test import RequestFactory

from gbp_scheduler.jobs import Job, TimeBudget, cron_view

calls: list[TimeBudget] = []


def _job(*, budget: TimeBudget) -> dict:
    calls.append(budget)
    return {"published": 2, "failed": 1}


view = cron_view(Job("test-job", f"{__name__}:_job", "* * * * *", "A job for these tests."))
rf = RequestFactory()


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.CRON_SECRET = "s3cret-value"
    calls.clear()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_request_with_the_bearer_secret_runs_the_job_and_answers_its_summary(method):
    response = view(getattr(rf, method)("/api/cron/x", HTTP_AUTHORIZATION="Bearer s3cret-value"))
    body = json.loads(response.content)
    assert response.status_code == 200
    assert body["job"] == "test-job"
    assert body["published"] == 2 and body["failed"] == 1
    assert body["startedAt"].endswith("Z") and isinstance(body["durationMs"], int)
    assert response["Cache-Control"].startswith("max-age=0")
    assert len(calls) == 1


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic s3cret-value", "Bearer s3cret-valu", "s3cret-value"])
def test_a_missing_or_wrong_secret_gets_401_json_and_runs_nothing(header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = view(rf.get("/api/cron/x", **extra))
    assert response.status_code == 401
    assert "error" in json.loads(response.content)
    assert calls == []


def test_an_unset_secret_makes_the_endpoint_refuse_with_503(settings):
    settings.CRON_SECRET = ""
    response = view(rf.get("/api/cron/x", HTTP_AUTHORIZATION="Bearer "))
    assert response.status_code == 503
    assert calls == []


def test_other_methods_are_not_allowed():
    assert view(rf.delete("/api/cron/x", HTTP_AUTHORIZATION="Bearer s3cret-value")).status_code == 405


def test_a_budget_is_exhausted_once_its_seconds_pass():
    assert not TimeBudget(seconds=60).exhausted
    assert TimeBudget(seconds=0).exhausted


def _misconfigured(*, budget):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("ANTHROPIC_API_KEY is not set")


def test_a_job_that_finds_bad_configuration_answers_500_json_naming_it():
    broken = cron_view(Job("broken", f"{__name__}:_misconfigured", "* * * * *", ""))
    response = broken(rf.get("/api/cron/x", HTTP_AUTHORIZATION="Bearer s3cret-value"))
    assert response.status_code == 500
    assert json.loads(response.content)["error"] == "Bad configuration: ANTHROPIC_API_KEY is not set"


# --- the registry: every entry point comes from gbp_scheduler.jobs.JOBS ---------------------------


def test_every_job_has_its_cron_url_command_and_vercel_cron_and_nothing_else_does():
    from pathlib import Path

    from django.core.management import get_commands, load_command_class
    from django.urls import resolve

    from gbp_scheduler.jobs import JOBS

    vercel = json.loads((Path(__file__).resolve().parents[2] / "vercel.json").read_text())
    crons = {cron["path"]: cron["schedule"] for cron in vercel["crons"]}
    assert crons == {f"/api/cron/{job.name}": job.schedule for job in JOBS}
    commands = get_commands()
    for job in JOBS:
        assert resolve(f"/api/cron/{job.name}").url_name == f"cron-{job.name}"
        assert load_command_class(commands[job.command], job.command).job is job
        assert job.function() is not None  # the target imports


def test_a_jobs_command_is_its_name_with_underscores_and_the_operators_commands_stay():
    from django.core.management import get_commands

    from gbp_scheduler.jobs import JOBS, job_get

    assert job_get("publish-scheduled").command == "publish_scheduled"
    # The commands operators' crontabs name (SPEC.md): each still a job's.
    spec = {"publish_scheduled", "generate_drafts", "process_generation_queue", "check_alerts"}
    spec |= {"sync_google_posts", "fetch_insights"}
    assert spec <= {job.command for job in JOBS} <= set(get_commands())


def test_the_docs_list_every_job_as_the_registry_declares_it():
    """The jobs table of docs/contract.md and the crontab of docs/operations.md are made from JOBS:
    `python -m gbp_scheduler.jobs_docs --write` after changing a job."""
    from gbp_scheduler import jobs_docs
    from gbp_scheduler.jobs import JOBS

    for doc, (name, make) in jobs_docs.BLOCKS.items():
        text = (jobs_docs.BASE_DIR / doc).read_text(encoding="utf-8")
        block = jobs_docs.block_in(text, name)
        assert block is not None, f"{doc} lost the markers of its {name} block"
        assert block == make(), f"{doc} is out of date: run python -m gbp_scheduler.jobs_docs --write"
        assert all(job.command in block for job in JOBS)


def test_the_docs_check_fails_when_a_job_is_missing_from_a_doc(monkeypatch):
    from gbp_scheduler import jobs_docs
    from gbp_scheduler.jobs import JOBS, Job

    monkeypatch.setattr(jobs_docs, "JOBS", [*JOBS, Job("new-job", "x:y", "1 2 * * *", "New.")])
    assert jobs_docs.main([]) == 1


@pytest.mark.django_db
def test_the_system_page_runs_a_misconfigured_job_with_a_message_instead_of_a_500(admin_client, settings):
    settings.ANTHROPIC_API_KEY = ""
    from generation.models import GenerationQueue
    from testkit.factories import make_franchise

    GenerationQueue.objects.create(
        franchise=make_franchise(google_refresh_token="1//t"),
        week_start="2026-11-30",
        slot=0,
        scheduled_for="2026-11-29T00:00:00Z",
    )
    from django.urls import reverse

    answer = admin_client.post(reverse("dashboard:system_job_run", args=["process-generation-queue"]), follow=True)

    assert answer.status_code == 200
    assert any("Bad configuration" in str(m) and "ANTHROPIC_API_KEY" in str(m) for m in answer.context["messages"])


def test_the_url_configuration_loads_no_sdk_until_google_or_anthropic_is_called():
    """A cold process answers its first request without importing the Anthropic SDK or the Google
    libraries (they cost most of a second): they load when a draft is written or Google called."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    probe = (
        "import sys, django; django.setup();"
        "from django.urls import get_resolver; get_resolver().url_patterns;"
        "from django.test import Client; Client().get('/api/health/live');"
        "print(','.join(m for m in ('anthropic', 'google.auth', 'google_auth_oauthlib', 'google.oauth2', "
        "'httpx', 'requests', 'oauthlib') if m in sys.modules))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gbp_scheduler.settings", "DATABASE_URL": "sqlite:///:memory:"}
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
