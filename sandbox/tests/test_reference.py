"""The sandbox speaks Google's API as pinned in data/google-reference.json: its enums are Google's
(the next change Google makes is a diff here), a removed value is refused as Google refuses it,
a deprecated one is taken and its use logged."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
import time_machine

from sandbox import gbp_schema, performance, reference
from sandbox.gbp import LOCATION_FIELDS
from sandbox.pytest_plugin import SandboxHandle

PERFORMANCE = "businessprofileperformance.v1"
POSTS = "mybusiness.v4.localPosts"
PATH = "/v1/locations/2001:fetchMultiDailyMetricsTimeSeries"


def test_the_daily_metrics_the_sandbox_knows_are_googles() -> None:
    # The zero value is Google's "unknown"; every other value has figures here (a removed one
    # stays in Google's enum, refused by date).
    assert set(performance.LEVELS) == set(reference.enum(PERFORMANCE, "DailyMetric")[1:])


@pytest.mark.parametrize(
    "name",
    [
        "LocalPost.topicType",
        "LocalPost.state",
        "LocalPost.alertType",
        "CallToAction.actionType",
        "MediaItem.mediaFormat",
    ],
)
def test_the_local_post_enums_the_sandbox_takes_are_googles(name: str) -> None:
    schema, field = name.split(".")
    assert gbp_schema.schemas()[schema]["properties"][field]["enum"] == reference.enum(POSTS, name)


@pytest.mark.parametrize("schema", ["LocalPost", "LocalPostEvent", "LocalPostOffer", "CallToAction"])
def test_the_local_post_fields_the_sandbox_takes_are_googles(schema: str) -> None:
    assert sorted(gbp_schema.schemas()[schema]["properties"]) == sorted(reference.fields(POSTS, schema))


def test_accounts_answer_only_googles_fields_and_values(gbp: httpx.Client, sandbox: SandboxHandle) -> None:
    sandbox.client.add_account("Organisation", type="ORGANIZATION")
    accounts = gbp.get("/v1/accounts").json()["accounts"]
    api = "mybusinessaccountmanagement.v1"
    for account in accounts:
        assert set(account) <= set(reference.fields(api, "Account"))
        for field in ("type", "role", "verificationState", "vettedState", "permissionLevel"):
            assert account[field] in reference.enum(api, f"Account.{field}")[1:], (field, account[field])


def test_locations_answer_only_googles_fields(gbp: httpx.Client) -> None:
    api = "mybusinessbusinessinformation.v1"
    assert set(reference.fields(api, "Location")) >= LOCATION_FIELDS
    answer = gbp.get("/v1/accounts/1001/locations", params={"readMask": ",".join(sorted(LOCATION_FIELDS))})
    for location in answer.json()["locations"]:
        assert set(location) <= set(reference.fields(api, "Location"))
        assert set(location["metadata"]) <= set(reference.fields(api, "Metadata"))


def _daily(client: httpx.Client, metrics: list[str]) -> httpx.Response:
    params: list[tuple[str, str | int]] = [("dailyMetrics", metric) for metric in metrics]
    for end in ("startDate", "endDate"):
        params += [(f"dailyRange.{end}.year", 2026), (f"dailyRange.{end}.month", 1), (f"dailyRange.{end}.day", 5)]
    return client.get(PATH, params=params)


def _on(day: str, sandbox: SandboxHandle):
    """A client for the sandbox's API on `day` (its clock moved there, with a token of that day)."""
    traveller = time_machine.travel(dt.datetime.fromisoformat(f"{day}T12:00:00+00:00"), tick=True)
    traveller.start()
    token = sandbox.client.grant()["access_token"]
    client = httpx.Client(base_url=sandbox.url, headers={"Authorization": f"Bearer {token}"}, trust_env=False)
    return traveller, client


@pytest.mark.parametrize(
    ("day", "metric", "taken"),
    [
        ("2026-01-30", "BUSINESS_CONVERSATIONS", True),  # deprecated, not yet removed
        ("2026-01-31", "BUSINESS_CONVERSATIONS", False),  # its removal date
        ("2026-12-05", "BUSINESS_FOOD_ORDERS", True),
        ("2027-04-22", "BUSINESS_FOOD_ORDERS", False),
    ],
)
def test_a_deprecated_metric_is_taken_and_logged_until_its_removal_date(
    sandbox: SandboxHandle, day: str, metric: str, taken: bool
) -> None:
    traveller, client = _on(day, sandbox)
    try:
        answer = _daily(client, ["WEBSITE_CLICKS", metric])
    finally:
        client.close()
        traveller.stop()

    if taken:
        assert answer.status_code == 200, answer.text
        assert [use["value"] for use in sandbox.client.deprecations()] == [metric]
    else:
        error = answer.json()["error"]
        assert (answer.status_code, error["status"]) == (400, "INVALID_ARGUMENT")
        assert f'"{metric}"' in error["message"] and "daily_metrics[1]" in error["message"]
        (violation,) = error["details"][0]["fieldViolations"]
        assert violation["field"] == "daily_metrics[1]" and "removed on" in violation["description"]
        assert sandbox.client.deprecations() == []


def test_an_unknown_metric_is_refused_naming_it_and_a_current_one_is_not_logged(gbp: httpx.Client, sandbox) -> None:
    error = _daily(gbp, ["CALL_CLICKS", "MESSAGES_SENT"]).json()["error"]
    assert error["status"] == "INVALID_ARGUMENT" and '"MESSAGES_SENT"' in error["message"]

    assert _daily(gbp, ["MESSAGING_CLICKS", "CALL_CLICKS"]).status_code == 200
    assert sandbox.client.deprecations() == []


def test_an_alert_post_is_taken_and_its_legacy_type_logged(gbp: httpx.Client, sandbox: SandboxHandle) -> None:
    body = {"languageCode": "en", "summary": "Closed for the storm today.", "topicType": "ALERT"}
    assert gbp.post("/v4/accounts/1001/locations/2001/localPosts", json=body).status_code == 200
    assert [(use["enum"], use["value"]) for use in sandbox.client.deprecations()] == [("LocalPost.topicType", "ALERT")]
