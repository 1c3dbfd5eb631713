"""API keys on the profile page, on a desktop and on a 390x844 phone: a key is made for one
franchise, its secret shown once and working at once against the API, listed without its secret,
and revoked. The API's reference page renders its operations from the package's own files with
no CSP violation. Every page on the way is axe-clean and fits the phone."""

from __future__ import annotations

import httpx
import pytest

from franchises.models import Membership
from testkit.factories import make_franchise, make_member

from .test_accessibility import VIEWPORTS, _violations


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_key_is_made_shown_once_used_and_revoked(site, viewport):
    page = site.page
    page.set_viewport_size(VIEWPORTS[viewport])
    franchise = make_franchise(name="Harbor Cafe")
    make_franchise(name="Hill Diner")
    make_member(franchise, Membership.Role.ADMIN, username="harbor-admin")
    site.sign_in("harbor-admin")

    site.goto("/profile/")
    assert _violations(page) == [] and _fits(page)
    page.fill("#id_name", "Marketing calendar")
    page.check("#id_scope_1")  # read and write
    page.uncheck("#id_all_franchises")
    page.get_by_label("Harbor Cafe").check()
    page.click("#api-key-create")
    secret = page.input_value("#api-key-secret")
    assert secret.startswith("gbp_")
    assert _violations(page) == [] and _fits(page)
    site.screenshot("api-key-made" if viewport == "desktop" else "api-key-made-phone")

    answer = httpx.get(site.base + "/api/v1/franchises", headers={"Authorization": f"Bearer {secret}"})
    assert [f["name"] for f in answer.json()] == ["Harbor Cafe"]

    page.click("#back-to-profile")
    row = page.locator("[data-testid=api-key]")
    assert "Marketing calendar" in row.inner_text() and secret not in page.content()
    row.locator("button").click()
    page.wait_for_selector("#no-api-keys, [data-testid=api-key]")
    assert "Revoked" in page.locator("[data-testid=api-key]").inner_text()
    assert httpx.get(site.base + "/api/v1/franchises", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert site.csp_violations() == []


def test_the_reference_page_renders_under_the_csp(site):
    page = site.page
    site.goto("/api/v1/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=15_000)
    assert page.locator(".opblock").count() >= 15
    assert site.csp_violations() == []
