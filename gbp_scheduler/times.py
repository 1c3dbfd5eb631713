"""Time helpers every app shares: the range of dates we accept, retry backoff, durations written
for people, and the one way a time reads (`when_text` and its kin; templates use them through the
`times` filters: gbp_scheduler/templatetags/times.py).

Why a date range at all: PostgreSQL stores timestamps up to the year 294276, but Python (and so
psycopg and Django) reads only years 1 to 9999. A local time of 9999-12-31 23:59 in New York is
year 10000 in UTC: stored fine, unreadable afterwards, and every query that touches the row
fails. Dates enter through forms, services and announcements; each checks this range, and the
database's check constraints refuse anything else.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils import timezone

EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
EARLIEST_DAY = EARLIEST.date()
LATEST_DAY = LATEST.date()
RANGE_TEXT = "between the years 2000 and 2100"


def validate_sane_datetime(value: dt.datetime | None) -> None:
    """A model and form validator: the date-time lies in the range this product works with."""
    if value is None:
        return
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    if not EARLIEST <= value <= LATEST:
        raise ValidationError(f"Pick a date {RANGE_TEXT}.", code="date_out_of_range")


def validate_sane_date(value: dt.date | None) -> None:
    if value is not None and not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValidationError(f"Pick a date {RANGE_TEXT}.", code="date_out_of_range")


def day_or_none(text: str | None) -> dt.date | None:
    """An ISO day from a query string, or None when it is missing, malformed or out of range."""
    try:
        day = dt.date.fromisoformat(text or "")
    except ValueError:
        return None
    return day if EARLIEST_DAY <= day <= LATEST_DAY else None


def backoff_seconds(
    attempts: int, *, base: float, cap: float, retry_after: float | None = None, jitter: str = "equal"
) -> float:
    """Exponential backoff, never sooner than the server's Retry-After. The window doubles with
    each attempt up to `cap`; `jitter` picks the delay in it: "equal" a random point in its upper
    half (a retry never comes very early: publishing), "full" anywhere in it (spreads retries
    most widely: the generation queue, whose rows wait on one shared rate limit)."""
    ceiling = min(cap, base * 2 ** max(0, attempts - 1))
    low = ceiling / 2 if jitter == "equal" else 0.0
    delay = random.uniform(low, ceiling)  # noqa: S311 - jitter, not cryptography
    return max(delay, retry_after or 0.0)


def human_duration(seconds: float) -> str:
    """A rough duration for a message: "45 s", "12 min", "1.5 h"."""
    if seconds < 90:
        return f"{round(seconds)} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def duration_text(seconds: float | None) -> str:
    """A duration to the second for a table: "12 s", "12 min 34 s", "2 h 1 min" ("—" for none)."""
    if seconds is None:
        return "—"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def iso_utc(value: dt.datetime | None, *, timespec: str = "auto") -> str | None:
    """`2026-11-29T07:54:53Z`: UTC with a Z, as the JSON answers give times."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def parse_rfc3339(value: str | None) -> dt.datetime | None:
    """Google's `2026-11-29T07:54:53.123Z`, or None when missing or unreadable."""
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


# --- how a time reads ------------------------------------------------------------------------
# One format everywhere (pages, emails, messages): "Sat 5 Dec 2026, 08:30", a day "Sat 5 Dec
# 2026", a month "December 2026". Shown in the page's zone, which the page names once; a time in
# another zone (a post of a franchise elsewhere) carries its zone's abbreviation.


def zone_of(zone=None) -> dt.tzinfo:
    """A zone from what templates and callers hold: None (the page's: Django's current zone), an
    IANA name, a tzinfo, or anything with a `zone` (a franchise)."""
    if zone is None or zone == "":
        return timezone.get_current_timezone()
    if isinstance(zone, str):
        return zoneinfo.ZoneInfo(zone)
    if isinstance(zone, dt.tzinfo):
        return zone
    return zone.zone


def zone_name(zone=None) -> str:
    """The IANA name of `zone` (the page's by default), as the page names it."""
    return str(getattr(zone_of(zone), "key", None) or zone_of(zone))


def _abbreviation(local: dt.datetime, zone, named: bool | None) -> str:
    if named is None:  # named only where it is not the page's zone
        named = zone is not None and zone_name(zone) != zone_name()
    return f" {local.tzname()}" if named else ""


def day_text(value: dt.date | dt.datetime | None, zone=None) -> str:
    """ "Sat 5 Dec 2026" (a date-time's day in `zone`)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.astimezone(zone_of(zone))
    return f"{value:%a} {value.day} {value:%b %Y}"


def day_short_text(value: dt.date | None) -> str:
    """ "Sat 5 Dec": a day of a calendar, whose month and year are said above it."""
    return "" if value is None else f"{value:%a} {value.day} {value:%b}"


def day_month_text(value: dt.date | None) -> str:
    """ "5 Dec": a day in a range whose year is said beside it."""
    return "" if value is None else f"{value.day} {value:%b}"


def month_text(value: dt.date | None) -> str:
    """ "December 2026"."""
    return "" if value is None else f"{value:%B %Y}"


def clock_text(value: dt.time | dt.datetime | None, zone=None, *, named: bool | None = None) -> str:
    """ "08:30" (24-hour), in `zone` for a date-time."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        local = value.astimezone(zone_of(zone))
        return f"{local:%H:%M}{_abbreviation(local, zone, named)}"
    return f"{value:%H:%M}"


def when_text(value: dt.datetime | dt.date | None, zone=None, *, named: bool | None = None) -> str:
    """ "Sat 5 Dec 2026, 08:30": a moment in `zone` (the page's by default). `named`: add the zone's
    abbreviation ("08:30 CET"); by default only when `zone` is not the page's zone. A date alone
    reads as its day."""
    if value is None:
        return ""
    if not isinstance(value, dt.datetime):
        return day_text(value)
    local = value.astimezone(zone_of(zone))
    return f"{day_text(local)}, {local:%H:%M}{_abbreviation(local, zone, named)}"


class LazyZone(dt.tzinfo):
    """A zone found only when a time is first shown: `find` returns its IANA name (the signed-in
    user's zone needs a query, which a redirect or a JSON answer never pays)."""

    def __init__(self, find: Callable[[], str]):
        self._find = find
        self._zone: zoneinfo.ZoneInfo | None = None

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        if self._zone is None:
            self._zone = zoneinfo.ZoneInfo(self._find())
        return self._zone

    @property
    def key(self) -> str:
        return self.zone.key

    def __str__(self) -> str:  # Django names the current zone (and the database its zone) by str()
        return self.zone.key

    def utcoffset(self, value):
        return self.zone.utcoffset(value)

    def dst(self, value):
        return self.zone.dst(value)

    def tzname(self, value):
        return self.zone.tzname(value)

    def fromutc(self, value):
        return self.zone.fromutc(value.replace(tzinfo=self.zone)).replace(tzinfo=self)
