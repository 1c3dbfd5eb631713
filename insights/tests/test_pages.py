"""The figures' pages: a franchise's chart data and totals, the ranking, each scoped to the user's
franchises."""

from __future__ import annotations

import datetime as dt
import json
import random
import re

import pytest
import time_machine
from django.db.models import Sum
from django.utils import timezone

from franchises.models import Membership
from insights.models import IMPRESSIONS, DailyMetric, Metric, SearchKeyword, ViewsRunning
from insights.running import views_running_recount
from insights.selectors import insights_ranking
from insights.services import daily_metrics_store
from posts.models import Post
from testkit.factories import make_franchise, make_member, make_post, make_user
from testkit.google import franchise_with_fake_grant
from testkit.web import logged_in

pytestmark = pytest.mark.django_db

OCTOBER, NOVEMBER = dt.date(2026, 10, 1), dt.date(2026, 11, 1)


def figures(franchise, *, days: int = 60, views: int = 200, rise: float = 0.0, newest: dt.date | None = None) -> None:
    """Daily figures for the `days` days to `newest`: `views` a day split over the four
    impressions, `rise` (a share) more in the last 30 days, ten website clicks a day."""
    newest = newest or timezone.localdate() - dt.timedelta(days=3)
    data: dict[str, dict[dt.date, int]] = {metric: {} for metric in [*IMPRESSIONS, Metric.WEBSITE_CLICKS]}
    for n in range(days):
        day = newest - dt.timedelta(days=n)
        factor = 1 + rise if n < 30 else 1
        for metric in IMPRESSIONS:
            data[metric][day] = round(views / 4 * factor)
        data[Metric.WEBSITE_CLICKS][day] = 10
    daily_metrics_store(franchise=franchise, figures=data, at=timezone.now())


def keywords(franchise, month: dt.date, counts: dict[str, int | None]) -> None:
    """A month of search keywords: {keyword: count, or None for one Google hid behind 15}."""
    SearchKeyword.objects.bulk_create(
        SearchKeyword(
            franchise=franchise,
            month=month,
            keyword=keyword,
            value=value,
            threshold=15 if value is None else None,
            fetched_at=timezone.now(),
        )
        for keyword, value in counts.items()
    )


def published(franchise, days_ago: int) -> Post:
    at = timezone.now() - dt.timedelta(days=days_ago)
    return make_post(franchise=franchise, status=Post.Status.PUBLISHED, scheduled_at=at, published_at=at)


def test_the_franchise_page_shows_totals_against_the_previous_period_and_chart_data(client):
    franchise = make_franchise(name="Sunrise Bakery", timezone="UTC")
    user = make_member(franchise, Membership.Role.STAFF)
    figures(franchise, rise=0.5)
    published(franchise, days_ago=10)
    published(franchise, days_ago=10)
    published(franchise, days_ago=40)

    page = logged_in(client, user).get(f"/franchises/{franchise.pk}/insights/")

    assert page.status_code == 200
    html = page.content.decode()
    assert (
        '<tr data-total="views"><th scope="row">Views on Google</th><td>9000</td><td>6000</td><td>+50.0&nbsp;%' in html
    )
    assert '<tr data-total="calls"><th scope="row">Calls</th><td>—</td><td>—</td><td>—</td>' in html
    chart = json.loads(html.split('id="insights-data" type="application/json">')[1].split("</script>")[0])
    assert len(chart["labels"]) == 90 and sum(chart["posts"]) == 3 and max(chart["posts"]) == 2
    views = next(series for series in chart["series"] if series["key"] == "views")
    assert views["data"][-1] is None and views["data"][-3] == 300  # Google's last days are not in yet
    assert 'src="/static/js/insights.js"' in html and "<script>" not in html  # CSP: no inline script


