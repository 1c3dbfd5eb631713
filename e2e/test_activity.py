"""A franchise's staff read their week in their own words, on a desktop and a phone: what went
out, what did not and why, what waits; the operators' metrics (tokens, costs, percentiles) are
not in their menu."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise, make_member, make_post

from .test_accessibility import VIEWPORTS, _violations


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_staff_read_what_went_out_what_failed_and_what_waits(site, viewport):
    page = site.page
    page.set_viewport_size(VIEWPORTS[viewport])
    franchise = make_franchise(name="Cincinnati", google_refresh_token="1//t", google_location_id="7")
    make_member(franchise, Membership.Role.STAFF, username="cincy-staff")
    day = timezone.now() - dt.timedelta(days=1)
    make_post(
        franchise=franchise, status=Post.Status.PUBLISHED, scheduled_at=day, published_at=day, summary="Mow high."
    )
    make_post(
        franchise=franchise, status=Post.Status.FAILED, last_error="An event needs a title.", summary="Open house"
    )
    make_post(
        franchise=franchise,
        status=Post.Status.DRAFT,
        scheduled_at=day,
        held_reason="Its time passed while Google access for Cincinnati was broken.",
        summary="Spring schedule",
    )
    site.sign_in("cincy-staff")
    assert page.locator("#nav-metrics").count() == 0
    page.click("#nav-activity")
    page.wait_for_selector("#activity-summary")

    assert "1 post went out" in page.locator("#activity-summary").inner_text()
    assert "Why: An event needs a title." in page.locator("#activity-failed").inner_text()
    waiting = page.locator("#activity-waiting").inner_text()
    assert "Missed its time" in waiting and "Publish it now or pick a new time." in waiting
    assert "Mow high." in page.locator("#activity-went-out").inner_text()
    main = page.locator("main").inner_text().lower()
    assert not any(word in main for word in ("token", "95th", "percentile", "$"))
    assert _violations(page) == []
    site.screenshot(f"activity-{viewport}")
