"""Connect many, in headless Chromium: headquarters signs in with Google once and maps a group's
franchises to the account's locations on one page, confirming automatic matches, changing one
and skipping one."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from franchises.models import Franchise, FranchiseEvent, GoogleConnection
from testkit.factories import make_franchise

PASSWORD = "e2e-passphrase-not-secret"
CITIES = ["Dayton", "Akron", "Toledo", "Canton", "Lima"]


def test_headquarters_connects_a_group_with_one_consent(site, sandbox):
    page = site.page
    account = sandbox.client.add_account(
        "Buckeye Lawn & Garden",
        locations=[{"title": f"Buckeye Lawn — {city}", "city": city} for city in [*CITIES, "Athens"]],
    )
    franchises = {city: make_franchise(name=city, city=city) for city in CITIES}
    get_user_model().objects.create_superuser("hq", "hq@example.com", PASSWORD)

    site.sign_in("hq")
    site.goto("/franchises/")
    page.click("#google-accounts-link")
    page.click("#connect-many")
    page.wait_for_selector("#allow")
    page.click("#allow")  # the one consent
    page.wait_for_selector("#map-form")
    site.screenshot("connect-many")

    rows = page.locator("[data-testid=mapping-row]")
    assert rows.count() == len(CITIES)
    for city, franchise in franchises.items():
        chosen = page.locator(f"#location-{franchise.pk} option:checked").inner_text()
        assert chosen.startswith(f"Buckeye Lawn — {city}"), f"{city} matched {chosen!r}"
    # Change one (Canton takes the Athens location), skip one (Lima), confirm the rest.
    athens = f"{account['account_id']}/{account['location_ids'][-1]}"
    page.select_option(f"#location-{franchises['Canton'].pk}", athens)
    page.select_option(f"#location-{franchises['Lima'].pk}", "")
    page.click("#map-save")
    page.wait_for_selector("#messages")
    assert "Connected 4" in page.locator("#messages").inner_text()

    connection = GoogleConnection.objects.get()
    mapped = {f.name: f for f in Franchise.objects.filter(google_connection=connection)}
    assert set(mapped) == {"Dayton", "Akron", "Toledo", "Canton"}
    assert mapped["Canton"].google_location_title == "Buckeye Lawn — Athens"
    assert mapped["Dayton"].google_location_title == "Buckeye Lawn — Dayton"
    assert Franchise.objects.get(name="Lima").google_connection is None
    assert sandbox.client.calls("token") == 1  # one code exchange: no token per franchise
    assert FranchiseEvent.objects.filter(action=FranchiseEvent.Action.GOOGLE_CONNECTED).count() == 4

    # The page now shows the taken locations as taken.
    page.reload()
    taken = page.locator(f"#location-{franchises['Lima'].pk} option[disabled]")
    assert taken.count() == 4 and "held by Dayton" in " ".join(taken.all_inner_texts())
    assert site.csp_violations() == []
