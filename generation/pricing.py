"""What Anthropic's answers cost, estimated from their tokens and the configured prices (settings:
ANTHROPIC_PRICE_*_PER_MTOK, the default model's list prices; ANTHROPIC_BATCH_PRICE_FACTOR, 0.5:
Message Batches bill every kind of token at half price)."""

from __future__ import annotations

from django.conf import settings


def usage_cost(
    *,
    input_tokens: int = 0,
    output_tokens: int = 0,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
    batch: bool = False,
) -> float:
    """Estimated US dollars."""
    per_million = (
        input_tokens * settings.ANTHROPIC_PRICE_INPUT_PER_MTOK
        + output_tokens * settings.ANTHROPIC_PRICE_OUTPUT_PER_MTOK
        + cache_read_tokens * settings.ANTHROPIC_PRICE_CACHE_READ_PER_MTOK
        + cache_write_tokens * settings.ANTHROPIC_PRICE_CACHE_WRITE_PER_MTOK
    )
    return per_million / 1_000_000 * (settings.ANTHROPIC_BATCH_PRICE_FACTOR if batch else 1.0)
