"""When a franchise's AI posts for a week go out: the coming week, spread over its days, at local
times people read their phones, stored in UTC."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import cache

# First pass over the week at 10:00 local, a second (posts_per_week > 7) at 14:00. Both are far
# from the 01:00-03:00 window where DST transitions happen, so every slot exists exactly once.
SLOT_TIMES = (dt.time(10, 0), dt.time(14, 0))
DAYS = 7


def week_start_coming(*, now: dt.datetime, tz: str) -> dt.date:
    """The Monday after today in the zone `tz`: the job runs Sunday 05:00 UTC, which is Saturday
    evening to Sunday evening around the world, so the coming week is the whole next one. Run on a
    Monday it still picks the next Monday, never a week that has already begun."""
    today = now.astimezone(_zone(tz)).date()
    return today + dt.timedelta(days=DAYS - today.weekday())


def slot_times(*, week_start: dt.date, tz: str, count: int) -> list[dt.datetime]:
    """`count` slot times (UTC) in the week of `week_start`, in order: days spaced evenly from
    Monday (1: Mon; 2: Mon, Thu; 3: Mon, Wed, Fri; 7: every day), then a second time of day."""
    zone = _zone(tz)
    times: list[dt.datetime] = []
    for n in range(count):
        round_, i = divmod(n, DAYS)
        in_round = min(DAYS, count - round_ * DAYS)
        day = week_start + dt.timedelta(days=(i * DAYS) // in_round)
        local = dt.datetime.combine(day, SLOT_TIMES[min(round_, len(SLOT_TIMES) - 1)], tzinfo=zone)
        times.append(local.astimezone(dt.UTC))
    return sorted(times)


@cache
def _zone(tz: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        # A bad zone name in the data must not stop the whole run; UTC slots are still sensible.
        return zoneinfo.ZoneInfo("UTC")
