"""The AI drafts queue in Chromium: the home card's link opens one franchise's drafts; "Select
all" and one click approve them all; rejected drafts come back with Undo."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise, make_post

PASSWORD = "e2e-passphrase-not-secret"


def _drafts(franchise, count: int) -> list[Post]:
    start = timezone.now() + dt.timedelta(days=2)
    return [
        make_post(
            franchise=franchise,
            source=Post.Source.AI,
            scheduled_at=start + dt.timedelta(hours=n),
            summary=f"{franchise.name}: fresh idea {n}.",
        )
        for n in range(count)
    ]


def test_filter_select_all_approve_then_reject_and_undo(site):
    page = site.page
    dayton, akron = make_franchise(name="Dayton Deli"), make_franchise(name="Akron Deli")
    user = get_user_model().objects.create_user(username="ohio-admin", password=PASSWORD)
    for franchise in (dayton, akron):
        Membership.objects.create(user=user, franchise=franchise, role=Membership.Role.ADMIN)
    dayton_drafts, akron_drafts = _drafts(dayton, 3), _drafts(akron, 2)
    site.sign_in("ohio-admin")

    # The home card's "3 waiting" opens Dayton's drafts only.
    page.click(f"#drafts-waiting-{dayton.pk} a")
    page.wait_for_selector("#draft-list")
    assert page.locator("[data-testid=draft]").count() == 3
    assert page.locator("h1").inner_text() == "AI drafts to review: Dayton Deli"

    page.check("#select-all")
    assert all(page.is_checked(f"#pick-{draft.pk}") for draft in dayton_drafts)
    site.screenshot("drafts-bulk")
    page.click("[data-action=approve-selected]")
    page.wait_for_selector("#no-drafts")
    assert "3 drafts approved" in page.locator("#messages").inner_text()
    assert Post.objects.filter(franchise=dayton, status=Post.Status.SCHEDULED).count() == 3

    # All franchises again; reject Akron's two with a reason, then undo.
    page.select_option("#drafts-franchise", "")
    page.click("#drafts-filter-submit")
    for draft in akron_drafts:
        page.check(f"#pick-{draft.pk}")
    page.fill("#bulk-reason", "Too salesy.")
    page.click("[data-action=reject-selected]")
    page.wait_for_selector("[data-testid=undo-rejection]")
    assert not Post.objects.filter(franchise=akron).exists()
    page.click("[data-action=undo-reject]")
    page.wait_for_selector("#draft-list")
    assert "Rejection undone: 2 drafts back in the queue." in page.locator("#messages").inner_text()
    assert page.locator("[data-testid=draft]").count() == 2
    assert site.csp_violations() == []
