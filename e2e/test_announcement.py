"""An announcement in Chromium: a placeholder in the wrong case is caught in the error summary
before anything is sent; "Every active franchise" then previews and schedules it for all."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from posts.models import Post
from testkit.factories import make_franchise

PASSWORD = "e2e-passphrase-not-secret"


def test_wrong_placeholder_is_caught_then_every_franchise_gets_it(site):
    page = site.page
    franchises = [make_franchise(name=f"Shop {n}", city=city) for n, city in enumerate(["Akron", "Lima"])]
    get_user_model().objects.create_superuser(username="hq-announce", email="hq@example.com", password=PASSWORD)
    site.goto("/accounts/login/")
    page.fill("#id_username", "hq-announce")
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(site.base + "/")

    site.goto("/announcements/new/")
    page.check("#id_all_franchises")
    page.fill("#id_summary", "Big news in {City}!")
    page.fill("#id_date", "2030-12-20")
    page.fill("#id_local_time", "09:00")
    page.click("#announcement-preview")
    page.wait_for_selector("#form-errors")
    expect(page.locator("#form-errors")).to_be_focused()
    assert "Did you mean {city}?" in page.locator("#form-errors").inner_text()

    page.fill("#id_summary", "Big news in {city}!")
    page.click("#announcement-preview")
    page.wait_for_selector("#announcement-previews")
    assert page.locator("[data-testid=announcement-preview]").count() == 2
    site.screenshot("announcement")
    page.click("#announcement-schedule")
    page.wait_for_selector("#post-table")
    assert sorted(Post.objects.values_list("summary", flat=True)) == ["Big news in Akron!", "Big news in Lima!"]
    assert {post.franchise_id for post in Post.objects.all()} == {f.pk for f in franchises}
    assert site.csp_violations() == []
