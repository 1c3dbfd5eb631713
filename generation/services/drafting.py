"""Writing one weekly draft for a claimed row: the brief, the answer checked, and once, if it
failed the checks, the answer fed back with what was wrong. The first answer may come from a
Message Batch; a correction, and every retry, is a synchronous call."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings

from franchises.models import Franchise
from gbp_scheduler.jobs import TimeBudget
from generation import anthropic_client as claude
from generation import prompt
from generation.models import GenerationQueue, GenerationUsage
from generation.selectors import franchise_wants_drafts, post_summaries_recent, rejection_reasons_for_drafts
from generation.services.rows import Claim, Outcome, Spent, row_complete, row_defer, row_finish, usage_record
from generation.services.variations import variation_wanted
from generation.validation import Draft, DraftInvalid, draft_parse, suggestion_parse

Status = GenerationQueue.Status
SKIPPED = "Skipped: the franchise is inactive, disconnected from Google, or no longer wants AI drafts."
VARIATION_SKIPPED = (
    "Skipped: the repeating post's draft no longer waits for a variation (edited, scheduled or deleted by a person, "
    "its time passed, or the series ended or stopped asking)."
)


def row_wanted(*, row: GenerationQueue) -> str:
    """ "" when the row is still to be written, else why not (its row is then skipped)."""
    if row.is_variation:
        return "" if variation_wanted(row=row) else VARIATION_SKIPPED
    return "" if franchise_wants_drafts(franchise=row.franchise) else SKIPPED


MAX_TOKENS = 1024  # a 1,500-character post is ~400 tokens; room for the JSON around it
MIN_CALL_SECONDS = 2.0  # below this even a healthy answer could not arrive


def draft_brief(
    *,
    row: GenerationQueue,
    franchise: Franchise,
    recent_summaries: Sequence[str] | None = None,
    rejection_reasons: Sequence[str] | None = None,
) -> list[dict]:
    """The first turn: the franchise's profile, its recent posts, the reasons staff gave for
    rejecting its recent drafts (both read here unless given), and an angle for this slot. For a
    repeating post's variation: the profile, the occurrence's text and the recent posts."""
    if row.is_variation:
        recent = post_summaries_recent(franchise_id=franchise.id) if recent_summaries is None else recent_summaries
        text = row.post.summary if row.post else ""
        message = prompt.variation_message(
            franchise=franchise, text=text, slot_at=row.scheduled_for, recent_summaries=recent
        )
        return [{"role": "user", "content": message}]
    content = prompt.user_message(
        franchise=franchise,
        slot_at=row.scheduled_for,
        recent_summaries=(
            post_summaries_recent(franchise_id=franchise.id) if recent_summaries is None else recent_summaries
        ),
        angle=prompt.angle_for(week_start=row.week_start, slot=row.slot),
        rejection_reasons=(
            rejection_reasons_for_drafts(franchise_id=franchise.id) if rejection_reasons is None else rejection_reasons
        ),
    )
    return [{"role": "user", "content": content}]


def draft_params(messages: list[dict], *, variation: bool = False) -> dict:
    if variation:
        return claude.message_params(
            system=prompt.variation_system_blocks(),
            messages=messages,
            output_schema=prompt.ASSIST_SCHEMA,
            max_tokens=MAX_TOKENS,
        )
    return claude.message_params(
        system=prompt.system_blocks(), messages=messages, output_schema=prompt.OUTPUT_SCHEMA, max_tokens=MAX_TOKENS
    )


def draft_check(*, reply: claude.MessageReply, franchise: Franchise, variation: bool = False) -> Draft:
    """The answer as a draft (a variation: its text only), or DraftInvalid saying what to fix."""
    if reply.stop_reason == "max_tokens":
        raise DraftInvalid("The answer was cut off; write a shorter post.")
    if reply.stop_reason == "refusal":
        raise DraftInvalid("The model declined to write this post.")
    if variation:
        return Draft(summary=suggestion_parse(text=reply.text), topic_type="", cta_action_type="", cta_url="")
    return draft_parse(text=reply.text, website=franchise.website)


def draft_ask(
    *,
    row: GenerationQueue,
    franchise: Franchise,
    spent: Spent,
    budget: TimeBudget | None,
    first: tuple[list[dict], claude.MessageReply, DraftInvalid] | None = None,
) -> Draft:
    """Ask Claude for the row's draft. With `first` (the brief, an answer that failed the checks
    and why), only the correction is asked. Every answer's tokens go into `spent` and the usage
    record as they arrive. Raises DraftInvalid when the last answer fails too, or the client's
    AnthropicError."""
    if first is None:
        messages, attempts = draft_brief(row=row, franchise=franchise), range(2)
    else:
        brief, reply, problem = first
        messages, attempts = _corrected(brief, reply, problem), range(1, 2)
    for attempt in attempts:
        params = draft_params(messages, variation=row.is_variation)
        reply = claude.messages_create(params=params, timeout=call_timeout(budget))
        usage_record(franchise_id=franchise.id, row_id=row.id, reply=reply, batch=False, purpose=usage_purpose(row))
        spent.usage += reply.usage
        try:
            return draft_check(reply=reply, franchise=franchise, variation=row.is_variation)
        except DraftInvalid as exc:
            if attempt == 1:
                raise
            messages = _corrected(messages, reply, exc)
    raise AssertionError("unreachable")  # pragma: no cover


def usage_purpose(row: GenerationQueue) -> str:
    return GenerationUsage.Purpose.VARIATION if row.is_variation else GenerationUsage.Purpose.DRAFT


def _corrected(messages: list[dict], reply: claude.MessageReply, problem: DraftInvalid) -> list[dict]:
    return [
        *messages,
        {"role": "assistant", "content": reply.text or "(no answer)"},
        {"role": "user", "content": prompt.correction_message(str(problem))},
    ]


def call_timeout(budget: TimeBudget | None) -> float | None:
    """A call started near the end of the budget may not outlive it by much: the run must answer
    before the platform kills it (a killed run leaves its rows to the lease). Cut short, the call
    is a timeout like any other and the row is retried later."""
    if budget is None:
        return None
    return min(settings.ANTHROPIC_TIMEOUT_SECONDS, max(MIN_CALL_SECONDS, budget.remaining))


def generation_row_process(
    *,
    claim: Claim,
    budget: TimeBudget | None = None,
    first: tuple[list[dict], claude.MessageReply, DraftInvalid] | None = None,
    spent: Spent | None = None,
) -> Outcome:
    """Ask Claude for one post for a claimed row, synchronously, and record what happened. No
    transaction is open during the call to Anthropic; results are written only while the claim
    still holds. `first` and `spent`: a batch's answer that failed the checks, to be corrected."""
    row = GenerationQueue.objects.select_related("franchise", "post").get(id=claim.id)
    franchise = row.franchise
    if skipped := row_wanted(row=row):
        usage = spent.usage if spent else None
        return row_finish(claim, "skipped", status=Status.FAILED, error=skipped, attempts=row.attempts, usage=usage)
    spent = spent or Spent()
    try:
        draft = draft_ask(row=row, franchise=franchise, spent=spent, budget=budget, first=first)
    except claude.AnthropicTransientError as exc:
        return row_defer(
            claim,
            row=row,
            reason=str(exc),
            retry_after=exc.retry_after,
            usage=spent.usage,
            stop_run=isinstance(exc, claude.AnthropicRateLimitedError),
        )
    except claude.AnthropicError as exc:
        return row_finish(
            claim,
            "failed",
            status=Status.FAILED,
            error=str(exc),
            attempts=row.attempts + 1,
            usage=spent.usage,
            stop_run=isinstance(exc, claude.AnthropicAccountError),
        )
    except DraftInvalid as exc:
        error = f"The model's answer was invalid twice; last problem: {exc}"
        return row_finish(
            claim, "failed", status=Status.FAILED, error=error, attempts=row.attempts + 1, usage=spent.usage
        )
    return row_complete(claim, row=row, franchise=franchise, draft=draft, usage=spent.usage, from_batch=False)
