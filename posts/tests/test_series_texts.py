"""Repeats that vary: a series takes turns with its texts (occurrence n takes text n mod k), each
post records which text it has, and changing the list does not reshuffle the posts already made.
Every text is checked against Google's limits, the brand rules and its placeholders."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine

from posts.models import Post
from posts.services import PostActionError, post_update
from posts.services.brand import brand_rules_save
from posts.services.series import (
    VARIED_ENOUGH,
    series_create,
    series_distinct_texts,
    series_materialise,
    series_rule_build,
    series_update,
    series_variety_warning,
)
from testkit.factories import make_franchise

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
MONDAY = dt.date(2026, 10, 19)
TEXTS = ["Monday muffins: fresh at eight.", "Try our rye, baked overnight.", "Coffee and a roll for the road."]


def weekly(franchise, *, texts=TEXTS, starts_on=MONDAY, **fields):
    return series_create(
        franchise=franchise,
        user=None,
        rule=series_rule_build(frequency="weekly", weekdays=["MO"]),
        starts_on=starts_on,
        local_time=dt.time(9, 0),
        summary=texts[0],
        more_texts=list(texts[1:]),
        **fields,
    )


def edit(series, texts, **fields):
    return series_update(
        series=series,
        user=None,
        version=series.version,
        rule=series.rule,
        starts_on=series.starts_on,
        local_time=series.local_time,
        summary=texts[0],
        more_texts=list(texts[1:]),
        **fields,
    )


def texts_of(series) -> list[str]:
    return list(Post.objects.filter(series=series).order_by("scheduled_at").values_list("summary", flat=True))


@pytest.fixture
def franchise():
    return make_franchise(timezone="America/New_York", city="Marietta")


@pytest.fixture(autouse=True)
def _sunday_before():
    with time_machine.travel(dt.datetime(2026, 10, 18, 12, 0, tzinfo=NEW_YORK), tick=False):
        yield


def test_occurrences_take_turns_with_the_texts_in_order(franchise):
    series = weekly(franchise)

    posts = list(Post.objects.filter(series=series).order_by("scheduled_at"))
    assert [p.summary for p in posts] == [TEXTS[0], TEXTS[1], TEXTS[2], TEXTS[0]]
    assert [p.series_text for p in posts] == [0, 1, 2, 0]
    assert all(p.status == Post.Status.SCHEDULED for p in posts)


def test_the_turns_count_from_the_series_first_post_not_from_today(franchise):
    # Started two weeks ago: its first post still ahead is its third (number 2), so it takes text 2.
    series = weekly(franchise, starts_on=MONDAY - dt.timedelta(days=14))

    assert texts_of(series)[:3] == [TEXTS[2], TEXTS[0], TEXTS[1]]


def test_a_text_added_at_the_front_leaves_the_posts_made_with_their_texts(franchise):
    series = weekly(franchise)
    before = texts_of(series)

    edit(series, ["A new first text.", *TEXTS])

    assert texts_of(series) == before


def test_a_dropped_text_is_replaced_by_the_posts_own_turn_in_the_new_list(franchise):
    series = weekly(franchise)

    edit(series, [TEXTS[0], TEXTS[2]])

    posts = list(Post.objects.filter(series=series).order_by("scheduled_at"))
    # Week 1 had the dropped text: its turn in the two-text list is 1 mod 2 = 1. The others keep theirs.
    assert [p.summary for p in posts] == [TEXTS[0], TEXTS[2], TEXTS[2], TEXTS[0]]
    assert [p.series_text for p in posts] == [0, 1, 1, 0]


def test_a_text_reworded_in_place_reaches_the_posts_that_had_it(franchise):
    series = weekly(franchise)

    edit(series, [TEXTS[0], "Try our rye, baked overnight in a stone oven.", TEXTS[2]])

    assert texts_of(series) == [TEXTS[0], "Try our rye, baked overnight in a stone oven.", TEXTS[2], TEXTS[0]]


def test_new_days_after_an_edit_carry_on_the_rotation(franchise):
    series = weekly(franchise)
    edit(series, [*TEXTS, "Fourth text: our sourdough."])

    with time_machine.travel(dt.datetime(2026, 11, 22, 12, 0, tzinfo=NEW_YORK), tick=False):
        series_materialise(series=series)
    new = Post.objects.filter(series=series, series_day__gt=dt.date(2026, 11, 16)).order_by("scheduled_at")
    # The 23 November post is the series' sixth (number 5): 5 mod 4 = 1.
    assert [(p.series_day, p.series_text) for p in new][:2] == [(dt.date(2026, 11, 23), 1), (dt.date(2026, 11, 30), 2)]


def test_a_post_edited_by_hand_keeps_its_words_when_the_list_changes(franchise):
    series = weekly(franchise)
    second = Post.objects.filter(series=series).order_by("scheduled_at")[1]
    post_update(post=second, summary="Rye, by hand.")

    edit(series, [TEXTS[0], TEXTS[2]])

    assert Post.objects.get(pk=second.pk).summary == "Rye, by hand."


def test_a_text_that_breaks_a_brand_rule_refuses_the_series_naming_which_text(franchise):
    brand_rules_save(user=None, banned_phrases="cheapest")
    with pytest.raises(PostActionError) as refused:
        weekly(franchise, texts=[TEXTS[0], TEXTS[1], "The cheapest coffee in town."])

    message = str(refused.value)
    assert message.startswith('Text 3: Brand rule "Words not allowed": "cheapest"')
    assert "Text 1" not in message and "Text 2" not in message
    assert not Post.objects.exists()


def test_placeholders_work_in_every_text(franchise):
    series = weekly(franchise, texts=["Hello from {name}.", "{city} loves rye.", "Plain words."])

    assert texts_of(series)[:2] == [f"Hello from {franchise.name}.", f"{franchise.city} loves rye."]


def test_an_unknown_placeholder_in_one_text_is_named(franchise):
    with pytest.raises(PostActionError, match=r"^Text 2: "):
        weekly(franchise, texts=["Hello.", "Ask about {no_such_thing}."])


def test_the_editor_warns_below_the_threshold_of_distinct_texts(franchise):
    series = weekly(franchise, texts=[TEXTS[0], TEXTS[1], TEXTS[1].upper(), TEXTS[2]])

    assert series_distinct_texts(series) == 3
    assert "3 different texts" in series_variety_warning(series)
    assert "every 3 posts" in series_variety_warning(series)
    many = weekly(franchise, texts=[f"Text number {n} of ours." for n in range(VARIED_ENOUGH)])
    assert series_variety_warning(many) == ""
    claude = weekly(franchise, texts=[TEXTS[0]], vary_with_claude=True)
    assert series_variety_warning(claude) == ""
