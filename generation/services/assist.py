"""AI help in the post editor: one suggestion for the text being edited ("rewrite", "shorter",
"friendlier", "more formal", "another angle"), which the person accepts or discards. One
synchronous call with the franchise's profile and the current text; nothing is saved here."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from franchises.models import Franchise
from gbp_scheduler.throttle import allowance_take
from generation import anthropic_client as claude
from generation import prompt
from generation.models import GenerationUsage
from generation.services.rows import usage_record
from generation.validation import DraftInvalid, suggestion_parse

ASSIST_MAX_INPUT = 3000  # twice Google's limit: a text too long to post can still be shortened
ASSIST_MAX_TOKENS = 1024
ASSIST_TIMEOUT_SECONDS = 30.0  # a person is waiting


class AssistRefused(Exception):
    """No suggestion; the message says why to the person, `status` is the HTTP answer's."""

    def __init__(self, message: str, *, status: int):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Suggestion:
    action: str
    label: str
    text: str


def post_text_suggest(*, franchise: Franchise, action: str, text: str, user: AbstractBaseUser) -> Suggestion:
    """Claude's suggestion for `text` of a post of `franchise`.

    1. Refuse at once an unknown action, an empty or oversized text, and a user past
       GENERATION_ASSIST_PER_USER_PER_HOUR.
    2. Ask Claude (structured output: {summary}); record the tokens against the franchise.
    3. Check the answer as a post text (length, no phone number); if it fails, feed the problem
       back once.
    """
    if not settings.ANTHROPIC_API_KEY:
        raise AssistRefused("AI help is not set up here (no ANTHROPIC_API_KEY).", status=503)
    if action not in prompt.ASSIST_ACTIONS:
        raise AssistRefused("Unknown kind of help.", status=400)
    text = text.strip()
    if not text:
        raise AssistRefused("Write something first: the AI works on the text you have.", status=400)
    if len(text) > ASSIST_MAX_INPUT:
        raise AssistRefused(
            f"The text is {len(text):,} characters; AI help takes at most {ASSIST_MAX_INPUT:,}.", status=400
        )
    _count_against_hourly_limit(user)
    brief = prompt.assist_message(franchise=franchise, action=action, text=text)
    messages: list[dict] = [{"role": "user", "content": brief}]
    for attempt in range(2):
        params = claude.message_params(
            system=[{"type": "text", "text": prompt.ASSIST_SYSTEM_PROMPT}],
            messages=messages,
            output_schema=prompt.ASSIST_SCHEMA,
            max_tokens=ASSIST_MAX_TOKENS,
        )
        try:
            reply = claude.messages_create(params=params, timeout=ASSIST_TIMEOUT_SECONDS)
        except claude.AnthropicTransientError as exc:
            raise AssistRefused("Claude is busy right now; try again in a minute.", status=503) from exc
        except claude.AnthropicError as exc:
            raise AssistRefused(f"AI help is unavailable: {exc}", status=502) from exc
        usage_record(franchise_id=franchise.id, reply=reply, batch=False, purpose=GenerationUsage.Purpose.ASSIST)
        try:
            return Suggestion(action, prompt.ASSIST_ACTIONS[action][0], suggestion_parse(text=reply.text))
        except DraftInvalid as exc:
            if attempt == 1:
                raise AssistRefused(f"Claude's suggestion was not usable ({exc}) Try again.", status=502) from exc
            messages += [
                {"role": "assistant", "content": reply.text or "(no answer)"},
                {"role": "user", "content": prompt.correction_message(str(exc))},
            ]
    raise AssertionError("unreachable")  # pragma: no cover


def _count_against_hourly_limit(user: AbstractBaseUser) -> None:
    """A fixed one-hour window per user: each suggestion costs."""
    limit = settings.GENERATION_ASSIST_PER_USER_PER_HOUR
    if not allowance_take(key=f"generation:assist:{user.pk}", limit=limit):
        raise AssistRefused(f"You have asked for {limit} suggestions this hour; try again later.", status=429)
