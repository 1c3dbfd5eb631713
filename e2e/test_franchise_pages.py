"""The franchise pages in Chromium, on a desktop and on a 390x844 phone: the history is one click
from the franchise page, /franchises/ has one "Sign out", and the location picker's radio buttons
sit on the line of their labels."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from franchises.models import Membership
from testkit.factories import make_franchise

PASSWORD = "e2e-passphrase-not-secret"


def _same_line(page, radio_id: str) -> bool:
    radio = page.locator(f"#{radio_id}").bounding_box()
    label = page.locator(f"label[for='{radio_id}']").bounding_box()
    # The radio is left of its label and within the label's first line.
    return radio["x"] + radio["width"] <= label["x"] and label["y"] - 4 <= radio["y"] <= label["y"] + 24


def test_history_link_one_sign_out_and_radios_beside_their_labels(site, sandbox):
    page = site.page
    franchise = make_franchise(name="Harbor Cafe", timezone="America/New_York")
    user = get_user_model().objects.create_user(username="harbor-admin", password=PASSWORD)
    Membership.objects.create(user=user, franchise=franchise, role=Membership.Role.ADMIN)
    site.sign_in("harbor-admin")

    site.goto("/franchises/")
    assert page.get_by_role("button", name="Sign out").count() == 1

    page.click(f"#franchise-{franchise.pk} a")
    page.click("#history-link")
    page.wait_for_url(f"{site.base}/franchises/{franchise.pk}/history/")
    assert page.locator("h1").inner_text() == "Harbor Cafe: history"

    site.goto(f"/franchises/{franchise.pk}/")
    page.click("#google-connect")
    page.click("#allow")
    page.wait_for_selector("#location-form")
    radio_id = page.locator("#location-form input[type=radio]:not([disabled])").first.get_attribute("id")
    assert _same_line(page, radio_id)
    page.set_viewport_size({"width": 390, "height": 844})
    assert _same_line(page, radio_id)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    site.screenshot("location-picker-phone")
    assert site.csp_violations() == []
