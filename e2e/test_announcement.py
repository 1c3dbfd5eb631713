"""An announcement in Chromium: a placeholder in the wrong case is caught in the error summary
before anything is sent; "Every active franchise" then previews and schedules it for all."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from gbp_scheduler.jobs import TimeBudget
from posts.models import Post
from posts.services import posts_publish_due
from testkit.factories import make_franchise
from testkit.google import franchise_connected_to_sandbox, google_posts

PASSWORD = "e2e-passphrase-not-secret"


def test_wrong_placeholder_is_caught_then_every_franchise_gets_it(site):
    page = site.page
    franchises = [make_franchise(name=f"Shop {n}", city=city) for n, city in enumerate(["Akron", "Lima"])]
    get_user_model().objects.create_superuser(username="hq-announce", email="hq@example.com", password=PASSWORD)
    site.sign_in("hq-announce")

    site.goto("/announcements/new/")
    page.check("#id_all_franchises")
    page.fill("#summary", "Big news in {City}!")
    page.fill("#id_date", "2030-12-20")
    page.fill("#id_local_time", "09:00")
    page.click("#announcement-preview")
    page.wait_for_selector("#form-errors")
    expect(page.locator("#form-errors")).to_be_focused()
    assert "Did you mean {city}?" in page.locator("#form-errors").inner_text()

    page.fill("#summary", "Big news in {city}!")
    page.click("#announcement-preview")
    page.wait_for_selector("#announcement-previews")
    assert page.locator("[data-testid=announcement-preview]").count() == 2
    site.screenshot("announcement")
    page.click("#announcement-schedule")
    page.wait_for_selector("#announcement-posts")
    assert sorted(Post.objects.values_list("summary", flat=True)) == ["Big news in Akron!", "Big news in Lima!"]
    assert {post.franchise_id for post in Post.objects.all()} == {f.pk for f in franchises}
    assert site.csp_violations() == []


def _log_in_as_headquarters(site) -> None:
    get_user_model().objects.create_superuser(username="hq-as-one", email="hq1@example.com", password=PASSWORD)
    site.sign_in("hq-as-one")


def test_an_announcement_is_edited_then_cancelled_as_one_and_its_published_post_stays(site, sandbox):
    """Sent to three franchises; one goes out; "Edit all" changes the two not yet published (the
    published one stays as Google has it); "Cancel all" deletes those two after stating the count."""
    page = site.page
    franchises = [
        franchise_connected_to_sandbox(sandbox, name=name, city=city)
        for name, city in [("Akron Bakery", "Akron"), ("Lima Bakery", "Lima"), ("Toledo Bakery", "Toledo")]
    ]
    _log_in_as_headquarters(site)

    site.goto("/")
    page.click("#nav-announcement")
    page.click("#announcement-new")
    page.check("#id_all_franchises")
    page.fill("#summary", "Winter hours at {name} in {city}.")
    page.fill("#id_date", "2030-12-20")
    page.fill("#id_local_time", "09:00")
    page.click("#announcement-preview")
    page.click("#announcement-schedule")
    page.wait_for_selector("#announcement-posts")
    assert page.locator("[data-testid=announcement-post]").count() == 3

    # Akron's goes out now (the publish job, against the sandbox).
    page.wait_for_load_state("networkidle")  # SQLite: the live server shares this thread's connection
    akron = Post.objects.get(franchise=franchises[0])
    Post.objects.filter(pk=akron.pk).update(scheduled_at=timezone.now() - dt.timedelta(minutes=1))
    assert posts_publish_due(budget=TimeBudget(seconds=60))["published"] == 1
    page.reload()
    expect(page.locator("[data-testid=announcement-post][data-status=published]")).to_have_count(1)

    page.click("#announcement-edit-all")
    assert page.locator("#summary").input_value() == "Winter hours at {name} in {city}."
    page.fill("#summary", "New winter hours at {name}, {city}: 7 to 19.")
    page.click("#announcement-edit-save")
    page.wait_for_selector("#announcement-posts")
    assert "Changed 2 posts." in page.locator("body").inner_text()
    summaries = dict(Post.objects.values_list("franchise__name", "summary"))
    assert summaries == {
        "Akron Bakery": "Winter hours at Akron Bakery in Akron.",
        "Lima Bakery": "New winter hours at Lima Bakery, Lima: 7 to 19.",
        "Toledo Bakery": "New winter hours at Toledo Bakery, Toledo: 7 to 19.",
    }
    site.screenshot("announcement-page")

    page.click("#announcement-cancel-all")
    assert page.locator("#confirm-question").inner_text() == "Cancel 2 posts not yet published?"
    page.click("#confirm-yes")
    page.wait_for_selector("#announcement-posts")
    assert "Cancelled: 2 posts deleted." in page.locator("body").inner_text()
    expect(page.locator("[data-testid=announcement-post]")).to_have_count(1)
    assert list(Post.objects.values_list("franchise__name", "status")) == [("Akron Bakery", "published")]
    assert [item["summary"] for item in google_posts(sandbox, franchises[0])] == [
        "Winter hours at Akron Bakery in Akron."
    ]
    assert all(google_posts(sandbox, franchise) == [] for franchise in franchises[1:])
    assert site.csp_violations() == []
