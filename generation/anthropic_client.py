"""The one place that speaks to Anthropic, through the official SDK.

It sets timeouts, leaves retries to our queue (max_retries=0: the queue's backoff is the retry
policy), and turns the SDK's errors into two kinds: transient (retry later) and permanent.

The SDK is imported on first use (`_sdk()`), not with this module: it takes the better part of a
second, and every cold process would pay it for pages and health checks that never call Claude.
"""

from __future__ import annotations

import functools
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


@dataclass
class MessageReply:
    text: str
    stop_reason: str | None
    input_tokens: int  # every prompt token: uncached, written to the cache and read from it
    output_tokens: int


def messages_create(
    *,
    system: list[dict],
    messages: list[dict],
    output_schema: dict,
    max_tokens: int,
    model: str | None = None,
    timeout: float | None = None,
) -> MessageReply:
    """One Messages call with structured output (`output_config.format` = a JSON schema).

    Raises AnthropicRateLimitedError / AnthropicTransientError (retry later) or
    AnthropicAccountError / AnthropicPermanentError (do not).
    """
    # `timeout` shortens ANTHROPIC_TIMEOUT_SECONDS for one call (the end of a run's time budget).
    default_timeout = settings.ANTHROPIC_TIMEOUT_SECONDS
    try:
        message = client().messages.create(
            model=model or settings.ANTHROPIC_MODEL,
            max_tokens=max_tokens,
            system=system,
            messages=messages,
            output_config={"format": {"type": "json_schema", "schema": output_schema}},
            timeout=min(default_timeout, timeout) if timeout else default_timeout,
        )
    except _sdk().AnthropicError as exc:
        raise error_from_sdk(exc) from exc
    usage = message.usage
    return MessageReply(
        text="".join(block.text for block in message.content if block.type == "text"),
        stop_reason=message.stop_reason,
        input_tokens=usage.input_tokens
        + (usage.cache_creation_input_tokens or 0)
        + (usage.cache_read_input_tokens or 0),
        output_tokens=usage.output_tokens,
    )
