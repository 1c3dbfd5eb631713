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

Nothing here touches the app's code or settings: it patches the benchmark's own process (before
Django is set up, as `TimeBudget` and the models capture `time.monotonic` and `timezone.now` when
they are imported) and its own database. Other processes (the sandbox) are told the scale by the
benchmark: latency / scale, and the quota's window 60 s / scale.

Names the standard library binds at import (`threading`, `queue`: `from time import monotonic`)
keep the real clock, so lock and queue timeouts stay real; nothing in the app times out on them.
So does psycopg's connect timeout (imported by `install` before it patches).
"""

from __future__ import annotations

import datetime as dt
import threading
import time

_real_time = time.time
_real_monotonic = time.monotonic
_real_sleep = time.sleep

_lock = threading.Lock()
# sim = sim0 + (real - real0) * scale, for the wall clock and (its own origin) the monotonic one.
_state = {"scale": 1.0, "real0": 0.0, "sim0": 0.0, "mono_real0": 0.0, "mono_sim0": 0.0, "installed": False}


def sim_time() -> float:
    s = _state
    return s["sim0"] + (_real_time() - s["real0"]) * s["scale"]


def sim_monotonic() -> float:
    s = _state
    return s["mono_sim0"] + (_real_monotonic() - s["mono_real0"]) * s["scale"]


def sim_sleep(seconds: float) -> None:
    _real_sleep(max(0.0, seconds) / _state["scale"])


def sim_now() -> dt.datetime:
    return dt.datetime.fromtimestamp(sim_time(), dt.UTC)


def scale() -> float:
    return _state["scale"]


def real_seconds(sim_seconds: float) -> float:
    return sim_seconds / _state["scale"]


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
    _state.update(scale=1.0, real0=0.0, sim0=0.0, mono_real0=0.0, mono_sim0=0.0, installed=False)


def set_clock(*, at: float, scale: float) -> None:
    """Jump to `at` and run `scale` times fast from here (never backwards: `at` is raised to the
    current simulated time). The monotonic clock carries on from where it is."""
    with _lock:
        if _state["installed"]:
            at = max(at, sim_time())
            mono = sim_monotonic()
        else:
            mono = _real_monotonic()
        _state.update(scale=float(scale), real0=_real_time(), sim0=at, mono_real0=_real_monotonic(), mono_sim0=mono)


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
                f"- s.real0) * s.scale) FROM {SCHEMA}.setting s WHERE s.id = 1 $$"
            )
        cursor.execute(
            f"ALTER DATABASE {connection.ops.quote_name(connection.settings_dict['NAME'])} "
            f"SET search_path = public, {SCHEMA}, pg_catalog"
        )
    database_sync()
    connections.close_all()


def database_sync() -> None:
    """Give the database this process's clock origin and scale (after `set_clock`)."""
    from django.db import connection

    s = _state
    # The database's real clock at our real0: its sim0 is ours.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {SCHEMA}.setting (id, real0, sim0, scale) VALUES (1, %s, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET real0 = EXCLUDED.real0, sim0 = EXCLUDED.sim0, scale = EXCLUDED.scale",
            [s["real0"], s["sim0"], s["scale"]],
        )
