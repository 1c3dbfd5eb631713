"""Headquarters adds a franchise in the dashboard (a zone picked from the menu, its city, website and
profile), then renames and deactivates it, on a desktop and on a 390x844 phone; each page is
axe-clean and fits the phone's width."""

from __future__ import annotations

import pytest

from franchises.models import Franchise, FranchiseEvent
from testkit.factories import make_user

from .test_accessibility import VIEWPORTS, _violations


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_headquarters_adds_renames_and_deactivates_a_franchise(site, viewport):
    page = site.page
    page.set_viewport_size(VIEWPORTS[viewport])
    make_user(superuser=True, username="hq")
    site.sign_in("hq")

    site.goto("/franchises/")
    page.click("#franchise-new-link")
    page.wait_for_url(f"{site.base}/franchises/new/")
    assert _violations(page) == []
    page.fill("#id_name", "Lisbon Bakery")
    page.fill("#id_city", "Lisbon")
    page.fill("#id_website", "https://bakery.example")
    page.select_option("#id_timezone", "Europe/Lisbon")
    page.fill("#id_description", "A neighbourhood bakery with sourdough and pastries.")
    page.fill("#id_services", "Bread\nCakes to order")
    if viewport == "desktop":
        site.screenshot("franchise-new")
    page.click("#franchise-new-save")

    franchise = Franchise.objects.get(name="Lisbon Bakery")
    page.wait_for_url(f"{site.base}/franchises/{franchise.pk}/")
    assert "Added Lisbon Bakery" in page.inner_text("body")
    assert (franchise.timezone, franchise.city) == ("Europe/Lisbon", "Lisbon")

    page.click("#manage-link")
    assert _violations(page) == []
    page.fill("#id_name", "Lisbon Centre")
    page.click("#franchise-rename")
    page.wait_for_selector("text=Renamed: Lisbon Centre.")
    assert "no post is published" in page.inner_text("#franchise-active-form")
    if viewport == "desktop":
        site.screenshot("franchise-manage")
    page.click("#franchise-deactivate")
    page.wait_for_selector("#franchise-reactivate")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert _violations(page) == []

    franchise.refresh_from_db()
    assert (franchise.name, franchise.is_active) == ("Lisbon Centre", False)
    assert FranchiseEvent.objects.filter(franchise=franchise).count() == 3  # added, renamed, deactivated
    assert site.csp_violations() == []
