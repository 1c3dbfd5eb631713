"""Brand rules block in the post editor, on a desktop and on a 390x844 phone: a word headquarters
does not allow is named with its rule and place as it is typed (the check panel), saving to the
schedule is refused with the same words, and once the word is gone the post is scheduled. Every
page on the way is axe-clean, fits the phone and breaks no CSP rule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from franchises.models import Membership
from posts.models import Post
from posts.services.brand import brand_rules_save
from testkit.factories import make_franchise, make_member

from .test_accessibility import VIEWPORTS, _violations

RULE = 'Brand rule "Words not allowed": "cheapest" in the text (character 5).'


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_word_not_allowed_is_named_as_it_is_typed_and_blocks_scheduling_until_it_is_gone(site, viewport):
    page = site.page
    page.set_viewport_size(VIEWPORTS[viewport])
    brand_rules_save(user=None, banned_phrases="cheapest")
    franchise = make_franchise(name="Harbor Cafe", timezone="America/New_York")
    make_member(franchise, Membership.Role.STAFF, username="harbor-staff")
    site.sign_in("harbor-staff")
    when = timezone.localtime(timezone.now() + dt.timedelta(days=2), franchise.zone).strftime("%Y-%m-%dT%H:%M")

    site.goto(f"/franchises/{franchise.pk}/posts/new/")
    page.fill("#summary", "The cheapest coffee in the harbor.")
    problem = page.locator("#brand-check-list li[data-rule='banned']")
    problem.wait_for()
    assert RULE in problem.inner_text()
    assert "1 problem keeps this post off the schedule" in page.inner_text("#brand-check-status")
    assert _violations(page) == [] and _fits(page)
    site.screenshot("brand-check" if viewport == "desktop" else "brand-check-phone")

    # Saved to the schedule anyway: refused by the server, with the same words, nothing saved.
    page.fill("#id_scheduled_at", when)
    page.click("#save-schedule")
    page.wait_for_selector("#form-errors")
    assert RULE in page.inner_text("#form-errors")
    assert not Post.objects.exists()
    assert _violations(page) == [] and _fits(page)

    # The word taken out: the panel clears, and the post is scheduled.
    page.fill("#summary", "The finest coffee in the harbor.")
    page.wait_for_selector("#brand-check-status:has-text('No problems: this post can be scheduled.')")
    assert page.locator("#brand-check-list li").count() == 0
    page.click("#save-schedule")
    page.wait_for_selector("#post-status")
    assert Post.objects.get().status == Post.Status.SCHEDULED
    assert site.csp_violations() == []
