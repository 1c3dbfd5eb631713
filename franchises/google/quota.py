"""A per-run cap on requests to Google, shared by the run's worker threads.

Google's default quota is 300 requests a minute per API per project. Requests are spaced evenly
(at most `per_minute` in any minute, no bursts), and a 429 pauses every worker until the
`Retry-After` the answer gave.
"""

from __future__ import annotations

import threading
import time


class RateLimiter:
    def __init__(self, per_minute: int, *, clock=time.monotonic, sleep=time.sleep):
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = 0.0

    def acquire(self, *, deadline: float | None = None) -> bool:
        """Wait for the next request slot; False (and no slot taken) if it comes after `deadline`."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot)
            if deadline is not None and slot > deadline:
                return False
            self._next_slot = slot + self.interval
        if slot > now:
            self._sleep(slot - now)
        return True

    def pause(self, seconds: float) -> None:
        """Hold every request back for `seconds` (Google answered 429)."""
        with self._lock:
            self._next_slot = max(self._next_slot, self._clock() + seconds)
