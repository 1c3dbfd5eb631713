"""Claude's reply drafts against the sandbox's Anthropic: one call for a review (its draft waits for
approval), a backlog through a Message Batch at half price, tokens and cost recorded and told."""

from __future__ import annotations

import pytest
from django.utils import timezone

from gbp_scheduler.jobs import TimeBudget
from reviews.models import ReplyDraftBatch, ReplyDraftUsage, Review
from reviews.selectors import reply_draft_costs
from reviews.services.drafting import BATCH_MIN, review_replies_draft_due, review_reply_draft
from testkit.factories import make_franchise, make_review

pytestmark = pytest.mark.django_db


def test_one_review_is_drafted_by_one_call_and_nothing_is_sent(sandbox) -> None:
    franchise = make_franchise(name="Crumb Bakery", tone="warm")
    review = make_review(franchise, stars=1, comment="Stale croissants.", reviewer_name="Ann")

    text = review_reply_draft(review=review, user=None)

    review.refresh_from_db()
    assert review.draft_text == text and "Crumb Bakery" in text and review.draft_source == "ai"
    assert review.reply_version == 0  # waits for a person's approval
    (request,) = sandbox.client.anthropic_requests()[-1:]
    assert "Stale croissants." in str(request) and "Never offer refunds" in str(request)
    assert ReplyDraftUsage.objects.filter(batch=False).count() == 1


def test_a_backlog_goes_through_a_message_batch_at_half_price(sandbox) -> None:
    franchise = make_franchise()
    for n in range(BATCH_MIN + 2):
        make_review(franchise, comment=f"Review {n}")

    sent = review_replies_draft_due(budget=TimeBudget(seconds=30))
    read = review_replies_draft_due(budget=TimeBudget(seconds=30))

    assert sent["sent_in_batches"] == BATCH_MIN + 2 and sent["drafted"] == 0
    assert read["drafts_from_batches"] == BATCH_MIN + 2
    assert not Review.objects.filter(draft_text="").exists()
    assert ReplyDraftBatch.objects.get().status == ReplyDraftBatch.Status.ENDED
    costs = reply_draft_costs(franchises=franchise.__class__.objects.all(), since=timezone.now().replace(year=2000))
    assert costs["requests"] == BATCH_MIN + 2 and costs["batch_share"] == "100 %"
    assert costs["input_tokens"] > 0 and costs["cost"] > 0


def test_a_few_waiting_reviews_are_drafted_one_by_one(sandbox) -> None:
    franchise = make_franchise()
    for n in range(2):
        make_review(franchise, comment=f"Review {n}")
    make_review(franchise, comment="answered", google_reply="Thanks")

    counts = review_replies_draft_due(budget=TimeBudget(seconds=30))

    assert counts["drafted"] == 2 and counts["batches_sent"] == 0
    assert Review.objects.get(comment="answered").draft_text == ""


def test_an_expired_batch_gives_its_reviews_back_for_the_next_batch(sandbox) -> None:
    franchise = make_franchise()
    for n in range(BATCH_MIN):
        make_review(franchise, comment=f"Review {n}")
    sandbox.client.batch_config(delay_seconds=3600)
    review_replies_draft_due(budget=TimeBudget(seconds=30))
    first = ReplyDraftBatch.objects.get()
    sandbox.client.expire_batches()

    counts = review_replies_draft_due(budget=TimeBudget(seconds=30))

    assert counts["drafts_from_batches"] == 0 and counts["sent_in_batches"] == BATCH_MIN
    first.refresh_from_db()
    assert first.status == ReplyDraftBatch.Status.ENDED and not first.reviews.exists()
    assert not Review.objects.exclude(draft_text="").exists()
    assert Review.objects.filter(draft_batch__isnull=False).exclude(draft_batch=first).count() == BATCH_MIN
