"""Overlapping runs of fetch-insights on separate connections share the locations: each location
is asked for once, and each figure is stored once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.db.models import Count

from gbp_scheduler.jobs import TimeBudget
from insights.models import DailyMetric, Metric
from insights.services import insights_fetch_due
from testkit.google import franchises_connected_to_sandbox_bulk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_overlapping_runs_ask_for_each_location_once_and_store_each_figure_once(sandbox):
    franchises_connected_to_sandbox_bulk(sandbox.client, count=20, name="Location", shared=True)
    sandbox.client.latency(0.2, route="performance.fetch")  # the runs overlap for real
    start = threading.Barrier(4)
    lines: list[str] = []
    results: list[dict] = []
    errors: list[BaseException] = []

    def runner() -> None:
        try:
            start.wait()
            results.append(insights_fetch_due(budget=TimeBudget(seconds=60), report=lines.append))
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert errors == []
    fetched = [line.split(":")[0] for line in lines]
    assert len(fetched) == len(set(fetched)) == 20, "every location asked for once, by one of the runs"
    assert sum(r["locations_fetched"] for r in results) == 20 and sum(1 for r in results if r["locations_fetched"]) > 1
    assert sandbox.client.calls("performance.fetch") == 20
    per_figure = DailyMetric.objects.values("franchise", "metric", "day").annotate(n=Count("id"))
    assert {row["n"] for row in per_figure} == {1}
    assert DailyMetric.objects.values("franchise").distinct().count() == 20
    assert DailyMetric.objects.count() == 20 * len(Metric.values) * 88
