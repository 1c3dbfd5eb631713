"""Reviews through the API: filtered lists, a reply set and deleted on Google through the fenced
send, and another tenant's review not found."""

from __future__ import annotations

import pytest

from franchises.models import Membership
from reviews.models import Review
from testkit.factories import make_franchise, make_member, make_review
from testkit.google import franchise_connected_to_sandbox

from .helpers import key_client

pytestmark = pytest.mark.django_db


def _google_reply(sandbox, review) -> str | None:
    return next(r["reply"] for r in sandbox.client.reviews() if r["name"] == review.google_name)


def test_a_reply_is_set_and_deleted_on_google_and_the_list_filters(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    on_google = sandbox.client.add_review(franchise.google_location_id, stars=2, comment="Cold coffee.")
    review = make_review(franchise, google_name=on_google["name"], stars=2)
    make_review(franchise, stars=5, google_reply="Thanks!")
    api = key_client(make_member(franchise, Membership.Role.STAFF))
    assert [r["id"] for r in api.get("/api/v1/reviews", query={"unanswered": "true"}).json()["items"]] == [
        str(review.pk)
    ]
    assert [r["stars"] for r in api.get("/api/v1/reviews", query={"stars": 5}).json()["items"]] == [5]

    sent = api.put(f"/api/v1/reviews/{review.pk}/reply", json={"text": "Sorry: it is hot now."})
    assert sent.status_code == 200, sent.content
    assert sent.json()["google_reply"] == "Sorry: it is hot now." and not sent.json()["reply_pending"]
    assert _google_reply(sandbox, review) == "Sorry: it is hot now."
    assert api.get("/api/v1/reviews", query={"unanswered": "true"}).json()["items"] == []

    deleted = api.delete(f"/api/v1/reviews/{review.pk}/reply")
    assert deleted.status_code == 200 and deleted.json()["google_reply"] is None
    assert _google_reply(sandbox, review) is None
    again = api.delete(f"/api/v1/reviews/{review.pk}/reply")
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "refused"


def test_another_tenants_review_is_not_found_and_not_answered():
    mine, theirs = make_franchise(), make_franchise()
    review = make_review(theirs, comment="Their secret.")
    api = key_client(make_member(mine, Membership.Role.ADMIN))
    assert api.get(f"/api/v1/reviews/{review.pk}").status_code == 404
    assert api.put(f"/api/v1/reviews/{review.pk}/reply", json={"text": "Hi."}).status_code == 404
    assert api.get("/api/v1/reviews").json()["items"] == []
    assert Review.objects.get(pk=review.pk).reply_version == 0
