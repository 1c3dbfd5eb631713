"""The one place that speaks to Anthropic, through the official SDK: Messages, Message Batches
and the free models list.

It sets timeouts, leaves retries to our queue (max_retries=0: the queue's backoff is the retry
policy), and turns the SDK's errors into two kinds: transient (retry later) and permanent.

The SDK is imported on first use (`_sdk()`), not with this module: it takes the better part of a
second, and every cold process would pay it for pages and health checks that never call Claude.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    import anthropic

PROBE_TIMEOUT_SECONDS = 5.0


class AnthropicError(Exception):
    """Base of what this module raises; the message is safe to store and show."""


class AnthropicTransientError(AnthropicError):
    """429, 529, 5xx, timeouts and connection errors: try again later."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class AnthropicPermanentError(AnthropicError):
    """400, 401, 403, 404, a spent budget: retrying will not help."""


class AnthropicRateLimitedError(AnthropicTransientError):
    """429 or 529: Anthropic asks us to slow down, so a run stops taking new work."""


class AnthropicNotFoundError(AnthropicPermanentError):
    """404 for a Message Batch: Anthropic no longer has it (deleted, or its results are gone)."""


class AnthropicAccountError(AnthropicPermanentError):
    """401, 403, an unknown model (404) or a spent credit balance: wrong for every request, not just
    this one, so a run stops taking new work instead of failing the whole queue row by row."""


def _sdk():
    import anthropic

    return anthropic


def client(*, timeout: float | None = None) -> anthropic.Anthropic:
    """The SDK client for the current settings, shared: building one costs tens of ms and opens a
    fresh connection (a TLS handshake against the real API); it is safe to share between threads."""
    return _client(
        settings.ANTHROPIC_API_KEY, settings.ANTHROPIC_BASE_URL, timeout or settings.ANTHROPIC_TIMEOUT_SECONDS
    )


@functools.lru_cache(maxsize=8)
def _client(api_key: str, base_url: str, timeout: float) -> anthropic.Anthropic:
    # Keyed on the settings, so a changed key or base URL takes effect at once.
    return _sdk().Anthropic(api_key=api_key or None, base_url=base_url or None, timeout=timeout, max_retries=0)


def _retry_after(exc: anthropic.APIStatusError) -> float | None:
    value = exc.response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def error_from_sdk(exc: Exception) -> AnthropicError:
    """Map an SDK exception to our kinds, with a message a person can act on."""
    if isinstance(exc, _sdk().APITimeoutError):
        return AnthropicTransientError("Anthropic did not answer in time.")
    if isinstance(exc, _sdk().APIConnectionError):
        return AnthropicTransientError("Could not connect to Anthropic.")
    if isinstance(exc, _sdk().APIStatusError):
        status = exc.status_code
        detail = getattr(exc, "message", "") or str(exc)
        message = f"Anthropic answered {status}: {detail}"
        if status in (429, 529):
            return AnthropicRateLimitedError(message, retry_after=_retry_after(exc))
        if status >= 500:
            return AnthropicTransientError(message, retry_after=_retry_after(exc))
        if status in (401, 403):
            return AnthropicAccountError(f"Anthropic refused the API key ({status}): check ANTHROPIC_API_KEY. {detail}")
        if status == 404 or (status == 400 and "credit balance" in detail.lower()):
            return AnthropicAccountError(f"Anthropic rejected the request ({status}): {detail}")
        return AnthropicPermanentError(f"Anthropic rejected the request ({status}): {detail}")
    return AnthropicPermanentError(f"Unexpected error talking to Anthropic: {exc.__class__.__name__}")


@dataclass
class ModelsProbe:
    model_count: int


def models_list() -> ModelsProbe:
    """List models: the free call that proves the API is reachable and the key works."""
    try:
        page = client(timeout=PROBE_TIMEOUT_SECONDS).models.list(limit=20)
    except _sdk().AnthropicError as exc:
        raise error_from_sdk(exc) from exc
    return ModelsProbe(model_count=len(page.data))


@dataclass(frozen=True)
class TokenUsage:
    """Tokens as Anthropic bills them: uncached input, output, and input read from or written to
    the prompt cache (each priced differently)."""

    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            self.input + other.input,
            self.output + other.output,
            self.cache_read + other.cache_read,
            self.cache_write + other.cache_write,
        )

    @classmethod
    def from_sdk(cls, usage) -> TokenUsage:
        return cls(
            input=usage.input_tokens,
            output=usage.output_tokens,
            cache_read=usage.cache_read_input_tokens or 0,
            cache_write=usage.cache_creation_input_tokens or 0,
        )


@dataclass(frozen=True)
class MessageReply:
    text: str
    stop_reason: str | None
    usage: TokenUsage
    model: str


