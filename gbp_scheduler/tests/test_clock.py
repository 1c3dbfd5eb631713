"""One clock: a process whose own clock is off (here: moved by time-machine) still takes locks,
quota slots, token expiry and "due" from the database's clock (PostgreSQL's, which nothing here
moves)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from franchises.google import quota
from franchises.google.tokens import google_access_token_get
from franchises.models import Franchise, GoogleQuota
from gbp_scheduler import clock
from posts.models import Post
from posts.services import post_publish
from testkit.factories import make_post
from testkit.google import franchise_connected_to_sandbox

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def database_clock(settings):
    settings.CLOCK_FROM_DATABASE = True
    clock.forget()
    yield
    clock.forget()


def _database_now() -> dt.datetime:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement_timestamp()")
        return cursor.fetchone()[0]


def _this_process_off_by(seconds: float):
    """This process's clock `seconds` ahead of the database's (behind when negative)."""
    clock.forget()
    return time_machine.travel(timezone.now() + dt.timedelta(seconds=seconds), tick=True)


def test_the_clock_reads_the_databases_time_however_far_this_process_is_off():
    with _this_process_off_by(150):
        assert abs((clock.now() - _database_now()).total_seconds()) < 1
        assert abs(clock.epoch() - _database_now().timestamp()) < 1
    with _this_process_off_by(-3600):
        assert abs((clock.now() - _database_now()).total_seconds()) < 1


def test_a_process_150_seconds_fast_does_not_take_over_a_live_publish_lock(sandbox):
    """A run took the post 200 s ago by the database's clock (the lock lives 300 s): still live."""
    franchise = franchise_connected_to_sandbox(sandbox)
    post = make_post(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=_database_now())
    Post.objects.filter(pk=post.pk).update(publishing_at=_database_now() - dt.timedelta(seconds=200))
    held = Post.objects.get(pk=post.pk).publishing_at

    with _this_process_off_by(150):
        result = post_publish(post=Post.objects.get(pk=post.pk))

    assert result.outcome == "skipped_locked"
    assert Post.objects.get(pk=post.pk).publishing_at == held
    assert sandbox.client.calls("posts.create") == 0


def test_a_process_150_seconds_fast_does_not_publish_a_post_due_in_a_minute(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    post = make_post(
        franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=_database_now() + dt.timedelta(minutes=1)
    )

    with _this_process_off_by(150):
        result = post_publish(post=Post.objects.get(pk=post.pk))

    assert result.outcome == "skipped_locked"
    assert sandbox.client.calls("posts.create") == 0


def test_a_process_ten_minutes_fast_does_not_push_the_shared_quota_away(settings):
    """Its slot is taken on the database's clock: the next caller's slot is a second away, not ten
    minutes."""
    settings.GOOGLE_REQUESTS_PER_MINUTE = 60

    with _this_process_off_by(600):
        assert quota.shared().acquire()

    next_slot = GoogleQuota.objects.get(name=quota.BUSINESS_PROFILE).next_slot
    assert next_slot - _database_now().timestamp() < 5


def test_a_token_refreshed_by_a_process_ten_minutes_fast_expires_on_the_databases_clock(sandbox):
    """Google's token lives an hour from now: the stored expiry says so on the shared clock, so no
    process trusts it ten minutes too long."""
    franchise = franchise_connected_to_sandbox(sandbox, expired=True)

    with _this_process_off_by(600):
        google_access_token_get(franchise=franchise)

    expires_at = Franchise.objects.get(pk=franchise.pk).google_token_expires_at
    lifetime = (expires_at - _database_now()).total_seconds()
    assert 3500 < lifetime <= 3600
