from __future__ import annotations

import datetime as dt
import zoneinfo

from generation.slots import slot_times, week_start_coming

UTC = dt.UTC


def test_coming_week_is_the_monday_after_the_sunday_cron_in_every_zone():
    sunday_cron = dt.datetime(2026, 3, 1, 5, 0, tzinfo=UTC)  # Sunday 05:00 UTC
    for tz in ("America/New_York", "Pacific/Honolulu", "Europe/Berlin", "Pacific/Auckland", "Pacific/Kiritimati"):
        assert week_start_coming(now=sunday_cron, tz=tz) == dt.date(2026, 3, 2), tz


def test_coming_week_run_on_a_monday_is_the_next_monday_not_the_week_under_way():
    monday = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert week_start_coming(now=monday, tz="Europe/London") == dt.date(2026, 3, 9)


def test_slots_spread_over_the_week_at_ten_local():
    times = slot_times(week_start=dt.date(2026, 3, 2), tz="America/New_York", count=3)
    local = [t.astimezone(zoneinfo.ZoneInfo("America/New_York")) for t in times]
    assert [(t.strftime("%a"), t.hour, t.minute) for t in local] == [("Mon", 10, 0), ("Wed", 10, 0), ("Fri", 10, 0)]
    assert all(t.tzinfo == UTC for t in times)
    assert times[0] == dt.datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # EST is UTC-5


def test_more_than_seven_posts_add_an_afternoon_slot_and_stay_in_order():
    times = slot_times(week_start=dt.date(2026, 3, 2), tz="UTC", count=9)
    assert times == sorted(times)
    assert len(set(times)) == 9
    assert sum(1 for t in times if t.hour == 14) == 2
    assert {t.date() for t in times} == {dt.date(2026, 3, 2) + dt.timedelta(days=d) for d in range(7)}


def test_slot_on_the_day_clocks_change_keeps_its_local_time():
    # Berlin moves to summer time on Sunday 29 March 2026 at 02:00.
    times = slot_times(week_start=dt.date(2026, 3, 23), tz="Europe/Berlin", count=7)
    assert times[0] == dt.datetime(2026, 3, 23, 9, 0, tzinfo=UTC)  # CET, UTC+1
    assert times[-1] == dt.datetime(2026, 3, 29, 8, 0, tzinfo=UTC)  # CEST, UTC+2


def test_an_unknown_zone_falls_back_to_utc_instead_of_breaking_the_run():
    times = slot_times(week_start=dt.date(2026, 3, 2), tz="Mars/Olympus", count=1)
    assert times == [dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC)]
