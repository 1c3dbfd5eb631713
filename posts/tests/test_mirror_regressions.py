"""What the state machine of testkit/mirror_machine.py found, each kept as an ordinary test (each
failed on the code issue 25 started from)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from franchises.google.connect import google_disconnect, google_location_pick
from gbp_scheduler.jobs import TimeBudget
from posts.models import Post, PostEvent
from posts.services import (
    announcement_cancel_all,
    announcement_schedule,
    post_claim,
    post_delete,
    post_publish_now,
    post_update,
    posts_publish_due,
)
from sandbox.state import SANDBOX_USER
from testkit.factories import make_post, make_user
from testkit.google import assert_google_mirrors_database, franchise_connected_to_sandbox
from testkit.mirror_machine import reconnect_through_consent

pytestmark = pytest.mark.django_db

HTTP_TIMEOUT = 0.3


@pytest.fixture(autouse=True)
def _short_timeouts(settings):
    settings.PUBLISH_CONCURRENCY = 1
    settings.GOOGLE_HTTP_TIMEOUT_SECONDS = HTTP_TIMEOUT


def due_post(franchise, summary: str = "Fresh bread today.") -> Post:
    return make_post(
        franchise=franchise,
        summary=summary,
        status=Post.Status.SCHEDULED,
        scheduled_at=timezone.now() - dt.timedelta(minutes=1),
    )


def test_publish_now_on_a_disconnected_franchise_leaves_the_post_scheduled(sandbox):
    """A connected franchise has a due post; the franchise is disconnected; staff press "Publish now"."""
    franchise = franchise_connected_to_sandbox(sandbox)
    post = due_post(franchise)
    google_disconnect(franchise=franchise)

    post_publish_now(post=Post.objects.select_related("franchise").get(pk=post.pk))

    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED, post.last_error


def test_a_due_post_of_a_franchise_reconnected_without_a_location_waits_for_one(sandbox):
    """A connected franchise has a due post; it is disconnected, then reconnected through the consent
    page (no location picked yet); a publish run."""
    franchise = franchise_connected_to_sandbox(sandbox, user=SANDBOX_USER)
    post = due_post(franchise)
    google_disconnect(franchise=franchise)
    reconnect_through_consent(franchise)

    posts_publish_due(budget=TimeBudget(seconds=30))

    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED, post.last_error


def lost_create(sandbox, franchise, summary: str = "Fresh bread today.") -> Post:
    """A due post whose create landed on Google and whose answer was lost (deferred, marker set)."""
    post = due_post(franchise, summary)
    sandbox.client.drop("posts.create", after_commit=True)
    assert posts_publish_due(budget=TimeBudget(seconds=30))["deferred"] == 1
    post.refresh_from_db()
    return post


def other_location(sandbox, franchise) -> None:
    """Move the franchise to a new location its Google connection manages, as its admin would."""
    account = sandbox.client.add_account("Second shop's account", locations=1)
    google_location_pick(franchise=franchise, account_id=account["account_id"], location_id=account["location_ids"][0])


def test_a_location_change_while_a_create_is_unknown_leaves_one_copy_on_google(sandbox):
    """A due post's create lands and its answer is lost; the franchise moves to another location;
    time passes its backoff and a publish run."""
    franchise = franchise_connected_to_sandbox(sandbox)
    post = lost_create(sandbox, franchise)
    other_location(sandbox, franchise)

    with time_machine.travel(post.next_attempt_at + dt.timedelta(seconds=1), tick=True):
        posts_publish_due(budget=TimeBudget(seconds=30))

    assert_google_mirrors_database(sandbox)


def test_deleting_a_post_whose_create_is_unknown_after_a_location_change_removes_its_copy(sandbox):
    """A due post's create lands and its answer is lost; the franchise moves to another location;
    the post is deleted, and a publish run."""
    franchise = franchise_connected_to_sandbox(sandbox)
    post = lost_create(sandbox, franchise)
    other_location(sandbox, franchise)

    post_delete(post=Post.objects.select_related("franchise").get(pk=post.pk))
    posts_publish_due(budget=TimeBudget(seconds=30))

    assert_google_mirrors_database(sandbox)


def test_a_rejection_seen_in_the_answer_to_an_edit_is_told(sandbox):
    """A post is published; Google's review rejects it; staff edit its text before the sync runs."""
    franchise = franchise_connected_to_sandbox(sandbox)
    post = due_post(franchise)
    posts_publish_due(budget=TimeBudget(seconds=30))
    post.refresh_from_db()
    sandbox.client.reject_post(post.google_post_name)

    post_update(post=post, summary="Fresh bread today, until noon.")

    post.refresh_from_db()
    assert post.google_state == "REJECTED"
    assert PostEvent.objects.filter(post=post, action=PostEvent.Action.GOOGLE_REJECTED).exists()


def test_two_posts_with_the_same_text_and_lost_answers_end_with_one_copy_each(sandbox):
    """Two due posts of one franchise with the same text, ten minutes apart: the first one's create
    lands and its answer is lost; the second is published at once while that is unsettled (it
    waits for it); an hour later (past their backoffs) a publish run."""
    franchise = franchise_connected_to_sandbox(sandbox)
    first = lost_create(sandbox, franchise)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=10), tick=True) as traveller:
        second = due_post(franchise)
        waiting = post_publish_now(post=Post.objects.select_related("franchise").get(pk=second.pk))
        assert waiting.outcome == "deferred" and sandbox.client.calls("posts.create") == 1
        traveller.shift(dt.timedelta(hours=1))

        posts_publish_due(budget=TimeBudget(seconds=30))

    assert Post.objects.filter(pk__in=[first.pk, second.pk], status=Post.Status.PUBLISHED).count() == 2
    assert_google_mirrors_database(sandbox)


def test_a_post_busy_when_its_announcement_is_cancelled_never_goes_out(sandbox, settings):
    """An announcement to one franchise is due; a publish runner claims its post and is killed;
    headquarters cancel all (the post is busy); the lock goes stale and a publish run."""
    franchise = franchise_connected_to_sandbox(sandbox)
    headquarters = make_user(superuser=True)
    at = timezone.localtime(timezone.now() - dt.timedelta(minutes=1), franchise.zone)
    [post] = announcement_schedule(
        franchises=[franchise],
        template="Holiday hours: closed Monday.",
        date=at.date(),
        local_time=at.time().replace(microsecond=0),
        user=headquarters,
    )
    assert post_claim(post=Post.objects.get(pk=post.pk), now=timezone.now()) is not None
    assert announcement_cancel_all(announcement=post.announcement, user=headquarters)["busy"] == 1

    stale = timezone.now() + dt.timedelta(seconds=settings.PUBLISH_LOCK_TIMEOUT_SECONDS + 1)
    with time_machine.travel(stale, tick=True):
        posts_publish_due(budget=TimeBudget(seconds=30))

    assert not Post.objects.filter(pk=post.pk, status=Post.Status.PUBLISHED).exists()
    assert sandbox.client.posts(include_deleted=False) == []
