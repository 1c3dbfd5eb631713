"""What we ask Claude: one shared system prompt, a per-franchise brief, the output schema, and
the editor's rewrite requests.

No prompt caching (`cache_control`): Anthropic caches a prefix only from the model's minimum
cacheable length, 4,096 tokens for Claude Haiku 4.5, the default model (Anthropic's prompt-caching
guide, platform.claude.com/docs/en/build-with-claude/prompt-caching, "Cache limitations"), and
silently processes a shorter one uncached. Our shared prefix (system prompt and output schema,
about 2,000 characters) is some 500 tokens, so the mark was never honoured. Reaching 4,096 would
take eight times the instructions, and 4,096 tokens read from the cache (at 0.1x the input price)
cost about what the 500 uncached ones cost now, before the 1.25x price of each cache write and
with only best-effort cache hits inside Message Batches: nothing to save, so nothing is claimed.
Should a long shared prefix earn its place one day (worked examples), mark it here: the usage
columns record cache reads and writes, and the sandbox reports them from the model's minimum.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from franchises.models import Franchise
from franchises.variables import franchise_variables_filled, text_filled

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
- Different from the recent posts: a different angle, different opening, different wording. \
Follow the angle the request suggests when it fits the business.
- When staff rejected earlier drafts, the request says why: avoid those problems.
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
REASON_CHARS = 300

# One angle per slot, turning week by week: a franchise's drafts of one week are written at once
# in a Message Batch, where none sees the others, so each is pointed somewhere else.
ANGLES = (
    "a service or product the business is proud of, and who it is for",
    "a practical seasonal tip a nearby customer can use, tied to what the business does",
    "what makes the business different: how the work is done and the care behind it",
    "a question customers often ask, answered plainly",
    "an invitation to visit this week, with a concrete reason to come",
    "the neighbourhood or city, and how the business is part of it",
    "a look behind the scenes at a typical day",
)


def angle_for(*, week_start: dt.date, slot: int) -> str:
    return ANGLES[(week_start.isocalendar().week + slot) % len(ANGLES)]


def system_blocks() -> list[dict]:
    # The same text for every franchise and every request (see the module's note on caching).
    return [{"type": "text", "text": SYSTEM_PROMPT}]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _clipped(text: str, limit: int) -> str:
    text = _one_line(text)
    return text[:limit].rstrip() + "…" if len(text) > limit else text


def _profile_lines(franchise: Franchise) -> list[str]:
    """The business's profile, each field on its own `Label: value` line with the website first
    among any URLs, so a reader (or the sandbox) finds them unambiguously; then headquarters'
    variables with this franchise's values ("Coupon code: SPRING10"), which the profile's texts may
    also name as placeholders ("{coupon_code}", filled in here)."""
    variables = franchise_variables_filled(franchise)
    values = {variable.key: value for variable, value in variables}

    def filled(text: str) -> str:
        return text_filled(text, franchise=franchise, values=values)

    services = ", ".join(filled(s.strip()) for s in franchise.services.splitlines() if s.strip())
    return [
        f"Business name: {_one_line(franchise.name)}",
        f"Website: {franchise.website or '(none: call_to_action must be null)'}",
        f"City: {_one_line(franchise.city) or '(not given)'}",
        f"Services: {services or '(not given)'}",
        f"Tone: {_one_line(filled(franchise.tone)) or 'friendly and professional'}",
        f"About: {_one_line(filled(franchise.description)) or '(not given)'}",
        *(f"{_one_line(variable.label)}: {_one_line(value)}" for variable, value in variables),
    ]


def user_message(
    *,
    franchise: Franchise,
    slot_at: dt.datetime,
    recent_summaries: Sequence[str],
    angle: str = "",
    rejection_reasons: Sequence[str] = (),
) -> str:
    """The franchise's brief for one weekly draft."""
    local = slot_at.astimezone(franchise.zone)
    lines = [
        "Write one Google Business Profile post for this business.",
        "",
        *_profile_lines(franchise),
        f"Post goes out: {local:%A} {local.day} {local:%B %Y}",
    ]
    if angle:
        lines.append(f"Suggested angle: {angle}")
    lines.append("")
    if recent_summaries:
        lines.append("Recent posts, newest first (do not repeat them):")
        lines += [f"{n}. {_clipped(summary, RECENT_POST_CHARS)}" for n, summary in enumerate(recent_summaries, 1)]
    else:
        lines.append("Recent posts: none yet.")
    if rejection_reasons:
        lines += ["", "Staff rejected recent drafts for these reasons (avoid the same problems):"]
        lines += [f"- {_clipped(reason, REASON_CHARS)}" for reason in rejection_reasons]
    return "\n".join(lines)


