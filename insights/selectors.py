"""Reads of the figures for the pages: one location's last 90 days beside the days it posted,
franchises ranked by how their views changed, with how often they post, and the search keywords
people found them by (a location's, the group's). Callers pass franchises
already scoped to the user (franchises.selectors)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from typing import NamedTuple

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, F, Max, QuerySet, Subquery, Sum
from django.utils import timezone

from franchises.models import Franchise
from franchises.selectors import of_franchises
from gbp_scheduler.running_totals import running_joins
from gbp_scheduler.times import day_text
from posts.models import Post, PostPublishedRunning

from .models import ENDS, IMPRESSIONS, DailyMetric, InsightsFetch, Metric, SearchKeyword, ViewsRunning
from .runs import fetch_error_current

CHART_DAYS = 90
PERIOD_DAYS = 30  # totals: the last 30 days with figures against the 30 before
# A location posting weekly: a post in each of the period's whole weeks (4 in 30 days).
WEEKLY_POSTS = PERIOD_DAYS // 7


def _ended(label: str, metric: str) -> str:
    return f"{label} (Google stopped counting them on {day_text(ENDS[metric])})"


# What the pages show: views (the four impressions added up) and each action; a metric Google no
# longer counts last, labelled with its end, and only while the days shown hold figures of it.
GROUPS: list[tuple[str, str, list[str]]] = [
    ("views", "Views on Google", list(IMPRESSIONS)),
    ("website", "Website clicks", [Metric.WEBSITE_CLICKS]),
    ("calls", "Calls", [Metric.CALL_CLICKS]),
    ("directions", "Direction requests", [Metric.DIRECTION_REQUESTS]),
    ("messages", "Chat and message clicks", [Metric.MESSAGING_CLICKS]),
    ("bookings", "Bookings", [Metric.BOOKINGS]),
    ("conversations", _ended("Conversations", Metric.CONVERSATIONS), [Metric.CONVERSATIONS]),
]
GROUP_OF = {metric: key for key, _, metrics in GROUPS for metric in metrics}
ENDED_GROUPS = {key for key, _, metrics in GROUPS if all(metric in ENDS for metric in metrics)}


def change_percent(current: int | None, previous: int | None) -> float | None:
    """The change from `previous` to `current` in percent (None when there is nothing to compare)."""
    if not previous or current is None:
        return None
    return round((current - previous) / previous * 100, 1)


def _periods(newest: dt.date, days: int = PERIOD_DAYS) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    current = (newest - dt.timedelta(days=days - 1), newest)
    previous = (current[0] - dt.timedelta(days=days), current[0] - dt.timedelta(days=1))
    return current, previous


def _post_days(franchise: Franchise, first: dt.date, last: dt.date) -> dict[dt.date, int]:
    """{local day: posts published that day} for one franchise."""
    zone = franchise.zone
    since = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    published = Post.objects.filter(
        franchise=franchise, status=Post.Status.PUBLISHED, published_at__gte=since, published_at__lt=until
    ).values_list("published_at", flat=True)
    days: dict[dt.date, int] = defaultdict(int)
    for at in published:
        days[timezone.localtime(at, zone).date()] += 1
    return days


def insights_for_franchise(*, franchise: Franchise, today: dt.date | None = None) -> dict:
    """The franchise page's figures: each group's daily values over the last CHART_DAYS days (None
    where Google had none), the posts published each day, and each group's total over the last
    PERIOD_DAYS days with figures against the PERIOD_DAYS before."""
    today = today or timezone.localtime(timezone.now(), franchise.zone).date()
    first = today - dt.timedelta(days=CHART_DAYS)
    days = [first + dt.timedelta(days=n) for n in range(CHART_DAYS)]
    newest = DailyMetric.objects.filter(franchise=franchise).aggregate(newest=Max("day"))["newest"]
    current, previous = _periods(newest or today - dt.timedelta(days=1))
    since = min(first, previous[0])
    daily: dict[str, dict[dt.date, int]] = {key: defaultdict(int) for key, _, _ in GROUPS}
    for metric, day, value in DailyMetric.objects.filter(franchise=franchise, day__gte=since).values_list(
        "metric", "day", "value"
    ):
        daily[GROUP_OF[metric]][day] += value
    shown = [(key, label) for key, label, _ in GROUPS if key not in ENDED_GROUPS or daily[key]]
    totals = []
    for key, label in shown:
        now_total = sum(v for d, v in daily[key].items() if current[0] <= d <= current[1])
        before = sum(v for d, v in daily[key].items() if previous[0] <= d <= previous[1])
        has_before = any(previous[0] <= d <= previous[1] for d in daily[key])
        has_now = any(current[0] <= d <= current[1] for d in daily[key])
        totals.append(
            {
                "key": key,
                "label": label,
                "current": now_total if has_now else None,
                "previous": before if has_before else None,
                "change": change_percent(now_total, before) if has_before and has_now else None,
            }
        )
    posts = _post_days(franchise, first, today)
    fetch = InsightsFetch.objects.filter(franchise=franchise).first()
    error = fetch_error_current(fetch.last_error, franchise=franchise) if fetch else ""
    return {
        "has_figures": newest is not None,
        "newest": newest,
        "current": current,
        "previous": previous,
        "totals": totals,
        "posts_published": sum(posts.values()),
        "fetch": fetch,
        "fetch_error": error,  # why the last reading failed, while it still holds
        "chart": {
            "labels": [day.isoformat() for day in days],
            "series": [
                {"key": key, "label": label, "data": [daily[key].get(day) for day in days]} for key, label in shown
            ],
            "posts": [posts.get(day, 0) for day in days],
        },
    }


class RankedFranchise(NamedTuple):
    """The little of a franchise a ranking row shows (a model instance for each of 1,000 rows
    costs more than the page's queries)."""

    pk: uuid.UUID
    name: str


def _newest_views_day(figures: QuerySet[DailyMetric]) -> dt.date | None:
    """The newest day with views among `figures`, in one statement: each impression metric's newest
    day read off the end of the (metric, day) index (a MAX over `metric IN (...)` reads every row
    of the four metrics on PostgreSQL)."""
    newest = {
        f"newest_{n}": Subquery(figures.filter(metric=metric).order_by("-day").values("day")[:1])
        for n, metric in enumerate(IMPRESSIONS)
    }
    # One row to hang the subqueries on (no franchise: no figures either, and nothing to rank).
    row = Franchise.objects.order_by().annotate(**newest).values_list(*newest)[:1]
    days = [day for day in (row[0] if row else ()) if day is not None]
    return max(days) if days else None


EVERY_ROW = 2**62  # a LIMIT both databases read as none


class _RankedPage:
    """What a Paginator pages through for the ranking: the count of the user's franchises, and a
    slice read in SQL (sorted and cut there: only the page's rows are built), which also brings
    the two groups' figures over every franchise."""

    def __init__(self, read, count: int):
        self.read, self.total, self.groups = read, count, None

    def count(self) -> int:
        return self.total

    def __getitem__(self, window: slice) -> list[dict]:
        rows, self.groups = self.read(offset=window.start or 0, limit=window.stop - (window.start or 0))
        return rows


def _ranked_sql(*, franchises: QuerySet[Franchise], periods: list):
    """One statement ranking every franchise among `franchises`: its views of each period (the
    running totals at the periods' edges: insights/running.py), its posts published on the UTC
    days of the first period (the posts' running counts at its edges: posts/published_running.py),
    the change rounded as change_percent rounds it; then the two groups' sums over all of them
    beside each of a page of rows (`limit`, `offset` are the last parameters)."""
    (now_first, now_last), (before_first, before_last) = periods
    days = sorted({now_first - dt.timedelta(days=1), now_last, before_first - dt.timedelta(days=1), before_last})
    at = {day: n for n, day in enumerate(days)}
    edge = [f"e.d{n}" for n in range(len(days))]
    views, seen = running_joins(ViewsRunning, alias="v", edges=edge, columns=["views_through", "figures_through"])
    posted, published = running_joins(
        PostPublishedRunning,
        alias="p",
        edges=[edge[at[now_first - dt.timedelta(days=1)]], edge[at[now_last]]],
        columns=["published_through"],
    )

    def between(totals: dict, column: str, first: dt.date, last: dt.date) -> str:
        return (
            f"COALESCE({totals[column, at[last]]}, 0) - COALESCE({totals[column, at[first - dt.timedelta(days=1)]]}, 0)"
        )

    def period(first: dt.date, last: dt.date) -> str:
        figures, views_of = between(seen, "figures_through", first, last), between(seen, "views_through", first, last)
        return f"CASE WHEN {figures} <> 0 THEN {views_of} END"

    posts = f"COALESCE({published['published_through', 1]}, 0) - COALESCE({published['published_through', 0]}, 0)"
    franchise_sql, franchise_params = franchises.order_by().values("id", "name").query.sql_with_params()
    weekly, less = (
        f"c.change IS NOT NULL AND c.posts >= {WEEKLY_POSTS}",
        f"c.change IS NOT NULL AND c.posts < {WEEKLY_POSTS}",
    )
    # The ORM's SQL and our own names and constants; every value is a parameter.
    sql = f"""
        WITH e AS (SELECT {", ".join(f"%s AS d{n}" for n in range(len(days)))}), r AS (
            SELECT f.id, f.name, {period(now_first, now_last)} AS cur, {period(before_first, before_last)} AS prev,
                {posts} AS posts
            FROM ({franchise_sql}) f CROSS JOIN e
            {views}
            {posted}
        ), c AS (
            SELECT r.*, CASE WHEN r.prev <> 0 AND r.cur IS NOT NULL
                THEN ROUND((r.cur - r.prev) * 100.0 / r.prev, 1) END AS change
            FROM r
        ), g AS (
            SELECT SUM(CASE WHEN {weekly} THEN 1 ELSE 0 END) AS wn, SUM(CASE WHEN {weekly} THEN c.cur ELSE 0 END) AS wc,
                SUM(CASE WHEN {weekly} THEN c.prev ELSE 0 END) AS wp, SUM(CASE WHEN {less} THEN 1 ELSE 0 END) AS ln,
                SUM(CASE WHEN {less} THEN c.cur ELSE 0 END) AS lc, SUM(CASE WHEN {less} THEN c.prev ELSE 0 END) AS lp
            FROM c
        )
        SELECT c.id, c.name, c.cur, c.prev, c.posts, g.wn, g.wc, g.wp, g.ln, g.lc, g.lp FROM c CROSS JOIN g
        ORDER BY c.change IS NULL, c.change DESC, c.name, c.id
        LIMIT %s OFFSET %s"""  # noqa: S608
    adapt = connection.ops.adapt_datefield_value
    return sql, [*(adapt(day) for day in days), *franchise_params]


def insights_ranking(
    *, franchises: QuerySet[Franchise], today: dt.date | None = None, page: str | int | None = None, size: int = 0
) -> dict:
    """The user's franchises ranked by the change of their views over the last PERIOD_DAYS days
    with figures against the PERIOD_DAYS before, each with its posts a week in the recent period;
    and the views' change of those posting weekly or more against those posting less.

    The ranking is sorted and cut in SQL: with `size`, `page` is a Paginator page of `size` rows
    (the only rows built) and `rows` its rows; without, `rows` are every franchise's (the CSV file,
    the API). Headquarters' newest day and posts are read without `franchise IN (every
    franchise)` (of_franchises). Three queries however many franchises: the newest day, the
    count of franchises, the ranked rows with the two groups (views from the running totals at the
    periods' edges: insights/running.py)."""
    today = today or timezone.localdate()
    figures = of_franchises(DailyMetric.objects.filter(metric__in=IMPRESSIONS), franchises)  # the newest day's
    newest = _newest_views_day(figures) or today - dt.timedelta(days=1)
    current, previous = _periods(newest)
    sql, params = _ranked_sql(franchises=franchises, periods=[current, previous])
    weeks = PERIOD_DAYS / 7

    def read(*, offset: int, limit: int | None) -> tuple[list[dict], dict]:
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, EVERY_ROW if limit is None else limit, offset])
            found = cursor.fetchall()
        rows = [
            {
                "franchise": RankedFranchise(uuid.UUID(str(pk)), name),
                "current": now_total,
                "previous": before,
                "change": change_percent(now_total, before),
                "posts": posts,
                "per_week": round(posts / weeks, 1),
                "weekly": posts >= WEEKLY_POSTS,
            }
            for pk, name, now_total, before, posts, *_ in found
        ]
        sums = [int(value or 0) for value in found[0][5:]] if found else [0] * 6
        groups = {
            "weekly": {"locations": sums[0], "change": change_percent(sums[1], sums[2])},
            "less": {"locations": sums[3], "change": change_percent(sums[4], sums[5])},
        }
        return rows, groups

    ranking = {"current": current, "previous": previous}
    if size:
        listed = _RankedPage(read, franchises.count())
        ranking["page"] = Paginator(listed, size).get_page(page)
        return {**ranking, "rows": ranking["page"].object_list, **listed.groups}
    rows, groups = read(offset=0, limit=None)
    return {**ranking, "rows": rows, **groups}


