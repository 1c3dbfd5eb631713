"""A repeating post has the post editor's content, of any type: an event's or offer's dates are its
first post's, and each later post's move with it by as many days as it goes out after the first, at
the same clock times. Its page is the post editor (type, preview, photo upload, AI help, errors at
the top) with the rule shown as chosen and a summary in plain words."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from franchises.models import Membership
from posts.models import Post, PostPhoto, PostSeries
from posts.services import PostActionError
from posts.services.photos import photos_unused_delete
from posts.services.series import series_create, series_rule_build, series_update
from testkit.factories import make_franchise, make_member
from testkit.photos import photo_upload
from testkit.web import logged_in

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 10, 18, 12, 0, tzinfo=NEW_YORK)  # a Sunday; summer time ends on 1 November


def local(post_time: dt.datetime) -> str:
    return f"{timezone.localtime(post_time, NEW_YORK):%a %d %b %H:%M}"


@pytest.fixture
def franchise():
    return make_franchise(name="Harbor Cafe", timezone="America/New_York")


@pytest.fixture
def staff(franchise, client):
    return logged_in(client, make_member(franchise, Membership.Role.STAFF))


def quiz_night(franchise, **fields):
    """Every Monday at 09:00 from 19 Oct, each post announcing that week's Friday quiz, 19:00-22:00."""
    return series_create(
        franchise=franchise,
        user=None,
        rule=series_rule_build(frequency="weekly", weekdays=["MO"], count=4),
        starts_on=dt.date(2026, 10, 19),
        local_time=dt.time(9, 0),
        **{
            "summary": "Quiz night on Friday: teams of four.",
            "topic_type": Post.TopicType.EVENT,
            "event_title": "Quiz night",
            "event_start": dt.datetime(2026, 10, 23, 19, 0, tzinfo=NEW_YORK),
            "event_end": dt.datetime(2026, 10, 23, 22, 0, tzinfo=NEW_YORK),
            **fields,
        },
    )


def test_each_post_of_a_repeating_event_announces_its_own_dates_at_the_same_clock_times(franchise):
    with time_machine.travel(NOW, tick=False):
        series = quiz_night(franchise)

    posts = list(Post.objects.filter(series=series).order_by("scheduled_at"))
    assert [(local(p.scheduled_at), local(p.event_start), local(p.event_end)) for p in posts] == [
        ("Mon 19 Oct 09:00", "Fri 23 Oct 19:00", "Fri 23 Oct 22:00"),
        ("Mon 26 Oct 09:00", "Fri 30 Oct 19:00", "Fri 30 Oct 22:00"),
        ("Mon 02 Nov 09:00", "Fri 06 Nov 19:00", "Fri 06 Nov 22:00"),  # after the clocks went back
        ("Mon 09 Nov 09:00", "Fri 13 Nov 19:00", "Fri 13 Nov 22:00"),
    ]
    assert {(p.topic_type, p.event_title) for p in posts} == {(Post.TopicType.EVENT, "Quiz night")}


def test_editing_the_event_moves_every_upcoming_posts_event(franchise):
    with time_machine.travel(NOW, tick=False):
        series = quiz_night(franchise)
        series_update(
            series=series,
            user=None,
            version=series.version,
            rule=series.rule,
            starts_on=series.starts_on,
            local_time=series.local_time,
            summary=series.summary,
            topic_type=Post.TopicType.EVENT,
            event_title="Quiz night",
            event_start=dt.datetime(2026, 10, 24, 18, 0, tzinfo=NEW_YORK),  # Saturdays now, earlier
            event_end=dt.datetime(2026, 10, 24, 21, 0, tzinfo=NEW_YORK),
        )

    starts = [local(p.event_start) for p in Post.objects.filter(series=series).order_by("scheduled_at")]
    assert starts == ["Sat 24 Oct 18:00", "Sat 31 Oct 18:00", "Sat 07 Nov 18:00", "Sat 14 Nov 18:00"]


