"""Checks on what Claude returns, before it becomes a post. Each failure says what to fix, because
the message is fed back to the model once and then stored on the queue row."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from generation.prompt import ACTION_TYPES, TOPIC_TYPES
from posts.content import SUMMARY_MAX_LENGTH, summary_length
from posts.models import Post

# Common phone formats: +1 (555) 123-4567, 555-123-4567, 555.123.4567, +44 20 7946 0958,
# 020 7946 0958, and 10+ bare digits. Needs three digit groups (or one long run), so dates
# (2025-10-14), times (10:00-14:00) and prices ($1,299.00) do not match.
PHONE_RE = re.compile(
    r"""
    (?<![\w/])                                # not inside a word or a URL path
    (?:\+\d{1,3}[\s.-]?)?                     # country code
    (?:\(\d{2,5}\)[\s.-]?|\d{2,5}[\s.-])      # area code, maybe in brackets
    \d{3,4}[\s.-]?\d{3,4}                     # subscriber number
    (?!\w)
    |
    (?<![\w/])\+?\d{10,15}(?!\w)              # digits only
    """,
    re.VERBOSE,
)


CTA_URL_MAX_LENGTH = Post._meta.get_field("cta_url").max_length


class DraftInvalid(ValueError):
    """The model's answer cannot be used; the message says why."""


@dataclass(frozen=True)
class Draft:
    summary: str
    topic_type: str
    cta_action_type: str  # "" when there is no button
    cta_url: str


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def summary_check(summary: object) -> str:
    """The post text, stripped, if Google would take it."""
    if not isinstance(summary, str) or not summary.strip():
        raise DraftInvalid("summary is missing or empty.")
    summary = summary.strip()
    if (length := summary_length(summary)) > SUMMARY_MAX_LENGTH:
        raise DraftInvalid(
            f"summary is {length} characters; Google allows at most {SUMMARY_MAX_LENGTH}. Make it shorter."
        )
    if PHONE_RE.search(summary):
        raise DraftInvalid("summary contains a phone number; Google rejects posts with phone numbers. Remove it.")
    return summary


def _json_object(text: str, fields: str) -> dict:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise DraftInvalid(f"The answer was not valid JSON ({exc.msg}).") from exc
    if not isinstance(data, dict):
        raise DraftInvalid(f"The answer must be a JSON object with {fields}.")
    return data


def suggestion_parse(*, text: str) -> str:
    """The post text of an editor suggestion (a JSON object with summary), checked like a draft's."""
    return summary_check(_json_object(text, "summary").get("summary"))


def draft_parse(*, text: str, website: str) -> Draft:
    """Parse and check the model's JSON answer for a franchise whose site is `website` ("" if none)."""
    data = _json_object(text, "summary, topic_type and call_to_action")

    summary = summary_check(data.get("summary"))

    topic_type = data.get("topic_type") or "STANDARD"
    if topic_type not in TOPIC_TYPES:
        raise DraftInvalid(f"topic_type must be one of {', '.join(TOPIC_TYPES)}, not {topic_type!r}.")

    action_type, url = "", ""
    cta = data.get("call_to_action")
    # Without a website there is nowhere our own to send people: drop any button rather than fail.
    if cta and website:
        if not isinstance(cta, dict):
            raise DraftInvalid("call_to_action must be an object with action_type and url, or null.")
        action_type, url = cta.get("action_type") or "", (cta.get("url") or "").strip()
        if action_type not in ACTION_TYPES:
            raise DraftInvalid(f"call_to_action.action_type must be one of {', '.join(ACTION_TYPES)}.")
        if len(url) > CTA_URL_MAX_LENGTH:
            raise DraftInvalid(f"call_to_action.url is longer than {CTA_URL_MAX_LENGTH} characters.")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or _host(url) != _host(website):
            raise DraftInvalid(f"call_to_action.url must be a page on the business's website {website}, not {url!r}.")
    return Draft(summary=summary, topic_type=topic_type, cta_action_type=action_type, cta_url=url)
