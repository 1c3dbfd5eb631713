"""Overlapping runs of fetch-insights on separate connections share the locations: each location
is asked for once, and each figure is stored once."""

from __future__ import annotations

import time

import pytest
from django.db.models import Count
from django.utils import timezone

from gbp_scheduler.jobs import TimeBudget
from insights.models import DailyMetric, metrics_supported
from insights.services import insights_fetch_due
from testkit.google import franchises_connected_to_sandbox_bulk
from testkit.threads import together


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_overlapping_runs_ask_for_each_location_once_and_store_each_figure_once(sandbox, settings):
    settings.PUBLISH_CONCURRENCY = 3  # each run with workers of its own, too
    franchises_connected_to_sandbox_bulk(sandbox.client, count=20, name="Location", shared=True)
    sandbox.client.latency(0.2, route="performance.fetch")  # the runs overlap for real
    lines: list[str] = []
    results, errors = together(4, lambda: insights_fetch_due(budget=TimeBudget(seconds=60), report=lines.append))

    assert errors == []
    fetched = [line.split(":")[0] for line in lines]
    assert len(fetched) == len(set(fetched)) == 20, "every location asked for once, by one of the runs"
    assert sum(r["locations_fetched"] for r in results) == 20 and sum(1 for r in results if r["locations_fetched"]) > 1
    assert sandbox.client.calls("performance.fetch") == 20
    per_figure = DailyMetric.objects.values("franchise", "metric", "day").annotate(n=Count("id"))
    assert {row["n"] for row in per_figure} == {1}
    assert DailyMetric.objects.values("franchise").distinct().count() == 20
    assert DailyMetric.objects.count() == 20 * len(metrics_supported(today=timezone.localdate())) * 88


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_run_keeps_enough_requests_in_flight_for_a_slow_google_under_the_quota(sandbox, settings):
    """At 10 requests a second and 0.5 s an answer, one worker would read 2 locations a second."""
    settings.PUBLISH_CONCURRENCY = 8
    settings.GOOGLE_REQUESTS_PER_MINUTE = 600
    sandbox.client.set_quota(600, window_seconds=3)
    sandbox.client.latency(0.5, route="performance.fetch")
    franchises_connected_to_sandbox_bulk(sandbox.client, count=40, name="Slow")

    started = time.monotonic()
    counts = insights_fetch_due(budget=TimeBudget(seconds=60))
    elapsed = time.monotonic() - started

    assert counts["locations_fetched"] == 40 and sandbox.client.calls("performance.fetch", 429) == 0
    assert elapsed < 12, f"{elapsed:.1f} s: one worker would take 20 s"
    assert sandbox.client.max_in_flight("performance.fetch") >= 4
