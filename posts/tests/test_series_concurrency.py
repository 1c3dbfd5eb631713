"""Overlapping materialise-series runs on separate connections make each occurrence once (a
person editing or ending the series meanwhile: test_series_races.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count
from django.utils import timezone

from gbp_scheduler.jobs import TimeBudget
from posts.models import Post, PostSeries
from posts.services.series import series_create, series_materialise_due, series_rule_build
from testkit.factories import make_franchise
from testkit.threads import together


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_overlapping_runs_make_each_occurrence_once():
    for n in range(10):
        series_create(
            franchise=make_franchise(timezone="America/New_York"),
            user=None,
            rule=series_rule_build(frequency="weekly", weekdays=["MO", "WE", "FR"]),
            starts_on=timezone.localdate() + dt.timedelta(days=1),
            local_time=dt.time(9, 0),
            summary=f"Series {n}.",
            materialise=False,
        )
    results, errors = together(4, lambda: series_materialise_due(budget=TimeBudget(seconds=60)))

    assert errors == []
    per_day = Post.objects.values("series", "series_day").annotate(n=Count("id"))
    assert {row["n"] for row in per_day} == {1}
    made = Post.objects.filter(series__isnull=False).count()
    assert sum(r["occurrences_created"] for r in results) == made and 10 * 11 <= made <= 10 * 13
    assert all(r["failed"] == 0 for r in results)
    assert PostSeries.objects.filter(materialised_through__isnull=True).count() == 0
