"""Running totals of each location's views, kept equal to its figures by whoever writes them
(daily_metrics_store), so the ranking reads three rows a location instead of adding up two months
of figures (2.4 million rows at 10,000 locations).

A location's rows run from its first day with views to its last, one a day, days without figures
carrying the total on; the last row is marked (`is_last`) and stands for the days after it. The
total through day d is the row of d, or the last row when d is after it, or 0 before the first
(the ranking reads them so: gbp_scheduler/running_totals.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Q, Sum

from .models import IMPRESSIONS, DailyMetric, ViewsRunning


def running_rows(
    franchise_id, days: dict[dt.date, tuple[int, int]], *, after: ViewsRunning | None = None
) -> list[ViewsRunning]:
    """The rows of one location from {day: (views, impression figures)}: one a day from the first
    (the day after `after`, a row kept, going on from its totals) to the last, the last marked."""
    if not days:
        return []
    first, last = (after.day + dt.timedelta(days=1) if after else min(days)), max(days)
    rows = []
    views, figures = (after.views_through, after.figures_through) if after else (0, 0)
    for n in range((last - first).days + 1):
        day = first + dt.timedelta(days=n)
        add_views, add_figures = days.get(day, (0, 0))
        views, figures = views + add_views, figures + add_figures
        rows.append(ViewsRunning(franchise_id=franchise_id, day=day, views_through=views, figures_through=figures))
    rows[-1].is_last = True
    return rows


def views_running_recount(*, franchise_ids: Iterable | None = None, since: dt.date | None = None) -> int:
    """Rewrite the running totals of these locations (every location's when None) from their
    figures, in one transaction; how many rows. `since`: only figures of that day and later
    changed, so the rows before it stand and the new ones go on from their totals (a day's fetch
    rewrites a week, not the 90 days kept)."""
    figures = DailyMetric.objects.filter(metric__in=IMPRESSIONS)
    running = ViewsRunning.objects.all()
    if franchise_ids is not None:
        franchise_ids = list(franchise_ids)
        figures, running = (
            figures.filter(franchise_id__in=franchise_ids),
            running.filter(franchise_id__in=franchise_ids),
        )
    kept: dict = {}
    if since is not None:
        figures, changed = figures.filter(day__gte=since), running.filter(day__gte=since)
        # Rows run without a gap from a location's first day to its last: the row before `since` is
        # the one of the day before, or the last row when the location's days end earlier.
        before = running.filter(Q(day=since - dt.timedelta(days=1)) | Q(is_last=True, day__lt=since))
        kept = {row.franchise_id: row for row in before}
        running = changed
    by_day = (
        figures.order_by("franchise_id", "day")
        .values("franchise_id", "day")
        .annotate(views=Sum("value"), figures=Count("*"))
        .values_list("franchise_id", "day", "views", "figures")
    )
    per_location: dict = {}
    for franchise_id, day, views, count in by_day.iterator(chunk_size=5000):
        per_location.setdefault(franchise_id, {})[day] = (views, count)
    written = 0
    with transaction.atomic():
        running.delete()
        # A kept row is its location's last unless new rows follow it.
        for is_last in (False, True):
            rows = [
                row.pk for pk, row in kept.items() if (pk not in per_location) == is_last and row.is_last != is_last
            ]
            ViewsRunning.objects.filter(pk__in=rows).update(is_last=is_last)
        for franchise_id, days in per_location.items():
            rows = running_rows(franchise_id, days, after=kept.get(franchise_id))
            ViewsRunning.objects.bulk_create(rows, batch_size=2000)
            written += len(rows)
    return written
