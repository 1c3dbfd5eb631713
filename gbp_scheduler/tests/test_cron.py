from __future__ import annotations

import json

import pytest
from django.test import RequestFactory

from gbp_scheduler.cron import TimeBudget, cron_view

calls: list[TimeBudget] = []


def _job(*, budget: TimeBudget) -> dict:
    calls.append(budget)
    return {"published": 2, "failed": 1}


view = cron_view("test-job", _job)
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


def test_a_job_that_finds_bad_configuration_answers_500_json_naming_it():
    from django.core.exceptions import ImproperlyConfigured

    def broken(*, budget):
        raise ImproperlyConfigured("ANTHROPIC_API_KEY is not set")

    response = cron_view("broken", broken)(rf.get("/api/cron/x", HTTP_AUTHORIZATION="Bearer s3cret-value"))
    assert response.status_code == 500
    assert json.loads(response.content)["error"] == "Bad configuration: ANTHROPIC_API_KEY is not set"
