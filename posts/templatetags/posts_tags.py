"""The posts pages' template tags: times in a franchise's own zone, the text's count, a post's fields."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django import template
from django.utils.html import format_html

from ..content import SPANS, SUMMARY_MAX_LENGTH, carries, summary_length

register = template.Library()


@register.simple_tag
def local_time(value: dt.datetime | None, zone: str, fmt: str = "%a %-d %b %Y, %H:%M", show_zone: bool = True):
    """`<time>` with the moment in `zone`, e.g. "Tue 1 Dec 2026, 09:00 EST (America/New_York)"."""
    if value is None:
        return ""
    local = value.astimezone(zoneinfo.ZoneInfo(zone))
    text = f"{local.strftime(fmt)} {local.tzname()}"
    if show_zone:
        return format_html(
            '<time datetime="{}">{} <span class="zone">({})</span></time>', value.isoformat(), text, zone
        )
    return format_html('<time datetime="{}">{}</time>', value.isoformat(), text)


@register.filter
def char_count(value: str | None, limit: int = SUMMARY_MAX_LENGTH) -> str:
    """The editor's counter as the page first shows it (static/js/app.js keeps it live, counting
    the same way: summary_length)."""
    length = summary_length(value or "")
    text = f"{length:,} / {limit:,} characters"
    return f"{text} — {length - limit:,} too many" if length > limit else text


@register.filter
def over_summary_limit(value: str | None) -> bool:
    return summary_length(value or "") > SUMMARY_MAX_LENGTH


@register.filter(name="carries")
def post_carries(post, name: str) -> bool:
    """Whether the post's type has the content field `name` (posts/content.py)."""
    return carries(post.topic_type, name)


@register.filter
def google_meaning(state: str) -> str:
    """What it means that Google rejected or removed a post (blank for other states)."""
    from ..services.google_notices import MEANING

    return MEANING.get(state, "")


@register.filter
def google_todo(state: str) -> str:
    """What to do about a post Google rejected or removed."""
    from ..services.google_notices import WHAT_TO_DO

    return WHAT_TO_DO.get(state, "")


# Google's states of a LocalPost, in words (posts.models has REJECTED and REMOVED, our own for a
# post gone from Google). An unknown state shows as Google sent it.
GOOGLE_STATE_WORDS = {
    "LIVE": "Live: customers see it on Google",
    "PROCESSING": "Google is still processing it",
    "SCHEDULED": "Waiting on Google for its time to show",
    "RECURRING": "Repeating on Google",
    "REJECTED": "Rejected by Google's review: customers do not see it",
    "REMOVED": "Removed from Google: customers do not see it",
}


@register.filter
def google_state_words(state: str) -> str:
    """Google's state of a published post, as a person would say it."""
    return GOOGLE_STATE_WORDS.get(state, state)


@register.filter
def shown_when(form, name: str) -> str:
    """A repeating post's rule field's `data-shown-when` ("frequency=weekly"): SeriesForm says."""
    return form.shown_when(name)


@register.filter
def spans(post) -> list[tuple]:
    """The post's spans of time its type carries and that are set (an event's or offer's start
    and end: posts/content.py), each as (start, end)."""
    return [
        (getattr(post, start), getattr(post, end))
        for start, end in SPANS.values()
        if carries(post.topic_type, start) and getattr(post, start) and getattr(post, end)
    ]