def test_chat_clicks_show_and_conversations_only_while_the_days_shown_have_them(client):
    franchise = make_franchise(name="Sunrise Bakery", timezone="UTC")
    user = make_member(franchise, Membership.Role.STAFF)
    january = [dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(31)]
    old = {Metric.CONVERSATIONS: dict.fromkeys(january, 2), Metric.WEBSITE_CLICKS: dict.fromkeys(january, 5)}
    daily_metrics_store(franchise=franchise, figures=old, at=timezone.now())

    with time_machine.travel(dt.datetime(2026, 2, 20, 12, tzinfo=dt.UTC)):
        html = logged_in(client, user).get(f"/franchises/{franchise.pk}/insights/").content.decode()
    label = "Conversations (Google stopped counting them on Sat 31 Jan 2026)"
    assert f'<tr data-total="conversations"><th scope="row">{label}</th><td>60</td>' in html

    recent = [timezone.localdate() - dt.timedelta(days=3 + n) for n in range(30)]
    daily_metrics_store(
        franchise=franchise, figures={Metric.MESSAGING_CLICKS: dict.fromkeys(recent, 4)}, at=timezone.now()
    )
    html = logged_in(client, user).get(f"/franchises/{franchise.pk}/insights/").content.decode()
    assert '<tr data-total="messages"><th scope="row">Chat and message clicks</th><td>120</td>' in html
    assert 'data-total="conversations"' not in html and '"conversations"' not in html  # nor in the chart


def test_a_franchise_without_figures_says_so(client):
    franchise = make_franchise()
    user = make_member(franchise, Membership.Role.STAFF)

    page = logged_in(client, user).get(f"/franchises/{franchise.pk}/insights/")

    assert page.status_code == 200 and 'id="insights-none"' in page.content.decode()
    assert "insights-data" not in page.content.decode()


def test_another_franchises_figures_are_404(client):
    mine, theirs = make_franchise(), make_franchise()
    figures(theirs)
    user = make_member(mine, Membership.Role.ADMIN)

    assert logged_in(client, user).get(f"/franchises/{theirs.pk}/insights/").status_code == 404


def test_the_ranking_orders_by_change_beside_posting_frequency_and_shows_only_the_users_franchises(client):
    steady = make_franchise(name="Steady Cafe")
    rising = make_franchise(name="Rising Bakery")
    falling = make_franchise(name="Falling Gym")
    figures(steady)
    figures(rising, rise=0.4)
    figures(falling, rise=-0.2)
    for days_ago in (4, 11, 18, 25, 30):
        published(rising, days_ago)
    headquarters = make_user(superuser=True)
    member = make_member(rising, Membership.Role.STAFF)
    make_member(steady, Membership.Role.STAFF, username="also-steady").memberships.create(franchise=falling)

    ranking = insights_ranking(franchises=steady.__class__.objects.all())
    assert [row["franchise"].name for row in ranking["rows"]] == ["Rising Bakery", "Steady Cafe", "Falling Gym"]
    assert [row["change"] for row in ranking["rows"]] == [40.0, 0.0, -20.0]
    assert ranking["rows"][0]["weekly"] and ranking["rows"][0]["per_week"] >= 1
    assert ranking["weekly"] == {"locations": 1, "change": 40.0}
    assert ranking["less"] == {"locations": 2, "change": -10.0}

    everything = logged_in(client, headquarters).get("/insights/").content.decode()
    assert all(name in everything for name in ("Rising Bakery", "Steady Cafe", "Falling Gym"))
    own = logged_in(client, member).get("/insights/").content.decode()
    assert "Rising Bakery" in own and "Steady Cafe" not in own and "Falling Gym" not in own
    assert DailyMetric.objects.filter(franchise=steady).exists()


