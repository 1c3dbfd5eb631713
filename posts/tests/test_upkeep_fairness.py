"""The upkeep of one franchise never holds up the others: its items back off, one failed call to
Google stops that franchise's other items for the run, and the upkeep leaves time to publish."""

from __future__ import annotations

import pytest
from django.utils import timezone

from gbp_scheduler.jobs import TimeBudget
from posts.models import Post
from posts.services.publishing import posts_publish_due
from testkit.factories import make_post
from testkit.google import franchise_connected_to_sandbox

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _short_google_timeout(settings):
    settings.GOOGLE_HTTP_TIMEOUT_SECONDS = 1.0
    settings.PUBLISH_CONCURRENCY = 1  # runs in this thread: SQLite's test database is this connection's


def _failed_with_unknown_create(franchise, n: int) -> Post:
    """A failed post whose last create may have landed (as "Gave up after N attempts" leaves it)."""
    sent = timezone.now() - timezone.timedelta(hours=1)
    return make_post(
        franchise=franchise,
        status=Post.Status.FAILED,
        summary=f"Stuck {n}.",
        google_create_sent_at=sent,
        google_sent_body={"summary": f"Stuck {n}.", "topicType": "STANDARD"},
        last_error="Gave up after 5 attempts. Google may have the post already.",
    )


def test_a_franchise_whose_google_list_hangs_does_not_keep_another_franchises_due_post_waiting(sandbox):
    """Four failed posts of one franchise wait to be settled and Google's list of that location
    hangs; another franchise's due post goes out in the first run, and the stuck ones cost that
    run one hanging call."""
    stuck = franchise_connected_to_sandbox(sandbox)
    for n in range(4):
        _failed_with_unknown_create(stuck, n)
    other = franchise_connected_to_sandbox(sandbox)
    due = make_post(franchise=other, status=Post.Status.SCHEDULED, summary="Open late tonight.")
    sandbox.client.hang("posts.list", seconds=3, times=4)

    counts = posts_publish_due(budget=TimeBudget(seconds=3))

    due.refresh_from_db()
    assert due.status == "published"
    assert counts["published"] == 1
    assert sandbox.client.calls("posts.list", "hang") == 1
    sandbox.client.clear_faults()


def test_a_failed_posts_unknown_create_that_google_cannot_settle_backs_off(sandbox):
    """A settle that fails records a retry time: the next run does not ask Google again."""
    franchise = franchise_connected_to_sandbox(sandbox)
    post = _failed_with_unknown_create(franchise, 1)
    sandbox.client.fail("posts.list", 503)

    posts_publish_due(budget=TimeBudget(seconds=10))
    post.refresh_from_db()
    assert post.next_attempt_at is not None and post.next_attempt_at > timezone.now()
    assert post.google_create_sent_at is not None  # still to be settled
    calls = sandbox.client.calls("posts.list")

    posts_publish_due(budget=TimeBudget(seconds=10))
    assert sandbox.client.calls("posts.list") == calls
    assert (post.status, post.last_error) == ("failed", "Gave up after 5 attempts. Google may have the post already.")


def test_settling_a_drafts_unknown_create_sends_nothing_past_the_runs_deadline(sandbox, settings):
    """The draft's copy is found, but the next request slot comes after the run's deadline: the
    delete is not sent, and the draft keeps its marker for a later run."""
    settings.GOOGLE_REQUESTS_PER_MINUTE = 2  # a slot every 31.5 s
    franchise = franchise_connected_to_sandbox(sandbox)
    draft = make_post(franchise=franchise, status=Post.Status.SCHEDULED, summary="Pumpkin pie is back.")
    sandbox.client.drop("posts.create", after_commit=True)
    settings.GOOGLE_REQUESTS_PER_MINUTE = 600000
    posts_publish_due(budget=TimeBudget(seconds=10))
    Post.objects.filter(pk=draft.pk).update(status=Post.Status.DRAFT, next_attempt_at=None)
    settings.GOOGLE_REQUESTS_PER_MINUTE = 2

    posts_publish_due(budget=TimeBudget(seconds=5))

    draft.refresh_from_db()
    assert sandbox.client.calls("posts.delete") == 0
    assert draft.google_create_sent_at is not None and draft.publishing_at is None
