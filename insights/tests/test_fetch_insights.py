"""The fetch-insights job against the sandbox's Performance API: each day stored once, only what is
lacking asked for, the last week read again, under the shared quota and the run's budget, a
location whose access broke skipped with the reconnect message, and only the metrics Google still
takes asked for (one it refuses never costs the others)."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from franchises.models import Membership
from gbp_scheduler.jobs import TimeBudget
from insights import models
from insights.models import DailyMetric, InsightsFetch, Metric, metrics_supported
from insights.services import HISTORY_DAYS, insights_fetch_due
from testkit.factories import make_member
from testkit.google import connection_of, franchise_connected_to_sandbox, franchises_connected_to_sandbox_bulk

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
START = dt.datetime(2026, 9, 10, 7, 0, tzinfo=NEW_YORK)  # a morning run, local time
SUPPORTED = metrics_supported(today=START.date())  # BUSINESS_CONVERSATIONS ended on 2026-01-31
METRICS = len(SUPPORTED)


def fetch(seconds: float = 60) -> dict:
    return insights_fetch_due(budget=TimeBudget(seconds=seconds))


def days_stored(franchise) -> list[dt.date]:
    return sorted(set(DailyMetric.objects.filter(franchise=franchise).values_list("day", flat=True)))


def assert_one_row_per_metric_and_day(franchise) -> None:
    rows = DailyMetric.objects.filter(franchise=franchise)
    per_day = rows.values("day").annotate(n=Count("id")).values_list("n", flat=True)
    assert set(per_day) == {METRICS}
    assert rows.count() == len(days_stored(franchise)) * METRICS


@pytest.fixture
def franchise(sandbox):
    with time_machine.travel(START, tick=False):
        return franchise_connected_to_sandbox(sandbox, name="Sunrise Bakery", timezone="America/New_York")


@pytest.mark.usefixtures("quota_unpaced")
def test_the_first_run_reads_ninety_days_and_stores_each_day_once(sandbox, franchise):
    with time_machine.travel(START, tick=False):
        counts = fetch()
        again = fetch()

    today = START.date()
    (asked,) = sandbox.client.performance_requests()
    assert asked["start"] == str(today - dt.timedelta(days=HISTORY_DAYS))
    assert asked["end"] == str(today - dt.timedelta(days=1))
    assert sorted(asked["metrics"]) == sorted(SUPPORTED)
    # Google has no figures yet for the last two days.
    days = days_stored(franchise)
    assert days[0] == today - dt.timedelta(days=HISTORY_DAYS) and days[-1] == today - dt.timedelta(days=3)
    assert_one_row_per_metric_and_day(franchise)
    assert counts["locations_fetched"] == 1 and counts["google_requests"] == 1
    assert counts["figures_stored"] == len(days) * METRICS
    assert again["google_requests"] == 0  # fetched today already: nothing due
    fetched = InsightsFetch.objects.get(franchise=franchise)
    assert fetched.fetched_through == today - dt.timedelta(days=1) and fetched.last_error == ""


def test_the_next_days_read_the_last_week_again_and_store_no_duplicates(sandbox, franchise):
    with time_machine.travel(START, tick=False):
        fetch()
    day = START.date()
    revised, old = day - dt.timedelta(days=5), day - dt.timedelta(days=20)
    sandbox.client.set_figure(franchise.google_location_id, "WEBSITE_CLICKS", revised, 777)
    sandbox.client.set_figure(franchise.google_location_id, "WEBSITE_CLICKS", old, 888)

    with time_machine.travel(START + dt.timedelta(days=1), tick=False):
        counts = fetch()

    asked = sandbox.client.performance_requests()[-1]
    assert (asked["start"], asked["end"]) == (str(day - dt.timedelta(days=7)), str(day))
    clicks = dict(DailyMetric.objects.filter(franchise=franchise, metric="WEBSITE_CLICKS").values_list("day", "value"))
    assert clicks[revised] == 777  # inside the week read again: Google's revision is kept
    assert clicks[old] != 888  # further back: not asked for again
    assert days_stored(franchise)[-1] == day - dt.timedelta(days=2)  # a day that was lagging is in now
    assert_one_row_per_metric_and_day(franchise)
    assert counts["figures_stored"] == 6 * METRICS  # the week, less Google's two lagging days


@pytest.mark.usefixtures("quota_unpaced")
def test_days_missed_by_the_job_are_filled_in(sandbox, franchise):
    with time_machine.travel(START, tick=False):
        fetch()
    with time_machine.travel(START + dt.timedelta(days=12), tick=False):  # the job did not run for 11 days
        fetch()

    days = days_stored(franchise)
    assert days == [days[0] + dt.timedelta(days=n) for n in range(len(days))]  # no gap
    assert days[-1] == START.date() + dt.timedelta(days=12 - 3)
    assert_one_row_per_metric_and_day(franchise)


def test_requests_stay_within_the_shared_quota(sandbox, settings):
    settings.GOOGLE_REQUESTS_PER_MINUTE = 600  # 10 a second
    sandbox.client.set_quota(600, window_seconds=2)  # more than 20 within 2 s answers 429
    franchises_connected_to_sandbox_bulk(sandbox.client, count=30, name="Quota")

    counts = fetch()

    assert counts["locations_fetched"] == 30 and counts["google_requests"] == 30
    assert sandbox.client.calls("performance.fetch") == 30
    assert sandbox.client.calls("performance.fetch", 429) == 0


def test_a_run_stops_at_its_budget_and_the_next_run_goes_on(sandbox, settings):
    settings.GOOGLE_REQUESTS_PER_MINUTE = 600  # ten a second (paced 5 % under: one each 0.105 s)
    franchises_connected_to_sandbox_bulk(sandbox.client, count=6, name="Budget")

    first = fetch(seconds=0.25)
    second = fetch(seconds=10)

    assert 1 <= first["locations_fetched"] <= 3 and first["left_for_next_run"] == 6 - first["locations_fetched"]
    assert first["locations_fetched"] + second["locations_fetched"] == 6 and second["left_for_next_run"] == 0
    assert InsightsFetch.objects.filter(fetched_through__isnull=True).count() == 0


def test_a_location_whose_access_broke_is_skipped_with_the_reconnect_message(
    sandbox, mailoutbox, django_capture_on_commit_callbacks
):
    broken = franchise_connected_to_sandbox(sandbox, name="Harbor Fitness", expired=True)
    fine = franchise_connected_to_sandbox(sandbox, name="Green Leaf Cafe")
    admin = make_member(broken, Membership.Role.ADMIN, email="owner@harbor.example")
    sandbox.client.revoke(connection_of(broken).get().refresh_token)

    with django_capture_on_commit_callbacks(execute=True):
        counts = fetch()
    broken.refresh_from_db()

    assert counts["skipped_reauth"] == 1 and counts["locations_fetched"] == 1
    assert broken.needs_reauthorization
    message = InsightsFetch.objects.get(franchise=broken).last_error
    assert "reconnect the Google account" in message and "Harbor Fitness" in message
    assert [m.to for m in mailoutbox] == [[admin.email]]  # told once, by the token layer
    assert days_stored(fine) and not days_stored(broken)

    with django_capture_on_commit_callbacks(execute=True):
        again = fetch()
    assert again["skipped_reauth"] == 1 and again["google_requests"] == 0
    assert InsightsFetch.objects.get(franchise=broken).last_error == message
    assert len(mailoutbox) == 1


def test_one_failing_location_never_stops_the_run(sandbox):
    gone = franchise_connected_to_sandbox(sandbox, name="Moved Away")
    fine = franchise_connected_to_sandbox(sandbox, name="Still Here")
    sandbox.client.disable_location(gone.google_location_id)

    counts = fetch()

    assert counts["failed"] == 1 and counts["locations_fetched"] == 1
    error = InsightsFetch.objects.get(franchise=gone).last_error
    assert "Business Profile Performance API" in error and "enable it" in error
    assert days_stored(fine) and not days_stored(gone)


def test_a_failure_for_now_is_retried_by_the_next_run(sandbox, franchise):
    sandbox.client.fail("performance.fetch", 503)
    assert fetch()["deferred"] == 1
    assert "retried next run" in InsightsFetch.objects.get(franchise=franchise).last_error

    counts = fetch()

    assert counts["locations_fetched"] == 1 and InsightsFetch.objects.get(franchise=franchise).last_error == ""


def test_the_command_and_the_cron_url_run_the_same_job(sandbox, franchise, client, capsys):
    call_command("fetch_insights")
    out = capsys.readouterr().out
    assert "fetch-insights: " in out and "locations_fetched=1" in out and "Sunrise Bakery:" in out
    InsightsFetch.objects.update(fetched_at=timezone.now() - dt.timedelta(days=1))

    answer = client.get("/api/cron/fetch-insights", HTTP_AUTHORIZATION="Bearer test-cron-secret")

    assert answer.status_code == 200
    assert answer.json()["job"] == "fetch-insights" and answer.json()["locations_fetched"] == 1


def test_the_request_asks_for_every_metric_google_still_takes():
    assert Metric.MESSAGING_CLICKS in SUPPORTED and Metric.CONVERSATIONS not in SUPPORTED
    assert metrics_supported(today=dt.date(2026, 1, 30)) == Metric.values  # conversations until their end


@pytest.mark.usefixtures("quota_unpaced")
def test_a_metric_google_refuses_is_dropped_and_the_others_stored_for_every_location(
    sandbox, monkeypatch, caplog, capsys
):
    # An app that never heard BUSINESS_CONVERSATIONS was removed asks for it; Google (the sandbox)
    # refuses the whole request, naming it.
    monkeypatch.setattr(models, "ENDS", {})
    first = franchise_connected_to_sandbox(sandbox, name="Sunrise Bakery", timezone="America/New_York")
    second = franchise_connected_to_sandbox(sandbox, name="Harbor Fitness", timezone="America/New_York")

    with time_machine.travel(START, tick=False), caplog.at_level(logging.WARNING, logger="insights.services"):
        call_command("fetch_insights")

    out = capsys.readouterr().out
    assert "locations_fetched=2" in out and "metrics_refused=1" in out and "google_requests=3" in out
    assert "Google refused BUSINESS_CONVERSATIONS: asked again without it" in out
    assert "Google refused BUSINESS_CONVERSATIONS; asked again without it" in caplog.text
    # The first location asked twice (the refused request is not among the answered ones); the
    # second, after it, only for what Google takes.
    assert sandbox.client.calls("performance.fetch", 400) == 1
    asked = [sorted(request["metrics"]) for request in sandbox.client.performance_requests()]
    assert asked == [sorted(SUPPORTED), sorted(SUPPORTED)]
    for franchise in (first, second):
        stored = set(DailyMetric.objects.filter(franchise=franchise).values_list("metric", flat=True))
        assert stored == set(SUPPORTED)
        assert InsightsFetch.objects.get(franchise=franchise).last_error == ""


def test_a_refusal_naming_no_metric_asked_for_fails_the_location_with_googles_words(sandbox, franchise):
    sandbox.client.fail("performance.fetch", 400, message="Request contains an invalid argument.")

    counts = fetch()

    assert counts["failed"] == 1 and counts["google_requests"] == 1 and counts["metrics_refused"] == 0
    assert "Request contains an invalid argument" in InsightsFetch.objects.get(franchise=franchise).last_error
