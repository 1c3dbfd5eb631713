"""Posts with the same text at the same location are never taken for each other on Google: at most
one create per location, type and text has an unknown outcome at a time (google_copy)."""

from __future__ import annotations

import threading
import time

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from gbp_scheduler.jobs import TimeBudget
from posts.models import GoogleDeletion, Post
from posts.services import post_delete, post_publish
from posts.services.google_copy import create_record
from posts.services.publishing import SAME_TEXT_MESSAGE, post_claim, posts_publish_due
from testkit.factories import make_post
from testkit.google import assert_google_mirrors_database, franchise_connected_to_sandbox, google_posts

TEXT = "Taco Tuesday: two for one, all day."


@pytest.fixture(autouse=True)
def _one_worker(settings):
    settings.PUBLISH_CONCURRENCY = 1  # runs in this thread: SQLite's test database is this connection's


def _scheduled(franchise, **fields) -> Post:
    return make_post(franchise=franchise, status=Post.Status.SCHEDULED, summary=TEXT, **fields)


def _after_all_retries():
    later = max(Post.objects.exclude(next_attempt_at=None).values_list("next_attempt_at", flat=True), default=None)
    later = later or timezone.now()
    return time_machine.travel(later + timezone.timedelta(seconds=1), tick=True)


def _copies_of(sandbox, franchise) -> list[str]:
    return sorted(item["name"] for item in google_posts(sandbox, franchise))


@pytest.mark.django_db
def test_a_post_waits_while_another_with_its_text_has_a_create_of_unknown_outcome_there(sandbox):
    """A's create lands but its answer is lost; B (same text, same place) is due: B waits, without
    an attempt counted, until A's copy is found; then each has its own copy."""
    franchise = franchise_connected_to_sandbox(sandbox)
    first = _scheduled(franchise)
    sandbox.client.drop("posts.create", after_commit=True)
    post_publish(post=first)
    second = _scheduled(franchise)

    result = post_publish(post=Post.objects.get(pk=second.pk))

    second.refresh_from_db()
    assert result.outcome == "deferred"
    assert (second.status, second.attempts, second.last_error) == ("scheduled", 0, SAME_TEXT_MESSAGE)
    assert sandbox.client.calls("posts.create") == 1
    with _after_all_retries():
        posts_publish_due(budget=TimeBudget(seconds=30))
    names = set(Post.objects.values_list("google_post_name", flat=True))
    assert len(names) == 2 and names == set(_copies_of(sandbox, franchise))
    assert_google_mirrors_database(sandbox)


@pytest.mark.django_db
def test_a_pending_deletion_of_an_unknown_create_keeps_another_post_with_its_text_off_google_until_settled(sandbox):
    """A is deleted while its create's outcome is unknown (its copy landed); B with the same text
    does not go out until the deletion has found and removed A's copy, so the deletion cannot
    take B's copy for A's."""
    franchise = franchise_connected_to_sandbox(sandbox)
    first = _scheduled(franchise)
    sandbox.client.drop("posts.create", after_commit=True)
    post_publish(post=first)
    sandbox.client.fail("posts.list", 503)  # the deletion cannot look yet
    post_delete(post=Post.objects.get(pk=first.pk))
    second = _scheduled(franchise)

    assert post_publish(post=Post.objects.get(pk=second.pk)).outcome == "deferred"
    assert GoogleDeletion.objects.get().sent_key  # the deletion holds the key

    with _after_all_retries():
        posts_publish_due(budget=TimeBudget(seconds=30))
    second.refresh_from_db()
    assert second.status == "published"
    assert _copies_of(sandbox, franchise) == [second.google_post_name]
    assert_google_mirrors_database(sandbox)


@pytest.mark.django_db
def test_the_same_text_at_two_locations_goes_out_at_once(sandbox):
    """The key is per location: an announcement's posts (one text, many locations) do not wait
    for each other."""
    here = franchise_connected_to_sandbox(sandbox)
    there = franchise_connected_to_sandbox(sandbox)
    sandbox.client.drop("posts.create", after_commit=True)
    post_publish(post=_scheduled(here))

    assert post_publish(post=_scheduled(there)).outcome == "published"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_reconcile_waiting_on_google_does_not_adopt_the_copy_an_overlapping_run_makes_for_another_post(sandbox):
    """A's create landed unseen; A's next attempt lists the location while Google is slow to
    answer, and meanwhile B (same text) is published by another run. A must end with its own
    copy, B with its own, and Google with exactly those two."""
    franchise = franchise_connected_to_sandbox(sandbox)
    first = _scheduled(franchise)
    sandbox.client.drop("posts.create", after_commit=True)
    post_publish(post=first)
    second = _scheduled(franchise)
    sandbox.client.latency(1.5, route="posts.list")
    outcome: list = []

    def reconcile() -> None:
        try:
            with _after_all_retries():
                outcome.append(post_publish(post=Post.objects.get(pk=first.pk)))
        finally:
            connection.close()

    thread = threading.Thread(target=reconcile)
    thread.start()
    while thread.is_alive() and not Post.objects.filter(pk=first.pk, publishing_at__isnull=False).exists():
        time.sleep(0.05)
    assert thread.is_alive(), f"A's attempt ended without holding it: {outcome}"
    time.sleep(0.3)  # A's list is on its way
    post_publish(post=Post.objects.get(pk=second.pk))
    thread.join(30)
    sandbox.client.latency(0.0, route="posts.list")

    first.refresh_from_db()
    assert outcome[0].outcome == "published" and outcome[0].reconciled
    with _after_all_retries():
        posts_publish_due(budget=TimeBudget(seconds=30))
    second.refresh_from_db()
    assert first.google_post_name != second.google_post_name
    assert _copies_of(sandbox, franchise) == sorted([first.google_post_name, second.google_post_name])
    assert_google_mirrors_database(sandbox)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_posts_recording_a_create_of_the_same_text_at_once_cannot_both_record_it(sandbox):
    """A records its create inside a transaction that stays open; B, with the same text at the
    same location, records its own meanwhile from another connection (its check cannot see A's
    uncommitted marker). B is refused once A commits, and only A's marker stands."""
    franchise = franchise_connected_to_sandbox(sandbox)
    first, second = _scheduled(franchise), _scheduled(franchise)
    now = timezone.now()
    locks = {post.pk: post_claim(post=post, now=now) for post in (first, second)}
    body = {"summary": TEXT, "topicType": "STANDARD"}
    location = franchise.google_location_name
    recorded, second_started = threading.Event(), threading.Event()
    outcome: dict = {}

    def record_first() -> None:
        try:
            with transaction.atomic():
                outcome["first"] = create_record(post_id=first.pk, lock=locks[first.pk], location=location, body=body)
                recorded.set()
                second_started.wait(10)
                time.sleep(0.5)  # B's write is under way, waiting on this transaction
        finally:
            connection.close()

    thread = threading.Thread(target=record_first)
    thread.start()
    recorded.wait(10)
    second_started.set()
    outcome["second"] = create_record(post_id=second.pk, lock=locks[second.pk], location=location, body=body)
    thread.join(30)

    assert outcome == {"first": True, "second": False}
    marked = Post.objects.filter(google_create_sent_at__isnull=False).values_list("pk", flat=True)
    assert list(marked) == [first.pk]
