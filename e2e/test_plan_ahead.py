"""Planning ahead and seeing results, in headless Chromium against the live server and the sandbox.

1. A franchise admin opens "Results on Google": the charts of the last 90 days (figures the
   fetch-insights job read from the sandbox's Performance API) draw under the strict CSP, with a
   bar on each day a post went out, and the top search keywords (read by fetch-search-keywords)
   are listed; the ranking lists the franchise.
2. The admin makes a repeating post from the franchise page (every Monday and Thursday at 09:00)
   and sees its posts scheduled, then ends it.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from franchises.models import Membership
from gbp_scheduler.jobs import TimeBudget
from insights.keywords import search_keywords_fetch_due
from insights.services import insights_fetch_due
from posts.models import Post, PostSeries
from testkit.google import franchise_connected_to_sandbox

PASSWORD = "e2e-passphrase-not-secret"


def _admin_of(franchise):
    user = get_user_model().objects.create_user(username="bakery-admin", password=PASSWORD)
    Membership.objects.create(user=user, franchise=franchise, role=Membership.Role.ADMIN)
    return user


def _published_weekly(sandbox, franchise, weeks: int) -> list[dt.date]:
    """A post a week for `weeks` weeks, on Google (the sandbox) and here; the days."""
    days = []
    for n in range(weeks):
        at = timezone.now() - dt.timedelta(days=4 + 7 * n)
        summary = f"Weekly bread news, number {n + 1}."
        name = sandbox.client.add_past_post(franchise.google_location_id, summary, at)
        Post.objects.create(
            franchise=franchise,
            status=Post.Status.PUBLISHED,
            scheduled_at=at,
            published_at=at,
            summary=summary,
            google_post_name=name,
            google_state="LIVE",
        )
        days.append(timezone.localtime(at, franchise.zone).date())
    return days


def test_the_results_charts_draw_with_figures_from_the_sandbox(site, sandbox):
    franchise = franchise_connected_to_sandbox(sandbox, name="Sunrise Bakery", timezone="America/New_York")
    _admin_of(franchise)
    posted = _published_weekly(sandbox, franchise, weeks=8)
    counts = insights_fetch_due(budget=TimeBudget(seconds=60))
    assert counts["locations_fetched"] == 1 and counts["figures_stored"] > 700
    assert search_keywords_fetch_due(budget=TimeBudget(seconds=60))["months_stored"] >= 1

    site.sign_in("bakery-admin")
    page = site.page
    site.goto(f"/franchises/{franchise.pk}/")
    page.click("#insights-link")
    page.wait_for_selector("html[data-charts=drawn]")

    for canvas in ("#chart-views", "#chart-actions"):
        assert page.locator(canvas).bounding_box()["height"] > 100
    drawn = page.evaluate(
        """() => {
          const chart = window.Chart.getChart("chart-views");
          const views = chart.data.datasets.find((d) => d.label === "Views on Google");
          const posts = chart.data.datasets.find((d) => d.label === "Posts published");
          return {
            labels: chart.data.labels.length,
            postDays: chart.data.labels.filter((_, i) => posts.data[i] > 0),
            views: views.data.filter((v) => v !== null).length,
          };
        }"""
    )
    assert drawn["labels"] == 90 and drawn["views"] >= 85
    assert sorted(drawn["postDays"]) == sorted(day.isoformat() for day in posted)
    assert page.locator('#insights-totals tr[data-total="views"]').is_visible()
    assert page.locator('#insights-totals tr[data-total="messages"]').is_visible()
    assert page.locator("#keywords-table tbody tr").count() == 10
    site.screenshot("insights")

    page.click("#nav-insights")
    page.wait_for_selector("#ranking-table")
    assert "Sunrise Bakery" in page.locator("#ranking-table").inner_text()
    assert "weekly" in page.locator(f'tr[data-franchise="{franchise.pk}"]').inner_text()
    site.screenshot("insights-ranking")
    assert site.csp_violations() == []


def test_make_a_repeating_post_see_its_posts_and_end_it(site, sandbox):
    franchise = franchise_connected_to_sandbox(sandbox, name="Sunrise Bakery", timezone="America/New_York")
    _admin_of(franchise)

    site.sign_in("bakery-admin")
    page = site.page
    site.goto(f"/franchises/{franchise.pk}/")
    page.click("#series-link")
    page.click("#series-new-link")
    page.fill("#summary", "Soup of the week: ask at the counter.")
    page.check("#id_weekdays_0")  # Monday
    page.check("#id_weekdays_3")  # Thursday
    page.fill("#id_local_time", "09:00")
    page.click("#series-save")
    page.wait_for_selector("#series-describe")

    assert "Every Monday and Thursday at 09:00" in page.locator("#series-describe").inner_text()
    assert page.locator("#series-edit-note").is_visible()
    rows = page.locator("#series-occurrences tbody tr")
    assert rows.count() == Post.objects.filter(series__franchise=franchise).count() >= 7
    assert "09:00" in rows.first.inner_text()
    site.screenshot("series")

    page.click("#series-end")
    page.wait_for_selector("#series-ended")
    assert PostSeries.objects.get().ended_at is not None
    assert not Post.objects.filter(series__franchise=franchise).exists()
    assert site.csp_violations() == []
