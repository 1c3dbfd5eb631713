"""A location Google will not take posts from never gets a failed post: its due posts wait with the
reason (no attempt, no email per post), "Publish now" says why instead of trying, and the posts go
out once Google says the location can take them."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from franchises.google.rights import posting_rights_check
from franchises.models import Membership
from gbp_scheduler.jobs import TimeBudget
from health.failure_notices import posts_failed_notify
from posts.models import Post
from posts.services import PostActionError, post_publish_now
from posts.services.publishing import posts_publish_due
from testkit.factories import make_member, make_post
from testkit.google import franchise_connected_to_sandbox, google_posts

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _one_worker(settings):
    settings.PUBLISH_CONCURRENCY = 1


@pytest.fixture
def unverified(sandbox):
    """A franchise whose location Google has not verified, as the hourly check found it."""
    franchise = franchise_connected_to_sandbox(sandbox, name="Zanesville")
    sandbox.client.set_location_rights(franchise.google_location_id, can_post=False, verified=False)
    posting_rights_check(budget=TimeBudget(seconds=60))
    franchise.refresh_from_db()
    assert not franchise.google_location_can_post
    return franchise


def test_due_posts_wait_with_the_reason_and_go_out_once_google_takes_them(sandbox, unverified, mailoutbox):
    make_member(unverified, Membership.Role.ADMIN, email="owner@example.com")
    at = timezone.now() - dt.timedelta(minutes=5)
    post = make_post(franchise=unverified, status=Post.Status.SCHEDULED, scheduled_at=at, summary="Fall cleanup.")

    for _ in range(2):
        counts = posts_publish_due(budget=TimeBudget(seconds=60))
        assert counts["skipped_cannot_post"] == 1 and counts["published"] == counts["failed"] == 0
    post.refresh_from_db()
    assert (post.status, post.attempts, post.scheduled_at) == (Post.Status.SCHEDULED, 0, at)
    assert "cannot take posts (it is not verified on Google)" in post.last_error
    assert sandbox.client.calls("posts.create") == 0
    assert posts_failed_notify(now=timezone.now()) == 0
    assert mailoutbox == []  # nothing failed, so no email per post

    sandbox.client.set_location_rights(unverified.google_location_id, can_post=True, verified=True)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1)):  # the next hourly check: a post is due
        assert posting_rights_check(budget=TimeBudget(seconds=60))["changed"] == 1
        # Its time passed while the location could not post: it waits for a person, not sent late.
        assert posts_publish_due(budget=TimeBudget(seconds=60))["published"] == 0
        post.refresh_from_db()
        assert (post.status, post.scheduled_at) == (Post.Status.DRAFT, at)
        assert "while Google did not let" in post.held_reason
        assert post_publish_now(post=post).outcome == "published"
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED and post.last_error == "" and post.held_reason == ""
    assert [item["summary"] for item in google_posts(sandbox, unverified)] == ["Fall cleanup."]


def test_publish_now_says_why_instead_of_failing_the_post(sandbox, unverified):
    post = make_post(franchise=unverified, status=Post.Status.DRAFT, summary="Open house Saturday.")

    with pytest.raises(PostActionError, match="not verified on Google"):
        post_publish_now(post=post)

    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT and post.attempts == 0
    assert sandbox.client.calls("posts.create") == 0


def test_a_location_that_lost_its_rights_since_the_last_check_gets_no_failed_post(
    sandbox, mailoutbox, django_capture_on_commit_callbacks
):
    """The hourly check still says the location can post when Google refuses the create: the run
    asks Google about the location, keeps its answer, and the post waits with the reason; its admins
    are told once."""
    franchise = franchise_connected_to_sandbox(sandbox, name="Chillicothe")
    make_member(franchise, Membership.Role.ADMIN, email="owner@example.com")
    post = make_post(franchise=franchise, status=Post.Status.SCHEDULED, summary="Cider season.")
    sandbox.client.set_location_rights(franchise.google_location_id, can_post=False, verified=True)

    with django_capture_on_commit_callbacks(execute=True):
        counts = posts_publish_due(budget=TimeBudget(seconds=60))

    post.refresh_from_db()
    franchise.refresh_from_db()
    assert counts["skipped_cannot_post"] == 1 and counts["failed"] == 0
    assert (post.status, post.attempts) == (Post.Status.SCHEDULED, 0)
    assert post.google_create_sent_at is None  # refused: nothing can have landed
    assert "cannot take posts" in post.last_error and not franchise.google_location_can_post
    assert [message.to for message in mailoutbox] == [["owner@example.com"]]
