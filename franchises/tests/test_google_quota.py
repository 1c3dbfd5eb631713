"""The shared quota's row: every caller gets a slot, however many arrive before the row exists,
and a slot past the caller's deadline is refused without being taken."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from franchises.google.quota import SharedQuota
from franchises.models import GoogleQuota


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_callers_racing_to_create_the_quota_row_each_get_a_slot():
    """The first requests of a fresh installation (or of a test) find no row: each of them must
    still get a slot, not be told its deadline has passed."""
    refused = []

    def caller(quota: SharedQuota, start: threading.Barrier) -> None:
        try:
            start.wait()
            if not quota.acquire():
                refused.append(quota.name)
        finally:
            connection.close()

    for round_ in range(20):
        GoogleQuota.objects.all().delete()
        quota, start = SharedQuota(f"race-{round_}", per_minute=6_000_000), threading.Barrier(6)
        threads = [threading.Thread(target=caller, args=(quota, start)) for _ in range(6)]
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
