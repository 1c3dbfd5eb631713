"""What we ask Claude: one shared, cached system prompt, a per-franchise brief, and the output schema."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from franchises.models import Franchise

# Hard limits the validator enforces live in validation.py; the prompt asks for less so that a
# normal answer lands well inside them.
SYSTEM_PROMPT = """\
You write posts for local businesses' Google Business Profiles (the updates shown on Google \
Search and Maps). Each request gives you one business's profile, the day the post will go out \
and the business's most recent posts.

Write exactly one post:
- 80 to 200 words of plain text, well under 1,500 characters. No markdown, no headings, no \
hashtags, at most two emoji.
- In the tone the business asks for, speaking as the business ("we").
- Useful to a nearby customer: a service, a seasonal tip, what makes the business good at what \
it does. Make it fit the day it goes out when that helps (season, weekend, holidays).
- Different from the recent posts: a different angle, different opening, different wording.
- Only facts from the profile. Never invent prices, discounts, offers, events, awards, opening \
hours or staff names.
- Never include a phone number (Google rejects posts that contain one) or an email address.
- topic_type is always STANDARD.
- call_to_action: when the business has a website, a button whose url is on that website \
(the home page or a page under it) and whose action_type fits the post (LEARN_MORE, BOOK, \
ORDER, SHOP or SIGN_UP). When the business has no website, call_to_action is null.

Answer with the JSON object the output schema describes and nothing else."""

ACTION_TYPES = ["LEARN_MORE", "BOOK", "ORDER", "SHOP", "SIGN_UP"]
TOPIC_TYPES = ["STANDARD"]  # Offers and events would be promises the business never made.

OUTPUT_SCHEMA: dict = {
    "type": "object",
    "properties": {
        "summary": {"type": "string", "description": "The post text, plain text, under 1,500 characters."},
        "topic_type": {"type": "string", "enum": TOPIC_TYPES},
        "call_to_action": {
            "anyOf": [
                {
                    "type": "object",
                    "properties": {
                        "action_type": {"type": "string", "enum": ACTION_TYPES},
                        "url": {"type": "string", "description": "A page on the business's own website."},
                    },
                    "required": ["action_type", "url"],
                    "additionalProperties": False,
                },
                {"type": "null"},
            ]
        },
    },
    "required": ["summary", "topic_type", "call_to_action"],
    "additionalProperties": False,
}

RECENT_POST_CHARS = 300  # enough to show the angle of a post without paying for all of it


def system_blocks() -> list[dict]:
    # The same text for every franchise, so the cache entry is shared by the whole run.
    return [{"type": "text", "text": SYSTEM_PROMPT, "cache_control": {"type": "ephemeral"}}]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def user_message(*, franchise: Franchise, slot_at: dt.datetime, recent_summaries: Sequence[str]) -> str:
    """The franchise's brief. The website comes first among any URLs, and each field sits on its own
    `Label: value` line, so a reader (or the sandbox) finds them unambiguously."""
    local = slot_at.astimezone(franchise.zone)
    services = ", ".join(s.strip() for s in franchise.services.splitlines() if s.strip())
    lines = [
        "Write one Google Business Profile post for this business.",
        "",
        f"Business name: {_one_line(franchise.name)}",
        f"Website: {franchise.website or '(none: call_to_action must be null)'}",
        f"City: {_one_line(franchise.city) or '(not given)'}",
        f"Services: {services or '(not given)'}",
        f"Tone: {_one_line(franchise.tone) or 'friendly and professional'}",
        f"About: {_one_line(franchise.description) or '(not given)'}",
        f"Post goes out: {local:%A} {local.day} {local:%B %Y}",
        "",
    ]
    if recent_summaries:
        lines.append("Recent posts, newest first (do not repeat them):")
        for n, summary in enumerate(recent_summaries, start=1):
            text = _one_line(summary)
            if len(text) > RECENT_POST_CHARS:
                text = text[:RECENT_POST_CHARS].rstrip() + "…"
            lines.append(f"{n}. {text}")
    else:
        lines.append("Recent posts: none yet.")
    return "\n".join(lines)


def correction_message(error: str) -> str:
    return f"That answer was rejected: {error} Write the post again, fixing this, and answer with the JSON object only."