def _reply(message) -> MessageReply:
    return MessageReply(
        text="".join(block.text for block in message.content if block.type == "text"),
        stop_reason=message.stop_reason,
        usage=TokenUsage.from_sdk(message.usage),
        model=message.model,
    )


def message_params(*, system: list[dict], messages: list[dict], output_schema: dict, max_tokens: int) -> dict:
    """The Messages parameters of one request with structured output (`output_config.format` = a
    JSON schema): the same for a synchronous call and a request in a Message Batch."""
    return {
        "model": settings.ANTHROPIC_MODEL,
        "max_tokens": max_tokens,
        "system": system,
        "messages": messages,
        "output_config": {"format": {"type": "json_schema", "schema": output_schema}},
    }


def messages_create(*, params: dict, timeout: float | None = None) -> MessageReply:
    """One synchronous Messages call with `params` (from message_params).

    Raises AnthropicRateLimitedError / AnthropicTransientError (retry later) or
    AnthropicAccountError / AnthropicPermanentError (do not).
    """
    # `timeout` shortens ANTHROPIC_TIMEOUT_SECONDS for one call (the end of a run's time budget).
    default_timeout = settings.ANTHROPIC_TIMEOUT_SECONDS
    try:
        message = client().messages.create(
            **params, timeout=min(default_timeout, timeout) if timeout else default_timeout
        )
    except _sdk().AnthropicError as exc:
        raise error_from_sdk(exc) from exc
    return _reply(message)


# --- Message Batches ---------------------------------------------------------------------------
# POST /v1/messages/batches takes up to 100,000 requests (256 MB), each a custom_id and the
# Messages params; it is billed at 50 % of the standard price, most batches end within an hour and
# every one within 24 h (its unfinished requests then end `expired`); results stay 29 days
# (Anthropic's batch-processing guide, platform.claude.com/docs/en/build-with-claude/batch-processing).


@dataclass(frozen=True)
class BatchInfo:
    id: str
    processing_status: str  # in_progress | canceling | ended
    created_at: dt.datetime
    expires_at: dt.datetime
    ended_at: dt.datetime | None


@dataclass(frozen=True)
class BatchResult:
    custom_id: str
    type: str  # succeeded | errored | canceled | expired
    reply: MessageReply | None = None  # succeeded
    error: str = ""  # errored: "<error type>: <message>"


def _batch_info(batch) -> BatchInfo:
    return BatchInfo(batch.id, batch.processing_status, batch.created_at, batch.expires_at, batch.ended_at)


def _batch_call(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except _sdk().NotFoundError as exc:
        raise AnthropicNotFoundError(f"Anthropic has no such Message Batch ({exc.status_code}).") from exc
    except _sdk().AnthropicError as exc:
        raise error_from_sdk(exc) from exc


def batch_create(*, requests: list[dict], timeout: float | None = None) -> BatchInfo:
    """Send `requests` ([{custom_id, params}]) as one Message Batch. A timeout or lost connection
    leaves it unknown whether Anthropic created the batch (AnthropicTransientError)."""
    batches = client().messages.batches
    timeout = timeout or settings.ANTHROPIC_TIMEOUT_SECONDS
    return _batch_info(_batch_call(batches.create, requests=requests, timeout=timeout))


def batch_retrieve(*, batch_id: str) -> BatchInfo:
    """The batch's state (polling is free). AnthropicNotFoundError when Anthropic no longer has it."""
    return _batch_info(_batch_call(client(timeout=PROBE_TIMEOUT_SECONDS * 2).messages.batches.retrieve, batch_id))


def batch_results(*, batch_id: str) -> Iterator[BatchResult]:
    """The results of an ended batch, one per request, streamed from its JSONL file (in no
    particular order). A connection that breaks off mid-file raises AnthropicTransientError."""
    import httpx2  # the SDK's HTTP stack, loaded with it

    lines = _batch_call(client().messages.batches.results, batch_id)
    try:
        for line in lines:
            result = line.result
            if result.type == "succeeded":
                yield BatchResult(line.custom_id, "succeeded", reply=_reply(result.message))
            elif result.type == "errored":
                error = result.error.error
                yield BatchResult(line.custom_id, "errored", error=f"{error.type}: {error.message}")
            else:
                yield BatchResult(line.custom_id, result.type)
    except httpx2.HTTPError as exc:
        raise AnthropicTransientError(f"Reading the results of batch {batch_id} broke off.") from exc


def batch_cancel(*, batch_id: str) -> None:
    """Ask Anthropic to stop a batch nobody will read (its unprocessed requests end `canceled`)."""
    _batch_call(client().messages.batches.cancel, batch_id)
