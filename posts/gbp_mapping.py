"""A Post as Google's LocalPost (v4), and the checks Google would make, made before we call it.

Field names and enums follow Google's discovery schema (a copy is in sandbox/data/):
an unknown field is a 400 at Google, so nothing here invents one.
"""

from __future__ import annotations

import datetime as dt

from .links import link_problem, photo_problem
from .models import SUMMARY_MAX_LENGTH, Post, summary_length

# Fields a patch may update, by the Post fields that feed them.
UPDATE_MASK_FIELDS = ["summary", "callToAction", "media", "event", "offer", "topicType", "languageCode"]


def ends_before_start_message(topic_type: str) -> str:
    """The one message for an event or offer whose end is before its start (the editor's check
    and Google's are the same words)."""
    kind = "An offer" if topic_type == Post.TopicType.OFFER else "An event"
    return f"{kind} ends before it starts: pick an end after the start."


class PostNotPublishable(ValueError):
    """The post cannot go to Google as it is; the message says what to fix."""


def post_problems(post: Post) -> list[str]:
    """What Google would reject, in words a person can act on (empty when the post is fine)."""
    problems = []
    summary = post.summary or ""
    if not summary.strip():
        problems.append("The post has no text.")
    if (length := summary_length(summary)) > SUMMARY_MAX_LENGTH:
        problems.append(f"The text is {length:,} characters; Google allows {SUMMARY_MAX_LENGTH:,}.")
    if post.topic_type in (Post.TopicType.EVENT, Post.TopicType.OFFER):
        kind = "An event" if post.topic_type == Post.TopicType.EVENT else "An offer"
        if not post.event_title.strip():
            problems.append(f"{kind} needs a title.")
        if not (post.event_start and post.event_end):
            problems.append(f"{kind} needs a start and an end.")
        elif post.event_end < post.event_start:
            problems.append(ends_before_start_message(post.topic_type))
    if post.cta_action_type and post.topic_type != Post.TopicType.OFFER:
        if post.cta_action_type == Post.ActionType.CALL and post.cta_url:
            problems.append('A "Call now" button takes no link: Google calls the business phone number.')
        if post.cta_action_type != Post.ActionType.CALL and not post.cta_url:
            problems.append("The button needs a link.")
        if post.cta_action_type != Post.ActionType.CALL and (problem := link_problem(post.cta_url, "The button link")):
            problems.append(problem)
    if post.topic_type == Post.TopicType.OFFER and (problem := link_problem(post.offer_redeem_url, "The redeem link")):
        problems.append(problem)
    if problem := photo_problem(post.media_url):
        problems.append(problem)
    return problems


def _date(value: dt.datetime) -> dict:
    return {"year": value.year, "month": value.month, "day": value.day}


def _time(value: dt.datetime) -> dict:
    return {"hours": value.hour, "minutes": value.minute, "seconds": value.second, "nanos": 0}


def local_post_body(post: Post) -> dict:
    """The LocalPost JSON for `post`; raises PostNotPublishable when Google would refuse it."""
    problems = post_problems(post)
    if problems:
        raise PostNotPublishable(" ".join(problems))

    body: dict = {"languageCode": post.language_code or "en", "summary": post.summary, "topicType": post.topic_type}
    if post.cta_action_type and post.topic_type != Post.TopicType.OFFER:  # Google ignores a CTA on offers
        cta = {"actionType": post.cta_action_type}
        if post.cta_action_type != Post.ActionType.CALL:
            cta["url"] = post.cta_url
        body["callToAction"] = cta
    if post.media_url:
        body["media"] = [{"mediaFormat": "PHOTO", "sourceUrl": post.media_url}]
    if post.topic_type in (Post.TopicType.EVENT, Post.TopicType.OFFER):
        # Google reads an event's schedule in the location's own time.
        zone = post.franchise.zone
        start, end = post.event_start.astimezone(zone), post.event_end.astimezone(zone)
        body["event"] = {
            "title": post.event_title,
            "schedule": {
                "startDate": _date(start),
                "startTime": _time(start),
                "endDate": _date(end),
                "endTime": _time(end),
            },
        }
    if post.topic_type == Post.TopicType.OFFER:
        offer = {
            "couponCode": post.offer_coupon_code,
            "redeemOnlineUrl": post.offer_redeem_url,
            "termsConditions": post.offer_terms,
        }
        offer = {key: value for key, value in offer.items() if value}
        if offer:
            body["offer"] = offer
    return body
