"""The main pages pass axe-core with no serious or critical violation, on a desktop and on a
390x844 phone. axe-core is the npm package, pinned and vendored in e2e/vendor/ (see its README
there); it is put into each page through Playwright, so the pages' strict CSP stays as it is."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from franchises.models import Membership
from insights.models import SearchKeyword
from posts.models import Post
from posts.services import announcement_schedule
from testkit.factories import make_franchise, make_post

PASSWORD = "e2e-passphrase-not-secret"
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
SERIOUS = {"serious", "critical"}
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def _violations(page) -> list[str]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)
    result = page.evaluate(
        """() => axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
            resultTypes: ["violations"],
        })"""
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[node['target'] for node in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in SERIOUS
    ]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_main_pages_have_no_serious_accessibility_violations(site, viewport):
    page = site.page
    page.set_viewport_size(VIEWPORTS[viewport])
    # Its location, picked once, is one Google will not take posts from: the page warns.
    franchise = make_franchise(
        name="Axe Bakery",
        timezone="Europe/Berlin",
        city="Berlin",
        google_account_id="1001",
        google_location_id="2001",
        google_location_title="Axe Bakery Berlin",
        google_location_can_post=False,
        google_location_verified=False,
        google_location_checked_at=timezone.now(),
    )
    get_user_model().objects.create_superuser(username="axe-hq", email="hq@example.com", password=PASSWORD)
    admin = get_user_model().objects.create_user(username="axe-admin", password=PASSWORD)
    Membership.objects.create(user=admin, franchise=franchise, role=Membership.Role.ADMIN)
    ahead = timezone.now() + dt.timedelta(days=2)
    make_post(franchise=franchise, source=Post.Source.AI, scheduled_at=ahead, summary="A fresh loaf idea.")
    make_post(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=ahead, summary="Pretzels at noon.")
    failed = make_post(franchise=franchise, status=Post.Status.FAILED, scheduled_at=ahead, last_error="Google said no.")
    sent = announcement_schedule(
        franchises=[franchise], template="News from {name}.", date=ahead.date(), local_time=dt.time(9, 0), user=None
    )[0].announcement
    for n in range(50):  # 51 locations: the ranking runs to a second page, with its pager
        make_franchise(name=f"Axe Shop {n:02}")
    # Search keywords, with a count Google hid behind its threshold: both keyword tables show.
    last = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    for month, counts in (
        (last.replace(day=1), {"bakery berlin": 120, "pretzel": 40, "rye bread": None}),
        ((last.replace(day=1) - dt.timedelta(days=1)).replace(day=1), {"bakery berlin": 90}),
    ):
        SearchKeyword.objects.bulk_create(
            SearchKeyword(
                franchise=franchise,
                month=month,
                keyword=word,
                value=value,
                threshold=None if value else 15,
                fetched_at=timezone.now(),
            )
            for word, value in counts.items()
        )

    found = {}
    site.goto("/accounts/login/")
    if problems := _violations(page):
        found["login"] = problems
    page.fill("#id_username", "axe-hq")
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(site.base + "/")

    pages = {
        "home": "/",
        "franchises": "/franchises/",
        "franchise": f"/franchises/{franchise.pk}/",
        "settings": f"/franchises/{franchise.pk}/settings/",
        "members": f"/franchises/{franchise.pk}/members/",
        "history": f"/franchises/{franchise.pk}/history/",
        "posts": "/posts/",
        "calendar": f"/franchises/{franchise.pk}/calendar/",
        "calendar of all franchises": "/calendar/",
        "editor": f"/franchises/{franchise.pk}/posts/new/",
        "failed post": f"/posts/{failed.pk}/",
        "drafts": "/drafts/",
        "announcement": "/announcements/new/",
        "announcements": "/announcements/",
        "announcement page": f"/announcements/{sent.pk}/",
        "announcement edit all": f"/announcements/{sent.pk}/edit/",
        "announcement cancel all": f"/announcements/{sent.pk}/cancel/",
        "metrics": "/metrics/",
        "activity": "/activity/",
        "results": "/insights/",
        "results, second page": "/insights/?page=2",
        "results of a franchise": f"/franchises/{franchise.pk}/insights/",
        "system": "/system/",
        "profile": "/profile/",
    }
    for name, path in pages.items():
        site.goto(path)
        if problems := _violations(page):
            found[name] = problems
    # A form sent back with errors, with its summary.
    site.goto(f"/franchises/{franchise.pk}/posts/new/")
    page.fill("#id_scheduled_at", "2020-01-01T10:00")
    page.click("#save-schedule")
    page.wait_for_selector("#form-errors")
    if problems := _violations(page):
        found["editor with errors"] = problems
    assert found == {}
