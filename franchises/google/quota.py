"""Google's request quota, shared by every process and thread of the installation.

Google counts requests per Cloud project: 300 a minute per API by default, 429 past it. Every
caller shares that one budget: overlapping publish runs (Vercel may start one while the last
still runs), the other jobs, staff pressing "Publish now", the location picker. So the pace is
kept in the database, in one row per quota (`GoogleQuota`), by the generic cell rate algorithm
(GCRA): the row holds the earliest time the next request may go. Taking a slot is one atomic
UPDATE that moves that time on by one interval and returns it; the caller then sleeps until its
slot. Requests are spaced evenly, 5 % under GOOGLE_REQUESTS_PER_MINUTE, and a 429 pushes the next
slot past Google's Retry-After for everyone.

A publishing caller may also go early, by at most `burst` slots, when the pace has fallen behind
(the quota sat idle): a run that starts with due posts sends its first ones at once instead of
one every interval. The burst is half of what the 5 % leaves unused in Google's window
(GOOGLE_QUOTA_WINDOW_SECONDS, a minute), so any window still holds fewer requests than the quota,
with the other half left for the jitter the margin is there for: at 300 a minute, 7 early
slots and at most 294 requests in any minute. After a 429 nothing goes early, and a request of this
process that booked its slot before the 429 takes a new one after the pause (one of another
process goes at its slot: the pause is read by the next booking). A request that wakes later
than its slot by more than the early slots reach (its process stalled) takes a new slot too:
the requests held back with it would otherwise all go at once.

Publishing (creating, changing and deleting posts) goes first. A publishing caller takes the next
slot however far ahead it lies, booking it. Every other caller (syncs, figures, keywords, posting
rights, the pages) takes only a slot that is due now, when nobody has booked it: it never books
one ahead, so a publishing caller waits behind at most the one request already going, and while
publishing keeps slots booked (the row's next slot runs ahead of now: a backlog) the others stand
aside. How long: a caller with a deadline (a job's run, under its time budget) stands aside until
its deadline, then gives up (QuotaDeadline: the run leaves the rest to its next run); one without
(a page, a staff action) books the next slot in turn like everyone once it has stood aside for
BACKGROUND_MAX_WAIT. So no background request goes while publishing has a backlog, unless it has
no deadline and waited BACKGROUND_MAX_WAIT; and none is starved longer than publishing's longest
backlog: the due posts at the usable rate, at most an announcement to every location, which the
quota plan adds to every job's worst staleness (quota_plan.py: `burst_minutes`).

Times are seconds since the epoch on the database's clock (gbp_scheduler/clock.py): a process
whose own clock runs ahead would otherwise push the next slot minutes away for everyone.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from gbp_scheduler import clock

BUSINESS_PROFILE = "business-profile"
# Requests are spaced a little wider than the quota allows: a request leaves at its slot but
# reaches Google a few milliseconds later or sooner, and at exactly the quota's pace that jitter
# alone puts one request too many into some minute.
SAFETY_MARGIN = 1.05

# The longest a background caller without a deadline stands aside for publishing before it books
# a slot in turn.
BACKGROUND_MAX_WAIT = 10.0


class QuotaDeadline(Exception):
    """The next request slot comes after the caller's deadline: no slot was taken."""


_waits = threading.local()

# The last pause of each quota in this process: (when it was set, when requests may go again), on
# the database's clock. A request that booked its slot before the pause and would go before its
# end takes a new slot instead (SharedQuota.acquire).
_paused: dict[str, tuple[float, float]] = {}


def seconds_waited() -> float:
    """How long this thread has waited for request slots so far (a run's pace subtracts it to
    learn how long a post takes when it is not queueing for the quota)."""
    return getattr(_waits, "total", 0.0)


def _wait(seconds: float) -> None:
    time.sleep(seconds)
    _waits.total = seconds_waited() + seconds


