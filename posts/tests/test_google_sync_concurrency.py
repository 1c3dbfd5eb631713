"""Overlapping runs of the sync job on separate connections share the locations: each location is
read once, and each rejection is recorded and emailed once."""

from __future__ import annotations

import pytest

from franchises.models import Membership
from gbp_scheduler.jobs import TimeBudget
from posts.models import Post, PostEvent
from posts.services import google_posts_sync, posts_publish_due
from testkit.factories import make_member
from testkit.google import franchises_connected_to_sandbox_bulk, posts_due_bulk
from testkit.threads import together


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_overlapping_runs_read_each_location_once_and_tell_each_rejection_once(sandbox, settings, mailoutbox):
    settings.PUBLISH_CONCURRENCY = 4
    franchises = franchises_connected_to_sandbox_bulk(sandbox.client, count=20, name="Location", shared=True)
    for franchise in franchises:
        make_member(franchise, Membership.Role.ADMIN, email=f"admin-{franchise.pk}@example.com")
    posts_due_bulk(franchises, count=40)
    assert posts_publish_due(budget=TimeBudget(seconds=60))["published"] == 40
    for name in Post.objects.order_by("pk").values_list("google_post_name", flat=True)[::4]:
        sandbox.client.reject_post(name)
    sandbox.client.latency(0.2, route="posts.list")  # the runs overlap for real
    lines: list[str] = []
    results, errors = together(4, lambda: google_posts_sync(budget=TimeBudget(seconds=60), report=lines.append))

    assert errors == []
    synced = [line.split(":")[0] for line in lines]
    assert len(synced) == len(set(synced)) == 20, "every location read once, by one of the runs"
    assert sum(r["locations_synced"] for r in results) == 20 and sum(r["rejected"] for r in results) == 10
    assert sandbox.client.calls("posts.list") == 20
    assert PostEvent.objects.filter(action=PostEvent.Action.GOOGLE_REJECTED).count() == 10
    assert len(mailoutbox) == 10
    assert Post.objects.filter(google_state="REJECTED").count() == 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_run_keeps_enough_requests_in_flight_for_a_slow_google_under_the_quota(sandbox, settings):
    """At 10 requests a second and 0.5 s an answer, one location after another would read 2 a
    second: the run keeps several lists in flight, within the quota."""
    settings.PUBLISH_CONCURRENCY = 8
    franchises = franchises_connected_to_sandbox_bulk(sandbox.client, count=40, name="Slow", shared=True)
    posts_due_bulk(franchises, count=40)
    assert posts_publish_due(budget=TimeBudget(seconds=60))["published"] == 40
    settings.GOOGLE_REQUESTS_PER_MINUTE = 600
    sandbox.client.set_quota(600, window_seconds=3)
    sandbox.client.latency(0.5, route="posts.list")

    counts = google_posts_sync(budget=TimeBudget(seconds=60))

    assert counts["locations_synced"] == 40 and counts["left_for_next_run"] == 0
    assert sandbox.client.calls("posts.list") == 40 and sandbox.client.calls("posts.list", 429) == 0
    assert sandbox.client.max_in_flight("posts.list") >= 4
