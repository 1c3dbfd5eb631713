"""The inbox and a review's page: scoped to the user's franchises, filtered, and a reply typed on
the page sent to Google (or, refused, shown again with the reason)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from franchises.models import Membership
from gbp_scheduler.jobs import TimeBudget
from reviews.models import DraftSource, Review
from reviews.services.replies import review_draft_save
from reviews.services.sync import reviews_sync_due
from testkit.factories import make_franchise, make_member, make_review, make_user
from testkit.google import franchise_connected_to_sandbox
from testkit.web import logged_in, messages_of

pytestmark = pytest.mark.django_db


def shown(response) -> set[str]:
    return {review.comment for review in response.context["rows"]}


def test_headquarters_sees_every_franchise_and_a_member_only_their_own(client) -> None:
    north, south = make_franchise(name="North"), make_franchise(name="South")
    make_review(north, comment="North review")
    make_review(south, comment="South review")
    member = make_member(north, Membership.Role.STAFF)

    assert shown(logged_in(client, make_user(superuser=True)).get(reverse("reviews:inbox"))) == {
        "North review",
        "South review",
    }
    assert shown(logged_in(client, member).get(reverse("reviews:inbox"))) == {"North review"}


def test_another_franchises_review_is_a_404_for_every_action(client) -> None:
    north, south = make_franchise(name="North"), make_franchise(name="South")
    theirs = make_review(south)
    logged_in(client, make_member(north, Membership.Role.ADMIN))

    assert client.get(reverse("reviews:detail", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("reviews:reply", args=[theirs.pk]), {"text": "Hi", "action": "send"}).status_code == 404
    assert client.post(reverse("reviews:delete_reply", args=[theirs.pk])).status_code == 404
    review_draft_save(review=theirs, text="Not yours", user=None)
    client.post(reverse("reviews:approve"), {"review": [str(theirs.pk)]})
    assert Review.objects.get(pk=theirs.pk).reply_version == 0


def test_the_inbox_filters_by_franchise_stars_answer_and_age(client) -> None:
    north, south = make_franchise(name="North"), make_franchise(name="South")
    make_review(north, comment="one star", stars=1)
    make_review(north, comment="answered", stars=5, google_reply="Thanks")
    make_review(north, comment="old", stars=3, created_at=timezone.now() - dt.timedelta(days=200))
    make_review(south, comment="south", stars=1)
    logged_in(client, make_user(superuser=True))
    inbox = reverse("reviews:inbox")

    assert shown(client.get(inbox, {"franchise": north.pk})) == {"one star", "answered", "old"}
    assert shown(client.get(inbox, {"stars": "1"})) == {"one star", "south"}
    assert shown(client.get(inbox, {"answered": "yes"})) == {"answered"}
    assert shown(client.get(inbox, {"answered": "no", "age": "30"})) == {"one star", "south"}
    assert client.get(inbox, {"franchise": "junk", "stars": "9"}).status_code == 200


def test_a_reply_typed_on_the_page_goes_to_google(client, sandbox) -> None:
    franchise = franchise_connected_to_sandbox(sandbox)
    sandbox.client.add_review(franchise.google_location_id, stars=2, comment="Slow service")
    reviews_sync_due(budget=TimeBudget(seconds=30))
    review = Review.objects.get()
    logged_in(client, make_member(franchise, Membership.Role.STAFF))

    response = client.post(
        reverse("reviews:reply", args=[review.pk]), {"text": "Sorry!", "action": "send"}, follow=True
    )

    assert "Reply sent to Google." in messages_of(response)
    assert sandbox.client.reviews()[0]["reply"] == "Sorry!"
    page = client.get(reverse("reviews:detail", args=[review.pk])).content.decode()
    assert 'data-reply-state="published"' in page and "Sorry!" in page


def test_a_refused_reply_is_shown_again_with_the_reason(client) -> None:
    franchise = make_franchise()
    review = make_review(franchise)
    logged_in(client, make_member(franchise, Membership.Role.STAFF))

    response = client.post(reverse("reviews:reply", args=[review.pk]), {"text": "x" * 5000, "action": "send"})

    assert response.status_code == 400
    assert "at most 4096" in response.content.decode() and response.context["reply_value"] == "x" * 5000


def test_drafts_ticked_in_the_inbox_are_approved_and_sent(client, sandbox) -> None:
    franchise = franchise_connected_to_sandbox(sandbox)
    for n in range(2):
        sandbox.client.add_review(franchise.google_location_id, stars=5, comment=f"Great {n}")
    reviews_sync_due(budget=TimeBudget(seconds=30))
    for review in Review.objects.all():
        review_draft_save(review=review, text=f"Thanks for '{review.comment}'", user=None, source=DraftSource.AI)
    logged_in(client, make_member(franchise, Membership.Role.STAFF))

    response = client.post(
        reverse("reviews:approve"),
        {"review": [str(pk) for pk in Review.objects.values_list("pk", flat=True)]},
        follow=True,
    )

    assert "2 replies approved and sent to Google." in messages_of(response)
    assert sorted(r["reply"] for r in sandbox.client.reviews()) == ["Thanks for 'Great 0'", "Thanks for 'Great 1'"]


def test_results_show_the_stars_and_reply_rate_and_headquarters_each_locations(client) -> None:
    north, south = make_franchise(name="North"), make_franchise(name="South")
    written = timezone.now() - dt.timedelta(hours=5)
    make_review(north, stars=5, google_reply="Thanks", created_at=written, replied_at=written + dt.timedelta(hours=2))
    make_review(north, stars=2)
    make_review(south, stars=4)
    member = make_member(north, Membership.Role.STAFF)

    page = logged_in(client, member).get(f"/franchises/{north.pk}/insights/").content.decode()
    assert "<strong>3.5</strong> stars on average over 2 reviews" in page
    assert "<strong>50%</strong> answered, the first reply after 2.0 h on average" in page
    ranking = logged_in(client, make_user(superuser=True)).get("/insights/")
    assert ranking.context["reviews"]["count"] == 3
    assert [(row["name"], row["average"], row["reply_rate"]) for row in ranking.context["reviews_by_location"]] == [
        ("North", 3.5, 50),
        ("South", 4.0, 0),
    ]
    assert logged_in(client, member).get("/insights/").context["reviews_by_location"] is None
