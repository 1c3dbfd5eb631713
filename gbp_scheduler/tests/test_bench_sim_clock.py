"""bench/group_day.py's compressed clock (bench/sim_clock.py): once installed, the app's Python
clocks, its shared quota and (on PostgreSQL) the database's clock all run on simulated time, `scale`
times faster than real time; uninstalled, everything reads the real clock again."""

from __future__ import annotations

import datetime as dt
import importlib.util
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from franchises.google.quota import SharedQuota
from gbp_scheduler import clock

# Loaded by its path: bench/ on sys.path would put its scripts (insights.py, reviews.py, ...) in
# front of the apps of the same names.
_spec = importlib.util.spec_from_file_location(
    "bench_sim_clock", Path(__file__).resolve().parents[2] / "bench" / "sim_clock.py"
)
sim_clock = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sim_clock)

SCALE = 200.0
AT = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def compressed():
    real_started = time.perf_counter()
    sim_clock.install(at=AT.timestamp(), scale=SCALE)
    try:
        yield real_started
    finally:
        sim_clock.uninstall()


@pytest.fixture
def simulated_database(compressed, settings):
    """The database on the simulated clock (its time functions shadowed), and the app reading it."""
    settings.CLOCK_FROM_DATABASE = True
    clock.forget()
    sim_clock.database_install()
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            name = connection.ops.quote_name(connection.settings_dict["NAME"])
            cursor.execute(f"ALTER DATABASE {name} RESET search_path")
            cursor.execute(f"DROP SCHEMA {sim_clock.SCHEMA} CASCADE")
        connection.close()
        clock.forget()


def test_the_python_clocks_run_simulated_time_scale_times_fast(compressed):
    assert abs(timezone.now() - AT) < dt.timedelta(seconds=5)
    wall, steady = time.time(), time.monotonic()
    time.sleep(60)  # a simulated minute
    assert 59 <= time.time() - wall < 75
    assert 59 <= time.monotonic() - steady < 75
    assert time.perf_counter() - compressed < 10  # real seconds: far less than the minute
    assert abs((timezone.now() - AT).total_seconds() - 60) < 20


def test_uninstalled_the_real_clock_is_back():
    sim_clock.install(at=AT.timestamp(), scale=SCALE)
    sim_clock.uninstall()
    assert abs(time.time() - time.clock_gettime(time.CLOCK_REALTIME)) < 1
    assert abs(timezone.now() - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_database_clock_and_the_shared_quota_follow_it(simulated_database):
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement_timestamp(), now()")
        statement, transaction = cursor.fetchone()
    assert abs(statement - timezone.now()) < dt.timedelta(seconds=5)
    assert abs(transaction - timezone.now()) < dt.timedelta(seconds=5)
    assert abs(clock.offset_seconds()) < 5  # the app's one clock: the simulated one

    # 60 a minute: a slot every 1.05 simulated seconds; 11 slots take ~10.5 of them (asked as a
    # background job: a publishing caller may take a slot early on an idle quota).
    quota = SharedQuota(name="sim-clock-test", per_minute=60)
    started, real_started = time.monotonic(), time.perf_counter()
    for _ in range(11):
        assert quota.acquire()
    assert 10 <= time.monotonic() - started < 30
    assert time.perf_counter() - real_started < 5


def test_the_clock_runs_at_one_speed_in_the_busy_window_and_another_outside(compressed):
    """`--scale 6 --quiet-scale 30`: the busy window's simulated hour takes 10 real minutes, the
    hours around it 2 each; the clock is continuous across each change of speed."""
    busy = (AT.timestamp() + 3600, AT.timestamp() + 7200)
    sim_clock.set_clock(at=AT.timestamp(), scale=6, quiet_scale=30, busy=[busy])
    start = sim_clock._real_at(AT.timestamp())
    assert sim_clock._real_at(busy[0]) - start == pytest.approx(120)
    assert sim_clock._real_at(busy[1]) - start == pytest.approx(120 + 600)
    assert sim_clock._real_at(busy[1] + 3600) - start == pytest.approx(120 + 600 + 120)
    for sim in (AT.timestamp() + 10, busy[0], busy[0] + 1, busy[1] - 1, busy[1], busy[1] + 999):
        assert sim_clock._sim_at(sim_clock._real_at(sim)) == pytest.approx(sim)


def test_busy_windows_each_run_at_the_busy_speed(compressed):
    """Two busy windows (an hour, then 5 minutes after a gap): each at 6x, the rest at 30x; the
    windows' edges are the only changes of speed."""
    hour, run = (AT.timestamp() + 3600, AT.timestamp() + 7200), (AT.timestamp() + 10800, AT.timestamp() + 11100)
    sim_clock.set_clock(at=AT.timestamp(), scale=6, quiet_scale=30, busy=[run, hour])
    start = sim_clock._real_at(AT.timestamp())
    assert sim_clock._real_at(run[0]) - start == pytest.approx(120 + 600 + 120)
    assert sim_clock._real_at(run[1]) - start == pytest.approx(120 + 600 + 120 + 50)
    assert [piece[2] for piece in sim_clock._state["pieces"]] == [30, 6, 30, 6, 30]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_database_follows_the_clock_across_a_change_of_speed(simulated_database):
    """The database gets the pieces once and changes speed when this process does, untold."""
    at = time.time()
    # 20 x in the first 30 simulated seconds (1.5 real), then 10 x.
    sim_clock.set_clock(at=at, scale=10, quiet_scale=20, busy=[(at + 30, at + 3600)])
    sim_clock.database_sync()
    time.sleep(45)  # 15 simulated seconds into the busy window
    assert sim_clock.scale() == 10
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement_timestamp()")
        (statement,) = cursor.fetchone()
    assert abs((statement - timezone.now()).total_seconds()) < 5
    assert 44 <= (timezone.now().timestamp() - at) < 60
