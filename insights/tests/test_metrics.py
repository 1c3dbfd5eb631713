"""The metrics the app asks Google for agree with Google's reference as the sandbox pins it
(sandbox/data/google-reference.json): each one exists there, and each that Google removes ends
here on Google's day."""

from __future__ import annotations

import datetime as dt

from insights.models import ENDS, Metric
from sandbox import reference

API = "businessprofileperformance.v1"


def test_every_metric_kept_is_one_of_googles():
    assert set(Metric.values) <= set(reference.enum(API, "DailyMetric"))


def test_every_metric_kept_ends_on_the_day_google_removes_it():
    removals = {metric: reference.removed_on(API, "DailyMetric", metric) for metric in Metric.values}
    assert {metric: day for metric, day in removals.items() if day is not None} == dict(ENDS)


def test_the_deprecated_food_orders_are_not_kept():
    # Deprecated 2025-10-22 and removed 2027-04-22 with no replacement: not worth a chart.
    assert "BUSINESS_FOOD_ORDERS" not in Metric.values
    assert reference.removed_on(API, "DailyMetric", "BUSINESS_FOOD_ORDERS") == dt.date(2027, 4, 22)