@pytest.mark.parametrize("seed", range(2))
def test_the_rankings_posts_are_each_franchises_posts_published_on_the_periods_days(seed):
    """Posts published before, within and after the recent period (some moved, unpublished or
    deleted since), on its edges' UTC days: each franchise's count in the ranking is its posts
    published from the period's first UTC day through its last, as the posts themselves say."""
    rnd = random.Random(seed)
    franchises = [make_franchise(name=f"Place {n}") for n in range(5)]
    for franchise in franchises[:4]:
        figures(franchise, rise=rnd.choice([0.1, -0.1]))
    posts = []
    for franchise in franchises:
        for _ in range(rnd.randrange(0, 12)):
            at = timezone.now() - dt.timedelta(days=rnd.randrange(-5, 70), minutes=rnd.randrange(1440))
            posts.append(make_post(franchise=franchise, status=Post.Status.PUBLISHED, scheduled_at=at, published_at=at))
    for post in rnd.sample(posts, len(posts) // 4):
        change = rnd.choice(["day", "draft", "delete"])
        if change == "day":
            Post.objects.filter(pk=post.pk).update(
                published_at=post.published_at + dt.timedelta(days=rnd.randrange(-20, 20))
            )
        elif change == "draft":
            Post.objects.filter(pk=post.pk).update(status=Post.Status.DRAFT)
        else:
            post.delete()

    ranking = insights_ranking(franchises=franchises[0].__class__.objects.all())
    first, last = ranking["current"]
    since = dt.datetime.combine(first, dt.time.min, tzinfo=dt.UTC)
    until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    published_then = Post.objects.filter(status=Post.Status.PUBLISHED, published_at__gte=since, published_at__lt=until)
    assert {row["franchise"].pk: row["posts"] for row in ranking["rows"]} == {
        franchise.pk: published_then.filter(franchise=franchise).count() for franchise in franchises
    }


def test_the_pages_are_linked_from_the_navigation_and_the_franchise_page(client):
    franchise = make_franchise()
    user = make_member(franchise, Membership.Role.STAFF)

    page = logged_in(client, user).get(f"/franchises/{franchise.pk}/").content.decode()

    assert 'href="/insights/"' in page and f'href="/franchises/{franchise.pk}/insights/"' in page
    assert f'href="/franchises/{franchise.pk}/series/"' in page


def test_the_ranking_and_a_franchise_page_take_the_same_queries_however_many_franchises(
    client, django_assert_num_queries
):
    headquarters = logged_in(client, make_user(superuser=True))
    franchises = [make_franchise(name=f"Shop {n}") for n in range(3)]
    for franchise in franchises:
        figures(franchise, rise=0.1)
        published(franchise, days_ago=5)
        keywords(franchise, OCTOBER, {"bread": 40, "rolls": 20})
        keywords(franchise, NOVEMBER, {"bread": 50, "cake": None})
    client.get("/insights/")  # the session, warmed

    # The session and user, the menu's requests waiting, the page's zone, the newest day, the
    # franchises' count, the page of ranked rows (views, posts and the groups in one); the group's
    # search keywords: the newest month, the top ones, their month before, whether it has any; the
    # reviews' figures, and by location.
    with django_assert_num_queries(13):
        assert headquarters.get("/insights/").status_code == 200
    for n in range(3, 9):
        shop = make_franchise(name=f"Shop {n}")
        figures(shop)
        keywords(shop, NOVEMBER, {f"word {k}": 30 + k for k in range(12)})
    with django_assert_num_queries(13):
        assert headquarters.get("/insights/").status_code == 200
    # The session and user, the menu's requests waiting, the franchise, its newest day, its figures,
    # its posts, its fetch row; its keywords as the group's; its reviews' figures.
    with django_assert_num_queries(13):
        assert headquarters.get(f"/franchises/{franchises[0].pk}/insights/").status_code == 200


def ranked_names(page: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a></th>', page)


def test_the_ranking_shows_fifty_locations_a_page_in_one_order_with_the_groups_over_all(client):
    shops = [make_franchise(name=f"Shop {n:02}") for n in range(60)]
    for n, shop in enumerate(shops):
        figures(shop, views=4000, rise=n / 100)  # Shop 59 rose most
        if n % 3 == 0:
            for days_ago in (4, 11, 18, 25):
                published(shop, days_ago)
    headquarters = logged_in(client, make_user(superuser=True))

    first = headquarters.get("/insights/").content.decode()
    second = headquarters.get("/insights/?page=2").content.decode()

    expected = [f"Shop {n:02}" for n in range(59, -1, -1)]
    assert ranked_names(first) == expected[:50]
    assert ranked_names(second) == expected[50:]
    assert "<td>51</td>" in second and "<td>60</td>" in second and "<td>1</td>" not in second
    assert 'rel="next"' in first and 'href="?page=2"' in first and 'rel="prev"' not in first
    assert 'rel="prev"' in second and 'href="?page=1"' in second and 'rel="next"' not in second
    assert "Page 2 of 2 (60 locations)" in second
    # The two groups cover every location on every page: 20 posting weekly, 40 less.
    for page in (first, second):
        assert "Locations posting weekly or more (20)" in page
        assert "Locations posting less often (40)" in page
    # Past the last page: the last page.
    assert ranked_names(headquarters.get("/insights/?page=9").content.decode()) == expected[50:]


def test_one_page_of_ranking_shows_no_pager(client):
    shop = make_franchise(name="Only Shop")
    figures(shop)
    page = logged_in(client, make_member(shop, Membership.Role.STAFF)).get("/insights/").content.decode()

    assert ranked_names(page) == ["Only Shop"]
    assert 'class="pagination"' not in page


@pytest.mark.parametrize("headquarters", [True, False], ids=["headquarters", "member"])
def test_the_ranking_takes_the_same_queries_for_2_and_60_franchises(client, django_assert_num_queries, headquarters):
    user = make_user(superuser=headquarters)
    browser = logged_in(client, user)

    def add(count: int, start: int) -> None:
        for n in range(start, start + count):
            shop = make_franchise(name=f"Shop {n:02}")
            figures(shop, days=31, rise=0.1)
            published(shop, days_ago=5)
            keywords(shop, OCTOBER, {"lawn care": 40 + n})
            keywords(shop, NOVEMBER, {"lawn care": 50 + n, "mulch": 20})
            if not headquarters:
                Membership.objects.create(user=user, franchise=shop, role=Membership.Role.STAFF)

    add(2, 0)
    browser.get("/insights/")  # the session, warmed
    # The session and user, the menu's requests waiting, the page's zone, the newest day, the
    # franchises' count, the page of ranked rows (views, posts and the groups in one); the reviews'
    # figures; and for headquarters the group's keywords (the newest month, the top ones, the month
    # before, any then) and the reviews' figures by location.
    queries = 13 if headquarters else 8
    with django_assert_num_queries(queries):
        assert len(ranked_names(browser.get("/insights/").content.decode())) == 2
    add(58, 2)
    with django_assert_num_queries(queries):
        assert len(ranked_names(browser.get("/insights/?page=2").content.decode())) == 10


def test_a_franchise_page_shows_its_top_keywords_beside_the_month_before(client):
    franchise = make_franchise(name="Sunrise Bakery")
    user = make_member(franchise, Membership.Role.STAFF)
    keywords(franchise, OCTOBER, {"sourdough": 80, "bakery near me": 50, "croissant": None})
    keywords(franchise, NOVEMBER, {"bakery near me": 60, "sourdough": 40, "croissant": 20, "bagels": None})
    keywords(franchise, NOVEMBER, {f"rare {n}": None for n in range(12)})
    other = make_franchise(name="Elsewhere")
    keywords(other, NOVEMBER, {"gym": 900})

    html = logged_in(client, user).get(f"/franchises/{franchise.pk}/insights/").content.decode()

    rows = re.findall(r'<tr data-keyword="([^"]+)">', html)
    assert rows[:4] == ["bakery near me", "sourdough", "croissant", "bagels"] and len(rows) == 10
    assert "gym" not in html
    assert "Search keywords, November 2026" in html
    assert '<th scope="row">bakery near me</th><td>60</td><td>50</td><td>+20.0 %</td>' in html
    assert '<th scope="row">sourdough</th><td>40</td><td>80</td><td>-50.0 %</td>' in html
    hidden = '<abbr title="Google counts fewer than 15 and shows no number">&lt;&nbsp;15</abbr>'
    assert f'<th scope="row">croissant</th><td>20</td><td>{hidden}</td><td>—</td>' in html
    assert f'<th scope="row">bagels</th><td>{hidden}</td><td>—</td><td>new</td>' in html


def test_a_franchise_without_keywords_says_when_they_come(client):
    connected = franchise_with_fake_grant(name="Connected")
    alone = make_franchise(name="Alone")
    user = make_member(connected, Membership.Role.STAFF)
    Membership.objects.create(user=user, franchise=alone, role=Membership.Role.STAFF)
    browser = logged_in(client, user)

    html = browser.get(f"/franchises/{connected.pk}/insights/").content.decode()
    assert 'id="keywords-none"' in html and "read once a month" in html
    html = browser.get(f"/franchises/{alone.pk}/insights/").content.decode()
    assert 'id="keywords-none"' in html and "Connect the franchise to Google to see them" in html


def test_headquarters_sees_the_groups_top_keywords_and_a_member_does_not(client):
    shops = [make_franchise(name=f"Shop {n}") for n in range(3)]
    for n, shop in enumerate(shops):
        keywords(shop, OCTOBER, {"lawn care": 100, "mulch": 10 + n})
        keywords(shop, NOVEMBER, {"lawn care": 120, "mulch": 5 + n, "snow removal": 30 if n else None})
    member = make_member(shops[0], Membership.Role.ADMIN)

    html = logged_in(client, make_user(superuser=True)).get("/insights/").content.decode()

    assert "Search keywords across the group, November 2026" in html
    assert '<th scope="row">lawn care</th><td>360</td><td>+20.0 %</td><td>300</td><td>3</td>' in html
    assert '<th scope="row">snow removal</th><td>60</td><td>new</td><td>—</td><td>2</td>' in html  # one hidden
    assert '<th scope="row">mulch</th><td>18</td><td>-45.5 %</td><td>33</td><td>3</td>' in html
    own = logged_in(client, member).get("/insights/").content.decode()
    assert 'id="group-keywords"' not in own


def test_an_error_about_google_access_goes_once_the_franchise_is_reconnected(client):
    """The last reading failed because access broke; after a reconnect the page no longer says so
    (the next reading tries again), while other errors stay until a reading works."""
    from franchises.models import Franchise
    from insights.models import InsightsFetch
    from insights.runs import REAUTH_MESSAGE

    franchise = make_franchise(name="Columbus", google_refresh_token="1//t", google_auth_valid=False)
    figures(franchise)
    InsightsFetch.objects.create(franchise=franchise, last_error=REAUTH_MESSAGE.format(name="Columbus"))
    browser = logged_in(client, make_member(franchise, Membership.Role.STAFF))
    url = f"/franchises/{franchise.pk}/insights/"
    assert 'id="insights-reconnect"' in browser.get(url).content.decode()

    Franchise.objects.filter(pk=franchise.pk).update(google_auth_valid=True, name="Columbus East")
    page = browser.get(url).content.decode()
    assert 'id="insights-reconnect"' not in page and 'id="insights-error"' not in page
    assert "revoked" not in page

    InsightsFetch.objects.filter(pk=franchise.pk).update(last_error="Google answered 503 (tried again at 06:30).")
    assert "Google answered 503" in browser.get(url).content.decode()


def test_the_running_totals_stay_equal_to_a_recount_as_figures_are_fetched_and_revised(client):
    """The ranking reads running totals the fetch keeps: after each store (a first fetch, a
    revision of recent days, a later fetch after a gap of days without figures) they are what a
    recount from the figures gives, and the ranking's views are the figures' sums."""
    shop, late = make_franchise(name="Shop"), make_franchise(name="Late shop")
    newest = timezone.localdate() - dt.timedelta(days=3)
    figures(shop, days=60, views=200, newest=newest - dt.timedelta(days=10))
    figures(late, days=20, views=100, newest=newest - dt.timedelta(days=40))  # its figures stop earlier

    def written() -> list:
        return list(ViewsRunning.objects.order_by("franchise_id", "day").values_list())

    def recounted() -> list:
        views_running_recount()
        return [row[1:] for row in written()]

    revised = {metric: {newest - dt.timedelta(days=n): 80 for n in range(4)} for metric in IMPRESSIONS}
    daily_metrics_store(franchise=shop, figures=revised, at=timezone.now())  # after a gap of 6 days
    daily_metrics_store(franchise=shop, figures={IMPRESSIONS[0]: {newest: 5}}, at=timezone.now())  # revised
    kept = [row[1:] for row in written()]
    assert kept == recounted()

    ranking = {row["franchise"].name: row for row in insights_ranking(franchises=shop.__class__.objects.all())["rows"]}
    since = newest - dt.timedelta(days=29)
    sums = {
        name: DailyMetric.objects.filter(franchise__name=name, metric__in=IMPRESSIONS, day__gte=since).aggregate(
            total=Sum("value")
        )["total"]
        for name in ("Shop", "Late shop")
    }
    assert ranking["Shop"]["current"] == sums["Shop"] == 20 * 200 + 3 * 4 * 80 + (80 * 3 + 5)
    assert ranking["Late shop"]["current"] is None and sums["Late shop"] is None  # nothing in the 30 days
    assert ranking["Late shop"]["previous"] == 100 * 20
