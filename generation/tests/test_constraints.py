from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from generation.models import GenerationQueue
from testkit.factories import make_franchise

pytestmark = pytest.mark.django_db


def _row(franchise, slot, **fields):
    return GenerationQueue.objects.create(
        franchise=franchise, week_start=dt.date(2026, 11, 30), slot=slot, scheduled_for=timezone.now(), **fields
    )


def test_database_refuses_a_second_row_for_the_same_franchise_week_and_slot():
    franchise = make_franchise()
    _row(franchise, 0)
    _row(franchise, 1)
    _row(make_franchise(), 0)
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(franchise, 0)
    assert GenerationQueue.objects.count() == 3


def test_database_refuses_an_unknown_queue_status():
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(make_franchise(), 0, status="done")
