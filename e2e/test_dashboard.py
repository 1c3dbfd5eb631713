"""The dashboard end to end in headless Chromium, against the live server and the sandbox.

1. Headquarters logs in, connects a franchise to Google through the sandbox's consent page, writes
   and schedules a post in the editor, runs the publish job from the system page, sees the post
   published and follows its Google link to the sandbox's customer view.
2. A franchise admin approves an AI draft Claude (the sandbox) wrote, changes a setting, sees the
   invalid-auth banner after Google revoked the grant, and clears it by reconnecting.

Each main page is saved as a PNG under docs/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import zoneinfo

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from franchises.google.tokens import GoogleReauthorizationRequired, google_access_token_get
from franchises.models import Franchise, Membership
from gbp_scheduler.jobs import TimeBudget
from generation.services import generation_queue_fill, generation_queue_process
from posts.models import Post
from sandbox.state import SANDBOX_USER
from testkit.factories import make_franchise
from testkit.google import DEMO_LOCATION, franchise_connected_to_sandbox

PASSWORD = "e2e-passphrase-not-secret"
TEXT = "Fresh sourdough every morning at 7. Come early: the first dozen loaves come with free jam!"


def _user(username: str, *, superuser: bool = False, franchise: Franchise | None = None, role: str = "admin"):
    User = get_user_model()
    if superuser:
        user = User.objects.create_superuser(username=username, email=f"{username}@example.com", password=PASSWORD)
    else:
        user = User.objects.create_user(username=username, email=f"{username}@example.com", password=PASSWORD)
    if franchise is not None:
        Membership.objects.create(user=user, franchise=franchise, role=role)
    return user


def _log_in(site, username: str) -> None:
    """Through the login page, with the keyboard: type, Tab to the password, Enter to submit."""
    page = site.page
    site.goto("/")
    assert "/accounts/login/" in page.url
    page.focus("#id_username")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(site.base + "/")
    assert page.locator("#nav-username").inner_text() == username


def _consent_and_pick(site, location_id: str = "1001-2001") -> None:
    """On the sandbox's consent page: Allow; back on our location picker: pick one."""
    page = site.page
    page.wait_for_selector("#allow")
    page.click("#allow")
    page.wait_for_selector("#location-form")
    page.check(f"#location-{location_id}")
    page.click("#location-submit")
    page.wait_for_selector("#franchise-name")


def _local_minute(zone: str) -> str:
    """This minute in the zone, as a datetime-local value. Due at once: the editor accepts a time
    up to a minute old. Near the end of a minute, wait for the next so the value stays fresh."""
    now = dt.datetime.now(zoneinfo.ZoneInfo(zone))
    if now.second > 45:
        time.sleep(61 - now.second)
        now = dt.datetime.now(zoneinfo.ZoneInfo(zone))
    return now.strftime("%Y-%m-%dT%H:%M")


def test_connect_google_schedule_a_post_publish_it_and_see_it_on_google(site, sandbox):
    page = site.page
    franchise = make_franchise(name="Sunrise Bakery", timezone="America/Chicago", city="Chicago")
    _user("hq", superuser=True)

    _log_in(site, "hq")
    card = page.locator(f"#franchise-card-{franchise.pk}")
    assert "Not connected" in card.locator(f"#google-status-{franchise.pk}").inner_text()

    # Connect Google: our Connect button, the sandbox's consent page, back to the location picker.
    card.get_by_role("link", name="Sunrise Bakery").click()
    page.click("#google-connect")
    page.wait_for_selector("#allow")
    assert page.url.startswith(sandbox.url + "/o/oauth2/v2/auth?")
    site.screenshot("consent")
    _consent_and_pick(site)
    assert "Sunrise Bakery Downtown" in page.locator("#google-location").inner_text()
    assert page.locator("#google-status").inner_text().startswith("Connected")
    site.screenshot("franchise")
    franchise.refresh_from_db()
    assert franchise.is_connected and franchise.google_location_id == "2001"

    # Write a post in the editor: the live count follows the text; schedule it for this minute.
    page.click("#new-post-link")
    page.fill("#summary", TEXT)
    # The count is the page's script's: wait for it (the click returns before the new page's scripts ran).
    expect(page.locator("#char-count")).to_have_text(re.compile(rf"^{len(TEXT)} / 1,500 characters"))
    assert "America/Chicago" in page.locator("#schedule-zone").inner_text()
    page.fill("#id_scheduled_at", _local_minute("America/Chicago"))
    site.screenshot("post-editor")
    page.click("#save-schedule")
    page.wait_for_selector("#post-status")
    assert page.locator("#post-status").get_attribute("data-status") == "scheduled"
    post_url = page.url
    post = Post.objects.get(franchise=franchise)
    assert post.summary == TEXT and post.status == Post.Status.SCHEDULED

    # Run the publish job from the system page, as the cron would.
    page.click("#nav-system")
    assert page.locator("#check-database").get_attribute("data-status") == "pass"
    page.click("#run-publish-scheduled")
    summary = page.locator(".message.job-summary").inner_text()
    assert summary == "publish-scheduled ran: 1 published on Google"
    assert "1 published on Google" in page.locator("#job-publish-scheduled [data-field=outcome]").inner_text()
    site.screenshot("system")

    # The post is published, with its link to Google; the link shows the post as customers see it.
    page.goto(post_url)
    assert page.locator("#post-status").get_attribute("data-status") == "published"
    # In the franchise's zone, which the page names once (not after each time).
    assert page.locator("#page-zone").inner_text() == "Times in America/Chicago"
    published = Post.objects.get(franchise=franchise).published_at.astimezone(franchise.zone)
    expected = f"{published:%a} {published.day} {published:%b %Y, %H:%M}"
    assert page.locator("#post-published-at").inner_text() == expected
    link = page.locator("#google-link").get_attribute("href")
    assert link.startswith(sandbox.url)
    site.screenshot("post-published")
    page.goto(link)
    assert TEXT in page.content()

    # Home and metrics now have something to show; the charts draw under the strict CSP.
    site.goto("/")
    assert page.locator(f"#franchise-card-{franchise.pk}").is_visible()
    assert "Connected: Sunrise Bakery Downtown" in page.locator(f"#google-status-{franchise.pk}").inner_text()
    site.screenshot("home")
    page.click("#nav-metrics")
    page.wait_for_selector("html[data-charts=drawn]")
    assert page.locator("#overall-success").inner_text().startswith("100.0%")
    assert page.locator("#chart-success").bounding_box()["height"] > 100
    site.screenshot("metrics")

    assert site.csp_violations() == []


