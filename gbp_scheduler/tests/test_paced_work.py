"""The worker pool the Google-bound jobs share (gbp_scheduler/pace.py: paced_work): as many
workers as the pace wants, untaken items left in place when the run stops, and a worker that
breaks ending the call with its error instead of leaving it waiting."""

from __future__ import annotations

import math
import threading
import time
from collections import deque

import pytest
from django.db import OperationalError

from gbp_scheduler.pace import START_LATENCY, Pace, paced_work


def test_every_item_is_worked_once_with_as_many_workers_as_the_pace_wants():
    pace = Pace(per_minute=600, cap=8)  # 10 a second
    pace.observe(0.5)  # 10 x 0.5 + 1 = 6 in flight
    seen: list[int] = []
    threads: set[str] = set()
    lock = threading.Lock()

    def one(item: int) -> None:
        time.sleep(0.02)
        with lock:
            seen.append(item)
            threads.add(threading.current_thread().name)

    paced_work(deque(range(60)), one=one, pace=pace, name="test")

    assert sorted(seen) == list(range(60))
    assert pace.peak == 6 and len(threads) == 6
    assert all(name.startswith("test-") for name in threads)


def test_a_run_starts_with_the_workers_the_quota_could_keep_busy_and_measuring_brings_it_down():
    pace = Pace(per_minute=300, cap=16)  # 5 a second
    assert pace.wanted() == math.ceil(5 * START_LATENCY) + 1

    pace.observe(0.5)
    assert pace.wanted() == 4  # 5 x 0.5 + 1, rounded up
    assert Pace(per_minute=300, cap=6).wanted() == 6, "never more than the cap"


def test_a_stop_leaves_the_untaken_items_in_place():
    pending = deque(range(100))
    taken: list[int] = []
    pace = Pace(per_minute=60, cap=4)

    def one(item: int) -> None:
        taken.append(item)

    paced_work(pending, one=one, pace=pace, name="test", stop=lambda: len(taken) >= 10)

    assert 10 <= len(taken) < 100
    assert sorted(taken) + list(pending) == list(range(100)), "nothing lost, nothing taken twice"


def test_a_worker_that_breaks_stops_the_others_and_the_call_raises_its_error():
    pending = deque(range(1000))
    pace = Pace(per_minute=6000, cap=4)
    pace.observe(1.0)

    def one(item: int) -> None:
        if item == 5:
            raise OperationalError("server closed the connection unexpectedly")
        time.sleep(0.005)

    with pytest.raises(OperationalError, match="server closed"):
        paced_work(pending, one=one, pace=pace, name="test")
    assert len(pending) > 900, "the other workers took no more once one broke"


def test_with_a_cap_of_one_the_items_are_worked_in_the_calling_thread():
    names: list[str] = []
    paced_work(
        deque(range(3)),
        one=lambda item: names.append(threading.current_thread().name),
        pace=Pace(per_minute=60, cap=1),
        name="test",
    )
    assert names == [threading.current_thread().name] * 3


def test_a_workers_log_lines_carry_the_job_runs_id():
    import logging

    from gbp_scheduler.jobs import Job
    from gbp_scheduler.observability import LogContext, job_observed

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    handler.addFilter(LogContext())
    logger = logging.getLogger("paced_work_test")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    pace = Pace(per_minute=600, cap=4)
    pace.observe(0.5)
    try:
        with job_observed(Job("test-job", "x:y", "* * * * *", "")) as run_id:
            paced_work(deque(range(8)), one=lambda item: logger.info("item %s", item), pace=pace, name="ctx")
    finally:
        logger.removeHandler(handler)

    assert len(records) == 8
    assert {record.threadName.split("-")[0] for record in records} == {"ctx"}, "logged by the workers"
    assert {record.job_run_id for record in records} == {run_id}
