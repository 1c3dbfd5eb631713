"""Each location's daily figures on Google (Business Profile Performance API), and how far the
fetch-insights job has read them."""

from __future__ import annotations

import datetime as dt

from django.db import models

from franchises.models import Franchise


class Metric(models.TextChoices):
    """The Performance API's daily metrics we keep (its `DailyMetric` names)."""

    IMPRESSIONS_DESKTOP_MAPS = "BUSINESS_IMPRESSIONS_DESKTOP_MAPS", "Views on Maps, computers"
    IMPRESSIONS_DESKTOP_SEARCH = "BUSINESS_IMPRESSIONS_DESKTOP_SEARCH", "Views on Search, computers"
    IMPRESSIONS_MOBILE_MAPS = "BUSINESS_IMPRESSIONS_MOBILE_MAPS", "Views on Maps, phones"
    IMPRESSIONS_MOBILE_SEARCH = "BUSINESS_IMPRESSIONS_MOBILE_SEARCH", "Views on Search, phones"
    WEBSITE_CLICKS = "WEBSITE_CLICKS", "Website clicks"
    CALL_CLICKS = "CALL_CLICKS", "Calls"
    DIRECTION_REQUESTS = "BUSINESS_DIRECTION_REQUESTS", "Direction requests"
    MESSAGING_CLICKS = "MESSAGING_CLICKS", "Chat and message clicks"
    CONVERSATIONS = "BUSINESS_CONVERSATIONS", "Conversations"
    BOOKINGS = "BUSINESS_BOOKINGS", "Bookings"


# The day Google stops taking a metric (its Performance API change log): from then on it is not
# asked for, and the figures already stored stay, shown as ended. BUSINESS_FOOD_ORDERS is not kept
# at all (deprecated 2025-10-22, removed 2027-04-22, no replacement); sandbox/data/
# google-reference.json has Google's dates, and insights/tests/test_metrics.py holds these to them.
ENDS: dict[str, dt.date] = {Metric.CONVERSATIONS: dt.date(2026, 1, 31)}


def metrics_supported(*, today: dt.date) -> list[str]:
    """The metrics Google still takes on `today`: what a request asks for."""
    return [metric for metric in Metric.values if metric not in ENDS or today < ENDS[metric]]


IMPRESSIONS = [
    Metric.IMPRESSIONS_DESKTOP_MAPS,
    Metric.IMPRESSIONS_DESKTOP_SEARCH,
    Metric.IMPRESSIONS_MOBILE_MAPS,
    Metric.IMPRESSIONS_MOBILE_SEARCH,
]


class DailyMetric(models.Model):
    """One figure of one location on one day, as Google reported it last (a later fetch of the
    same day overwrites it: Google revises recent days)."""

    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="daily_metrics")
    metric = models.CharField(max_length=40, choices=Metric.choices)
    day = models.DateField()
    value = models.BigIntegerField()
    fetched_at = models.DateTimeField()

    class Meta:
        db_table = "insights_daily_metrics"
        ordering = ["franchise", "day", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["franchise", "metric", "day"], name="insights_daily_metrics_one_per_day"),
        ]
        indexes = [
            models.Index(fields=["franchise", "day"], name="insights_daily_franchise_day"),
            # The ranking's reads: each impression metric's newest day off the end of (metric, day);
            # each location's views in a window of days from (franchise, metric, day, value) alone,
            # no table row read (value is in the index) on SQLite and PostgreSQL.
            models.Index(fields=["metric", "day"], name="insights_daily_metric_day"),
            models.Index(fields=["franchise", "metric", "day", "value"], name="insights_daily_franchise_value"),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.day}: {self.value}"


class ViewsRunning(models.Model):
    """A location's views (the four impressions) added up from its first day with figures through
    `day`, and how many impression figures that is: a row for every day from its first figure to
    its last, days without figures included (insights/running.py keeps them equal to the figures).
    The views of any stretch of days are then two rows' difference, read for every location at
    once off the (day, ...) index: the ranking reads 3 rows a location, not 120 figures."""

    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    views_through = models.BigIntegerField()
    figures_through = models.IntegerField()
    is_last = models.BooleanField(default=False, help_text="The location's newest day: stands for the days after it.")

    class Meta:
        db_table = "insights_views_running"
        constraints = [
            models.UniqueConstraint(fields=["franchise", "day"], name="insights_views_running_one_per_day"),
        ]
        indexes = [
            models.Index(fields=["day", "franchise", "views_through", "figures_through"], name="insights_running_day"),
            models.Index(
                fields=["day", "franchise", "views_through", "figures_through"],
                condition=models.Q(is_last=True),
                name="insights_running_last",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.franchise_id} through {self.day}: {self.views_through} views"


class InsightsFetch(models.Model):
    """How far the job has read a location's figures: `fetched_at` is when a run last took it
    (claimed by a conditional UPDATE, so overlapping runs share the locations), `fetched_through`
    the newest day it asked Google for, `last_error` why the last try failed (blank when it
    worked)."""

    franchise = models.OneToOneField(
        Franchise, on_delete=models.CASCADE, primary_key=True, related_name="insights_fetch"
    )
    fetched_at = models.DateTimeField(null=True, blank=True)
    fetched_through = models.DateField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "insights_fetches"
        verbose_name = "figures read from Google"
        verbose_name_plural = "figures read from Google (per location)"
        indexes = [models.Index(fields=["fetched_at"], name="insights_fetches_due_idx")]

    def __str__(self) -> str:
        return f"Insights of {self.franchise_id} through {self.fetched_through}"


class SearchKeyword(models.Model):
    """How many people found a location on Google by one search keyword in one month (the
    Performance API's monthly search keywords). Google hides a small count behind a threshold:
    then `value` is NULL and `threshold` is the number the count is below."""

    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="search_keywords")
    month = models.DateField(help_text="The month's first day.")
    keyword = models.CharField(max_length=300)
    value = models.BigIntegerField(null=True, blank=True)
    threshold = models.BigIntegerField(null=True, blank=True)
    fetched_at = models.DateTimeField()

    class Meta:
        db_table = "insights_search_keywords"
        ordering = ["franchise", "-month", "keyword"]
        constraints = [
            models.UniqueConstraint(
                fields=["franchise", "month", "keyword"], name="insights_search_keywords_one_per_month"
            ),
            models.CheckConstraint(
                condition=models.Q(value__isnull=False, threshold__isnull=True)
                | models.Q(value__isnull=True, threshold__isnull=False),
                name="insights_search_keywords_value_or_threshold",
            ),
        ]
        indexes = [
            # A location's top keywords of a month; the group's sums of a month by keyword.
            models.Index(fields=["franchise", "month", "value"], name="insights_keywords_top"),
            models.Index(fields=["month", "keyword", "value"], name="insights_keywords_group"),
        ]

    def __str__(self) -> str:
        count = self.value if self.value is not None else f"<{self.threshold}"
        return f"{self.keyword} {self.month:%Y-%m}: {count}"


class SearchKeywordsFetch(models.Model):
    """How far the fetch-search-keywords job has read a location: `fetched_at` is when a run last
    took it (the claim), `fetched_through` the newest month stored, `last_error` why the last try
    failed (blank when it worked)."""

    franchise = models.OneToOneField(
        Franchise, on_delete=models.CASCADE, primary_key=True, related_name="search_keywords_fetch"
    )
    fetched_at = models.DateTimeField(null=True, blank=True)
    fetched_through = models.DateField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "insights_search_keyword_fetches"

    def __str__(self) -> str:
        return f"Search keywords of {self.franchise_id} through {self.fetched_through}"
