"""A compressed clock for a benchmark: simulated time runs `scale` times faster than real time,
for the Python side and the SQL side alike, so a day's jobs can run for real in an hour.

The app reads the time in three ways, and each follows this clock once `install` has run:

- Python's wall clock: `time.time()` and `django.utils.timezone.now()` (which the models' defaults
  and `auto_now` call, and gbp_scheduler/clock.py adds its measured offset to) give the simulated
  time.
- Durations: `time.monotonic()` runs `scale` times faster and `time.sleep(s)` sleeps s / scale,
  so a run's budget (CRON_TIME_BUDGET_SECONDS), the shared quota's spacing and waits
  (franchises/google/quota.py) and the pace's measured latency are all in simulated seconds.
- PostgreSQL: `now()`, `statement_timestamp()`, `transaction_timestamp()` and `clock_timestamp()`
  are shadowed by functions of the same names in the schema `sim_clock`, placed before
  pg_catalog in the database's search_path (`ALTER DATABASE … SET search_path`, so only
  connections to the benchmark's own database see it). Django's `Now()` is
  `STATEMENT_TIMESTAMP()` there; gbp_scheduler/clock.py measures its offset against it.

The speed may differ by the hour: `set_clock(..., quiet_scale=, busy=)` runs at `scale` inside
busy windows and at `quiet_scale` outside them, so a whole day fits in a few hours while its busiest
stretch still runs slowly enough for the machine to keep up. The mapping from real to simulated
time is then a few pieces, computed once; this process and the database (a row a piece) follow the
same pieces, so they agree at every moment without being told when the speed changes.

Nothing here touches the app's code or settings: it patches the benchmark's own process (before
Django is set up, as `TimeBudget` and the models capture `time.monotonic` and `timezone.now` when
they are imported) and its own database. Other processes (the sandbox) are told the scale by the
benchmark: latency / scale, and the quota's window 60 s / scale (told again when the speed
changes).

Names the standard library binds at import (`threading`, `queue`: `from time import monotonic`)
keep the real clock, so lock and queue timeouts stay real; nothing in the app times out on them.
So does psycopg's connect timeout (imported by `install` before it patches).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Sequence

_real_time = time.time
_real_monotonic = time.monotonic
_real_sleep = time.sleep

_lock = threading.Lock()
# The mapping from real to simulated time: pieces (real_from, sim_from, scale), in order; from
# real_from on, sim = sim_from + (real - real_from) * scale (until the next piece). The monotonic
# clock follows the same pieces, `mono_shift` apart (its origin is its own).
_state = {"pieces": [(0.0, 0.0, 1.0)], "mono_shift": 0.0, "mono_base": 0.0, "installed": False}


def _piece_at(value: float, side: int) -> tuple[float, float, float]:
    """The piece (real_from, sim_from, scale) holding `value`, a real time (`side` 0) or a
    simulated one (1)."""
    pieces = _state["pieces"]
    found = pieces[0]
    for piece in pieces[1:]:
        if piece[side] > value:
            break
        found = piece
    return found


def _sim_at(real: float) -> float:
    real_from, sim_from, scale = _piece_at(real, 0)
    return sim_from + (real - real_from) * scale


def _real_at(sim: float) -> float:
    real_from, sim_from, scale = _piece_at(sim, 1)
    return real_from + (sim - sim_from) / scale


def sim_time() -> float:
    return _sim_at(_real_time())


def sim_monotonic() -> float:
    return _sim_at(_real_monotonic() + _state["mono_shift"]) - _state["mono_base"]


def sim_sleep(seconds: float) -> None:
    real = _real_time()
    _real_sleep(max(0.0, _real_at(_sim_at(real) + max(0.0, seconds)) - real))


def sim_of_real_monotonic(real: float) -> dt.datetime:
    """The simulated time at a real `time.monotonic()` reading (another process's: the clock is
    the machine's)."""
    return dt.datetime.fromtimestamp(_sim_at(real + _state["mono_shift"]), dt.UTC)


def sim_now() -> dt.datetime:
    return dt.datetime.fromtimestamp(sim_time(), dt.UTC)


def scale() -> float:
    """The speed now (simulated seconds a real second)."""
    real = _real_time()
    return next(
        (speed for real_from, _, speed in reversed(_state["pieces"]) if real_from <= real), _state["pieces"][0][2]
    )


def install(*, at: float, scale: float = 1.0) -> None:
    """Patch this process's clock: it reads `at` (epoch seconds) now and runs `scale` times fast.
    Call before Django is set up."""
    # psycopg times a connection attempt on `from time import monotonic`: bound now, before the
    # patch, its connect_timeout stays in real seconds (else 30 s is 1 s at 30x, and a loaded
    # machine's slow connect broke runs).
    import psycopg.waiting  # noqa: F401

    set_clock(at=at, scale=scale)
    time.time = sim_time
    time.monotonic = sim_monotonic
    time.sleep = sim_sleep
    from django.utils import timezone

    timezone.now = sim_now
    _state["installed"] = True


def uninstall() -> None:
    """Put the real clock back (a test that installed it)."""
    time.time, time.monotonic, time.sleep = _real_time, _real_monotonic, _real_sleep
    from django.utils import timezone

    timezone.now = _django_now
    _state.update(pieces=[(0.0, 0.0, 1.0)], mono_shift=0.0, mono_base=0.0, installed=False)


def set_clock(
    *,
    at: float,
    scale: float,
    quiet_scale: float | None = None,
    busy: Sequence[tuple[float, float]] | None = None,
) -> None:
    """Jump to `at` and run `scale` times fast from here (never backwards: `at` is raised to the
    current simulated time). With `quiet_scale` and `busy` (windows of simulated epoch seconds
    from, to): at `scale` inside a busy window only, `quiet_scale` outside them. The monotonic
    clock carries on from where it is."""
    with _lock:
        real, mono = _real_time(), _real_monotonic()
        if _state["installed"]:
            at = max(at, sim_time())
            mono_sim = sim_monotonic()
        else:
            mono_sim = mono
        pieces = [(real, at, float(scale))]
        if quiet_scale is not None and busy:
            pieces = _pieces(real, at, float(scale), float(quiet_scale), busy)
        _state.update(pieces=pieces, mono_shift=real - mono)
        # The monotonic clock reads `mono_sim` now.
        _state["mono_base"] = _sim_at(mono + _state["mono_shift"]) - mono_sim


def _pieces(real: float, at: float, scale: float, quiet: float, busy: Sequence[tuple[float, float]]) -> list:
    """From `at` on: `scale` inside any window of `busy`, `quiet` outside, as (real_from, sim_from,
    scale); a piece only where the speed changes."""
    marks = sorted({at, *(t for window in busy for t in window if t > at)})
    pieces = [(real, at, scale if any(begin <= at < end for begin, end in busy) else quiet)]
    for sim_from in marks[1:]:
        speed = scale if any(begin <= sim_from < end for begin, end in busy) else quiet
        real_from, last_sim, last_speed = pieces[-1]
        if speed != last_speed:
            pieces.append((real_from + (sim_from - last_sim) / last_speed, sim_from, speed))
    return pieces


def _django_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- PostgreSQL ---------------------------------------------------------------------------------

SCHEMA = "sim_clock"
_SHADOWED = {
    "now": "STABLE",
    "statement_timestamp": "STABLE",
    "transaction_timestamp": "STABLE",
    "clock_timestamp": "VOLATILE",
}


def database_install() -> None:
    """Shadow the database's clock functions with this clock's (the benchmark's database only),
    and have every later connection see them; open connections are closed."""
    from django.db import connection, connections

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {SCHEMA}.setting "
            "(id int PRIMARY KEY, real0 double precision, sim0 double precision, scale double precision)"
        )
        for name, volatility in _SHADOWED.items():
            cursor.execute(
                f"CREATE OR REPLACE FUNCTION {SCHEMA}.{name}() RETURNS timestamptz LANGUAGE sql {volatility} AS $$ "
                f"SELECT pg_catalog.to_timestamp(s.sim0 + (pg_catalog.date_part('epoch', pg_catalog.{name}()) "
                f"- s.real0) * s.scale) FROM {SCHEMA}.setting s "
                f"WHERE s.real0 <= pg_catalog.date_part('epoch', pg_catalog.{name}()) OR s.id = 1 "
                "ORDER BY s.id DESC LIMIT 1 $$"
            )
        cursor.execute(
            f"ALTER DATABASE {connection.ops.quote_name(connection.settings_dict['NAME'])} "
            f"SET search_path = public, {SCHEMA}, pg_catalog"
        )
    database_sync()
    connections.close_all()


def database_sync() -> None:
    """Give the database this process's mapping from real to simulated time (after `set_clock`):
    a row a piece, in order (the first also stands for any time before it)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {SCHEMA}.setting")
        for index, (real0, sim0, speed) in enumerate(_state["pieces"], start=1):
            cursor.execute(
                f"INSERT INTO {SCHEMA}.setting (id, real0, sim0, scale) VALUES (%s, %s, %s, %s)",
                [index, real0, sim0, speed],
            )
