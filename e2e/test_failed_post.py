"""The failed-post page on a phone: one path, "Fix and retry"; after the fix is saved the post is
on its way again and the old error is gone."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model

from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise, make_post

PASSWORD = "e2e-passphrase-not-secret"
ERROR = "Google refused it: the button link does not open."


def test_fix_and_retry_from_the_failed_post_page_on_a_phone(site):
    page = site.page
    page.set_viewport_size({"width": 390, "height": 844})
    franchise = make_franchise(name="Retry Bakery", timezone="Europe/Paris")
    user = get_user_model().objects.create_user(username="retry-staff", password=PASSWORD)
    Membership.objects.create(user=user, franchise=franchise, role=Membership.Role.STAFF)
    post = make_post(
        franchise=franchise,
        summary="Croissants, two for one.",
        status=Post.Status.FAILED,
        scheduled_at=dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC),
        last_error=ERROR,
    )
    site.sign_in("retry-staff")

    site.goto(f"/posts/{post.pk}/")
    panel = page.locator("#failed-panel")
    assert ERROR in panel.inner_text()
    assert page.locator("[data-action='publish-now']").count() == 0  # no second, unexplained button
    assert page.input_value("#id_scheduled_at") == ""  # the time that failed is not offered again
    site.screenshot("post-failed")

    panel.locator("[data-action='fix-and-retry']").click()
    page.wait_for_selector("#failed-note")
    page.fill("#summary", "Croissants: two for one, all morning.")
    page.click("#save-retry")
    page.wait_for_selector("#post-status")

    assert page.locator("#post-status").get_attribute("data-status") == "scheduled"
    assert page.locator("#last-error").count() == 0 and page.locator("#failed-panel").count() == 0
    assert "The next publish run sends it." in page.locator("#messages").inner_text()
    post.refresh_from_db()
    assert (post.status, post.last_error) == (Post.Status.SCHEDULED, "")
    assert site.csp_violations() == []
