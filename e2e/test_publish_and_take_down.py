"""On a desktop and a 390x844 phone: "Publish now" first says what will happen; staff then see why
they cannot take the live post down and ask an admin, whose "Requests" link leads to the request;
the admin takes the post down (gone from Google too). Every page on the way is axe-clean and fits
the phone's width."""

from __future__ import annotations

import pytest

from franchises.models import Membership
from posts.models import Post, TakedownRequest
from testkit.factories import make_member, make_post
from testkit.google import franchise_connected_to_sandbox, google_posts

from .test_accessibility import VIEWPORTS, _violations


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_publish_now_confirms_and_staff_ask_an_admin_to_take_the_post_down(site, sandbox, settings, viewport):
    settings.PUBLISH_CONCURRENCY = 1
    page = site.page
    page.set_viewport_size(VIEWPORTS[viewport])
    franchise = franchise_connected_to_sandbox(sandbox, name="Harbor Cafe")
    staff = make_member(franchise, Membership.Role.STAFF, username="harbor-staff")
    make_member(franchise, Membership.Role.ADMIN, username="harbor-admin")
    post = make_post(franchise=franchise, summary="Two coffees for one, all week.")
    site.sign_in(staff.get_username())

    site.goto(f"/posts/{post.pk}/")
    page.click("[data-action='publish-now']")
    page.wait_for_selector("#publish-now-effects")
    assert "only the admins of Harbor Cafe can take it down" in page.inner_text("#publish-now-effects")
    assert Post.objects.get(pk=post.pk).status == Post.Status.DRAFT  # nothing happened yet
    assert _violations(page) == [] and _fits(page)
    if viewport == "desktop":
        site.screenshot("publish-now-confirm")
    page.click("#confirm-publish-now")
    page.wait_for_selector("text=Published on Google.")

    assert "Only the admins of Harbor Cafe can take a live post down" in page.inner_text("#takedown")
    page.fill("#takedown-reason", "The offer ended yesterday.")
    page.click("#takedown-ask")
    page.wait_for_selector("#takedown-asked")
    assert _violations(page) == [] and _fits(page)
    if viewport == "desktop":
        site.screenshot("post-takedown-asked")

    site.sign_in("harbor-admin")
    page.click("#nav-takedowns")
    page.wait_for_selector("[data-testid='takedown-request']")
    assert "The offer ended yesterday." in page.inner_text("#takedown-requests")
    assert _violations(page) == [] and _fits(page)
    if viewport == "desktop":
        site.screenshot("takedown-requests")
    page.click("[data-action='take-down']")
    page.click("#confirm-take-down")
    page.wait_for_selector("text=Taken down: deleted here and on Google.")
    assert page.locator("#no-requests").is_visible()

    assert not Post.objects.filter(pk=post.pk).exists()
    assert google_posts(sandbox, franchise) == []
    assert TakedownRequest.objects.get().status == TakedownRequest.Status.TAKEN_DOWN
    assert site.csp_violations() == []
