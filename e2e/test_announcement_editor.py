"""Headquarters edits a sent announcement in the post editor, on a desktop and a 390x844 phone: only
the chosen type's fields show (an offer's, not an update's button), a photo is chosen and uploaded,
the day and time change, and every post not yet published follows. Axe-clean, fits the phone."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from posts.models import Post
from posts.services import announcement_schedule
from testkit.factories import make_franchise, make_user
from testkit.photos import photo_bytes

from .test_accessibility import VIEWPORTS, _violations


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_edit_all_changes_type_day_time_and_photo_in_the_post_editor(site, local_photo_storage, tmp_path, viewport):
    page = site.page
    page.set_viewport_size(VIEWPORTS[viewport])
    make_user(superuser=True, username="hq")
    franchises = [
        make_franchise(name="Akron Shop", city="Akron", timezone="America/New_York"),
        make_franchise(name="Paris Shop", city="Paris", timezone="Europe/Paris"),
    ]
    sent = announcement_schedule(
        franchises=franchises,
        template="News from {name}.",
        date=dt.date(2030, 12, 20),
        local_time=dt.time(9, 0),
        user=None,
    )[0].announcement
    site.sign_in("hq")

    site.goto(f"/announcements/{sent.pk}/")
    page.click("#announcement-edit-all")
    page.wait_for_selector("#announcement-edit-form")
    # An update: the button shows, an event's and an offer's fields do not (once app.js has run:
    # a deferred script may still be pending when the form is first in the page).
    expect(page.locator("#event-fields")).to_be_hidden()
    assert page.locator("#cta-fields").is_visible()
    page.select_option("#id_topic_type", "OFFER")
    assert page.locator("#offer-fields").is_visible() and page.locator("#event-fields").is_visible()
    assert not page.locator("#cta-fields").is_visible()
    page.fill("#summary", "Winter offer at {name}: 10% off.")
    page.fill("#id_event_title", "Winter offer")
    page.fill("#id_event_start", "2030-12-21T09:00")
    page.fill("#id_event_end", "2030-12-31T18:00")
    page.fill("#id_offer_coupon_code", "WINTER10")
    photo = tmp_path / "shop.jpg"
    photo.write_bytes(photo_bytes())
    page.set_input_files("#photo-input", str(photo))
    page.wait_for_selector("#photo-status[data-state=done]")
    assert page.input_value("#id_media_url").startswith(site.base + "/media/post-photos/headquarters/")
    page.fill("#id_date", "2030-12-21")
    page.fill("#id_local_time", "10:30")
    assert _violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    site.screenshot("announcement-edit" if viewport == "desktop" else "announcement-edit-phone")

    page.click("#announcement-edit-save")
    page.wait_for_selector("text=Changed 2 posts.")
    posts = list(Post.objects.select_related("franchise"))
    assert {(p.topic_type, p.offer_coupon_code, p.event_title) for p in posts} == {
        ("OFFER", "WINTER10", "Winter offer")
    }
    assert len({p.media_url for p in posts}) == 1 and "/post-photos/headquarters/" in posts[0].media_url
    assert {p.scheduled_at.astimezone(p.franchise.zone).strftime("%Y-%m-%d %H:%M") for p in posts} == {
        "2030-12-21 10:30"
    }
    assert _violations(page) == []
    assert site.csp_violations() == []