@dataclass
class SharedQuota:
    name: str = BUSINESS_PROFILE
    per_minute: int | None = None  # None: settings.GOOGLE_REQUESTS_PER_MINUTE
    background_max_wait: float = BACKGROUND_MAX_WAIT

    @property
    def _per_minute(self) -> int:
        return self.per_minute if self.per_minute is not None else settings.GOOGLE_REQUESTS_PER_MINUTE

    @property
    def interval(self) -> float:
        return 60.0 * SAFETY_MARGIN / self._per_minute if self._per_minute > 0 else 0.0

    @property
    def burst(self) -> int:
        """Slots a publishing caller may take early (the module docstring): half the requests the
        margin leaves unused in Google's window."""
        in_window = self._per_minute * settings.GOOGLE_QUOTA_WINDOW_SECONDS / 60.0
        return max(0, int(in_window * (1 - 1 / SAFETY_MARGIN) / 2))

    @property
    def late_allowance(self) -> float:
        """How long after its slot a request may still go: as far as the early slots reach (at
        least one interval), so late and early ones together stay within the margin."""
        return max(self.burst, 1) * self.interval

    def acquire(self, *, deadline: float | None = None, publishing: bool = False) -> bool:
        """Wait for a request slot; False (and no slot taken) when it would come after `deadline`
        (a `time.monotonic()` value, as TimeBudget.deadline gives). `publishing`: the request
        writes a post, and goes ahead of the others."""
        interval = self.interval
        if interval == 0:
            return True
        early = self.burst * interval if publishing else 0.0
        started = time.monotonic()
        while True:
            now = clock.epoch()
            latest = now + (deadline - time.monotonic()) if deadline is not None else None
            if latest is not None and latest < now:
                return False
            # A background caller books only once it has no deadline and has waited its longest.
            books = publishing or (latest is None and time.monotonic() - started >= self.background_max_wait)
            slot, next_slot = self._take(books=books, now=now, interval=interval, latest=latest, early=early)
            if slot is not None:
                if slot > now:
                    _wait(slot - now)
                    if clock.epoch() - slot > self.late_allowance:
                        # This process stalled past the slot (a busy machine, the collector): the
                        # requests it held back would all go at once, more in Google's window than
                        # the margin leaves room for. Take a slot at the pace instead.
                        continue
                paused_at, resume = _paused.get(self.name, (0.0, 0.0))
                if paused_at >= now and slot < resume:
                    # Google answered 429 while this request waited for its slot: going now would
                    # meet another 429 (the window is still full). Take a slot after the pause.
                    continue
                return True
            if books:
                return False  # the next slot is past `latest`
            # Standing aside until the next slot is due (someone may book it first: ask again), at
            # most until the deadline, or without one the longest wait allowed.
            if latest is None:
                wake = min(next_slot, now + self.background_max_wait - (time.monotonic() - started))
            else:
                wake = next_slot
                if wake > latest:
                    return False
            _wait(max(wake - now, 0.001))

    def pause(self, seconds: float) -> None:
        """Hold every request back for `seconds` (Google answered 429): the requests that take a
        slot from now on, and this process's requests already waiting for theirs."""
        now = clock.epoch()
        _paused[self.name] = (now, now + seconds)
        # Past the early slots too: the first request after the pause goes at `until`, not a burst.
        until = now + seconds + self.burst * self.interval
        self._ensure_row()
        with connection.cursor() as cursor:
            cursor.execute(_SQL[connection.vendor == "sqlite"]["pause"], [until, self.name])

    def _take(
        self, *, books: bool, now: float, interval: float, latest: float | None, early: float = 0.0
    ) -> tuple[float | None, float]:
        """One atomic UPDATE: (the slot this request gets, _), or (None, the row's next slot) when
        that slot is after `latest` or, for a caller that does not book (`books`), not due yet.
        `early`: how far before the row's next slot a booking caller may go (no sooner than now)."""
        statements = _SQL[connection.vendor == "sqlite"]
        limit = latest if latest is not None else 1e18
        sql, params = (statements["book"], [now, interval, self.name, early, now, limit])
        if not books:
            sql, params = (statements["due"], [now, interval, self.name, now])
        for _ in range(3):
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                row = cursor.fetchone()
                if row is not None:
                    return max(row[0] - interval - (early if books else 0.0), now), row[0]
                cursor.execute(statements["next"], [self.name])
                state = cursor.fetchone()
            if state is None:
                # No row yet: create it (or let another caller's creation stand) and ask again.
                self._ensure_row()
            elif max(state[0] - early, now) > limit if books else state[0] > now:
                return None, state[0]
            # Otherwise the row came into being between the UPDATE and the SELECT: ask again.
        return None, 0.0

    def _ensure_row(self) -> None:
        """Create the quota's row if missing (here, or by another process at the same moment)."""
        from ..models import GoogleQuota

        if GoogleQuota.objects.filter(name=self.name).exists():
            return
        try:
            with transaction.atomic():
                GoogleQuota.objects.create(name=self.name, next_slot=0.0)
        except IntegrityError:
            pass  # another process created it just now


# The statements, for PostgreSQL (False) and SQLite (True), whose "greatest of" is MAX(). book:
# the next slot (less the early allowance), however far ahead; due: the next slot only if it is
# due now.
_SQL = {
    False: {
        "book": "UPDATE google_quota SET next_slot = GREATEST(next_slot, %s) + %s "
        "WHERE name = %s AND GREATEST(next_slot - %s, %s) <= %s RETURNING next_slot",
        "due": "UPDATE google_quota SET next_slot = GREATEST(next_slot, %s) + %s "
        "WHERE name = %s AND next_slot <= %s RETURNING next_slot",
        "next": "SELECT next_slot FROM google_quota WHERE name = %s",
        "pause": "UPDATE google_quota SET next_slot = GREATEST(next_slot, %s) WHERE name = %s",
    },
    True: {
        "book": "UPDATE google_quota SET next_slot = MAX(next_slot, %s) + %s "
        "WHERE name = %s AND MAX(next_slot - %s, %s) <= %s RETURNING next_slot",
        "due": "UPDATE google_quota SET next_slot = MAX(next_slot, %s) + %s "
        "WHERE name = %s AND next_slot <= %s RETURNING next_slot",
        "next": "SELECT next_slot FROM google_quota WHERE name = %s",
        "pause": "UPDATE google_quota SET next_slot = MAX(next_slot, %s) WHERE name = %s",
    },
}


def shared() -> SharedQuota:
    """The quota every call to the Business Profile API takes a slot from."""
    return SharedQuota(BUSINESS_PROFILE)


class RateLimiter:
    """An in-memory pace for one process (the sandbox's own tests and benchmarks use it to drive
    load without a database); the app itself paces through `shared()`."""

    def __init__(self, per_minute: int, *, clock=time.monotonic, sleep=time.sleep):
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = 0.0

    def acquire(self, *, deadline: float | None = None) -> bool:
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
        with self._lock:
            self._next_slot = max(self._next_slot, self._clock() + seconds)
