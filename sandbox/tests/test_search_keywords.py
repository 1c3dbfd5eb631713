"""The Performance API's monthly search keywords and Business Information's location metadata, over
plain httpx: Google's parameters and answer shape."""

from __future__ import annotations

import datetime as dt

import httpx
import time_machine

from sandbox.pytest_plugin import SandboxHandle

from .local_posts import POSTS, standard_post

PATH = "/v1/locations/2001/searchkeywords/impressions/monthly"


def months(first: dt.date, last: dt.date, style: str = "camel", **extra) -> dict:
    start, end = ("startMonth", "endMonth") if style == "camel" else ("start_month", "end_month")
    return {
        f"monthlyRange.{start}.year": first.year,
        f"monthlyRange.{start}.month": first.month,
        f"monthlyRange.{end}.year": last.year,
        f"monthlyRange.{end}.month": last.month,
        **extra,
    }


def counts(gbp: httpx.Client, first: dt.date, last: dt.date, **extra) -> list[dict]:
    found, token = [], None
    while True:
        params = months(first, last, **extra) | ({"pageToken": token} if token else {})
        answer = gbp.get(PATH, params=params)
        assert answer.status_code == 200, answer.text
        found += answer.json().get("searchKeywordsCounts", [])
        token = answer.json().get("nextPageToken")
        if not token:
            return found


@time_machine.travel(dt.datetime(2026, 12, 5, 12, tzinfo=dt.UTC), tick=True)
def test_a_months_keywords_with_values_or_googles_threshold(gbp: httpx.Client, sandbox: SandboxHandle) -> None:
    november = dt.date(2026, 11, 1)
    found = counts(gbp, november, november)

    assert len(found) > 20 and len({item["searchKeyword"] for item in found}) == len(found)
    for item in found:
        assert set(item) == {"searchKeyword", "insightsValue"}
        (kind,) = item["insightsValue"]  # one of value and threshold
        assert kind in {"value", "threshold"} and item["insightsValue"][kind].isdigit()
        if kind == "threshold":
            assert item["insightsValue"]["threshold"] == "15"
        else:
            assert int(item["insightsValue"]["value"]) >= 15
    assert {"value", "threshold"} == {kind for item in found for kind in item["insightsValue"]}
    assert counts(gbp, november, november, style="snake") == found  # Google's example spells it so
    assert sandbox.client.keyword_requests()[-1] == {"location_id": "2001", "start": "2026-11-01", "end": "2026-11-01"}


@time_machine.travel(dt.datetime(2026, 12, 5, 12, tzinfo=dt.UTC), tick=True)
def test_keywords_are_paged_a_range_sums_its_months_and_this_month_has_none(gbp: httpx.Client) -> None:
    october, november = dt.date(2026, 10, 1), dt.date(2026, 11, 1)
    first = gbp.get(PATH, params=months(november, november, pageSize=10)).json()
    assert len(first["searchKeywordsCounts"]) == 10 and first["nextPageToken"]
    assert len(counts(gbp, november, november, pageSize=10)) == len(counts(gbp, november, november))

    def value(items: list[dict], word: str) -> int:
        return next(int(i["insightsValue"].get("value", 0)) for i in items if i["searchKeyword"] == word)

    both = counts(gbp, october, november)
    top = max(both, key=lambda item: int(item["insightsValue"].get("value", 0)))["searchKeyword"]
    assert value(both, top) == value(counts(gbp, october, october), top) + value(counts(gbp, november, november), top)
    assert gbp.get(PATH, params=months(dt.date(2026, 12, 1), dt.date(2026, 12, 1))).json() == {}


def test_a_months_keywords_are_counted_three_days_after_it_ends(sandbox: SandboxHandle) -> None:
    november = dt.date(2026, 11, 1)
    for day, found in ((2, False), (3, False), (4, True)):
        with time_machine.travel(dt.datetime(2026, 12, day, 12, tzinfo=dt.UTC), tick=True):
            token = sandbox.client.grant()["access_token"]
            answer = httpx.get(
                sandbox.url + PATH, params=months(november, november), headers={"Authorization": f"Bearer {token}"}
            )
        assert ("searchKeywordsCounts" in answer.json()) is found, day


def test_a_range_without_months_or_ending_before_it_starts_is_invalid(gbp: httpx.Client) -> None:
    assert gbp.get(PATH).json()["error"]["status"] == "INVALID_ARGUMENT"
    backwards = months(dt.date(2026, 11, 1), dt.date(2026, 10, 1))
    assert gbp.get(PATH, params=backwards).json()["error"]["status"] == "INVALID_ARGUMENT"


def test_metadata_says_whether_a_location_can_post_and_one_that_cannot_refuses_a_post(
    gbp: httpx.Client, sandbox: SandboxHandle
) -> None:
    def metadata() -> dict:
        locations = gbp.get("/v1/accounts/1001/locations", params={"readMask": "name,metadata"}).json()["locations"]
        return next(loc["metadata"] for loc in locations if loc["name"] == "locations/2001")

    assert metadata()["canOperateLocalPost"] is True and metadata()["hasVoiceOfMerchant"] is True
    sandbox.client.set_location_rights("2001", can_post=False, verified=False)
    # Proto3 JSON leaves a false boolean out.
    assert "canOperateLocalPost" not in metadata() and "hasVoiceOfMerchant" not in metadata()

    error = gbp.post(POSTS, json=standard_post()).json()["error"]
    assert (error["code"], error["status"]) == (400, "FAILED_PRECONDITION")
    assert "cannot operate local posts" in error["message"]
    assert sandbox.client.posts() == []
