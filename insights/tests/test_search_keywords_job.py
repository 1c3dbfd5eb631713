"""The fetch-search-keywords job against the sandbox's Performance API: the last month and the one
before it the first time, then a month a month, every page of a month, Google's thresholds kept as
Google gives them, a month Google has not counted yet left for a later run, and one failing
location never stopping the run."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from gbp_scheduler.jobs import TimeBudget
from insights.keywords import MONTHS_KEPT, search_keywords_fetch_due
from insights.models import SearchKeyword, SearchKeywordsFetch
from testkit.google import franchise_connected_to_sandbox

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quota_unpaced")]

DECEMBER_RUN = dt.datetime(2026, 12, 5, 9, 37, tzinfo=dt.UTC)  # the job's first run of the month
OCTOBER, NOVEMBER, DECEMBER = dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 12, 1)


def run(at: dt.datetime, seconds: float = 60) -> dict:
    with time_machine.travel(at, tick=False):
        return search_keywords_fetch_due(budget=TimeBudget(seconds=seconds))


def months_stored(franchise) -> list[dt.date]:
    return sorted(set(SearchKeyword.objects.filter(franchise=franchise).values_list("month", flat=True)))


@pytest.fixture
def franchise(sandbox):
    return franchise_connected_to_sandbox(sandbox, name="Sunrise Bakery")


def test_the_first_run_reads_the_last_month_and_the_one_before_with_googles_thresholds(sandbox, franchise):
    counts = run(DECEMBER_RUN)
    again = run(DECEMBER_RUN + dt.timedelta(hours=1))

    asked = [(r["start"], r["end"]) for r in sandbox.client.keyword_requests()]
    assert asked == [("2026-10-01", "2026-10-01"), ("2026-11-01", "2026-11-01")]  # a month at a time
    assert months_stored(franchise) == [OCTOBER, NOVEMBER]
    assert counts["locations_fetched"] == 1 and counts["months_stored"] == 2 and counts["google_requests"] == 2
    november = SearchKeyword.objects.filter(franchise=franchise, month=NOVEMBER)
    assert counts["keywords_stored"] == november.count() + SearchKeyword.objects.filter(month=OCTOBER).count()
    hidden = november.filter(value__isnull=True)
    assert hidden.exists() and set(hidden.values_list("threshold", flat=True)) == {15}
    assert november.filter(value__isnull=False, value__gte=15).count() == november.count() - hidden.count()
    assert again["google_requests"] == 0  # read this month: nothing due
    fetched = SearchKeywordsFetch.objects.get(franchise=franchise)
    assert fetched.fetched_through == NOVEMBER and fetched.last_error == ""


def test_the_next_month_reads_that_month_only_and_drops_the_oldest(sandbox, franchise):
    run(DECEMBER_RUN)
    SearchKeyword.objects.create(
        franchise=franchise, month=dt.date(2025, 11, 1), keyword="too old", value=20, fetched_at=DECEMBER_RUN
    )

    counts = run(DECEMBER_RUN + dt.timedelta(days=31))  # 5 January 2027

    assert sandbox.client.keyword_requests()[-1]["start"] == "2026-12-01"
    assert counts["months_stored"] == 1 and counts["google_requests"] == 1
    assert months_stored(franchise) == [OCTOBER, NOVEMBER, DECEMBER]  # 13 months kept: Nov 2025 went
    run(DECEMBER_RUN + dt.timedelta(days=31 + 365))  # a year later, again
    assert len(months_stored(franchise)) <= MONTHS_KEPT and min(months_stored(franchise)) > OCTOBER


def test_a_month_google_has_not_counted_yet_is_left_for_a_later_run(sandbox, franchise):
    early = dt.datetime(2026, 12, 2, 9, 37, tzinfo=dt.UTC)  # Google counts a month a few days after it

    first = run(early)
    assert first["not_ready"] == 1 and months_stored(franchise) == [OCTOBER]
    assert run(early + dt.timedelta(hours=2))["google_requests"] == 0  # tried today: tomorrow's run

    later = run(early + dt.timedelta(days=3))
    assert later["months_stored"] == 1 and months_stored(franchise) == [OCTOBER, NOVEMBER]


def test_every_page_of_a_month_is_read(sandbox):
    topics = [f"topic {n}" for n in range(30)]  # 121 keywords: two pages
    account = sandbox.client.add_account(
        "Big group", locations=[{"title": "Big Shop", "city": "Dayton", "keywords": topics}]
    )
    big = franchise_connected_to_sandbox(
        sandbox, name="Big Shop", location=(account["account_id"], account["location_ids"][0], "Big Shop")
    )

    counts = run(DECEMBER_RUN)

    assert counts["google_requests"] == 4  # two months, two pages each
    assert SearchKeyword.objects.filter(franchise=big, month=NOVEMBER).count() == 121


def test_one_failing_location_never_stops_the_run(sandbox):
    gone = franchise_connected_to_sandbox(sandbox, name="Moved Away")
    fine = franchise_connected_to_sandbox(sandbox, name="Still Here")
    sandbox.client.disable_location(gone.google_location_id)

    counts = run(DECEMBER_RUN)

    assert counts["failed"] == 1 and counts["locations_fetched"] == 1
    assert "enable it" in SearchKeywordsFetch.objects.get(franchise=gone).last_error
    assert months_stored(fine) == [OCTOBER, NOVEMBER] and months_stored(gone) == []


def test_the_command_and_the_cron_url_run_the_same_job(sandbox, franchise, client, capsys):
    with time_machine.travel(DECEMBER_RUN, tick=False):
        call_command("fetch_search_keywords")
    out = capsys.readouterr().out
    assert "fetch-search-keywords: " in out and "locations_fetched=1" in out and "keywords of November 2026" in out
    SearchKeywordsFetch.objects.update(fetched_through=None, fetched_at=None)

    with time_machine.travel(DECEMBER_RUN, tick=True):
        answer = client.get("/api/cron/fetch-search-keywords", HTTP_AUTHORIZATION="Bearer test-cron-secret")

    assert answer.status_code == 200
    assert answer.json()["job"] == "fetch-search-keywords" and answer.json()["locations_fetched"] == 1
