"""One truth about a post, desktop and phone: a post Google rejected reads "Rejected by Google"
wherever it shows; a franchise that must reconnect lists its due posts as waiting (not under
"Next posts") and never shows Google's raw words; the editor's refusal goes once the text changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise, make_member, make_post

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
RAW = "Token has been expired or revoked."


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_post_reads_the_same_everywhere(site, viewport):
    page = site.page
    page.set_viewport_size(VIEWPORTS[viewport])
    live = {"google_refresh_token": "1//t", "google_account_id": "1"}
    cincinnati = make_franchise(name="Cincinnati", google_location_id="2", **live)
    columbus = make_franchise(
        name="Columbus", google_location_id="3", google_auth_valid=False, google_auth_error=RAW, **live
    )
    admin = make_member(cincinnati, Membership.Role.ADMIN, username="ohio-admin")
    Membership.objects.create(user=admin, franchise=columbus, role=Membership.Role.ADMIN)
    rejected = make_post(
        franchise=cincinnati,
        status=Post.Status.PUBLISHED,
        published_at=timezone.now() - dt.timedelta(hours=2),
        scheduled_at=timezone.now() - dt.timedelta(hours=2),
        google_state="REJECTED",
        summary="The greenest lawn in Ohio, guaranteed!",
    )
    due = make_post(franchise=columbus, status=Post.Status.SCHEDULED, scheduled_at=timezone.now(), summary="Due now.")
    site.sign_in("ohio-admin")

    # Home: Columbus's due post waits (reconnect), apart from its next posts; no raw Google words.
    card = page.locator(f"#franchise-card-{columbus.pk}")
    assert RAW not in card.inner_text()
    overdue = page.locator(f"#overdue-{columbus.pk}")
    assert "Waiting: reconnect Google" in overdue.inner_text() and "Due now." in overdue.inner_text()
    assert "Due now." not in page.locator(f"#upcoming-{columbus.pk}").inner_text()
    assert "Rejected by Google" in page.locator(f"#franchise-card-{cincinnati.pk}").inner_text()
    site.screenshot(f"states-home-{viewport}")

    # The rejected post's page and the posts list say the same: never "Published".
    site.goto(f"/posts/{rejected.pk}/")
    assert page.locator("h1 .badge").inner_text() == "Rejected by Google"
    assert page.locator("#post-status").inner_text() == "Rejected by Google"
    site.goto("/posts/")
    row = page.locator("#post-table tr", has_text="The greenest lawn")
    assert row.locator(".badge").inner_text() == "Rejected by Google"
    assert page.locator("#post-table tr", has_text="Due now.").locator(".badge").inner_text() == (
        "Waiting: reconnect Google"
    )
    site.goto(f"/posts/{due.pk}/")
    assert "reconnects it with Reconnect Google" in page.locator("#post-waiting").inner_text()


def test_the_editors_refusal_goes_once_the_text_changes(site):
    page = site.page
    franchise = make_franchise(name="Sunrise Bakery")
    make_member(franchise, Membership.Role.STAFF, username="baker")
    site.sign_in("baker")
    site.goto(f"/franchises/{franchise.pk}/posts/new/")
    page.click("#ai-shorter")  # nothing written yet
    refusal = page.locator("#ai-error")
    refusal.wait_for()
    assert "Write something first" in refusal.inner_text()
    page.fill("#summary", "Fresh bread at seven.")
    assert refusal.count() == 0
