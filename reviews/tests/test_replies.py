"""Replies reach Google exactly once with their latest text: sent by updateReply (a PUT), deleted
by deleteReply, drafts approved many at once, Google's refusals kept for a person, a send that
failed for now retried by the next sync, and (PostgreSQL) an edit racing the send sent after it."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from gbp_scheduler.jobs import TimeBudget
from reviews.models import DraftSource, Review
from reviews.services.replies import (
    ReplyError,
    review_draft_save,
    review_drafts_approve,
    review_reply_delete,
    review_reply_set,
)
from reviews.services.sync import reviews_sync_due
from testkit.google import franchise_connected_to_sandbox

pytestmark = pytest.mark.django_db


def reviewed(sandbox, *, stars: int = 2, count: int = 1) -> list[Review]:
    """A franchise at the sandbox with `count` reviews of its location, synced."""
    franchise = franchise_connected_to_sandbox(sandbox)
    for n in range(count):
        sandbox.client.add_review(franchise.google_location_id, stars=stars, comment=f"Review {n}", reviewer=f"R{n}")
    reviews_sync_due(budget=TimeBudget(seconds=30))
    return list(Review.objects.filter(franchise=franchise).order_by("reviewer_name"))


def google_reply(sandbox, review: Review) -> str | None:
    return next(r["reply"] for r in sandbox.client.reviews() if r["name"] == review.google_name)


def test_a_reply_is_put_on_google_and_an_edit_replaces_it(sandbox) -> None:
    (review,) = reviewed(sandbox)

    review_reply_set(review=review, text="Sorry to hear it.", user=None)
    review_reply_set(review=Review.objects.get(pk=review.pk), text="Sorry, please call us.", user=None)

    assert google_reply(sandbox, review) == "Sorry, please call us."
    review.refresh_from_db()
    assert review.google_reply == "Sorry, please call us." and review.google_reply_state == "APPROVED"
    assert review.reply_sent_version == review.reply_version == 2 and review.replied_at is not None
    assert sandbox.client.calls("reviews.reply") == 2


def test_deleting_a_reply_deletes_it_on_google(sandbox) -> None:
    (review,) = reviewed(sandbox)
    review_reply_set(review=review, text="Thanks!", user=None)

    review_reply_delete(review=Review.objects.get(pk=review.pk), user=None)

    assert google_reply(sandbox, review) is None
    assert Review.objects.get(pk=review.pk).google_reply is None


def test_drafts_are_approved_many_at_once_and_each_sent(sandbox) -> None:
    reviews = reviewed(sandbox, count=3)
    for review in reviews[:2]:
        review_draft_save(review=review, text=f"Thank you, {review.reviewer_name}.", user=None, source=DraftSource.AI)
    assert sandbox.client.calls("reviews.reply") == 0  # a draft waits for approval

    approved, problems = review_drafts_approve(
        reviews=list(Review.objects.filter(pk__in=[r.pk for r in reviews])), user=None
    )

    assert approved == 2 and len(problems) == 1 and "no draft" in problems[0]
    assert [google_reply(sandbox, r) for r in reviews] == ["Thank you, R0.", "Thank you, R1.", None]


def test_an_empty_or_too_long_reply_is_refused_and_nothing_sent(sandbox) -> None:
    (review,) = reviewed(sandbox)
    with pytest.raises(ReplyError, match="empty"):
        review_reply_set(review=review, text="   ", user=None)
    with pytest.raises(ReplyError, match="4096"):
        review_reply_set(review=review, text="x" * 4097, user=None)
    assert sandbox.client.calls("reviews.reply") == 0


def test_a_send_google_fails_for_now_is_sent_by_the_next_sync(sandbox) -> None:
    (review,) = reviewed(sandbox)
    sandbox.client.fail("reviews.reply", 503)

    review = review_reply_set(review=review, text="Thanks for coming.", user=None)

    assert review.reply_pending and "next sync" in review.reply_error
    assert google_reply(sandbox, review) is None
    counts = reviews_sync_due(budget=TimeBudget(seconds=30))
    assert counts["replies_sent"] == 1
    assert google_reply(sandbox, review) == "Thanks for coming."


def test_a_reply_google_refuses_for_good_is_kept_with_the_reason_until_changed(sandbox) -> None:
    (review,) = reviewed(sandbox)
    sandbox.client.fail("reviews.reply", 400, message="Reply contains a link.")

    review = review_reply_set(review=review, text="See http://x.example", user=None)

    assert not review.reply_pending and "Reply contains a link" in review.reply_error
    assert reviews_sync_due(budget=TimeBudget(seconds=30))["replies_sent"] == 0  # not retried blindly
    review = review_reply_set(review=review, text="Please call us.", user=None)
    assert google_reply(sandbox, review) == "Please call us." and review.reply_error == ""


def test_a_rejected_reply_shows_googles_policy_violation_after_the_sync(sandbox) -> None:
    (review,) = reviewed(sandbox)
    sandbox.client.set_reply_review(3600)
    review_reply_set(review=review, text="Call Ann on 555-0100.", user=None)
    assert Review.objects.get(pk=review.pk).google_reply_state == "PENDING"
    sandbox.client.reject_reply(review.google_name, "Contains personal information")

    counts = reviews_sync_due(budget=TimeBudget(seconds=30))

    review.refresh_from_db()
    assert counts["reply_states_read"] == 1
    assert review.google_reply_state == "REJECTED"
    assert review.policy_violation == {"policy": "Contains personal information"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_edit_racing_the_send_is_sent_after_it(sandbox) -> None:
    (review,) = reviewed(sandbox)
    sandbox.client.latency(0.5, route="reviews.reply")
    started = threading.Event()

    def first_send():
        try:
            started.set()
            review_reply_set(review=Review.objects.get(pk=review.pk), text="First words.", user=None)
        finally:
            connection.close()

    thread = threading.Thread(target=first_send)
    thread.start()
    started.wait()
    for _ in range(500):  # until the first send holds its claim and waits for Google
        if Review.objects.filter(pk=review.pk, reply_sending_at__isnull=False).exists():
            break
        time.sleep(0.01)
    review_reply_set(review=Review.objects.get(pk=review.pk), text="Better words.", user=None)
    thread.join(30)

    assert google_reply(sandbox, review) == "Better words."
    review.refresh_from_db()
    assert review.reply_sent_version == review.reply_version == 2 and review.reply_sending_at is None
    assert sandbox.client.calls("reviews.reply") == 2
