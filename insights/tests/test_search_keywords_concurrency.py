"""Overlapping runs of fetch-search-keywords on separate connections share the locations: each
location's months are asked for once, and each keyword of a month is stored once."""

from __future__ import annotations

import pytest
from django.db.models import Count

from gbp_scheduler.jobs import TimeBudget
from insights.keywords import search_keywords_fetch_due
from insights.models import SearchKeyword
from testkit.google import franchises_connected_to_sandbox_bulk
from testkit.threads import together


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_overlapping_runs_read_each_location_once_and_store_each_keyword_once(sandbox, settings):
    settings.PUBLISH_CONCURRENCY = 3  # each run with workers of its own, too
    franchises_connected_to_sandbox_bulk(sandbox.client, count=12, name="Location", shared=True)
    sandbox.client.latency(0.2, route="performance.keywords")  # the runs overlap for real
    lines: list[str] = []

    results, errors = together(4, lambda: search_keywords_fetch_due(budget=TimeBudget(seconds=60), report=lines.append))

    assert errors == []
    read = [line.split(":")[0] for line in lines]
    assert len(read) == len(set(read)) == 12, "every location read once, by one of the runs"
    assert sum(r["locations_fetched"] for r in results) == 12 and sum(1 for r in results if r["locations_fetched"]) > 1
    asked = [(r["location_id"], r["start"]) for r in sandbox.client.keyword_requests()]
    assert len(asked) == len(set(asked)) == sum(r["google_requests"] for r in results), "each month asked for once"
    per_keyword = SearchKeyword.objects.values("franchise", "month", "keyword").annotate(n=Count("id"))
    assert {row["n"] for row in per_keyword} == {1}
    assert SearchKeyword.objects.values("franchise").distinct().count() == 12
