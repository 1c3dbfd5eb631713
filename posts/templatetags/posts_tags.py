"""The posts pages' template tags: the text's count, a post's fields, Google's state in words (times:
the `times` library, gbp_scheduler/templatetags/times.py)."""

from __future__ import annotations

from django import template

from .. import status
from ..content import SPANS, SUMMARY_MAX_LENGTH, carries, summary_length
from ..status import GOOGLE_MEANING, GOOGLE_WHAT_TO_DO, PostState

register = template.Library()


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
    return GOOGLE_MEANING.get(state, "")


@register.filter
def google_todo(state: str) -> str:
    """What to do about a post Google rejected or removed."""
    return GOOGLE_WHAT_TO_DO.get(state, "")


@register.filter
def post_state(post) -> PostState:
    """What is true of the post now, in the one vocabulary (posts/status.py)."""
    return status.post_state(post)


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
