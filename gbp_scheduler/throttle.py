"""Allowances: how often one key (a user, an address, an account) may do something costly in a
period, counted in the "allowances" cache: CACHE_URL's when it is shared across processes, else
the database cache (settings.py), so every process and every function instance counts alike.

The count is a sliding window, estimated from two fixed ones: the uses in the current window plus
the previous window's uses weighted by how much of it still lies within the last `period_seconds`.
A plain fixed window lets twice the limit through around its edge (the limit just before the hour,
the limit again just after); this one keeps any stretch of `period_seconds` near the limit.
"""

from __future__ import annotations

from django.core.cache import caches
from django.utils import timezone


def allowance_take(*, key: str, limit: int, period_seconds: int = 3600) -> bool:
    """Count one use of `key`; False when the uses in the last `period_seconds` (sliding, as the
    module docstring says) are over `limit` (the caller refuses it, and it still counts)."""
    cache = caches["allowances"]
    now = timezone.now().timestamp()
    window, into = divmod(now, period_seconds)
    current = f"allowance:{key}:{period_seconds}:{int(window)}"
    previous = f"allowance:{key}:{period_seconds}:{int(window) - 1}"
    # Each window's count is kept for two periods: the next window still weighs it.
    cache.add(current, 0, timeout=2 * period_seconds)
    try:
        used = cache.incr(current)
    except ValueError:  # expired between add and incr
        cache.set(current, 1, timeout=2 * period_seconds)
        used = 1
    before = cache.get(previous, 0)
    return used + before * (1 - into / period_seconds) <= limit
