"""Allowances count a sliding window: the limit holds over any stretch of the period, also
across the edge of a clock hour."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gbp_scheduler.throttle import allowance_take

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]  # counted in the database cache

HOUR = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock(monkeypatch):
    now = {"at": HOUR}
    monkeypatch.setattr(timezone, "now", lambda: now["at"])
    return now


def takes(count: int) -> list[bool]:
    return [allowance_take(key="reset:someone", limit=5) for _ in range(count)]


def test_the_limit_holds_within_a_period_and_each_key_has_its_own(clock):
    clock["at"] = HOUR + dt.timedelta(minutes=10)
    assert takes(7) == [True] * 5 + [False] * 2
    assert allowance_take(key="reset:someone-else", limit=5)


def test_the_edge_of_the_hour_does_not_let_the_limit_through_twice(clock):
    clock["at"] = HOUR - dt.timedelta(minutes=1)  # 14:59
    assert takes(5) == [True] * 5
    clock["at"] = HOUR + dt.timedelta(minutes=1)  # 15:01: the five uses of 14:59 still count
    assert takes(1) == [False]


def test_uses_age_out_as_the_window_slides(clock):
    clock["at"] = HOUR - dt.timedelta(minutes=30)  # 14:30
    assert takes(4) == [True] * 4
    clock["at"] = HOUR + dt.timedelta(minutes=45)  # 15:45: a quarter of 14:xx still weighs, 1 of 4
    assert takes(4) == [True] * 4
    assert takes(1) == [False]
    clock["at"] = HOUR + dt.timedelta(hours=2)  # long after
    assert takes(5) == [True] * 5
