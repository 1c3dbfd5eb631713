"""The repeating posts' pages: create one from the form (or from a post), edit it with the note that
posts edited by hand are left alone, end it; another franchise's series is a 404."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.utils import timezone

from franchises.models import Membership
from posts.models import Post, PostSeries
from posts.services import post_update
from posts.services.series import series_create, series_rule_build
from testkit.factories import make_franchise, make_member, make_post, make_user
from testkit.web import logged_in, messages_of

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 10, 18, 12, 0, tzinfo=NEW_YORK)  # a Sunday


def form(**fields) -> dict:
    data = {
        "summary": "Soup of the week: tomato.",
        "frequency": "weekly",
        "weekdays": ["MO", "TH"],
        "monthly_by": "day",
        "month_day": "1",
        "nth": "1",
        "nth_weekday": "MO",
        "local_time": "09:00",
        "starts_on": "2026-10-19",
        "ends": "never",
    }
    data.update(fields)
    return data


@pytest.fixture
def franchise():
    return make_franchise(name="Sunrise Bakery", timezone="America/New_York")


@pytest.fixture
def staff(franchise, client):
    return logged_in(client, make_member(franchise, Membership.Role.STAFF))


def test_a_repeating_post_made_from_the_form_schedules_its_next_weeks(franchise, staff):
    with time_machine.travel(NOW, tick=False):
        answer = staff.post(f"/franchises/{franchise.pk}/series/new/", form(ends="count", count="5"))

    series = PostSeries.objects.get()
    assert answer.status_code == 302 and answer.url == f"/series/{series.pk}/"
    assert series.rule == "FREQ=WEEKLY;COUNT=5;BYDAY=MO,TH"
    posts = Post.objects.filter(series=series).order_by("scheduled_at")
    assert [p.series_day.isoformat() for p in posts] == [
        "2026-10-19",
        "2026-10-22",
        "2026-10-26",
        "2026-10-29",
        "2026-11-02",
    ]
    assert {timezone.localtime(p.scheduled_at, NEW_YORK).time() for p in posts} == {dt.time(9, 0)}
    shown = staff.get(answer.url)
    page = shown.content.decode()
    assert "Every Monday and Thursday at 09:00" in page and "Posts someone edited" in page
    assert "5 posts scheduled so far" in " ".join(messages_of(shown))


def test_the_form_says_what_is_missing(franchise, staff):
    answer = staff.post(f"/franchises/{franchise.pk}/series/new/", form(weekdays=[], ends="until"))

    assert answer.status_code == 200
    page = answer.content.decode()
    assert "Pick the days of the week" in page and "Pick the last day" in page
    assert not PostSeries.objects.exists()


def test_a_repeating_post_can_start_from_a_post(franchise, staff):
    post = make_post(franchise=franchise, summary="Happy hour, 4 to 6.")

    page = staff.get(f"/franchises/{franchise.pk}/series/new/?from_post={post.pk}").content.decode()

    assert "Happy hour, 4 to 6." in page
    editor = staff.get(f"/posts/{post.pk}/edit/").content.decode()
    assert f"/franchises/{franchise.pk}/series/new/?from_post={post.pk}" in editor


def test_editing_on_the_page_leaves_posts_edited_by_hand_and_says_so(franchise, staff):
    with time_machine.travel(NOW, tick=False):
        staff.post(f"/franchises/{franchise.pk}/series/new/", form())
        series = PostSeries.objects.get()
        hand = Post.objects.filter(series=series).order_by("scheduled_at")[1]
        post_update(post=hand, summary="Soup of the week: pumpkin.")
        answer = staff.post(f"/series/{series.pk}/", form(summary="Soup of the week: lentil.", version="1"))

    assert answer.status_code == 302
    assert "1 edited by hand left as they are" in " ".join(messages_of(staff.get(answer.url)))
    texts = set(Post.objects.filter(series=series).values_list("summary", flat=True))
    assert texts == {"Soup of the week: lentil.", "Soup of the week: pumpkin."}
    detail = staff.get(f"/posts/{hand.pk}/").content.decode()
    assert "edited by hand" in detail


def test_ending_on_the_page_deletes_the_upcoming_posts(franchise, staff):
    with time_machine.travel(NOW, tick=False):
        staff.post(f"/franchises/{franchise.pk}/series/new/", form())
        series = PostSeries.objects.get()
        answer = staff.post(f"/series/{series.pk}/end/")

    assert answer.status_code == 302
    assert "8 upcoming post(s) deleted" in " ".join(messages_of(staff.get(answer.url)))
    assert not Post.objects.filter(series=series).exists()
    page = staff.get(f"/series/{series.pk}/").content.decode()
    assert 'id="series-ended"' in page and 'id="series-form"' not in page


def test_another_franchises_series_is_404(franchise, client):
    series_owner = make_franchise()
    with time_machine.travel(NOW, tick=False):
        theirs = series_create(
            franchise=series_owner,
            user=None,
            rule=series_rule_build(frequency="weekly", weekdays=["MO"]),
            starts_on=dt.date(2026, 10, 19),
            local_time=dt.time(9, 0),
            summary="Theirs.",
        )
    outsider = logged_in(client, make_member(franchise, Membership.Role.ADMIN))

    assert outsider.get(f"/series/{theirs.pk}/").status_code == 404
    assert outsider.post(f"/series/{theirs.pk}/end/").status_code == 404
    assert outsider.get(f"/franchises/{series_owner.pk}/series/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.ended_at is None


def test_a_repeating_announcement_is_a_repeating_post_in_each_franchise(client):
    new_york = make_franchise(name="Brooklyn", timezone="America/New_York")
    berlin = make_franchise(name="Kreuzberg", timezone="Europe/Berlin")
    headquarters = logged_in(client, make_user(superuser=True))
    data = {
        "franchises": [str(new_york.pk), str(berlin.pk)],
        "summary": "Our {name} shop is open late on Fridays.",
        "date": "2026-10-23",  # a Friday
        "local_time": "17:00",
        "repeat": "weekly",
        "repeat_count": "6",
        "step": "schedule",
    }
    with time_machine.travel(NOW, tick=False):
        answer = headquarters.post("/announcements/new/", data)

    assert answer.status_code == 302
    series = {s.franchise.name: s for s in PostSeries.objects.select_related("franchise")}
    assert set(series) == {"Brooklyn", "Kreuzberg"}
    assert len({s.announcement_id for s in series.values()}) == 1
    assert series["Brooklyn"].rule == "FREQ=WEEKLY;COUNT=6;BYDAY=FR"
    assert series["Kreuzberg"].summary == "Our Kreuzberg shop is open late on Fridays."
    for s in series.values():
        posts = Post.objects.filter(series=s).order_by("scheduled_at")
        assert posts.count() == 4  # four weeks ahead of 18 October
        assert {timezone.localtime(p.scheduled_at, s.franchise.zone).time() for p in posts} == {dt.time(17, 0)}
    assert "Repeating for 2 franchises" in " ".join(messages_of(headquarters.get("/posts/")))
