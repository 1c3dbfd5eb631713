"""The views' running totals (insights/running.py) as the fetch keeps them: a store recounts from
its first day on, and what it leaves is what a recount of every figure gives."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import timezone

from insights.models import IMPRESSIONS, Metric, ViewsRunning
from insights.running import views_running_recount
from insights.services import daily_metrics_store
from testkit.factories import make_franchise

pytestmark = pytest.mark.django_db


def rows() -> list[tuple]:
    return list(
        ViewsRunning.objects.order_by("franchise_id", "day").values_list(
            "franchise_id", "day", "views_through", "figures_through", "is_last"
        )
    )


def test_stores_of_any_days_leave_the_totals_a_full_recount_gives():
    """Stores of random stretches (before a location's first day, inside, after a gap, revising,
    some days and metrics missing, as Google leaves them out) on two locations: after each, the
    rows are those of a recount of all figures from nothing."""
    rng = random.Random(33)
    shops = [make_franchise(name="Shop"), make_franchise(name="Other shop")]
    origin = timezone.localdate() - dt.timedelta(days=120)
    for _ in range(60):
        shop = rng.choice(shops)
        first = origin + dt.timedelta(days=rng.randrange(0, 110))
        days = [first + dt.timedelta(days=n) for n in range(rng.randrange(1, 15)) if rng.random() < 0.8]
        metrics = rng.sample([*IMPRESSIONS, Metric.WEBSITE_CLICKS], rng.randrange(1, 4))
        figures = {metric: {day: rng.randrange(0, 50) for day in days} for metric in metrics}
        daily_metrics_store(franchise=shop, figures=figures, at=timezone.now())
        kept = rows()
        views_running_recount()
        assert kept == rows()


def test_a_store_of_the_last_week_leaves_the_older_rows_as_they_were():
    """After 90 days are stored, a store of the last week rewrites the rows from its first day on:
    the rows before it are the same rows (same ids), the totals go on from them."""
    shop = make_franchise(name="Shop")
    newest = timezone.localdate() - dt.timedelta(days=1)
    daily_metrics_store(
        franchise=shop,
        figures={IMPRESSIONS[0]: {newest - dt.timedelta(days=n): 10 for n in range(1, 91)}},
        at=timezone.now(),
    )
    week = newest - dt.timedelta(days=6)
    before = dict(ViewsRunning.objects.filter(day__lt=week).values_list("day", "pk"))

    daily_metrics_store(
        franchise=shop,
        figures={IMPRESSIONS[0]: {week + dt.timedelta(days=n): 20 for n in range(7)}},
        at=timezone.now(),
    )

    assert dict(ViewsRunning.objects.filter(day__lt=week).values_list("day", "pk")) == before
    last = ViewsRunning.objects.get(is_last=True)
    assert (last.day, last.views_through, last.figures_through) == (newest, 84 * 10 + 7 * 20, 91)
    assert ViewsRunning.objects.count() == 91
