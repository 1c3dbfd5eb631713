"""Business Profile Performance API v1: `locations.fetchMultiDailyMetricsTimeSeries`.

    GET /v1/locations/{location}:fetchMultiDailyMetricsTimeSeries
        ?dailyMetrics=WEBSITE_CLICKS&dailyMetrics=CALL_CLICKS...
        &dailyRange.startDate.year=2026&dailyRange.startDate.month=9&dailyRange.startDate.day=1
        &dailyRange.endDate.year=...

answers Google's shape: `multiDailyMetricTimeSeries[].dailyMetricTimeSeries[]`, each with
`dailyMetric` and `timeSeries.datedValues[]` of `{"date": {year, month, day}, "value": "123"}`:
values are strings, a day with nothing to count has its date and no value, and the last
LAG_DAYS days (Google's figures arrive late) are left out altogether.

The figures are deterministic: a level per location and metric, a weekly rhythm, a little noise
from a hash, and a lift in the days after the location posted (its posts' create times, plus
the days a test or the demo said it posted before the sandbox started: `post_days`), so a
location that posts often shows more views. A control call can set one figure outright.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import time
from typing import Any

from . import reference
from .gbp import _fail, guard, service_disabled
from .state import State
from .wire import Request, Response, json_response

API = "businessprofileperformance.v1"
LAG_DAYS = 2  # the last two days have no figures yet
# Each metric's typical day at a location (before the lift from posting): the DailyMetric values
# the sandbox knows, which sandbox/tests/test_reference.py holds equal to Google's reference (a
# removed one stays listed there, and is refused from its removal date by reference.refused).
LEVELS = {
    "BUSINESS_IMPRESSIONS_DESKTOP_MAPS": 18,
    "BUSINESS_IMPRESSIONS_DESKTOP_SEARCH": 30,
    "BUSINESS_IMPRESSIONS_MOBILE_MAPS": 55,
    "BUSINESS_IMPRESSIONS_MOBILE_SEARCH": 90,
    "WEBSITE_CLICKS": 6,
    "CALL_CLICKS": 3,
    "MESSAGING_CLICKS": 2,
    "BUSINESS_DIRECTION_REQUESTS": 5,
    "BUSINESS_CONVERSATIONS": 1,
    "BUSINESS_BOOKINGS": 1,
    "BUSINESS_FOOD_ORDERS": 1,
    "BUSINESS_FOOD_MENU_CLICKS": 2,
}
LIFT_DAYS = 7  # a post lifts the figures of the week after it, fading
LIFT_PER_POST = 0.25  # on the day itself; at most MAX_LIFT in all
MAX_LIFT = 0.8


def _unit(*parts: str) -> float:
    """A number in [0, 1) fixed by `parts`."""
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _post_days(state: State, location_id: str) -> list[dt.date]:
    days = [dt.date.fromisoformat(day) for day in state.locations[location_id].post_days]
    days += [
        dt.datetime.fromtimestamp(post.create_time, dt.UTC).date()
        for post in state.posts.values()
        if post.location_id == location_id and not post.deleted
    ]
    return days


def figure(location_id: str, metric: str, day: dt.date, post_days: list[dt.date]) -> int:
    """The location's figure of `metric` on `day`."""
    level = LEVELS[metric] * (0.6 + 0.8 * _unit(location_id, metric))
    weekly = 1.0 + 0.15 * (day.weekday() >= 5) - 0.05 * (day.weekday() == 0)
    noise = 0.85 + 0.3 * _unit(location_id, metric, day.isoformat())
    lift = sum(
        LIFT_PER_POST * (LIFT_DAYS - (day - posted).days) / LIFT_DAYS
        for posted in post_days
        if 0 <= (day - posted).days < LIFT_DAYS
    )
    return round(level * weekly * noise * (1 + min(lift, MAX_LIFT)))


def _day(req: Request, which: str) -> dt.date:
    try:
        return dt.date(*(int(req.query[f"dailyRange.{which}.{part}"]) for part in ("year", "month", "day")))
    except (KeyError, ValueError):
        raise _fail(400, f"Request contains an invalid argument: dailyRange.{which} must be a full date.") from None


def _metrics_checked(state: State, metrics: list[str]) -> None:
    """Google's parse of `dailyMetrics`: one unknown or removed value makes the whole request a 400
    INVALID_ARGUMENT naming it; a deprecated one is taken (and its use logged)."""
    if not metrics:
        raise _fail(400, "Request contains an invalid argument: dailyMetrics is required.")
    bad = []
    for i, metric in enumerate(metrics):
        why = "unknown" if metric not in LEVELS else reference.refused(API, "DailyMetric", metric)
        if why:
            bad.append((f"daily_metrics[{i}]", metric, why))
    if bad:
        raise _fail(
            400,
            "\n".join(
                f"Invalid value at '{field}' (type.googleapis.com/google.businessprofileperformance.v1.DailyMetric), "
                f'"{metric}"'
                for field, metric, _ in bad
            ),
            [
                {
                    "@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [
                        {"field": field, "description": f'Invalid value "{metric}" ({why}).'}
                        for field, metric, why in bad
                    ],
                }
            ],
        )
    for metric in metrics:
        reference.note_use(state, API, "DailyMetric", metric)


def _location(state: State, location: str):
    """The location the Performance API is asked about (under the state's lock): 404 when there is
    none, 403 SERVICE_DISABLED when its project has the API off."""
    loc = state.locations.get(location)
    if loc is None:
        raise _fail(404, "Requested entity was not found.")
    if loc.disabled:
        raise service_disabled("performance")
    return loc


