"""Times read one way on every page, desktop and phone: in the page's zone, named once in the
header; a post of a franchise in another zone says its zone; a date input's value reads beside it
as the page's times do."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from posts.models import Post
from testkit.factories import make_franchise, make_post, make_user

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
# Any time or day written another way than "Sat 5 Dec 2026, 08:30": ISO, US, "UTC", "(Zone/Name)".
OTHER_FORMATS = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4}|\bUTC\b|\([A-Z][a-z]+/[A-Za-z_]+\)|\b[AP]M\b")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_times_read_one_way_in_the_pages_zone(site, viewport):
    page = site.page
    page.set_viewport_size(VIEWPORTS[viewport])
    berlin = make_franchise(name="Berlin Bakery", timezone="Europe/Berlin")
    ohio = [make_franchise(name=f"Ohio Lawn {n}", timezone="America/New_York") for n in range(2)]
    at = (timezone.now() + dt.timedelta(days=3)).replace(hour=13, minute=30, second=0, microsecond=0)
    ours = make_post(franchise=berlin, status=Post.Status.SCHEDULED, scheduled_at=at, summary="Pretzels at noon.")
    make_post(franchise=ohio[0], status=Post.Status.SCHEDULED, scheduled_at=at, summary="Mow high.")
    make_user(username="hq", superuser=True)
    site.sign_in("hq")

    # Across franchises: headquarters' zone (most of its franchises are in New York), named once.
    site.goto("/posts/")
    assert page.locator("#page-zone").inner_text() == "Times in America/New_York"
    table = page.locator("#post-table").inner_text()
    berlin_time = at.astimezone(berlin.zone)
    new_york_time = at.astimezone(ohio[0].zone)
    assert f"{berlin_time:%H:%M} CET" in table  # another zone than the page's: said
    assert re.search(rf"{new_york_time.day} {new_york_time:%b %Y}, {new_york_time:%H:%M}$", table, re.M)
    assert not OTHER_FORMATS.search(page.locator("main").inner_text())

    # The franchise's own page: its zone, named once, no zone after each time.
    site.goto(f"/posts/{ours.pk}/")
    assert page.locator("#page-zone").inner_text() == "Times in Europe/Berlin"
    assert page.content().count("Europe/Berlin") == 1
    scheduled = page.locator("#post-scheduled-at").inner_text()
    assert scheduled == f"{berlin_time:%a} {berlin_time.day} {berlin_time:%b %Y}, {berlin_time:%H:%M}"
    assert not OTHER_FORMATS.search(page.locator("main").inner_text())

    # Its date-time input's value reads beside it the same way as the page's times.
    reading = page.locator("#id_scheduled_at-reads")
    assert reading.inner_text() == scheduled
    page.fill("#id_scheduled_at", "2030-06-01T09:15")
    assert reading.inner_text() == "Sat 1 Jun 2030, 09:15"
    site.screenshot(f"times-{viewport}")