# --- search keywords ------------------------------------------------------------------------------

TOP_KEYWORDS = 10


def _keyword_change(value: int | None, previous: int | None, *, new: bool) -> str:
    """The change in words: "+12.5 %", "new" (not listed the month before), or "" (a count Google
    hid behind its threshold: nothing to compare)."""
    if new:
        return "new"
    change = change_percent(value, previous) if value is not None and previous is not None else None
    return "" if change is None else f"{'+' if change > 0 else ''}{change} %"


def search_keywords_for_franchise(*, franchise: Franchise) -> dict:
    """The franchise's top TOP_KEYWORDS search keywords of the newest month stored, each beside its
    count the month before. Counts Google hid behind its threshold rank after the others."""
    newest = SearchKeyword.objects.filter(franchise=franchise).aggregate(newest=Max("month"))["newest"]
    if newest is None:
        return {"month": None, "rows": []}
    previous = (newest - dt.timedelta(days=1)).replace(day=1)
    top = list(
        SearchKeyword.objects.filter(franchise=franchise, month=newest)
        .order_by(F("value").desc(nulls_last=True), "-threshold", "keyword")
        .values("keyword", "value", "threshold")[:TOP_KEYWORDS]
    )
    before = {
        row["keyword"]: row
        for row in SearchKeyword.objects.filter(
            franchise=franchise, month=previous, keyword__in=[row["keyword"] for row in top]
        ).values("keyword", "value", "threshold")
    }
    had_previous = SearchKeyword.objects.filter(franchise=franchise, month=previous).exists()
    rows = []
    for row in top:
        earlier = before.get(row["keyword"])
        rows.append(
            {
                **row,
                "previous_value": earlier["value"] if earlier else None,
                "previous_threshold": earlier["threshold"] if earlier else None,
                "change": _keyword_change(
                    row["value"], earlier["value"] if earlier else None, new=had_previous and earlier is None
                ),
            }
        )
    return {"month": newest, "previous": previous, "rows": rows}


