"""The Business Profile endpoints over plain httpx, as the app's GBP module will call them."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from sandbox.pytest_plugin import SandboxHandle

from .local_posts import POSTS, standard_post

EVENT_SCHEDULE = {
    "startDate": {"year": 2030, "month": 5, "day": 1},
    "startTime": {"hours": 9},
    "endDate": {"year": 2030, "month": 5, "day": 2},
    "endTime": {"hours": 17},
}


def error_of(answer: httpx.Response, code: int) -> dict:
    assert answer.status_code == code, answer.text
    return answer.json()["error"]


def test_post_create_list_patch_delete_round_trip(gbp: httpx.Client, sandbox: SandboxHandle) -> None:
    created = gbp.post(
        POSTS, json=standard_post(media=[{"mediaFormat": "PHOTO", "sourceUrl": "https://x.example/a.jpg"}])
    )
    assert created.status_code == 200, created.text
    post = created.json()
    assert post["name"].startswith("accounts/1001/locations/2001/localPosts/")
    assert post["state"] == "LIVE"
    assert post["createTime"].endswith("Z") and post["updateTime"].endswith("Z")
    assert post["searchUrl"].startswith(f"{sandbox.url}/_sandbox/locations/2001")

    path = "/v4/" + post["name"]
    assert gbp.get(path).json()["summary"] == "Fresh sourdough every morning."
    patched = gbp.patch(path, params={"updateMask": "summary"}, json={"summary": "New text"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["summary"] == "New text"
    assert patched.json()["callToAction"]["actionType"] == "LEARN_MORE"  # outside the mask: untouched
    assert [p["name"] for p in gbp.get(POSTS).json()["localPosts"]] == [post["name"]]

    deleted = gbp.delete(path)
    assert deleted.status_code == 200 and deleted.json() == {}
    assert gbp.get(POSTS).json().get("localPosts", []) == []
    assert error_of(gbp.get(path), 404)["status"] == "NOT_FOUND"
    assert sandbox.client.posts()[0]["deleted"] is True


def test_post_list_is_newest_first_and_paged(gbp: httpx.Client) -> None:
    names = [gbp.post(POSTS, json=standard_post(f"post {i}")).json()["name"] for i in range(25)]
    first = gbp.get(POSTS).json()
    assert len(first["localPosts"]) == 20  # Google's default page size
    assert first["localPosts"][0]["name"] == names[-1]
    second = gbp.get(POSTS, params={"pageToken": first["nextPageToken"]}).json()
    assert "nextPageToken" not in second
    listed = [p["name"] for p in first["localPosts"] + second["localPosts"]]
    assert listed == list(reversed(names))


def test_patch_without_update_mask_is_invalid_argument(gbp: httpx.Client) -> None:
    path = "/v4/" + gbp.post(POSTS, json=standard_post()).json()["name"]
    assert error_of(gbp.patch(path, json={"summary": "x"}), 400)["status"] == "INVALID_ARGUMENT"


def test_accounts_are_paged_twenty_at_most(gbp: httpx.Client, sandbox: SandboxHandle) -> None:
    for i in range(22):
        sandbox.client.add_account(f"Franchise {i}")
    first = gbp.get("/v1/accounts", params={"pageSize": 50}).json()
    assert len(first["accounts"]) == 20
    second = gbp.get("/v1/accounts", params={"pageToken": first["nextPageToken"]}).json()
    assert len(second["accounts"]) == 25 - 20  # 3 seeded + 22 added
    assert "nextPageToken" not in second
    assert all(a["name"].startswith("accounts/") for a in first["accounts"] + second["accounts"])


def test_locations_are_paged_and_limited_to_the_read_mask(gbp: httpx.Client, sandbox: SandboxHandle) -> None:
    account = sandbox.client.add_account("Big group", locations=150)
    path = f"/v1/accounts/{account['account_id']}/locations"
    first = gbp.get(path, params={"readMask": "name,title", "pageSize": 100}).json()
    assert len(first["locations"]) == 100
    assert set(first["locations"][0]) == {"name", "title"}
    assert first["locations"][0]["name"] == f"locations/{account['location_ids'][0]}"
    second = gbp.get(path, params={"readMask": "name,title", "pageSize": 100, "pageToken": first["nextPageToken"]})
    assert len(second.json()["locations"]) == 50
    assert "nextPageToken" not in second.json()


def test_locations_without_read_mask_are_invalid_argument(gbp: httpx.Client) -> None:
    error = error_of(gbp.get("/v1/accounts/1001/locations"), 400)
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["details"][0]["fieldViolations"][0]["field"] == "read_mask"


def test_unknown_account_or_location_is_not_found(gbp: httpx.Client) -> None:
    assert error_of(gbp.get("/v1/accounts/999/locations", params={"readMask": "name"}), 404)["status"] == "NOT_FOUND"
    assert error_of(gbp.get("/v4/accounts/1001/locations/2101/localPosts"), 404)["status"] == "NOT_FOUND"


def test_unknown_field_is_rejected_like_google(gbp: httpx.Client) -> None:
    error = error_of(gbp.post(POSTS, json=standard_post(sumary="typo")), 400)
    assert error["status"] == "INVALID_ARGUMENT"
    assert (
        error["message"] == "Invalid JSON payload received. Unknown name \"sumary\" at 'local_post': Cannot find field."
    )


def test_unknown_nested_field_and_enum_value_are_rejected(gbp: httpx.Client) -> None:
    body = standard_post(callToAction={"actionType": "VISIT", "url": "https://x.example", "label": "Go"})
    message = error_of(gbp.post(POSTS, json=body), 400)["message"]
    assert "Unknown name \"label\" at 'local_post.call_to_action'" in message
    assert "Invalid value at 'local_post.call_to_action.action_type'" in message and '"VISIT"' in message


def test_summary_over_1500_characters_is_rejected(gbp: httpx.Client) -> None:
    assert gbp.post(POSTS, json=standard_post("x" * 1500)).status_code == 200
    error = error_of(gbp.post(POSTS, json=standard_post("x" * 1501)), 400)
    details = error["details"][0]
    assert details["@type"] == "type.googleapis.com/google.mybusiness.v4.ValidationError"
    assert details["errorDetails"][0]["field"] == "summary"


def test_topic_type_is_required(gbp: httpx.Client) -> None:
    body = standard_post()
    del body["topicType"]
    error = error_of(gbp.post(POSTS, json=body), 400)
    assert error["details"][0]["errorDetails"][0]["field"] == "topic_type"


def test_event_post_needs_an_event_with_a_full_schedule(gbp: httpx.Client) -> None:
    body = standard_post(topicType="EVENT")
    assert error_of(gbp.post(POSTS, json=body), 400)["details"][0]["errorDetails"][0]["field"] == "event"
    partial = {**body, "event": {"title": "Open day", "schedule": {"startDate": EVENT_SCHEDULE["startDate"]}}}
    fields = {d["field"] for d in error_of(gbp.post(POSTS, json=partial), 400)["details"][0]["errorDetails"]}
    assert {"event.schedule.end_date", "event.schedule.start_time", "event.schedule.end_time"} <= fields
    full = {**body, "event": {"title": "Open day", "schedule": EVENT_SCHEDULE}}
    assert gbp.post(POSTS, json=full).status_code == 200


def test_offer_post_needs_an_event_too(gbp: httpx.Client) -> None:
    body = {"summary": "10% off", "topicType": "OFFER", "offer": {"couponCode": "BREAD10"}}
    assert error_of(gbp.post(POSTS, json=body), 400)["details"][0]["errorDetails"][0]["field"] == "event"
    body["event"] = {"title": "Spring offer", "schedule": EVENT_SCHEDULE}
    assert gbp.post(POSTS, json=body).status_code == 200


def test_call_action_must_not_have_a_url_and_others_must(gbp: httpx.Client) -> None:
    call_with_url = standard_post(callToAction={"actionType": "CALL", "url": "https://x.example"})
    assert error_of(gbp.post(POSTS, json=call_with_url), 400)["details"][0]["errorDetails"][0]["field"] == (
        "call_to_action.url"
    )
    book_without_url = standard_post(callToAction={"actionType": "BOOK"})
    assert gbp.post(POSTS, json=book_without_url).status_code == 400
    assert gbp.post(POSTS, json=standard_post(callToAction={"actionType": "CALL"})).status_code == 200


def test_media_needs_a_format_and_source_url(gbp: httpx.Client) -> None:
    assert gbp.post(POSTS, json=standard_post(media=[{"mediaFormat": "PHOTO"}])).status_code == 400
    assert (
        gbp.post(POSTS, json=standard_post(media=[{"mediaFormat": "GIF", "sourceUrl": "https://x/a"}])).status_code
        == 400
    )


def test_newer_fields_are_accepted_and_a_future_schedule_is_scheduled(gbp: httpx.Client) -> None:
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).isoformat().replace("+00:00", "Z")
    body = standard_post(
        topicType="EVENT",
        scheduledTime=future,
        event={"title": "Weekly tasting", "schedule": EVENT_SCHEDULE, "recurrenceInfo": {"weeklyPattern": {}}},
    )
    created = gbp.post(POSTS, json=body)
    assert created.status_code == 200, created.text
    assert created.json()["state"] == "SCHEDULED"


def test_missing_or_expired_token_is_unauthenticated(
    gbp: httpx.Client, sandbox: SandboxHandle, access_token: str
) -> None:
    no_token = httpx.get(f"{sandbox.url}/v1/accounts", trust_env=False)
    error = error_of(no_token, 401)
    assert error["status"] == "UNAUTHENTICATED"
    assert error["message"].startswith("Request had invalid authentication credentials. Expected OAuth 2 access token")
    assert gbp.get("/v1/accounts").status_code == 200
    sandbox.client.expire_access_tokens(access_token)
    assert error_of(gbp.get("/v1/accounts"), 401)["status"] == "UNAUTHENTICATED"


def test_short_token_lifetime_expires_access(sandbox: SandboxHandle) -> None:
    sandbox.client.set_access_token_lifetime(0)
    token = sandbox.client.grant()["access_token"]
    answer = httpx.get(f"{sandbox.url}/v1/accounts", headers={"Authorization": f"Bearer {token}"}, trust_env=False)
    assert answer.status_code == 401


def test_disabled_location_answers_service_disabled(gbp: httpx.Client, sandbox: SandboxHandle) -> None:
    sandbox.client.disable_location("2001")
    error = error_of(gbp.post(POSTS, json=standard_post()), 403)
    assert error["status"] == "PERMISSION_DENIED"
    assert "has not been used in project" in error["message"]
    info = error["details"][0]
    assert info["@type"] == "type.googleapis.com/google.rpc.ErrorInfo"
    assert info["reason"] == "SERVICE_DISABLED"
    assert sandbox.client.posts() == []
    sandbox.client.disable_location("2001", disabled=False)
    assert gbp.post(POSTS, json=standard_post()).status_code == 200


def test_zero_quota_answers_resource_exhausted(gbp: httpx.Client, sandbox: SandboxHandle) -> None:
    sandbox.client.set_quota(0)
    error = error_of(gbp.get("/v1/accounts"), 429)
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert "Quota exceeded for quota metric" in error["message"]
    assert error["details"][0]["metadata"]["quota_limit_value"] == "0"


def test_per_minute_quota_lets_the_first_calls_through(gbp: httpx.Client, sandbox: SandboxHandle) -> None:
    sandbox.client.set_quota(2, service="mybusiness.googleapis.com")
    assert [gbp.get(POSTS).status_code for _ in range(3)] == [200, 200, 429]
    assert gbp.get("/v1/accounts").status_code == 200  # other APIs keep their own quota


def test_the_control_api_lists_the_posts_created_after_a_given_one(gbp: httpx.Client, sandbox: SandboxHandle) -> None:
    gbp.post(POSTS, json=standard_post("First"))
    gbp.post(POSTS, json=standard_post("Second"))
    first = sandbox.client.posts()[0]
    assert [p["summary"] for p in sandbox.client.posts(after_id=int(first["id"]))] == ["Second"]


def test_a_429_records_what_its_window_held(gbp: httpx.Client, sandbox: SandboxHandle) -> None:
    sandbox.client.set_quota(2, service="mybusiness.googleapis.com")
    gbp.post(POSTS, json=standard_post("Croissants!"))
    gbp.get(POSTS)
    assert gbp.get(POSTS).status_code == 429
    [refusal] = sandbox.client.quota_refusals()
    assert refusal["kind"] == "posts.list"
    assert (refusal["held"], refusal["limit"]) == (2, 2)
    assert refusal["kinds"] == {"posts.create": 1, "posts.list": 1}


def test_customer_view_shows_posts_escaped_and_index_links_locations(gbp: httpx.Client, sandbox: SandboxHandle) -> None:
    gbp.post(POSTS, json=standard_post("<script>alert(1)</script> Croissants!"))
    page = httpx.get(f"{sandbox.url}/_sandbox/locations/2001", trust_env=False).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Croissants!" in page
    assert "<script>alert" not in page
    assert "Learn more" in page
    index = httpx.get(f"{sandbox.url}/", trust_env=False).text
    assert "/_sandbox/locations/2001" in index and "/_sandbox/locations/2201" in index


@pytest.mark.parametrize("kind", ["STANDARD", "ALERT"])
def test_standard_and_alert_posts_without_event_are_accepted(gbp: httpx.Client, kind: str) -> None:
    assert gbp.post(POSTS, json=standard_post(topicType=kind)).status_code == 200
