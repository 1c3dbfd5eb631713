"""Posts as files to download: CSV rows (the posts list, the calendar) and iCalendar events.

A CSV row starts with the import's columns (posts/services/imports.py), so an export edited in a
spreadsheet can come back through the import; then what the post's state is (in the one
vocabulary of posts/status.py) and what Google returned. Times are the franchise's local time,
as everywhere on the pages, with the zone in its own column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from . import content
from .models import Post
from .services.imports import COLUMNS, FIELD_COLUMNS, TIME_FORMATS
from .status import post_state

EXPORT_COLUMNS = [*COLUMNS, "state", "published_at", "time_zone", "google_search_url", "id"]
TIME_FORMAT = TIME_FORMATS[0]  # the import reads it back
EVENT_LENGTH = dt.timedelta(minutes=15)  # a post is a moment; a calendar needs an end
TITLE_CHARACTERS = 80


def _local(at: dt.datetime | None, zone) -> str:
    return timezone.localtime(at, zone).strftime(TIME_FORMAT) if at else ""


def post_csv_row(post: Post) -> list:
    """The post as a row of EXPORT_COLUMNS (reads post.franchise: load it with the post)."""
    zone = post.franchise.zone
    fields = [
        _local(value, zone) if isinstance(value, dt.datetime) else value
        for value in (getattr(post, name) for name in FIELD_COLUMNS)
    ]
    kind = content.TopicType(post.topic_type).label.lower()
    return [
        post.franchise.name,
        kind,
        post.summary,
        _local(post.scheduled_at, zone) if post.status != Post.Status.PUBLISHED else "",
        *fields,
        post_state(post).label,
        _local(post.published_at, zone),
        post.franchise.timezone,
        post.google_search_url,
        str(post.pk),
    ]


def posts_csv_rows(posts: Iterable[Post]) -> Iterator[list]:
    return (post_csv_row(post) for post in posts)


def posts_ical(posts: Iterable[Post], *, name: str) -> bytes:
    """An iCalendar (RFC 5545) file of the posts with a time: one event each at its publish time
    (published: when it went out), titled with its franchise and the start of its text, linking to
    its page. The same post keeps its UID, so a calendar that imports the file again updates it."""
    from icalendar import Calendar, Event  # only for those who download one

    calendar = Calendar()
    calendar.add("prodid", "-//GBP Post Scheduler//Posts//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    stamp = timezone.now()
    for post in posts:
        at = post.published_at or post.scheduled_at
        if at is None:
            continue
        state = post_state(post)
        text = " ".join(post.summary.split())
        event = Event()
        event.add("uid", f"{post.pk}@gbp-post-scheduler")
        event.add("dtstamp", stamp)
        event.add("dtstart", at.astimezone(dt.UTC))
        event.add("dtend", (at + EVENT_LENGTH).astimezone(dt.UTC))
        title = text if len(text) <= TITLE_CHARACTERS else text[: TITLE_CHARACTERS - 1] + "…"
        event.add("summary", f"{post.franchise.name}: {title}")
        event.add("description", f"{state.label}. {state.detail}".strip() + f"\n\n{post.summary}")
        event.add("url", settings.SITE_URL + reverse("posts:detail", args=[post.pk]))
        event.add("status", "CONFIRMED" if post.status == Post.Status.PUBLISHED else "TENTATIVE")
        calendar.add_component(event)
    return calendar.to_ical()
