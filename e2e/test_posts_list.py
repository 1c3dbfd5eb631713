"""The posts list in Chromium: tick all, move the posts a day later after a confirmation that
states the count."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise, make_post

PASSWORD = "e2e-passphrase-not-secret"


def test_tick_all_and_move_them_a_day_later_after_confirming(site):
    page = site.page
    franchise = make_franchise(name="List Bakery", timezone="America/Denver")
    user = get_user_model().objects.create_user(username="list-admin", password=PASSWORD)
    Membership.objects.create(user=user, franchise=franchise, role=Membership.Role.ADMIN)
    start = (timezone.now() + dt.timedelta(days=4)).replace(microsecond=0)
    for n in range(3):
        make_post(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=start + dt.timedelta(hours=n))
    site.sign_in("list-admin")

    site.goto("/posts/")
    page.check("#tick-all")
    page.select_option("#many_action", "reschedule")
    page.fill("#many_amount", "1")
    page.select_option("#many_unit", "days")
    page.click("#many-submit")
    page.wait_for_selector("#confirm-many")
    assert page.locator("#confirm-question").inner_text() == "Move 3 posts 1 day later?"
    site.screenshot("posts-confirm-many")
    page.click("#confirm-yes")
    page.wait_for_selector("#post-table")
    assert "3 posts moved." in page.locator("#messages").inner_text()
    assert sorted(Post.objects.values_list("scheduled_at", flat=True)) == [
        start + dt.timedelta(days=1, hours=n) for n in range(3)
    ]
    assert site.csp_violations() == []
