"""A staff member leaves a team note on a post mentioning their admin, who is emailed; a mention of
someone from another franchise is refused by name with the note kept as typed. On a desktop and a
390x844 phone, axe-clean, fitting the phone."""

from __future__ import annotations

import pytest
from django.core import mail

from franchises.models import Membership
from testkit.factories import make_franchise, make_member, make_post

from .test_accessibility import VIEWPORTS, _violations


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_note_mentions_the_admin_and_a_stranger_is_refused_by_name(site, viewport):
    page = site.page
    page.set_viewport_size(VIEWPORTS[viewport])
    akron = make_franchise(name="Akron Shop")
    make_member(make_franchise(name="Lima Shop"), Membership.Role.ADMIN, username="lima-admin")
    make_member(akron, Membership.Role.ADMIN, username="akron-admin", email="admin@akron.test")
    make_member(akron, Membership.Role.STAFF, username="akron-staff")
    post = make_post(franchise=akron, summary="Winter menu.")
    site.sign_in("akron-staff")

    site.goto(f"/posts/{post.pk}/")
    page.fill("#note-text", "Can @lima-admin and @akron-admin check this?")
    page.click("#note-add")
    page.wait_for_selector("#form-errors, .has-error")
    assert "@lima-admin cannot see this post" in page.locator("#field-text").inner_text()
    assert page.input_value("#note-text") == "Can @lima-admin and @akron-admin check this?"
    assert _violations(page) == []

    page.fill("#note-text", "Can @akron-admin check this?")
    page.click("#note-add")
    page.wait_for_selector("text=Mentioned (told by email): @akron-admin.")
    assert "Can @akron-admin check this?" in page.locator("#history-list [data-event=note]").inner_text()
    assert [message.to for message in mail.outbox] == [["admin@akron.test"]]
    assert _violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    site.screenshot("post-notes" if viewport == "desktop" else "post-notes-phone")
    assert site.csp_violations() == []
