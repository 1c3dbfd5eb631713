"""Time helpers every app shares: the range of dates we accept, retry backoff, and durations
written for people.

Why a date range at all: PostgreSQL stores timestamps up to the year 294276, but Python (and so
psycopg and Django) reads only years 1 to 9999. A local time of 9999-12-31 23:59 in New York is
year 10000 in UTC: stored fine, unreadable afterwards, and every query that touches the row
fails. Dates enter through forms, services and announcements; each checks this range, and the
database's check constraints refuse anything else.
"""

from __future__ import annotations

import datetime as dt
import random

from django.core.exceptions import ValidationError

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