def search_keywords_across(*, franchises: QuerySet[Franchise]) -> dict:
    """The group's top TOP_KEYWORDS search keywords of the newest month: the people each brought
    over all the locations (counts Google hid behind its threshold left out), the locations it
    brought people to, and the same sum the month before."""
    keywords = of_franchises(SearchKeyword.objects.all(), franchises)
    newest = keywords.aggregate(newest=Max("month"))["newest"]
    if newest is None:
        return {"month": None, "rows": []}
    previous = (newest - dt.timedelta(days=1)).replace(day=1)
    top = list(
        keywords.filter(month=newest, value__isnull=False)
        .values("keyword")
        .annotate(total=Sum("value"), locations=Count("*"))
        .order_by("-total", "keyword")[:TOP_KEYWORDS]
    )
    before = dict(
        keywords.filter(month=previous, value__isnull=False, keyword__in=[row["keyword"] for row in top])
        .values("keyword")
        .annotate(total=Sum("value"))
        .values_list("keyword", "total")
    )
    had_previous = keywords.filter(month=previous).exists()
    rows = [
        {
            **row,
            "previous": before.get(row["keyword"]),
            "change": _keyword_change(
                row["total"], before.get(row["keyword"]), new=had_previous and row["keyword"] not in before
            ),
        }
        for row in top
    ]
    return {"month": newest, "previous": previous, "rows": rows}
