"""Tables on a 390x844 phone, and the same pages on a desktop: each table either becomes a card per
row or keeps its key columns first, so nothing a person needs (Remove, Change, Posts a week, a
job's Run now) sits off-screen to the right."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from franchises.models import Membership
from insights.models import DailyMetric, Metric
from insights.running import views_running_recount
from posts.models import Post
from testkit.factories import make_franchise, make_member, make_post, make_user

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}

# Whether every element matching the selector lies within the viewport's width, and no table's
# box scrolls sideways.
FITS = """(selector) => {
  const width = document.documentElement.clientWidth;
  const out = [...document.querySelectorAll(selector)].filter((el) => {
    const box = el.getBoundingClientRect();
    return box.width === 0 || box.left < 0 || box.right > width;
  }).map((el) => el.outerHTML.slice(0, 80));
  const scrolling = [...document.querySelectorAll(".table-wrap")]
    .filter((wrap) => wrap.scrollWidth > wrap.clientWidth + 1)
    .map((wrap) => wrap.querySelector("table")?.id || "a table");
  return {out, scrolling, page: document.documentElement.scrollWidth <= width};
}"""


def fits(page, selector: str) -> dict:
    return page.evaluate(FITS, selector)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_tables_keep_what_matters_in_sight(site, viewport):
    page = site.page
    page.set_viewport_size(VIEWPORTS[viewport])
    bakery = make_franchise(name="Riverside Bakery and Coffee House", city="Portland")
    for n in range(3):
        make_member(bakery, Membership.Role.STAFF, username=f"baker-with-a-long-name-{n}", email=f"b{n}@example.com")
    others = [make_franchise(name=f"Shop {n}") for n in range(3)]
    today = timezone.localdate()
    for shop, views in zip([bakery, *others], (200, 150, 120, 90), strict=True):
        DailyMetric.objects.bulk_create(
            DailyMetric(
                franchise=shop,
                metric=Metric.IMPRESSIONS_MOBILE_SEARCH,
                day=today - dt.timedelta(days=d),
                value=views + d,
                fetched_at=timezone.now(),
            )
            for d in range(2, 62)
        )
        make_post(franchise=shop, status=Post.Status.PUBLISHED, published_at=timezone.now() - dt.timedelta(days=3))
    views_running_recount()  # the ranking reads the figures' running totals
    make_post(franchise=bakery, status=Post.Status.FAILED, last_error="Google said the photo could not be fetched.")
    make_user(username="hq", superuser=True)
    site.sign_in("hq")

    checks = {
        f"/franchises/{bakery.pk}/members/": "#member-list [data-action=remove], #member-list [data-action=role]",
        "/insights/": "#ranking-table td.change, #ranking-table tbody td:nth-child(4)",
        "/metrics/": "#metrics-table tbody th, #metrics-table td[data-label='Success rate']",
        "/system/": "#jobs button[id^=run-], #health-checks td[data-label=Message]",
        "/posts/": "#post-table .badge",
    }
    found = {}
    for path, selector in checks.items():
        site.goto(path)
        result = fits(page, selector)
        assert page.locator(selector).count() > 0, path
        if result["out"] or result["scrolling"] or not result["page"]:
            found[path] = result
        site.screenshot(f"tables-{path.strip('/').split('/')[-1] or 'home'}-{viewport}")
    assert found == {}
