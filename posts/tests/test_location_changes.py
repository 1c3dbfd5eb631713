"""A franchise between consent and its location, or moving to another location or Google account:
its posts wait, and their copies on Google are found and removed where they are."""

from __future__ import annotations

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from franchises.google.connect import google_location_pick
from franchises.holds import franchise_hold
from franchises.models import Franchise
from gbp_scheduler.jobs import TimeBudget
from posts.models import GoogleDeletion, Post, PostEvent
from posts.services import post_delete, post_publish, post_publish_now
from posts.services.google_sync import google_posts_sync
from posts.services.publishing import posts_publish_due
from testkit.factories import make_member, make_post
from testkit.google import (
    assert_google_mirrors_database,
    franchise_connected_to_sandbox,
    google_connection_to_sandbox,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _one_worker(settings):
    settings.PUBLISH_CONCURRENCY = 1  # runs in this thread: SQLite's test database is this connection's


def _run():
    return posts_publish_due(budget=TimeBudget(seconds=30))


def _later():
    return time_machine.travel(timezone.now() + timezone.timedelta(hours=7), tick=True)


def _live(sandbox) -> dict[str, str]:
    """{name: location id} of the posts live at the sandbox."""
    return {item["name"]: str(item["location_id"]) for item in sandbox.client.posts(include_deleted=False)}


def test_due_posts_of_a_franchise_with_no_location_picked_wait_without_failing_or_emailing(sandbox):
    """Connected (a consent, or a reconnect after a disconnect) but no location picked yet: its due
    posts keep their schedule and say why; no attempt, no failure, no email. Once a location is
    picked, their time having passed meanwhile, they wait for a person (posts/services/holds.py)."""
    franchise = franchise_connected_to_sandbox(sandbox)
    location = (franchise.google_account_id, franchise.google_location_id)
    Franchise.objects.filter(pk=franchise.pk).update(google_account_id="", google_location_id="")
    make_member(franchise, "admin", email="owner@example.com")
    posts = [make_post(franchise=franchise, status=Post.Status.SCHEDULED) for _ in range(3)]

    counts = _run()

    assert counts["skipped_no_location"] == 3 and counts["failed"] == 0
    rows = Post.objects.filter(pk__in=[p.pk for p in posts])
    waiting = franchise_hold(Franchise.objects.get(pk=franchise.pk))
    assert waiting.key == "no_location"
    assert set(rows.values_list("status", "attempts", "last_error")) == {("scheduled", 0, waiting.detail)}
    assert not PostEvent.objects.filter(action=PostEvent.Action.FAILED).exists()
    assert mail.outbox == []
    assert sandbox.client.calls("posts.create") == 0

    google_location_pick(
        franchise=Franchise.objects.get(pk=franchise.pk), account_id=location[0], location_id=location[1]
    )
    _run()
    assert set(rows.values_list("status", "last_error")) == {("draft", "")}
    assert all("had no Google location" in reason for reason in rows.values_list("held_reason", flat=True))
    for post in rows:
        assert post_publish_now(post=post).outcome == "published"
    assert set(rows.values_list("status", flat=True)) == {"published"}


def test_a_location_change_while_a_create_is_unknown_leaves_one_copy_on_the_new_location(sandbox):
    """The create to the old location landed unseen; the franchise then moves to another location
    of the same account. The post goes out on the new one, and the copy on the old one is removed."""
    account = sandbox.client.add_account("Two stores", locations=2)
    old, new = account["location_ids"]
    franchise = franchise_connected_to_sandbox(sandbox, location=(account["account_id"], old, "Old"))
    post = make_post(franchise=franchise, status=Post.Status.SCHEDULED, summary="Grand reopening Saturday.")
    sandbox.client.drop("posts.create", after_commit=True)
    post_publish(post=post)
    assert list(_live(sandbox).values()) == [old]

    google_location_pick(franchise=franchise, account_id=account["account_id"], location_id=new)
    with _later():
        _run()

    post.refresh_from_db()
    assert post.status == "published"
    assert _live(sandbox) == {post.google_post_name: new}
    assert_google_mirrors_database(sandbox)


def test_deleting_a_post_after_a_location_change_removes_its_unknown_copy_where_it_was_sent(sandbox):
    account = sandbox.client.add_account("Two stores", locations=2)
    old, new = account["location_ids"]
    franchise = franchise_connected_to_sandbox(sandbox, location=(account["account_id"], old, "Old"))
    post = make_post(franchise=franchise, status=Post.Status.SCHEDULED, summary="Closed for inventory.")
    sandbox.client.drop("posts.create", after_commit=True)
    post_publish(post=post)
    google_location_pick(franchise=franchise, account_id=account["account_id"], location_id=new)

    post_delete(post=Post.objects.get(pk=post.pk))

    assert _live(sandbox) == {}
    assert not GoogleDeletion.objects.exists()


def _moved_to_another_google_account(sandbox):
    """A franchise with a published post on account A's location, moved to account B's location
    through B's Google user; A's account is managed by A's user only."""
    user_a, user_b = "owner-a@sandbox.example", "owner-b@sandbox.example"
    first = sandbox.client.add_account("A", locations=1, managers=[user_a])
    second = sandbox.client.add_account("B", locations=1, managers=[user_b])
    franchise = franchise_connected_to_sandbox(
        sandbox, location=(first["account_id"], first["location_ids"][0], "A's store"), user=user_a
    )
    post = make_post(franchise=franchise, status=Post.Status.SCHEDULED, summary="Live music on Friday.")
    post_publish(post=post)
    google_location_pick(
        franchise=franchise,
        account_id=second["account_id"],
        location_id=second["location_ids"][0],
        connection=google_connection_to_sandbox(sandbox.client, user=user_b),
        title="B's store",
    )
    post.refresh_from_db()
    return Franchise.objects.get(pk=franchise.pk), post


def test_after_a_move_to_another_google_account_the_sync_does_not_call_the_old_posts_removed(sandbox):
    """Google answers the old location's post with 404 (or 403): it cannot tell, so the post stays
    as it was and the franchise says why."""
    franchise, post = _moved_to_another_google_account(sandbox)
    sandbox.client.fail("posts.get", 404)

    counts = google_posts_sync(budget=TimeBudget(seconds=30))

    post.refresh_from_db()
    assert post.google_state != "REMOVED"
    assert counts["removed"] == 0 and counts["unreachable"] == 1
    franchise.refresh_from_db()
    assert "can no longer reach" in franchise.google_posts_sync_error


def test_after_a_move_to_another_google_account_deleting_an_old_post_is_not_counted_done(sandbox):
    """The delete of the old copy answers 404 (or 403): the copy may well be there still, so the
    deletion stays pending with the reason."""
    _franchise, post = _moved_to_another_google_account(sandbox)
    sandbox.client.fail("posts.delete", 404)

    done = post_delete(post=post)

    assert done is False
    deletion = GoogleDeletion.objects.get()
    assert "cannot reach" in deletion.last_error
    assert post.google_post_name in _live(sandbox)


def test_publish_now_on_a_franchise_that_was_disconnected_leaves_the_post_waiting(sandbox):
    """ "Publish now" on a franchise no longer connected does what a run does: the post keeps its
    schedule and says why; nothing is sent, nothing fails."""
    from franchises.google.connect import google_disconnect

    franchise = franchise_connected_to_sandbox(sandbox)
    post = make_post(franchise=franchise, status=Post.Status.SCHEDULED)
    google_disconnect(franchise=franchise)

    result = post_publish_now(post=Post.objects.select_related("franchise").get(pk=post.pk))

    post.refresh_from_db()
    assert result.outcome == "skipped_not_connected"
    assert (post.status, post.attempts) == ("scheduled", 0)
    assert post.last_error == franchise_hold(Franchise.objects.get(pk=franchise.pk)).detail


def test_posts_whose_time_passed_while_the_franchise_was_inactive_wait_for_a_person(sandbox):
    """Headquarters deactivates a franchise, a post's time passes, headquarters reactivates it: the
    post does not go out late unasked; it waits as a draft that says why."""
    from franchises.services import franchise_active_set

    franchise = franchise_connected_to_sandbox(sandbox)
    franchise_active_set(franchise=franchise, active=False)
    post = make_post(franchise=franchise, status=Post.Status.SCHEDULED)

    franchise_active_set(franchise=Franchise.objects.get(pk=franchise.pk), active=True)
    _run()

    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT and "while" in post.held_reason and "inactive" in post.held_reason
    assert sandbox.client.calls("posts.create") == 0
