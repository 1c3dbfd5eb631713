"""The calendar of all franchises on a desktop and a phone: a busy day shows a few posts and "+N
more" instead of growing past the screen; each franchise has a colour and, for who cannot tell
colours apart, a code beside its posts, both in a legend."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from posts.models import Post
from testkit.factories import make_franchise, make_post, make_user

from .test_accessibility import VIEWPORTS, _violations


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_busy_day_stays_a_day_with_colours_codes_and_a_legend(site, viewport):
    page = site.page
    page.set_viewport_size(VIEWPORTS[viewport])
    shops = [make_franchise(name=name, timezone="America/New_York") for name in ("Cincinnati", "Dayton", "Columbus")]
    day = (timezone.now() + dt.timedelta(days=2)).astimezone(shops[0].zone).replace(hour=8, minute=0)
    for n in range(15):
        make_post(
            franchise=shops[n % 3],
            status=Post.Status.SCHEDULED,
            scheduled_at=day + dt.timedelta(minutes=20 * n),
            summary=f"Spring offer number {n}: a fresh lawn, a fresh start, book your first mow today.",
        )
    make_user(username="hq", superuser=True)
    site.sign_in("hq")
    site.goto(f"/calendar/?date={day.date().isoformat()}")

    cell = page.locator(f"section.day[data-date='{day.date().isoformat()}']")
    assert cell.locator("[data-testid=calendar-post]").count() == 3
    more = cell.locator("[data-testid=calendar-more]")
    assert more.inner_text() == "+12 more"
    assert cell.bounding_box()["height"] < 500  # was about 1,500 px with three franchises
    legend = page.locator("#calendar-legend li")
    assert legend.all_inner_texts() == ["CIN Cincinnati", "COL Columbus", "DAY Dayton"]
    colours = {li.evaluate("el => getComputedStyle(el).getPropertyValue('--fr')") for li in legend.all()}
    assert len(colours) == 3
    assert cell.locator(".fr-chip").all_inner_texts() == ["CIN", "DAY", "COL"]  # the codes, colour or not
    assert _violations(page) == []
    site.screenshot(f"calendar-all-{viewport}")
    more.click()
    page.wait_for_selector("#post-table")
    assert page.locator("#post-table [data-testid=post-row]").count() == 15