def correction_message(error: str) -> str:
    return f"That answer was rejected: {error} Write the post again, fixing this, and answer with the JSON object only."


# --- the editor's AI help: one suggestion for the text being edited --------------------------------

ASSIST_SYSTEM_PROMPT = """\
You help the staff of a local business edit a post for its Google Business Profile (the updates \
shown on Google Search and Maps). Each request gives you the business's profile, the post's \
current text and what the person wants changed. Answer with one new version of the post text.

- Plain text under 1,500 characters. No markdown, no headings, no hashtags, at most two emoji.
- Keep every fact of the current text that the change does not ask you to drop; add no facts \
beyond the text and the profile. Never invent prices, discounts, offers, events, opening hours \
or staff names.
- Never include a phone number (Google rejects posts that contain one) or an email address.
- Speak as the business ("we").

Answer with the JSON object the output schema describes and nothing else."""

ASSIST_ACTIONS: dict[str, tuple[str, str]] = {
    # action: (button label, what the model is asked to do)
    "rewrite": ("Rewrite", "Rewrite the post: same message and facts, fresher wording and a stronger opening."),
    "shorter": ("Shorter", "Make the post about half as long, keeping its main point and any call to action."),
    "friendlier": ("Friendlier", "Make the tone warmer, more personal and more relaxed, keeping the facts."),
    "formal": ("More formal", "Make the tone more formal and professional, keeping the facts."),
    "angle": (
        "Another angle",
        "Write a different post for the same business: another angle on what it offers, not a reworded copy.",
    ),
}

ASSIST_SCHEMA: dict = {
    "type": "object",
    "properties": {"summary": {"type": "string", "description": "The new post text, plain text."}},
    "required": ["summary"],
    "additionalProperties": False,
}


def assist_message(*, franchise: Franchise, action: str, text: str) -> str:
    return "\n".join(
        [
            f"Change wanted: {ASSIST_ACTIONS[action][1]}",
            "",
            *_profile_lines(franchise),
            "",
            "Current text of the post:",
            text.strip(),
        ]
    )


# --- a repeating post's variation: the same message in new words, for one of its posts ------------

VARIATION_SYSTEM_PROMPT = """\
You vary the text of a repeating post on a local business's Google Business Profile (the updates \
shown on Google Search and Maps), so that the business does not publish the same words every \
time. Each request gives you the business's profile, the day this post goes out, the post's text \
and the business's most recent posts. Answer with one new version of the text.

- The same message, offer and facts, in different words from the text and from the recent posts: \
a different opening, different sentences. Keep any link, price, date, code or name exactly as written.
- Plain text under 1,500 characters, about as long as the text. No markdown, no headings, no \
hashtags, at most two emoji.
- Add no facts beyond the text and the profile. Never invent prices, discounts, offers, events, \
opening hours or staff names.
- Never include a phone number (Google rejects posts that contain one) or an email address.
- Speak as the business ("we").

Answer with the JSON object the output schema describes and nothing else."""


def variation_system_blocks() -> list[dict]:
    return [{"type": "text", "text": VARIATION_SYSTEM_PROMPT}]


def variation_message(*, franchise: Franchise, text: str, slot_at: dt.datetime, recent_summaries: Sequence[str]) -> str:
    """The brief for one post of a repeating post: its text, to be said again in new words."""
    local = slot_at.astimezone(franchise.zone)
    lines = [
        "Write a new version of this repeating post's text for one of its posts.",
        "",
        *_profile_lines(franchise),
        f"Post goes out: {local:%A} {local.day} {local:%B %Y}",
        "",
        "The post's text:",
        text.strip(),
        "",
    ]
    if recent_summaries:
        lines.append("Recent posts, newest first (do not repeat their wording):")
        lines += [f"{n}. {_clipped(summary, RECENT_POST_CHARS)}" for n, summary in enumerate(recent_summaries, 1)]
    else:
        lines.append("Recent posts: none yet.")
    return "\n".join(lines)
