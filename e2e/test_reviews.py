"""The reviews inbox, a review's page and reply approval in Chromium, on a desktop and a 390x844
phone: drafts ticked and approved at once reach Google, a reply typed on a review's page is sent
and deleted, a rejected reply shows Google's policy violation; every page passes axe-core."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from e2e.test_accessibility import VIEWPORTS, _violations
from franchises.models import Membership
from gbp_scheduler.jobs import TimeBudget
from reviews.models import DraftSource, Review
from reviews.services.replies import review_draft_save, review_reply_set
from reviews.services.sync import reviews_sync_due
from testkit.google import franchise_connected_to_sandbox


def _reviews(sandbox, franchise) -> dict[str, Review]:
    for stars, who, words in (
        (1, "Ann", "Cold bread and a long wait."),
        (5, "Ben", "Best pretzels in town!"),
        (3, "Cem", "Fine, a bit pricey."),
        (2, "Dora", "The staff forgot my order."),
    ):
        sandbox.client.add_review(franchise.google_location_id, stars=stars, comment=words, reviewer=who)
    reviews_sync_due(budget=TimeBudget(seconds=30))
    return {review.reviewer_name: review for review in Review.objects.all()}


def google_replies(sandbox) -> dict[str, str | None]:
    return {item["reviewer"]: item["reply"] for item in sandbox.client.reviews()}


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_drafts_are_approved_in_the_inbox_and_a_reply_is_sent_from_the_review_page(site, sandbox, viewport):
    page = site.page
    page.set_viewport_size(VIEWPORTS[viewport])
    franchise = franchise_connected_to_sandbox(sandbox, name="Pretzel Place")
    reviews = _reviews(sandbox, franchise)
    for name in ("Ann", "Ben"):
        review_draft_save(review=reviews[name], text=f"Thank you, {name}.", user=None, source=DraftSource.AI)
    sandbox.client.set_reply_review(3600)  # Google checks new replies a while
    review_reply_set(review=reviews["Dora"], text="Call us on 555-0100, Dora.", user=None)
    sandbox.client.set_reply_review(0)
    sandbox.client.reject_reply(reviews["Dora"].google_name, "Contains personal information")
    reviews_sync_due(budget=TimeBudget(seconds=30))  # reads Google's check of Dora's reply
    user = get_user_model().objects.create_user(username="pretzel-staff")
    Membership.objects.create(user=user, franchise=franchise, role=Membership.Role.STAFF)
    site.sign_in("pretzel-staff")
    found = {}

    # The inbox, filtered to one star, then all of them; two drafts ticked and approved at once.
    page.click("#nav-reviews") if viewport == "desktop" else site.goto("/reviews/")
    page.wait_for_selector("#review-list")
    assert page.locator("[data-testid=review]").count() == 4
    found["inbox"] = _violations(page)
    site.screenshot(f"reviews-inbox-{viewport}")
    page.select_option("#filter-stars", "1")
    page.click("#reviews-filter-submit")
    page.wait_for_selector("[data-testid=review][data-stars='1']")
    assert page.locator("[data-testid=review]").count() == 1
    site.goto("/reviews/")
    page.check(f"#pick-{reviews['Ann'].pk}")
    page.check(f"#pick-{reviews['Ben'].pk}")
    page.click("[data-action=approve-selected]")
    page.wait_for_selector("#messages")
    assert "2 replies approved and sent to Google." in page.locator("#messages").inner_text()
    assert google_replies(sandbox)["Ann"] == "Thank you, Ann." and google_replies(sandbox)["Ben"] == "Thank you, Ben."

    # Dora's page shows why Google rejected the reply.
    site.goto(f"/reviews/{reviews['Dora'].pk}/")
    assert "Contains personal information" in page.locator("#policy-violation").inner_text()
    found["rejected reply"] = _violations(page)

    # Cem's page: a reply typed and sent, then deleted on Google.
    site.goto(f"/reviews/{reviews['Cem'].pk}/")
    page.fill("#reply-text", "Thanks, Cem: we hear you on prices.")
    found["review"] = _violations(page)
    page.click("[data-action=send]")
    page.wait_for_selector("[data-reply-state=published]")
    assert "Reply sent to Google." in page.locator("#messages").inner_text()
    assert google_replies(sandbox)["Cem"] == "Thanks, Cem: we hear you on prices."
    site.screenshot(f"reviews-review-{viewport}")
    page.click("[data-action=delete-reply]")
    page.wait_for_selector("[data-reply-state=none]")
    assert google_replies(sandbox)["Cem"] is None

    # An empty reply is refused on the page, with the reason beside the field.
    page.fill("#reply-text", "   ")
    page.click("[data-action=send]")
    page.wait_for_selector("#reply-text-error")
    found["reply refused"] = _violations(page)
    assert {name: problems for name, problems in found.items() if problems} == {}
    assert site.csp_violations() == []