def test_a_repeating_offer_keeps_its_offer_and_no_button_and_an_event_without_dates_is_refused(franchise):
    with time_machine.travel(NOW, tick=False):
        offer = quiz_night(
            franchise,
            topic_type=Post.TopicType.OFFER,
            offer_coupon_code="QUIZ2",
            cta_action_type="BOOK",
            cta_url="https://harbor.example/book",
        )
        with pytest.raises(PostActionError, match="needs a start and an end"):
            quiz_night(franchise, event_start=None, event_end=None)

    post = Post.objects.filter(series=offer).first()
    assert (post.topic_type, post.offer_coupon_code, post.cta_action_type, post.cta_url) == ("OFFER", "QUIZ2", "", "")
    assert PostSeries.objects.count() == 1


def test_the_page_is_the_post_editor_with_the_rule_shown_as_chosen(franchise, staff, settings):
    settings.ANTHROPIC_API_KEY = "sk-ant-test"
    page = staff.get(reverse("posts:series_new", args=[franchise.pk])).content.decode()

    for part in ('name="topic_type"', 'id="photo-drop"', 'id="ai-assist"', 'id="series-preview"', 'id="char-count"'):
        assert part in page, part
    assert 'data-shown-when="frequency=weekly"' in page and 'data-shown-when="monthly_by=weekday"' in page
    assert 'data-shown-when="ends=count"' in page
    assert 'data-topics="EVENT OFFER"' in page  # the event's fields, for events and offers only


def test_errors_are_summed_up_at_the_top_and_nothing_is_saved(franchise, staff):
    data = {
        "summary": "Quiz night.",
        "topic_type": "EVENT",
        "frequency": "weekly",
        "local_time": "09:00",
        "starts_on": "2026-10-19",
        "ends": "count",
    }
    page = staff.post(reverse("posts:series_new", args=[franchise.pk]), data).content.decode()

    summary = page.split('id="form-errors"', 1)[1].split("</div>", 1)[0]
    for error in ("Pick the days of the week", "Say how many posts", "needs a title", "needs a start and an end"):
        assert error in summary, error
    assert page.index('id="form-errors"') < page.index('id="series-form"')
    assert not PostSeries.objects.exists()


def test_the_preview_says_the_rule_in_plain_words_with_the_next_posts_and_their_events(franchise, staff):
    data = {
        "summary": "Quiz night on Friday.",
        "topic_type": "EVENT",
        "event_title": "Quiz night",
        "event_start": "2026-10-23T19:00",
        "event_end": "2026-10-23T22:00",
        "frequency": "weekly",
        "weekdays": ["MO"],
        "local_time": "09:00",
        "starts_on": "2026-10-19",
        "ends": "count",
        "count": "12",
    }
    with time_machine.travel(NOW, tick=False):
        answer = staff.post(reverse("posts:series_preview", args=[franchise.pk]), data)

    body = answer.content.decode()
    assert "Every Monday at 09:00, 12 times, next: Mon 19 Oct 2026, 09:00" in body
    assert "event from Fri 30 Oct 2026, 19:00 to Fri 30 Oct 2026, 22:00" in body  # the second post's
    assert 'id="preview-card"' in body and "Quiz night" in body
    monthly = {**data, "frequency": "monthly", "monthly_by": "weekday", "nth": "-1", "nth_weekday": "FR"}
    monthly.update({"ends": "until", "until": "2027-03-31", "month_day": "1", "count": ""})
    with time_machine.travel(NOW, tick=False):
        body = staff.post(reverse("posts:series_preview", args=[franchise.pk]), monthly).content.decode()
    assert "Every month on the last Friday at 09:00, until Wed 31 Mar 2027, next: Fri 30 Oct 2026, 09:00" in body


def test_a_photo_sent_with_the_form_becomes_the_series_photo_and_is_kept_while_the_series_runs(
    franchise, staff, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    data = {
        "summary": "Soup of the week.",
        "frequency": "monthly",
        "monthly_by": "day",
        "month_day": "28",
        "local_time": "09:00",
        "starts_on": "2027-01-01",  # its first post is made weeks from now
        "ends": "never",
        "photo": photo_upload(),
    }
    with time_machine.travel(NOW, tick=False):
        answer = staff.post(reverse("posts:series_new", args=[franchise.pk]), data)

    series = PostSeries.objects.get()
    assert answer.status_code == 302 and series.media_url == PostPhoto.objects.get().url
    assert not Post.objects.filter(series=series).exists()
    photos_unused_delete(franchise=franchise, before=timezone.now() + dt.timedelta(days=30), limit=10)
    assert PostPhoto.objects.count() == 1  # the series still uses it
