"""The shared quota's row: every caller gets a slot, however many arrive before the row exists;
a slot past the caller's deadline is refused without being taken; publishing goes first, and
the other callers still get their turn."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from franchises.google.quota import SharedQuota
from franchises.models import GoogleQuota

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_callers_racing_to_create_the_quota_row_each_get_a_slot():
    """The first requests of a fresh installation (or of a test) find no row: each of them, a
    write of a post or not, must still get a slot, not be told its deadline has passed."""
    refused = []

    def caller(quota: SharedQuota, start: threading.Barrier, publishing: bool) -> None:
        try:
            start.wait()
            if not quota.acquire(publishing=publishing):
                refused.append(quota.name)
        finally:
            connection.close()

    for round_ in range(20):
        GoogleQuota.objects.all().delete()
        quota, start = SharedQuota(f"race-{round_}", per_minute=6_000_000), threading.Barrier(6)
        threads = [threading.Thread(target=caller, args=(quota, start, index % 2 == 0)) for index in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert refused == []


@pytest.mark.django_db
def test_a_slot_past_the_deadline_is_refused_and_not_taken():
    quota = SharedQuota("deadline", per_minute=60)  # one a second
    assert quota.acquire()
    taken = GoogleQuota.objects.get(name="deadline").next_slot

    assert quota.acquire(deadline=time.monotonic() + 0.2) is False
    assert GoogleQuota.objects.get(name="deadline").next_slot == taken


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_due_post_takes_the_next_slot_ahead_of_a_sync_from_another_thread():
    """A sync keeps asking for slots, one a second; a post falls due while it waits for its next
    one: the post's request goes next, and the sync carries on after it."""
    quota = SharedQuota("priority", per_minute=60)
    order: list[str] = []
    sync_started = threading.Event()

    def sync() -> None:
        try:
            for _ in range(3):
                assert quota.acquire()
                order.append("sync")
                sync_started.set()
        finally:
            connection.close()

    thread = threading.Thread(target=sync)
    thread.start()
    assert sync_started.wait(30)
    assert quota.acquire(publishing=True)
    order.append("publish")
    thread.join()

    assert order == ["sync", "publish", "sync", "sync"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_sync_gets_a_slot_while_publishing_keeps_asking():
    """Two publishing workers keep booking every slot; a sync asking meanwhile still gets one once
    it has stood aside for its longest wait, while publishing is still going."""
    quota = SharedQuota("starve", per_minute=600, background_max_wait=1.0)
    sync_done = threading.Event()
    publishing_at_sync: list[bool] = []
    started = threading.Barrier(3)

    def publisher() -> None:
        try:
            started.wait()
            for _ in range(300):  # 30 s of slots at most
                if sync_done.is_set():
                    return
                assert quota.acquire(publishing=True)
        finally:
            connection.close()

    def sync() -> None:
        try:
            started.wait()
            time.sleep(0.2)  # publishing is under way
            assert quota.acquire()
            publishing_at_sync.append(any(thread.is_alive() for thread in publishers))
            sync_done.set()
        finally:
            connection.close()

    publishers = [threading.Thread(target=publisher) for _ in range(2)]
    threads = [*publishers, threading.Thread(target=sync)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert publishing_at_sync == [True]


SYNC_PROCESS = """
import time
import django
django.setup()
from franchises.google.quota import SharedQuota
quota = SharedQuota("priority-process", per_minute=60)
for _ in range(3):
    assert quota.acquire()
    print(time.time(), flush=True)
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_due_post_takes_the_next_slot_ahead_of_a_sync_in_another_process():
    """Another process syncs, a slot a second (a quota of 60 a minute); a post falls due here
    right after its first slot: the post's request goes next, the sync's second and third after."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CLOCK_FROM_DATABASE": "true",
        "LOG_LEVEL": "WARNING",
    }
    sync = subprocess.Popen([sys.executable, "-c", SYNC_PROCESS], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        first = float(sync.stdout.readline())
        assert SharedQuota("priority-process", per_minute=60).acquire(publishing=True)
        published = time.time()
        later = [float(line) for line in sync.stdout]
    finally:
        sync.wait(30)
    assert sync.returncode == 0
    assert first < published < later[0] < later[1]


PUBLISHING_PROCESS = """
import sys
import time
import django
django.setup()
from franchises.google.quota import SharedQuota
quota = SharedQuota("backlog-process", per_minute=600)
for _ in range(int(sys.argv[1])):
    assert quota.acquire(publishing=True)
    print(time.time(), flush=True)
"""


def _other_process(code: str, *args: str) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CLOCK_FROM_DATABASE": "true",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen([sys.executable, "-c", code, *args], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_run_stands_aside_for_publishing_s_whole_backlog_then_gets_its_slot():
    """Another process publishes 60 posts back to back at 600 a minute (a backlog of about 5 s); a
    sync run with time to spare asks meanwhile: it stands aside for the whole backlog, far past its
    longest wait without a deadline (0.5 s), and goes once publishing has none left."""
    publisher = _other_process(PUBLISHING_PROCESS, "60")
    try:
        first = float(publisher.stdout.readline())
        sync = SharedQuota("backlog-process", per_minute=600, background_max_wait=0.5)
        assert sync.acquire(deadline=time.monotonic() + 60)
        synced = time.time()
        published = [first, *(float(line) for line in publisher.stdout)]
    finally:
        publisher.wait(60)
    assert publisher.returncode == 0
    assert len(published) == 60
    assert synced > published[-1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_run_whose_deadline_comes_within_publishing_s_backlog_gives_up_without_a_slot():
    """Publishing keeps a backlog in another process; a run whose time is up within it is told so
    (its next run tries again) rather than sending a request among publishing's."""
    publisher = _other_process(PUBLISHING_PROCESS, "100")
    try:
        publisher.stdout.readline()
        sync = SharedQuota("backlog-process", per_minute=600, background_max_wait=0.5)
        assert sync.acquire(deadline=time.monotonic() + 1.0) is False
        published = 1 + sum(1 for _ in publisher.stdout)
    finally:
        publisher.wait(60)
    assert publisher.returncode == 0
    assert published == 100


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_request_waiting_for_its_slot_when_google_answers_429_goes_after_the_pause():
    """A worker has booked its slot (a second ahead, at 60 a minute) and waits for it; meanwhile
    another worker's request meets a 429 and pauses the quota for 3 s. The waiting request does not
    go into Google's full window at its slot: it goes after the pause."""
    quota = SharedQuota("paused", per_minute=60)
    assert quota.acquire(publishing=True) and quota.acquire(publishing=True)  # the burst: now
    booked = GoogleQuota.objects.get(name="paused").next_slot
    went: list[float] = []

    def worker() -> None:
        try:
            assert quota.acquire(publishing=True)
            went.append(time.monotonic())
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    while GoogleQuota.objects.get(name="paused").next_slot == booked:  # until the worker booked
        time.sleep(0.01)
    paused = time.monotonic()  # before the pause reads the clock: its 3 s run from a moment after this
    quota.pause(3.0)
    thread.join()

    # Without the re-slotting the request goes at its booked slot, about 2 s before the pause ends.
    # The allowance is for the process's estimate of the database clock, which a re-measurement
    # meanwhile may move by a round trip.
    assert went and went[0] >= paused + 3.0 - 0.05


@pytest.mark.django_db
def test_publishing_on_an_idle_quota_takes_a_few_slots_at_once_then_keeps_the_pace(settings):
    """A run starting with due posts sends its first ones at once: half of what the 5 % margin
    leaves unused in Google's window (14 of 600 in six seconds at 6,000 a minute), so no window
    holds more than the quota; past those it keeps the pace, and after a 429 nothing goes early."""
    settings.GOOGLE_QUOTA_WINDOW_SECONDS = 6
    quota = SharedQuota("burst", per_minute=6000)  # a slot each 10.5 ms
    assert quota.burst == 14

    started = time.monotonic()
    returned = []
    for _ in range(100):
        assert quota.acquire(publishing=True)
        returned.append(time.monotonic() - started)

    assert returned[quota.burst] < 0.1  # the first 15 went at once
    assert returned[-1] >= (100 - 1 - quota.burst) * quota.interval * 0.99  # the rest at the pace
    paused = time.monotonic()
    quota.pause(0.05)
    for _ in range(5):
        assert quota.acquire(publishing=True)
    assert time.monotonic() - paused >= 0.05 + 4 * quota.interval * 0.99


LATE_PROCESS = """
import threading
import time
import django
django.setup()
from django.db import connection
from franchises.google.quota import SharedQuota
from franchises.models import GoogleQuota
quota = SharedQuota("late", per_minute=60)
for _ in range(3):
    assert quota.acquire(publishing=True)
print(GoogleQuota.objects.get(name="late").next_slot, flush=True)
went = []
def worker():
    try:
        assert quota.acquire(publishing=True)
        went.append(time.time())
    finally:
        connection.close()
threads = [threading.Thread(target=worker) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(min(went), max(went), flush=True)
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_requests_whose_process_stalled_past_their_slots_do_not_go_all_at_once():
    """Four requests of another process book their slots (a second apart, at 60 a minute), then
    the process is stopped until every slot has long passed. Resumed, they go at the pace again
    (the burst's one early slot aside), not together."""
    late = _other_process(LATE_PROCESS)
    try:
        booked_from = float(late.stdout.readline())
        interval = SharedQuota("late", per_minute=60).interval
        while GoogleQuota.objects.get(name="late").next_slot < booked_from + 4 * interval - 0.001:
            time.sleep(0.01)  # until the four have booked
        os.kill(late.pid, signal.SIGSTOP)
        time.sleep(8.0)  # past the last slot, at most about five seconds ahead, by more than a slot
        os.kill(late.pid, signal.SIGCONT)
        first, last = (float(word) for word in late.stdout.readline().split())
    finally:
        late.wait(30)
    assert late.returncode == 0
    assert last - first >= interval  # all at once (within milliseconds) without the re-slotting
