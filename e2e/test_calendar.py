"""The calendar in Chromium: drag a scheduled post to another day and it moves there at the same
local time; from the keyboard, its Move link does the same; "+" on a day opens the editor on it."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.contrib.auth import get_user_model
from django.utils import timezone

from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise, make_post

PASSWORD = "e2e-passphrase-not-secret"
ZONE = "Europe/Berlin"


def test_drag_a_post_to_another_day_then_move_it_back_from_the_keyboard(site):
    page = site.page
    franchise = make_franchise(name="Drag Bakery", timezone=ZONE)
    user = get_user_model().objects.create_user(username="drag-staff", password=PASSWORD)
    Membership.objects.create(user=user, franchise=franchise, role=Membership.Role.STAFF)
    zone = zoneinfo.ZoneInfo(ZONE)
    day = (timezone.now().astimezone(zone) + dt.timedelta(days=3)).date()
    planned = dt.datetime.combine(day, dt.time(10, 15), tzinfo=zone)
    post = make_post(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=planned, summary="Stollen.")
    target = day + (dt.timedelta(days=1) if day.weekday() == 0 else dt.timedelta(days=-1))  # same week, ahead
    site.sign_in("drag-staff")

    site.goto(f"/franchises/{franchise.pk}/calendar/?view=week&date={day.isoformat()}")
    source = f"li[data-post='{post.pk}']"
    page.drag_and_drop(source, f"section.day[data-date='{target.isoformat()}']")
    page.wait_for_selector("#messages")
    assert "Moved to" in page.locator("#messages").inner_text()
    assert page.locator(f"section.day[data-date='{target.isoformat()}'] {source}").count() == 1
    post.refresh_from_db()
    assert post.scheduled_at.astimezone(zone) == dt.datetime.combine(target, dt.time(10, 15), tzinfo=zone)
    site.screenshot("calendar-moved")

    # The keyboard way: Tab to the post's Move link, Enter, type the day, Enter.
    page.focus(f"{source} .move-link")
    page.keyboard.press("Enter")
    page.wait_for_selector("#move-form")
    page.fill("#id_day", day.isoformat())
    page.keyboard.press("Enter")
    page.wait_for_selector("#calendar")
    post.refresh_from_db()
    assert post.scheduled_at.astimezone(zone) == planned

    # A day's "+" opens the editor with that day at 09:00.
    page.click(f"section.day[data-date='{target.isoformat()}'] [data-new-post]")
    page.wait_for_selector("#post-form")
    assert page.input_value("#id_scheduled_at") == f"{target.isoformat()}T09:00"

    # The calendar of all the user's franchises has the post too, named with its franchise.
    page.click("#nav-calendar")
    site.goto(f"/calendar/?view=week&date={day.isoformat()}")
    assert "Drag Bakery" in page.locator(source).inner_text()
    site.screenshot("calendar-all")
    assert site.csp_violations() == []
