"""The posts list's franchise filter past SELECT_MAX franchises, in Chromium: a search box that
offers the matching names as the user types, picked with the keyboard or the mouse, and a filter
that then lists that franchise's posts only."""

from __future__ import annotations

from franchises import picking
from posts.models import Post
from testkit.factories import make_franchise, make_post, make_user


def test_typing_offers_matching_franchises_and_picking_one_filters_the_list(site, monkeypatch):
    monkeypatch.setattr(picking, "SELECT_MAX", 2)  # three franchises are "too many" for a <select>
    page = site.page
    shops = {name: make_franchise(name=name) for name in ("Akron Lawns", "Boise Lawns", "Boston Bakes")}
    for shop in shops.values():
        make_post(franchise=shop, status=Post.Status.DRAFT, summary=f"News from {shop.name}.")
    make_user(username="hq", superuser=True)
    site.sign_in("hq")

    site.goto("/posts/")
    assert page.locator("select#id_franchise").count() == 0
    page.fill("#id_franchise", "bo")
    options = page.locator("#id_franchise-choices [role=option]")
    options.first.wait_for()
    assert options.all_inner_texts() == ["Boise Lawns", "Boston Bakes"]
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert page.input_value("#id_franchise") == "Boston Bakes"
    assert page.input_value("#id_franchise-value") == str(shops["Boston Bakes"].pk)
    page.click("#apply-filters")
    page.wait_for_url(f"**franchise={shops['Boston Bakes'].pk}**")
    rows = page.locator("#post-table [data-testid=post-row]")
    assert rows.count() == 1 and "News from Boston Bakes." in rows.inner_text()
    assert page.input_value("#id_franchise") == "Boston Bakes"  # the box names the chosen franchise

    page.fill("#id_franchise", "akr")
    page.locator("#id_franchise-choices [role=option]", has_text="Akron Lawns").click()
    page.click("#apply-filters")
    page.wait_for_url(f"**franchise={shops['Akron Lawns'].pk}**")
    assert rows.count() == 1 and "News from Akron Lawns." in rows.inner_text()
    assert site.csp_violations() == []
