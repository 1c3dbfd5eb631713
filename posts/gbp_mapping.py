"""A Post as Google's LocalPost (v4), and the checks Google would make, made before we call it.

Field names and enums follow Google's discovery schema (a copy is in sandbox/data/):
an unknown field is a 400 at Google, so nothing here invents one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from . import content
from .brand_rules import body_links_tagged
from .content import SUMMARY_MAX_LENGTH, ActionType, TopicType, summary_length
from .links import link_problem, photo_problem

if TYPE_CHECKING:
    from .models import Post

# Google keeps a post's type and language as created: an update rewrites the rest.
CREATE_ONLY = ("topicType", "languageCode")
# The LocalPost fields our posts set that an update rewrites, from the content's places (the text
# first: google_copy compares it apart from the rest).
PATCH_MASK = [
    place for place in dict.fromkeys(field.google.split(".")[0] for field in content.FIELDS) if place not in CREATE_ONLY
]


def _kind(topic_type: str) -> str:
    """The post's type in a sentence, for an event's or offer's problems."""
    return "An offer" if topic_type == TopicType.OFFER else "An event"


def ends_before_start_message(topic_type: str) -> str:
    """The one message for an event or offer whose end is before its start (the editor's check
    and Google's are the same words)."""
    return f"{_kind(topic_type)} ends before it starts: pick an end after the start."


class PostNotPublishable(ValueError):
    """The post cannot go to Google as it is; the message says what to fix."""


def post_problems(post: Post) -> list[str]:
    """What Google would reject, in words a person can act on (empty when the post is fine)."""
    return [problem for _field, problem in post_problems_by_field(post)]


def post_problems_by_field(post: Post) -> list[tuple[str, str]]:
    """post_problems, each with the content field it belongs next to in a form."""
    problems = []
    summary = post.summary or ""
    if not summary.strip():
        problems.append(("summary", "The post has no text."))
    if (length := summary_length(summary)) > SUMMARY_MAX_LENGTH:
        problems.append(("summary", f"The text is {length:,} characters; Google allows {SUMMARY_MAX_LENGTH:,}."))
    if content.carries(post.topic_type, "event_title"):
        kind = _kind(post.topic_type)
        if not post.event_title.strip():
            problems.append(("event_title", f"{kind} needs a title."))
        if not (post.event_start and post.event_end):
            problems.append(("event_end", f"{kind} needs a start and an end."))
        elif post.event_end < post.event_start:
            problems.append(("event_end", ends_before_start_message(post.topic_type)))
    if post.cta_action_type and content.carries(post.topic_type, "cta_action_type"):
        if post.cta_action_type == ActionType.CALL and post.cta_url:
            problems.append(("cta_url", 'A "Call now" button takes no link: Google calls the business phone number.'))
        if post.cta_action_type != ActionType.CALL and not post.cta_url:
            problems.append(("cta_url", "The button needs a link."))
        if post.cta_action_type != ActionType.CALL and (problem := link_problem(post.cta_url, "The button link")):
            problems.append(("cta_url", problem))
    if content.carries(post.topic_type, "offer_redeem_url") and (
        problem := link_problem(post.offer_redeem_url, "The redeem link")
    ):
        problems.append(("offer_redeem_url", problem))
    if problem := photo_problem(post.media_url):
        problems.append(("media_url", problem))
    return problems


def _date(value: dt.datetime) -> dict:
    return {"year": value.year, "month": value.month, "day": value.day}


def _time(value: dt.datetime) -> dict:
    return {"hours": value.hour, "minutes": value.minute, "seconds": value.second, "nanos": 0}


# The places whose value is not the column's as it is: what goes there instead (None: nothing).
SHAPES: dict[str, Callable[[Post, object], object]] = {
    "languageCode": lambda post, value: value or "en",
    # "Call now" takes no link (Google calls the business's number), and a link alone no button.
    "callToAction.url": lambda post, value: value if post.cta_action_type not in ("", ActionType.CALL) else None,
    "media": lambda post, value: [{"mediaFormat": "PHOTO", "sourceUrl": value}] if value else None,
}


def _place(body: dict, path: str, value) -> None:
    *parents, leaf = path.split(".")
    for key in parents:
        body = body.setdefault(key, {})
    body[leaf] = value


def local_post_body(post: Post) -> dict:
    """The LocalPost JSON for `post`; raises PostNotPublishable when Google would refuse it.

    Each field the post's type carries goes to its place (posts/content.py), unless empty; a
    date-time as a date and a time in the location's own zone, which is how Google reads an event's
    schedule. The button's and offer's links carry the brand's UTM tag when its rules ask for one."""
    problems = post_problems(post)
    if problems:
        raise PostNotPublishable(" ".join(problems))
    body: dict = {}
    for field in content.carried_by(post.topic_type):
        value = getattr(post, field.name)
        if field.google in SHAPES:
            value = SHAPES[field.google](post, value)
        if value in (None, ""):
            continue
        if isinstance(value, dt.datetime):
            local = value.astimezone(post.franchise.zone)
            _place(body, f"{field.google}Date", _date(local))
            _place(body, f"{field.google}Time", _time(local))
        else:
            _place(body, field.google, value)
    return body_links_tagged(post, body)