def fetch_multi_daily_metrics(state: State, req: Request, location: str) -> Response:
    guard(state, req, "performance")
    metrics = req.multi.get("dailyMetrics") or []
    _metrics_checked(state, metrics)
    first, last = _day(req, "startDate"), _day(req, "endDate")
    if last < first:
        raise _fail(400, "Request contains an invalid argument: dailyRange ends before it starts.")
    with state.lock:
        _location(state, location)
        post_days = _post_days(state, location)
        overrides = dict(state.figures.get(location, {}))
        state.performance_requests.append(
            {"location_id": location, "start": first.isoformat(), "end": last.isoformat(), "metrics": metrics}
        )
    newest = dt.datetime.fromtimestamp(time.time(), dt.UTC).date() - dt.timedelta(days=LAG_DAYS + 1)
    days = [first + dt.timedelta(days=n) for n in range((min(last, newest) - first).days + 1)]
    series: list[dict[str, Any]] = []
    for metric in metrics:
        dated = []
        for day in days:
            value = overrides.get(f"{metric}|{day.isoformat()}", figure(location, metric, day, post_days))
            item: dict[str, Any] = {"date": {"year": day.year, "month": day.month, "day": day.day}}
            if value:
                item["value"] = str(value)
            dated.append(item)
        series.append({"dailyMetric": metric, "timeSeries": {"datedValues": dated}})
    return json_response(200, {"multiDailyMetricTimeSeries": [{"dailyMetricTimeSeries": series}]})


# ---- search keywords ------------------------------------------------------------------------

KEYWORD_THRESHOLD = 15  # Google hides a month's count below this behind {"threshold": "15"}
KEYWORD_LAG_DAYS = 3  # a month's keywords are counted this many days after it ends
KEYWORD_PAGE = 100  # pageSize's default and most
GENERIC_TOPICS = ["bakery", "coffee", "cafe", "gym", "lawn care", "landscaping", "florist", "pizza", "salon", "repair"]


def _keywords(loc) -> list[str]:
    """What people search for that finds the location: its topics (its own, else picked from a
    generic list by a hash of its id) alone, near me, in its city and "best ... in city", and its
    name. In no particular order (Google promises none), but always the same."""
    topics = loc.keywords or sorted(GENERIC_TOPICS, key=lambda topic: _unit(loc.id, "topic", topic))[:5]
    city = (loc.city or "").lower()
    words = {loc.title.lower()}
    for topic in topics:
        words |= {topic, f"{topic} near me", f"{topic} {city}".strip(), f"best {topic} {city}".strip()}
    return sorted(words, key=lambda word: _unit(loc.id, "order", word))


def keyword_count(location_id: str, keyword: str, rank: int, month: dt.date, posts_in_month: int) -> int:
    """People who searched `keyword` and saw the location in `month`: fewer for the rarer ones,
    a little noise a month, more in a month the location posted in (up to +60 %)."""
    level = 700 / (rank + 1) ** 1.4 * (0.5 + _unit(location_id, keyword))
    noise = 0.8 + 0.4 * _unit(location_id, keyword, month.isoformat())
    return round(level * noise * (1 + min(0.15 * posts_in_month, 0.6)))


def _month(req: Request, which: str) -> dt.date:
    """`monthlyRange.startMonth.year` (Google's discovery name) or `monthlyRange.start_month.year`
    (its reference's example): both reach the same field."""
    snake = "start_month" if which == "startMonth" else "end_month"
    try:
        parts = [
            req.query.get(f"monthlyRange.{which}.{p}") or req.query[f"monthlyRange.{snake}.{p}"]
            for p in ("year", "month")
        ]
        return dt.date(int(parts[0]), int(parts[1]), 1)
    except (KeyError, ValueError):
        raise _fail(
            400, f"Request contains an invalid argument: monthlyRange.{which} needs a year and a month."
        ) from None


def search_keywords_monthly(state: State, req: Request, location: str) -> Response:
    """`locations.searchkeywords.impressions.monthly.list`: each keyword's count summed over the
    months asked (a month counts nothing until KEYWORD_LAG_DAYS after its end), `{"threshold": "15"}` where the sum is
    below Google's threshold, `{"value": "123"}` otherwise; paged, 100 at most."""
    guard(state, req, "performance")
    first, last = _month(req, "startMonth"), _month(req, "endMonth")
    if last < first:
        raise _fail(400, "Request contains an invalid argument: monthlyRange ends before it starts.")
    try:
        size = min(max(int(req.query.get("pageSize") or KEYWORD_PAGE), 1), KEYWORD_PAGE)
        start = int(base64.urlsafe_b64decode(req.query["pageToken"]).decode()) if req.query.get("pageToken") else 0
    except ValueError:
        raise _fail(400, "Request contains an invalid argument.") from None
    with state.lock:
        loc = _location(state, location)
        post_days = _post_days(state, location)
        state.keyword_requests.append({"location_id": location, "start": first.isoformat(), "end": last.isoformat()})
    counted_before = (reference.today() - dt.timedelta(days=KEYWORD_LAG_DAYS)).replace(day=1)
    months = []
    month = first
    while month <= last and month < counted_before:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    counts = []
    words = _keywords(loc)
    by_rank = {word: rank for rank, word in enumerate(sorted(words, key=lambda w: -_unit(location, "rank", w)))}
    for word in words if months else []:
        total = sum(
            keyword_count(
                location, word, by_rank[word], m, sum(1 for d in post_days if (d.year, d.month) == (m.year, m.month))
            )
            for m in months
        )
        value = {"value": str(total)} if total >= KEYWORD_THRESHOLD else {"threshold": str(KEYWORD_THRESHOLD)}
        counts.append({"searchKeyword": word, "insightsValue": value})
    body: dict[str, Any] = {}
    if counts[start : start + size]:
        body["searchKeywordsCounts"] = counts[start : start + size]
    if start + size < len(counts):
        body["nextPageToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
    return json_response(200, body)
