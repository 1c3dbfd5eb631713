"""Allowances: how often one key (a user, an address, an email) may do something costly in a
period, counted in Django's cache (CACHE_URL: a shared cache makes the count hold across processes;
the default local-memory cache counts per process)."""

from __future__ import annotations

from django.core.cache import cache
from django.utils import timezone


def allowance_take(*, key: str, limit: int, period_seconds: int = 3600) -> bool:
    """Count one use of `key` in the current fixed window of `period_seconds`; False when this use
    is over `limit` (the caller refuses it, and it still counts)."""
    window = int(timezone.now().timestamp() // period_seconds)
    counter = f"allowance:{key}:{period_seconds}:{window}"
    cache.add(counter, 0, timeout=period_seconds)
    try:
        used = cache.incr(counter)
    except ValueError:  # expired between add and incr
        cache.set(counter, 1, timeout=period_seconds)
        used = 1
    return used <= limit
