"""Repeating posts: a series' occurrences are ordinary scheduled posts, made weeks ahead at the
franchise's local time, changed by the series only until a person edits them, removed when the
series ends, and published by the publish job like any other post."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from gbp_scheduler.jobs import TimeBudget
from posts.models import Post, PostSeries
from posts.services import PostActionError, post_delete, post_schedule, post_update, posts_publish_due
from posts.services.series import (
    SeriesWords,
    series_create,
    series_describe,
    series_end,
    series_materialise,
    series_materialise_due,
    series_rule_build,
    series_rule_fields,
    series_update,
)
from testkit.factories import make_franchise
from testkit.google import franchise_connected_to_sandbox, google_posts

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quota_unpaced")]


@pytest.fixture(autouse=True)
def _one_worker(settings):
    settings.PUBLISH_CONCURRENCY = 1


NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def at_new_york(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NEW_YORK)


def weekly(franchise, *, days=("MO",), starts_on=dt.date(2026, 10, 19), local_time=dt.time(9, 0), **fields):
    fields.setdefault("summary", "The weekly special: ask at the counter.")
    return series_create(
        franchise=franchise,
        user=None,
        rule=series_rule_build(frequency="weekly", weekdays=list(days), **fields.pop("ends", {})),
        starts_on=starts_on,
        local_time=local_time,
        **fields,
    )


def occurrences(series) -> list[Post]:
    return list(Post.objects.filter(series=series).order_by("scheduled_at"))


def test_a_weekly_series_keeps_its_local_time_across_the_change_from_daylight_saving_time():
    franchise = make_franchise(timezone="America/New_York")
    with time_machine.travel(at_new_york(2026, 10, 18, 12, 0), tick=False):
        series = weekly(franchise, days=["MO"])

    posts = occurrences(series)
    # New York leaves daylight-saving time on Sunday 1 November 2026.
    assert [p.series_day for p in posts][:3] == [dt.date(2026, 10, 19), dt.date(2026, 10, 26), dt.date(2026, 11, 2)]
    assert {timezone.localtime(p.scheduled_at, NEW_YORK).time() for p in posts} == {dt.time(9, 0)}
    utc_hours = [p.scheduled_at.astimezone(dt.UTC).hour for p in posts[:3]]
    assert utc_hours == [13, 13, 14]
    assert all(p.status == Post.Status.SCHEDULED and p.series_version == 1 for p in posts)
    # Four weeks ahead, and no further.
    assert posts[-1].series_day <= dt.date(2026, 10, 18) + dt.timedelta(days=28)


def test_a_weekly_series_keeps_its_local_time_into_daylight_saving_time_too():
    franchise = make_franchise(timezone="Europe/Berlin")
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    with time_machine.travel(dt.datetime(2027, 3, 20, 12, 0, tzinfo=berlin), tick=False):
        series = weekly(franchise, days=["FR"], starts_on=dt.date(2027, 3, 20), local_time=dt.time(18, 30))

    posts = occurrences(series)
    assert [timezone.localtime(p.scheduled_at, berlin).time() for p in posts] == [dt.time(18, 30)] * len(posts)
    assert [p.scheduled_at.astimezone(dt.UTC).hour for p in posts[:2]] == [17, 16]  # Berlin moves on 28 March


def test_monthly_on_the_first_monday_and_on_a_day_of_the_month():
    franchise = make_franchise(timezone="America/New_York")
    first_monday = series_rule_build(frequency="monthly", nth=1, nth_weekday="MO", count=3)
    fifteenth = series_rule_build(frequency="monthly", month_day=15, until=dt.date(2027, 12, 31))
    with time_machine.travel(at_new_york(2026, 12, 20, 12, 0), tick=False):
        series = series_create(
            franchise=franchise,
            user=None,
            rule=first_monday,
            starts_on=dt.date(2026, 12, 1),
            local_time=dt.time(8, 0),
            summary="The monthly offer is in.",
        )
        other = series_create(
            franchise=franchise,
            user=None,
            rule=fifteenth,
            starts_on=dt.date(2026, 12, 1),
            local_time=dt.time(8, 0),
            summary="Mid-month news.",
        )

    assert [p.series_day for p in occurrences(series)] == [dt.date(2027, 1, 4)]  # 7 Dec is past
    assert [p.series_day for p in occurrences(other)] == [dt.date(2027, 1, 15)]
    assert series_describe(series) == SeriesWords("Every month on the first Monday at 08:00", until=None, count=3)
    assert series_describe(other).rule == "Every month on day 15 at 08:00"
    assert series_rule_fields(first_monday) == {
        "frequency": "monthly",
        "until": None,
        "count": 3,
        "monthly_by": "weekday",
        "nth": 1,
        "nth_weekday": "MO",
    }
    assert series_rule_fields(fifteenth)["until"] == dt.date(2027, 12, 31)


def test_a_rule_that_gives_no_day_or_content_google_would_refuse_is_refused():
    franchise = make_franchise()
    with pytest.raises(PostActionError, match="never gives a day"):
        weekly(franchise, starts_on=dt.date(2026, 10, 19), ends={"until": dt.date(2026, 10, 18)})
    with pytest.raises(PostActionError, match="no text"):
        weekly(franchise, summary="  ")
    with pytest.raises(PostActionError, match="days of the week"):
        series_rule_build(frequency="weekly", weekdays=[])
    assert not PostSeries.objects.exists()


def test_materialising_twice_or_by_two_runs_makes_each_day_once():
    franchise = make_franchise(timezone="America/New_York")
    with time_machine.travel(at_new_york(2026, 10, 18, 12, 0), tick=False):
        series = weekly(franchise, days=["MO", "TH"])
        made = len(occurrences(series))
        PostSeries.objects.filter(pk=series.pk).update(materialised_through=None)  # as if a run had died
        assert series_materialise(series=series) == 0
        counts = series_materialise_due(budget=TimeBudget(seconds=30))

    assert len(occurrences(series)) == made == 8
    assert counts["occurrences_created"] == 0 and counts["failed"] == 0


def test_the_job_makes_the_next_weeks_as_time_passes_and_never_brings_back_a_deleted_one():
    franchise = make_franchise(timezone="America/New_York")
    with time_machine.travel(at_new_york(2026, 10, 18, 12, 0), tick=False):
        series = weekly(franchise, days=["MO"])
        deleted = occurrences(series)[1]
        post_delete(post=deleted)
    with time_machine.travel(at_new_york(2026, 11, 1, 12, 0), tick=False):
        counts = series_materialise_due(budget=TimeBudget(seconds=30))

    days = [p.series_day for p in occurrences(series)]
    assert deleted.series_day not in days
    assert days[-1] == dt.date(2026, 11, 23) and counts["occurrences_created"] == 2
    with time_machine.travel(at_new_york(2026, 11, 1, 12, 5), tick=False):
        call_command("materialise_series")  # the command runs the same job
    assert [p.series_day for p in occurrences(series)] == days


def test_editing_the_series_leaves_an_occurrence_edited_by_hand_alone():
    franchise = make_franchise(timezone="America/New_York")
    with time_machine.travel(at_new_york(2026, 10, 18, 12, 0), tick=False):
        series = weekly(franchise, days=["MO"], summary="Soup of the week: tomato.")
        first, second, *rest = occurrences(series)
        post_update(post=second, summary="Soup of the week: pumpkin, for Halloween.")

        counts = series_update(
            series=series,
            user=None,
            version=series.version,
            rule=series.rule,
            starts_on=series.starts_on,
            local_time=dt.time(10, 30),
            summary="Soup of the week: lentil.",
        )

    second.refresh_from_db()
    assert second.summary == "Soup of the week: pumpkin, for Halloween." and second.series_edited
    assert timezone.localtime(second.scheduled_at, NEW_YORK).time() == dt.time(9, 0)
    for post in [first, *rest]:
        post.refresh_from_db()
        assert post.summary == "Soup of the week: lentil."
        assert timezone.localtime(post.scheduled_at, NEW_YORK).time() == dt.time(10, 30)
        assert post.series_version == 2 and not post.series_edited
    assert counts == {"updated": 1 + len(rest), "added": 0, "removed": 0, "kept_edited": 1, "busy": 0}


def test_editing_the_days_removes_dropped_occurrences_and_adds_new_ones():
    franchise = make_franchise(timezone="America/New_York")
    with time_machine.travel(at_new_york(2026, 10, 18, 12, 0), tick=False):
        series = weekly(franchise, days=["MO", "WE"])
        counts = series_update(
            series=series,
            user=None,
            version=1,
            rule=series_rule_build(frequency="weekly", weekdays=["MO", "FR"]),
            starts_on=series.starts_on,
            local_time=series.local_time,
            summary=series.summary,
        )

    weekdays = {p.series_day.weekday() for p in occurrences(series)}
    assert weekdays == {0, 4}
    assert counts["removed"] == 4 and counts["added"] == 4


def test_an_edit_over_an_older_version_of_the_series_is_refused():
    franchise = make_franchise()
    series = weekly(franchise, starts_on=timezone.localdate())
    series_update(
        series=series,
        user=None,
        version=1,
        rule=series.rule,
        starts_on=series.starts_on,
        local_time=series.local_time,
        summary="First edit.",
    )
    with pytest.raises(PostActionError, match="Someone else changed this series"):
        series_update(
            series=series,
            user=None,
            version=1,
            rule=series.rule,
            starts_on=series.starts_on,
            local_time=series.local_time,
            summary="Second edit, from a stale page.",
        )


def test_ending_the_series_removes_its_future_occurrences_and_keeps_what_went_out(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox, timezone="America/New_York")
    with time_machine.travel(at_new_york(2026, 10, 18, 12, 0), tick=False):
        series = weekly(franchise, days=["MO"])
        edited = occurrences(series)[2]
        post_update(post=edited, summary="Edited by hand, and still goes when the series ends.")
    with time_machine.travel(at_new_york(2026, 10, 19, 9, 5), tick=False):
        assert posts_publish_due(budget=TimeBudget(seconds=30))["published"] == 1
        counts = series_end(series=series, user=None)
        assert series_materialise_due(budget=TimeBudget(seconds=30))["occurrences_created"] == 0

    left = occurrences(series)
    assert [p.status for p in left] == [Post.Status.PUBLISHED]
    assert counts == {"deleted": 3, "busy": 0}
    series.refresh_from_db()
    assert series.ended_at is not None
    with pytest.raises(PostActionError, match="ended already"):
        series_end(series=series, user=None)


def test_occurrences_publish_exactly_once_through_the_publish_job(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox, timezone="America/New_York")
    with time_machine.travel(at_new_york(2026, 10, 18, 12, 0), tick=False):
        series = weekly(franchise, days=["MO", "TU"])
        series_materialise_due(budget=TimeBudget(seconds=30))
    runs = []
    for day in (19, 20):
        with time_machine.travel(at_new_york(2026, 10, day, 9, 1), tick=False):
            runs += [posts_publish_due(budget=TimeBudget(seconds=30))["published"] for _ in range(2)]
            series_materialise_due(budget=TimeBudget(seconds=30))

    due = [p for p in occurrences(series) if p.series_day <= dt.date(2026, 10, 20)]
    assert runs == [1, 0, 1, 0]
    assert sandbox.client.calls("posts.create") == 2
    # Every occurrence has the same text, so each is matched to its copy on Google by name.
    on_google = sorted(item["name"] for item in google_posts(sandbox, franchise))
    assert on_google == sorted(p.google_post_name for p in due) and len(set(on_google)) == 2
    assert all(p.status == Post.Status.PUBLISHED and p.publishing_at is None for p in due)
    assert all(p.status == Post.Status.SCHEDULED for p in occurrences(series) if p not in due)


def test_saving_an_occurrence_unchanged_or_moving_it_by_hand():
    franchise = make_franchise(timezone="America/New_York")
    with time_machine.travel(at_new_york(2026, 10, 18, 12, 0), tick=False):
        series = weekly(franchise, days=["MO"])
        first, second, *_ = occurrences(series)
        post_update(post=first, summary=first.summary)  # saved as it was
        post_schedule(post=second, at=at_new_york(2026, 10, 26, 15, 0))  # moved by hand

    first.refresh_from_db()
    second.refresh_from_db()
    assert not first.series_edited and second.series_edited
