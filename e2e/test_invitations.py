"""Invitations end to end in headless Chromium: a franchise admin invites an address, the email
lands in the outbox, the invitee opens its link in a browser of their own, creates an account and
lands on the franchise; the admin then sees them among the members and the join in the history."""

from __future__ import annotations

import re
import time

from django.contrib.auth import get_user_model
from django.core import mail

from franchises.models import Membership
from testkit.factories import make_franchise

PASSWORD = "e2e-passphrase-not-secret"
INVITEE_PASSWORD = "a-long-new-passphrase-42"


def _outbox_email(to: str, timeout: float = 10.0):
    """The live server sends after its transaction commits, in its own thread: wait for it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for email in mail.outbox:
            if to in email.to:
                return email
        time.sleep(0.05)
    raise AssertionError(f"no email to {to} in the outbox: {[e.to for e in mail.outbox]}")


def test_invite_then_accept_from_the_email_and_land_on_the_franchise(site, chromium):
    page = site.page
    franchise = make_franchise(name="Sunrise Bakery")
    admin = get_user_model().objects.create_user(username="owner", email="owner@example.com", password=PASSWORD)
    Membership.objects.create(user=admin, franchise=franchise, role=Membership.Role.ADMIN)

    site.sign_in("owner")
    site.goto(f"/franchises/{franchise.pk}/members/")
    page.fill("#id_email", "Newcomer@Example.com")
    page.select_option("#id_role", "staff")
    page.click("#invite-send")
    page.locator("#messages").get_by_text("Invitation to join as staff sent to newcomer@example.com.").wait_for()
    assert page.locator("#invitation-list tr[data-email='newcomer@example.com']").count() == 1
    site.screenshot("members-invitation-sent")

    email = _outbox_email("newcomer@example.com")
    link = re.search(r"(http://\S+/invitations/\S+/)", email.body).group(1)
    assert link.startswith(site.base)

    # The invitee, in a browser of their own: no account yet, so they make one (signing in as the
    # invited address).
    invitee = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    try:
        theirs = invitee.new_page()
        theirs.goto(link)
        assert "Join Sunrise Bakery" in theirs.locator("#invitation-title").inner_text()
        assert theirs.locator("#invitation-username").inner_text() == "newcomer@example.com"
        theirs.fill("#id_password1", INVITEE_PASSWORD)
        theirs.fill("#id_password2", INVITEE_PASSWORD)
        theirs.click("#invitation-create")
        theirs.wait_for_url(f"{site.base}/franchises/{franchise.pk}/")
        assert theirs.locator("#franchise-name").inner_text() == "Sunrise Bakery"
        assert "Welcome to Sunrise Bakery" in theirs.locator("#messages").inner_text()
        assert theirs.locator("#nav-username").inner_text() == "newcomer@example.com"

        theirs.goto(link)  # the link worked once
        assert "already used" in theirs.locator("#invitation-unusable").inner_text()
    finally:
        invitee.close()

    membership = Membership.objects.get(user__username="newcomer@example.com")
    assert (membership.franchise, membership.role) == (franchise, Membership.Role.STAFF)
    site.goto(f"/franchises/{franchise.pk}/members/")
    assert page.locator("#member-list tr[data-username='newcomer@example.com']").count() == 1
    assert page.locator("#no-invitations").count() == 1
    site.goto(f"/franchises/{franchise.pk}/history/")
    assert page.locator("#history-list li[data-event='member_joined']").count() == 1
    assert site.csp_violations() == []
