"""The series editor's texts: typed in one box with --- between them, previewed in turn with the
count of distinct texts and a warning below the threshold, refused naming the text that breaks a
brand rule; another franchise's series cannot be read or changed through them."""

from __future__ import annotations

import datetime as dt
import html
import zoneinfo

import pytest
import time_machine

from franchises.models import Membership
from posts.models import Post, PostSeries
from posts.services.brand import brand_rules_save
from posts.services.series import series_create, series_rule_build
from testkit.factories import make_franchise, make_member
from testkit.web import logged_in

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 10, 18, 12, 0, tzinfo=NEW_YORK)  # a Sunday
MORE = "Rye, baked overnight.\n---\nCoffee and a roll for the road."


def form(**fields) -> dict:
    data = {
        "summary": "Monday muffins at eight.",
        "frequency": "weekly",
        "weekdays": ["MO"],
        "monthly_by": "day",
        "local_time": "09:00",
        "starts_on": "2026-10-19",
        "ends": "never",
        "more_texts": MORE,
    }
    data.update(fields)
    return data


@pytest.fixture
def franchise():
    return make_franchise(name="Sunrise Bakery", timezone="America/New_York")


@pytest.fixture
def staff(franchise, client):
    return logged_in(client, make_member(franchise, Membership.Role.STAFF))


def test_three_texts_from_the_form_take_turns_and_read_back_in_the_form(franchise, staff):
    with time_machine.travel(NOW, tick=False):
        answer = staff.post(f"/franchises/{franchise.pk}/series/new/", form())
        series = PostSeries.objects.get()
        page = staff.get(answer.url).content.decode()

    assert series.more_texts == ["Rye, baked overnight.", "Coffee and a roll for the road."]
    summaries = list(Post.objects.filter(series=series).order_by("scheduled_at").values_list("summary", flat=True))
    assert summaries[:3] == ["Monday muffins at eight.", "Rye, baked overnight.", "Coffee and a roll for the road."]
    assert "Rye, baked overnight.\n---\nCoffee and a roll for the road.</textarea>" in page
    assert "Text 2:" in page


def test_the_preview_shows_each_next_post_with_its_text_and_warns_below_ten(franchise, staff):
    with time_machine.travel(NOW, tick=False):
        answer = staff.post(f"/franchises/{franchise.pk}/series/preview/", form())

    page = answer.content.decode()
    assert answer.status_code == 200
    assert "(text 1 of 3: “Monday muffins at eight.”)" in page
    assert "(text 2 of 3: “Rye, baked overnight.”)" in page
    assert "(text 3 of 3: “Coffee and a roll for the road.”)" in page
    assert "3 different texts" in page and 'id="series-variety-warning"' in page


def test_asking_claude_to_reword_each_post_needs_no_warning(franchise, staff):
    with time_machine.travel(NOW, tick=False):
        answer = staff.post(f"/franchises/{franchise.pk}/series/preview/", form(more_texts="", vary_with_claude="on"))

    page = answer.content.decode()
    assert "One text, reworded by Claude for each post" in page and "series-variety-warning" not in page


def test_a_text_breaking_a_brand_rule_is_refused_naming_which(franchise, staff):
    brand_rules_save(user=None, banned_phrases="cheapest")
    with time_machine.travel(NOW, tick=False):
        answer = staff.post(
            f"/franchises/{franchise.pk}/series/new/", form(more_texts="Fine words.\n---\nThe cheapest rye.")
        )

    assert answer.status_code == 200
    assert 'Text 3: Brand rule "Words not allowed": "cheapest"' in html.unescape(answer.content.decode())
    assert not PostSeries.objects.exists()


def test_the_preview_names_the_text_that_breaks_a_brand_rule_as_it_is_typed(franchise, staff):
    brand_rules_save(user=None, banned_phrases="cheapest")
    with time_machine.travel(NOW, tick=False):
        answer = staff.post(
            f"/franchises/{franchise.pk}/series/preview/", form(more_texts="Fine words.\n---\nThe cheapest rye.")
        )

    page = html.unescape(answer.content.decode())
    assert 'Text 3: Brand rule "Words not allowed": "cheapest" in the text' in page
    assert "Text 1:" not in page and "Text 2:" not in page


def test_another_franchises_series_texts_are_neither_previewed_nor_changed(franchise, client):
    owner = make_franchise()
    with time_machine.travel(NOW, tick=False):
        theirs = series_create(
            franchise=owner,
            user=None,
            rule=series_rule_build(frequency="weekly", weekdays=["MO"]),
            starts_on=dt.date(2026, 10, 19),
            local_time=dt.time(9, 0),
            summary="Theirs.",
            more_texts=["Theirs too."],
        )
    outsider = logged_in(client, make_member(franchise, Membership.Role.ADMIN))

    assert outsider.post(f"/franchises/{owner.pk}/series/preview/", form()).status_code == 404
    assert outsider.post(f"/series/{theirs.pk}/", form(more_texts="Ours now.")).status_code == 404
    theirs.refresh_from_db()
    assert theirs.more_texts == ["Theirs too."]