def test_approve_an_ai_draft_and_clear_the_invalid_auth_banner_by_reconnecting(site, sandbox):
    page = site.page
    franchise = franchise_connected_to_sandbox(
        sandbox,
        location=DEMO_LOCATION,
        user=SANDBOX_USER,  # the Google account the sandbox's consent page signs in as
        name="Harbor Fitness",
        timezone="Europe/Berlin",
        city="Hamburg",
        description="A friendly gym by the harbour with classes from 6am.",
        website="https://harbor-fitness.example",
        posts_per_week=1,
    )
    first_grant = franchise.google_refresh_token
    _user("coach", franchise=franchise, role=Membership.Role.ADMIN)

    # Claude (the sandbox) writes next week's draft through the real queue.
    assert generation_queue_fill(budget=TimeBudget(seconds=60))["queued"] == 1
    assert generation_queue_process(budget=TimeBudget(seconds=60))["completed"] == 1
    draft = Post.objects.get(franchise=franchise, source=Post.Source.AI)
    assert draft.status == Post.Status.DRAFT

    _log_in(site, "coach")
    waiting = page.locator(f"#drafts-waiting-{franchise.pk}")
    assert waiting.get_attribute("data-count") == "1"
    waiting.get_by_role("link").click()
    item = page.locator(f"#draft-{draft.pk}")
    assert draft.summary[:40] in item.inner_text()
    site.screenshot("drafts")
    # The planned slot is ahead, so the time is filled in: approving schedules it for then.
    assert item.locator("input[type=datetime-local]").input_value()
    item.locator("[data-action=approve]").click()
    page.wait_for_selector("#messages")
    assert "Approved and scheduled." in page.locator("#messages").inner_text()
    assert page.locator(f"#draft-{draft.pk}").count() == 0
    draft.refresh_from_db()
    assert draft.status == Post.Status.SCHEDULED

    # Settings: an admin turns on auto-scheduling of AI posts.
    site.goto(f"/franchises/{franchise.pk}/settings/")
    page.check("#id_auto_schedule_ai_posts")
    page.click("#settings-save")
    assert "Settings saved." in page.locator("#messages").inner_text()
    franchise.refresh_from_db()
    assert franchise.auto_schedule_ai_posts

    # Google revokes the grant; the next token refresh finds out and flags the franchise.
    sandbox.client.revoke(first_grant)
    with pytest.raises(GoogleReauthorizationRequired):
        google_access_token_get(franchise=franchise, force_refresh=True)
    franchise.refresh_from_db()
    assert not franchise.google_auth_valid

    site.goto("/")
    banner = page.locator(f"#auth-warning-{franchise.pk}")
    assert banner.is_visible() and banner.get_attribute("role") == "alert"
    site.screenshot("home-auth-warning")

    # Reconnect from the banner: consent again through the same Google account, back on the
    # franchise's page (its location stays), and the banner is gone.
    page.click(f"#reconnect-{franchise.pk}")
    page.wait_for_selector("#allow")
    page.click("#allow")
    page.wait_for_selector("#franchise-name")
    assert "Google reconnected" in page.locator("#messages").inner_text()
    site.goto("/")
    assert page.locator(f"#auth-warning-{franchise.pk}").count() == 0
    assert re.search(r"Connected", page.locator(f"#google-status-{franchise.pk}").inner_text())
    franchise.refresh_from_db()
    assert franchise.google_auth_valid and franchise.google_refresh_token != first_grant

    # The same home page on a phone: one column, nothing wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    site.goto("/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    site.screenshot("home-phone")

    assert site.csp_violations() == []
