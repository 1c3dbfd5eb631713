"""The reviews endpoints (v4 reviews, batchGetReviews, updateReply, deleteReply) over plain httpx."""

from __future__ import annotations

import httpx

from sandbox.pytest_plugin import SandboxHandle

REVIEWS = "/v4/accounts/1001/locations/2001/reviews"


def test_list_is_newest_first_in_pages_of_fifty_with_the_average(gbp: httpx.Client, sandbox: SandboxHandle) -> None:
    sandbox.client.add_reviews(["2001"], 60)
    first = gbp.get(REVIEWS).json()
    assert len(first["reviews"]) == 50 and first["totalReviewCount"] == 60
    times = [r["updateTime"] for r in first["reviews"]]
    assert times == sorted(times, reverse=True)
    rest = gbp.get(REVIEWS, params={"pageToken": first["nextPageToken"]}).json()
    assert len(rest["reviews"]) == 10 and "nextPageToken" not in rest
    assert {r["starRating"] for r in first["reviews"]} <= {"ONE", "TWO", "THREE", "FOUR", "FIVE"}
    assert gbp.get(REVIEWS, params={"orderBy": "updateTime"}).status_code == 400


def test_batch_get_reviews_reads_many_locations_of_one_account(gbp: httpx.Client, sandbox: SandboxHandle) -> None:
    sandbox.client.add_reviews(["2001", "2002"], 3)
    names = ["accounts/1001/locations/2001", "accounts/1001/locations/2002"]
    answer = gbp.post("/v4/accounts/1001/locations:batchGetReviews", json={"locationNames": names})
    assert answer.status_code == 200, answer.text
    items = answer.json()["locationReviews"]
    assert sorted({item["name"] for item in items}) == names and len(items) == 6
    too_many = gbp.post(
        "/v4/accounts/1001/locations:batchGetReviews",
        json={"locationNames": [f"accounts/1001/locations/{i}" for i in range(51)]},
    )
    assert too_many.status_code == 400
    unknown = gbp.post("/v4/accounts/1001/locations:batchGetReviews", json={"locationNames": names, "size": 5})
    assert unknown.status_code == 400 and "Unknown name" in unknown.text


def test_reply_put_is_idempotent_moderated_and_can_be_rejected_and_deleted(
    gbp: httpx.Client, sandbox: SandboxHandle
) -> None:
    review = sandbox.client.add_review("2001", stars=2, comment="Cold coffee.")
    path = f"/v4/{review['name']}/reply"
    sandbox.client.set_reply_review(60)
    first = gbp.put(path, json={"comment": "Sorry about that!"})
    assert first.status_code == 200 and first.json()["state"] == "PENDING"
    gbp.put(path, json={"comment": "Sorry about that!"})
    got = gbp.get(f"/v4/{review['name']}").json()
    assert got["reviewReply"]["comment"] == "Sorry about that!" and got["reviewReplyUrl"]
    sandbox.client.reject_reply(review["name"], "Contains personal information")
    rejected = gbp.get(f"/v4/{review['name']}").json()["reviewReply"]
    assert rejected["state"] == "REJECTED"
    assert rejected["policyViolation"] == {"policy": "Contains personal information"}
    sandbox.client.set_reply_review(0)
    assert gbp.put(path, json={"comment": "Sorry, fixed."}).json()["state"] == "APPROVED"
    assert gbp.delete(path).json() == {}
    assert "reviewReply" not in gbp.get(f"/v4/{review['name']}").json()
    assert gbp.delete(path).status_code == 404
    assert gbp.put(path, json={"comment": ""}).status_code == 400


def test_a_removed_review_is_gone_and_an_edit_moves_it_to_the_top(gbp: httpx.Client, sandbox: SandboxHandle) -> None:
    old = sandbox.client.add_review("2001", stars=5, comment="Great", create_time="2026-01-01T10:00:00Z")
    sandbox.client.add_review("2001", stars=4, comment="Good", create_time="2026-02-01T10:00:00Z")
    sandbox.client.edit_review(old["name"], stars=1, comment="Changed my mind")
    top = gbp.get(REVIEWS).json()["reviews"][0]
    assert top["name"] == old["name"] and top["starRating"] == "ONE"
    sandbox.client.remove_review(old["name"])
    assert gbp.get(f"/v4/{old['name']}").status_code == 404
    assert [r["comment"] for r in gbp.get(REVIEWS).json()["reviews"]] == ["Good"]
