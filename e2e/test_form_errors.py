"""Errors in sight on a 390x844 phone: a form sent back with a mistake opens on a summary at the
top that has the focus and links to the field, with and without JavaScript."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise

PASSWORD = "e2e-passphrase-not-secret"
PHONE = {"width": 390, "height": 844}


def _log_in(page, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(base + "/")


def _staff_of_a_franchise():
    franchise = make_franchise(name="Phone Bakery", timezone="America/New_York")
    user = get_user_model().objects.create_user(username="phone-staff", password=PASSWORD)
    Membership.objects.create(user=user, franchise=franchise, role=Membership.Role.STAFF)
    return franchise


def _submit_a_past_time_and_check_the_summary(page, base: str, franchise) -> None:
    page.goto(f"{base}/franchises/{franchise.pk}/posts/new/")
    page.fill("#summary", "Warm bread at 7.")
    page.fill("#id_scheduled_at", "2020-01-01T10:00")
    page.click("#save-schedule")
    page.wait_for_selector("#form-errors")

    # The summary has the focus and is on screen: the person sees at once that nothing was saved.
    expect(page.locator("#form-errors")).to_be_focused()  # retried: focus comes as the page loads
    box = page.locator("#form-errors").bounding_box()
    assert box is not None and 0 <= box["y"] < PHONE["height"]
    link = page.locator("#form-errors a[data-field='scheduled_at']")
    assert link.inner_text() == "Publish at: That time has passed; pick a time in the future."
    assert "publish now" not in page.content().lower()

    # Its link takes the person to the field.
    link.click()
    expect(page.locator("#id_scheduled_at")).to_be_focused()
    assert not Post.objects.exists()


def test_a_past_publish_time_on_a_phone_opens_on_a_focused_error_summary(site):
    franchise = _staff_of_a_franchise()
    site.page.set_viewport_size(PHONE)
    _log_in(site.page, site.base, "phone-staff")
    _submit_a_past_time_and_check_the_summary(site.page, site.base, franchise)
    assert site.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    site.screenshot("editor-error-phone")
    assert site.csp_violations() == []


@pytest.mark.usefixtures("site")
def test_the_error_summary_takes_the_focus_without_javascript_too(chromium, live_server):
    franchise = _staff_of_a_franchise()
    context = chromium.new_context(viewport=PHONE, java_script_enabled=False, locale="en-US")
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        _log_in(page, live_server.url, "phone-staff")
        _submit_a_past_time_and_check_the_summary(page, live_server.url, franchise)
    finally:
        context.close()
