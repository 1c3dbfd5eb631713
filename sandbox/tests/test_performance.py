"""The Performance API's daily figures over plain httpx: Google's parameters and answer shape."""

from __future__ import annotations

import datetime as dt

import httpx

from sandbox.pytest_plugin import SandboxHandle

PATH = "/v1/locations/2001:fetchMultiDailyMetricsTimeSeries"
METRICS = ["BUSINESS_IMPRESSIONS_MOBILE_SEARCH", "WEBSITE_CLICKS"]


def query(first: dt.date, last: dt.date, metrics=METRICS) -> list[tuple[str, str | int]]:
    params: list[tuple[str, str | int]] = [("dailyMetrics", metric) for metric in metrics]
    for end, day in (("startDate", first), ("endDate", last)):
        params += [(f"dailyRange.{end}.year", day.year), (f"dailyRange.{end}.month", day.month)]
        params += [(f"dailyRange.{end}.day", day.day)]
    return params


def values(answer: httpx.Response, metric: str) -> dict[dt.date, str | None]:
    assert answer.status_code == 200, answer.text
    (group,) = answer.json()["multiDailyMetricTimeSeries"]
    series = {item["dailyMetric"]: item["timeSeries"]["datedValues"] for item in group["dailyMetricTimeSeries"]}
    return {dt.date(**item["date"]): item.get("value") for item in series[metric]}


def test_daily_figures_in_googles_shape_as_strings_without_the_last_days(gbp: httpx.Client) -> None:
    today = dt.datetime.now(dt.UTC).date()
    first = today - dt.timedelta(days=30)
    answer = gbp.get(PATH, params=query(first, today))

    views = values(answer, "BUSINESS_IMPRESSIONS_MOBILE_SEARCH")
    assert min(views) == first and max(views) == today - dt.timedelta(days=3)  # Google's lag
    assert all(isinstance(value, str) and value.isdigit() for value in views.values())
    assert values(gbp.get(PATH, params=query(first, today)), "BUSINESS_IMPRESSIONS_MOBILE_SEARCH") == views


def test_figures_rise_in_the_week_after_the_location_posted(gbp: httpx.Client, sandbox: SandboxHandle) -> None:
    first = dt.date(2026, 6, 1)
    before = values(gbp.get(PATH, params=query(first, first + dt.timedelta(days=27))), "WEBSITE_CLICKS")
    sandbox.client.set_post_days("2001", [first + dt.timedelta(days=n) for n in range(0, 28, 3)])
    after = values(gbp.get(PATH, params=query(first, first + dt.timedelta(days=27))), "WEBSITE_CLICKS")

    total = sum(int(value or 0) for value in before.values())
    assert sum(int(value or 0) for value in after.values()) > total * 1.3


def test_a_figure_set_by_hand_and_the_requests_seen(gbp: httpx.Client, sandbox: SandboxHandle) -> None:
    day = dt.date(2026, 6, 1)
    sandbox.client.set_figure("2001", "WEBSITE_CLICKS", day, 0)
    answer = gbp.get(PATH, params=query(day, day))

    assert values(answer, "WEBSITE_CLICKS") == {day: None}  # a day with nothing has no value
    assert sandbox.client.performance_requests()[-1] == {
        "location_id": "2001",
        "start": "2026-06-01",
        "end": "2026-06-01",
        "metrics": METRICS,
    }


def test_unknown_metrics_a_missing_range_and_an_unknown_location_are_refused(gbp: httpx.Client) -> None:
    day = dt.date(2026, 6, 1)
    assert gbp.get(PATH, params=query(day, day, ["VIEWS"])).status_code == 400
    assert gbp.get(PATH, params=[("dailyMetrics", "WEBSITE_CLICKS")]).status_code == 400
    missing = "/v1/locations/999:fetchMultiDailyMetricsTimeSeries"
    assert gbp.get(missing, params=query(day, day)).json()["error"]["code"] == 404


def test_a_past_post_is_live_and_lifts_the_week_after_it(gbp: httpx.Client, sandbox: SandboxHandle) -> None:
    day = dt.date(2026, 6, 1)
    before = values(gbp.get(PATH, params=query(day, day + dt.timedelta(days=6))), "BUSINESS_IMPRESSIONS_MOBILE_SEARCH")
    name = sandbox.client.add_past_post("2001", "Spring is here.", dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC))
    after = values(gbp.get(PATH, params=query(day, day + dt.timedelta(days=6))), "BUSINESS_IMPRESSIONS_MOBILE_SEARCH")

    assert gbp.get(f"/v4/{name}").json()["state"] == "LIVE"
    assert int(after[day]) > int(before[day]) and int(after[day + dt.timedelta(days=6)]) > int(
        before[day + dt.timedelta(days=6)]
    )
