"""What a newcomer meets first, on a desktop and a 390x844 phone: in demo mode the sign-in page lists
the demo logins (and not otherwise); the sandbox's Claude rewrites the text typed in the editor
rather than ignoring it, and the AI drafts waiting for review differ from one another. Axe-clean."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dashboard.demo_logins import DEMO_LOGINS, DEMO_USERNAME
from franchises.models import Membership
from gbp_scheduler.jobs import TimeBudget
from generation.models import GenerationQueue
from generation.services import generation_queue_process
from testkit.factories import make_member, make_user
from testkit.google import franchise_with_fake_grant

from .test_accessibility import VIEWPORTS, _violations

TEXT = "Our winter menu starts on Saturday. We are baking rye with caraway. Come early and say hello."


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_sign_in_page_lists_the_demo_logins_in_demo_mode_only(site, settings, viewport):
    page = site.page
    page.set_viewport_size(VIEWPORTS[viewport])
    make_user(username=DEMO_USERNAME)
    settings.DEMO_MODE = True
    site.goto("/accounts/login/")
    logins = page.locator("#demo-logins")
    for username, password, _who in DEMO_LOGINS:
        assert username in logins.inner_text() and password in logins.inner_text()
    assert _violations(page) == [] and _fits(page)
    if viewport == "desktop":
        site.screenshot("login-demo")

    settings.DEMO_MODE = False
    site.goto("/accounts/login/")
    assert page.locator("#demo-logins").count() == 0


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_ai_help_rewrites_the_typed_text_and_the_drafts_waiting_differ(site, sandbox, settings, viewport):
    page = site.page
    page.set_viewport_size(VIEWPORTS[viewport])
    settings.ANTHROPIC_USE_BATCHES = False
    settings.GENERATION_CONCURRENCY = 1
    franchise = franchise_with_fake_grant(
        name="Harbor Cafe",
        city="Portland",
        website="https://harbor.example",
        services="Espresso\nPastries\nBrunch",
        description="A family cafe by the harbour.",
    )
    make_member(franchise, Membership.Role.STAFF, username="harbor-staff")
    for slot in range(3):
        GenerationQueue.objects.create(
            franchise=franchise,
            week_start=dt.date(2026, 3, 2),
            slot=slot,
            scheduled_for=timezone.now() + dt.timedelta(days=1 + slot),
        )
    generation_queue_process(budget=TimeBudget(seconds=60))
    site.sign_in("harbor-staff")

    site.goto(f"/franchises/{franchise.pk}/posts/new/")
    page.fill("#summary", TEXT)
    page.click("#ai-shorter")
    card = page.locator("[data-testid=ai-suggestion]")
    card.wait_for()
    shorter = page.input_value("#ai-suggestion-value")
    assert shorter.startswith("Our winter menu starts on Saturday.") and len(shorter) < len(TEXT)
    page.click("#ai-discard")
    page.click("#ai-friendlier")
    card.wait_for()
    warmer = page.input_value("#ai-suggestion-value")
    assert "We're baking rye with caraway" in warmer and warmer != TEXT
    assert _violations(page) == [] and _fits(page)

    site.goto("/drafts/")
    drafts = page.locator("[data-testid=draft] .gpost-body").all_inner_texts()
    assert len(drafts) == 3
    texts = {text.strip() for text in drafts}
    assert len(texts) == 3 and all("Harbor Cafe" in text for text in texts)
    assert not any("Something fresh is happening" in text for text in texts)
    assert _violations(page) == [] and _fits(page)
    if viewport == "desktop":
        site.screenshot("drafts-varied")
