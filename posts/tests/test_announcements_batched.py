"""Edit all and cancel all of an announcement in a bounded number of queries, with the guarantees
of the one-by-one path: a post held by a publish run or changed meanwhile is named busy and left
as it is, a post Google may hold a copy of goes through post_update / post_delete, and every
change has its history, as post_update and post_delete write it."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from franchises.models import Franchise
from gbp_scheduler.jobs import TimeBudget
from posts.models import Announcement, GoogleDeletion, Post, PostEvent
from posts.selectors import announcement_posts
from posts.services import announcement_schedule, post_delete, post_update
from posts.services.announcements import announcement_cancel_all, announcement_edit_all
from posts.services.publishing import post_claim, posts_publish_due
from testkit.factories import make_franchise, make_user
from testkit.google import assert_google_mirrors_database, franchises_connected_to_sandbox_bulk
from testkit.threads import together

DAY = dt.date(2030, 12, 20)


def _send(franchises, user=None, template="News from {name}.", day=DAY, at=dt.time(9, 0)) -> Announcement:
    posts = announcement_schedule(franchises=franchises, template=template, date=day, local_time=at, user=user)
    return posts[0].announcement


def _group(count: int, prefix: str) -> list[Franchise]:
    return Franchise.objects.bulk_create(
        Franchise(name=f"{prefix} {n:03}", city="Akron", timezone="America/New_York") for n in range(count)
    )


def _queries(call) -> tuple[list[str], object]:
    with CaptureQueriesContext(connection) as captured:
        answer = call()
    return [query["sql"] for query in captured], answer


def _by_franchise() -> dict[str, Post]:
    return {post.franchise.name: post for post in Post.objects.select_related("franchise")}


# On SQLite Django splits a bulk INSERT or UPDATE into chunks of 999 parameters (about a hundred
# posts' history rows each): there 200 posts may take a chunk or two more than 20. PostgreSQL
# takes each batch in one statement. On both, Django's delete removes the rows in chunks of 100
# ids (one DELETE each): those are counted apart.
SQLITE_CHUNKS = 2


def _rows_deleted_chunks(statements: list[str]) -> int:
    return sum(statement.startswith('DELETE FROM "posts"') for statement in statements)


@pytest.mark.django_db
def test_edit_all_and_cancel_all_take_the_same_number_of_queries_for_20_posts_as_for_200():
    user = make_user(superuser=True)
    small, big = _send(_group(20, "Small"), user=user), _send(_group(200, "Big"), user=user)
    edit = {"user": user, "template": "Open late at {name}.", "cta_action_type": "LEARN_MORE"}
    edit["cta_url"] = "https://example.com/late"

    small_edit, small_outcome = _queries(lambda: announcement_edit_all(announcement=small, **edit))
    big_edit, big_outcome = _queries(lambda: announcement_edit_all(announcement=big, **edit))
    small_cancel, small_counts = _queries(lambda: announcement_cancel_all(announcement=small, user=user))
    big_cancel, big_counts = _queries(lambda: announcement_cancel_all(announcement=big, user=user))

    assert (len(small_outcome["edited"]), len(big_outcome["edited"])) == (20, 200)
    assert (small_counts["deleted"], big_counts["deleted"]) == (20, 200)
    slack = SQLITE_CHUNKS if connection.vendor == "sqlite" else 0
    assert len(small_edit) <= len(big_edit) <= len(small_edit) + slack, (len(small_edit), len(big_edit))
    assert (_rows_deleted_chunks(small_cancel), _rows_deleted_chunks(big_cancel)) == (1, 2)
    small_rest, big_rest = len(small_cancel) - 1, len(big_cancel) - 2
    assert small_rest <= big_rest <= small_rest + slack, (small_rest, big_rest)
    # One post at a time it was 33 queries a post to edit and 8 to delete. (Deleting also lets go
    # of the posts' takedown requests, which keep their excerpt: one UPDATE a batch; takes their team
    # notes with them: one query a batch; and deletes their approval decisions and review links: one
    # DELETE each.)
    assert len(big_edit) <= 10 and big_rest <= 16, (big_edit, big_cancel)
    assert PostEvent.objects.filter(action=PostEvent.Action.EDITED).count() == 220
    assert PostEvent.objects.filter(action=PostEvent.Action.DELETED, post=None).count() == 220
    assert not Post.objects.exists()


@pytest.mark.django_db
def test_a_post_whose_lock_a_publish_run_holds_is_busy_and_left_as_it_is():
    announcement = _send([make_franchise(name="Akron Shop"), make_franchise(name="Lima Shop")])
    held = _by_franchise()["Lima Shop"]
    Post.objects.filter(pk=held.pk).update(scheduled_at=timezone.now())  # due: a run claims it
    held.refresh_from_db()
    lock = post_claim(post=held, now=timezone.now())
    assert lock is not None

    outcome = announcement_edit_all(announcement=announcement, user=None, template="New at {name}.")
    counts = announcement_cancel_all(announcement=announcement, user=None)

    assert outcome == {
        "edited": ["Akron Shop"],
        "kept_local": [],
        "overwritten": [],
        "busy": ["Lima Shop"],
        "kept_time": [],
    }
    assert counts == {"deleted": 1, "busy": 1, "series_ended": 0}
    row = Post.objects.get()
    assert (row.pk, row.summary, row.version, row.publishing_at) == (held.pk, held.summary, held.version, lock)
    assert not PostEvent.objects.filter(post=row).exclude(action=PostEvent.Action.SCHEDULED).exists()


@pytest.mark.django_db
def test_a_stale_lock_binds_nobody_the_edit_takes_the_post_over():
    announcement = _send([make_franchise(name="Akron Shop")])
    post = Post.objects.get()
    stale = timezone.now() - dt.timedelta(seconds=settings.PUBLISH_LOCK_TIMEOUT_SECONDS + 5)
    Post.objects.filter(pk=post.pk).update(publishing_at=stale)

    outcome = announcement_edit_all(announcement=announcement, user=None, template="New at {name}.")

    assert outcome["edited"] == ["Akron Shop"]
    row = Post.objects.get()
    assert (row.summary, row.version, row.publishing_at) == ("New at Akron Shop.", post.version + 1, None)


@pytest.mark.django_db
def test_a_post_changed_between_the_read_and_the_write_is_busy_and_keeps_the_change():
    announcement = _send([make_franchise(name="Akron Shop"), make_franchise(name="Lima Shop")])
    as_read = list(announcement_posts(announcement=announcement))  # what headquarters' page loaded
    post_update(post=Post.objects.get(franchise__name="Lima Shop"), summary="Lima's own words.")
    deleted = Post.objects.get(franchise__name="Akron Shop")
    post_delete(post=deleted)  # and one gone meanwhile

    outcome = announcement_edit_all(announcement=announcement, user=None, template="New at {name}.", posts=as_read)

    assert outcome == {
        "edited": [],
        "kept_local": [],
        "overwritten": [],
        "busy": ["Akron Shop", "Lima Shop"],
        "kept_time": [],
    }
    row = Post.objects.get()
    assert (row.summary, row.version) == ("Lima's own words.", 2)


@pytest.mark.django_db
def test_cancel_all_leaves_a_post_published_since_it_was_read():
    announcement = _send([make_franchise(name="Akron Shop"), make_franchise(name="Lima Shop")])
    as_read = list(announcement_posts(announcement=announcement))
    Post.objects.filter(franchise__name="Lima Shop").update(
        status=Post.Status.PUBLISHED,
        published_at=timezone.now(),
        google_post_name="accounts/1/locations/2/localPosts/3",
    )

    counts = announcement_cancel_all(announcement=announcement, user=None, posts=as_read)

    assert counts == {"deleted": 1, "busy": 1, "series_ended": 0}
    assert list(Post.objects.values_list("franchise__name", "status")) == [("Lima Shop", "published")]
    assert not GoogleDeletion.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Post.Status.SCHEDULED, Post.Status.DRAFT, Post.Status.FAILED])
def test_each_edited_post_has_the_history_and_version_post_update_gives_a_post_edited_alone(status):
    """A twin post of the same content, edited alone through post_update, is the reference."""
    user = make_user(superuser=True)
    announcement = _send([make_franchise(name="Akron Shop", city="Akron")], user=user)
    fields = {"status": status, "last_error": "Google said no." if status == Post.Status.FAILED else ""}
    fields["attempts"] = 3 if status == Post.Status.FAILED else 0
    Post.objects.update(**fields)
    post = Post.objects.select_related("franchise").get()
    twin = Post.objects.create(
        franchise=post.franchise, summary=post.summary, scheduled_at=post.scheduled_at, version=post.version, **fields
    )
    changes = {"summary": "Open late at Akron Shop.", "cta_action_type": "LEARN_MORE"}
    changes["cta_url"] = "https://example.com/late"

    outcome = announcement_edit_all(
        announcement=announcement,
        user=user,
        template="Open late at {name}.",
        cta_action_type="LEARN_MORE",
        cta_url="https://example.com/late",
        posts=[post],
    )
    post_update(post=twin, user=user, **changes)

    assert outcome["edited"] == ["Akron Shop"]
    edited, alone = Post.objects.get(pk=post.pk), Post.objects.get(pk=twin.pk)
    compared = ("summary", "cta_action_type", "cta_url", "status", "last_error", "attempts", "version")
    assert [getattr(edited, name) for name in compared] == [getattr(alone, name) for name in compared]
    assert edited.version == post.version + 1
    history = ("action", "actor_id", "detail", "post_excerpt")
    batched = list(PostEvent.objects.filter(post=edited, action=PostEvent.Action.EDITED).values(*history))
    reference = list(PostEvent.objects.filter(post=alone, action=PostEvent.Action.EDITED).values(*history))
    assert batched == reference and len(batched) == 1


@pytest.mark.django_db
def test_a_post_whose_create_may_have_landed_goes_the_careful_way():
    """A publish attempt sent its create and lost the answer (the marker): Google may hold a copy.
    Edit all keeps the marker (the next attempt looks before it creates); cancel all hands the
    copy to GoogleDeletion, as post_delete does."""
    announcement = _send([make_franchise(name="Akron Shop"), make_franchise(name="Lima Shop")])
    sent_at = timezone.now() - dt.timedelta(minutes=10)
    body = {"summary": "News from Lima Shop.", "topicType": "STANDARD"}
    Post.objects.filter(franchise__name="Lima Shop").update(google_create_sent_at=sent_at, google_sent_body=body)

    outcome = announcement_edit_all(announcement=announcement, user=None, template="New at {name}.")

    assert outcome["edited"] == ["Akron Shop", "Lima Shop"]
    maybe = _by_franchise()["Lima Shop"]
    assert (maybe.summary, maybe.google_create_sent_at, maybe.google_sent_body) == ("New at Lima Shop.", sent_at, body)
    assert PostEvent.objects.filter(post=maybe, action=PostEvent.Action.EDITED).count() == 1

    counts = announcement_cancel_all(announcement=announcement, user=None)

    assert counts == {"deleted": 2, "busy": 0, "series_ended": 0}
    deletion = GoogleDeletion.objects.get()
    assert (deletion.post_id, deletion.sent_body, deletion.sent_at) == (maybe.pk, body, sent_at)
    details = dict(PostEvent.objects.filter(action=PostEvent.Action.DELETED).values_list("post_excerpt", "detail"))
    assert details == {
        "New at Akron Shop.": "",
        "New at Lima Shop.": "Google could not be reached; the next publish run removes it there.",
    }


# --- on PostgreSQL, racing a real publish run ----------------------------------------------------


def _due_announcement(franchises) -> Announcement:
    local = timezone.localtime(timezone.now() - dt.timedelta(minutes=1), franchises[0].zone)
    return _send(franchises, template="{name}: first text.", day=local.date(), at=local.time().replace(microsecond=0))


def _google_bodies(sandbox) -> dict[str, dict]:
    return {item["name"]: item["body"] for item in sandbox.client.posts(include_deleted=False)}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_edit_all_racing_a_publish_run_leaves_google_mirroring_the_database(sandbox, settings):
    settings.PUBLISH_CONCURRENCY = 2
    sandbox.client.latency(0.1, route="posts.create")  # the run lasts long enough to be raced
    franchises = franchises_connected_to_sandbox_bulk(sandbox.client, count=40, name="Racing")
    announcement = _due_announcement(franchises)
    done = threading.Event()
    outcomes: list[dict] = []

    def run() -> None:
        try:
            posts_publish_due(budget=TimeBudget(seconds=60))
        finally:
            done.set()

    def headquarters() -> None:
        for n in itertools.count(1):
            if done.is_set():
                return
            current = Announcement.objects.get(pk=announcement.pk)
            outcomes.append(
                announcement_edit_all(
                    announcement=current,
                    user=None,
                    template=f"{{name}}: edit {n}.",
                    cta_action_type="LEARN_MORE",
                    cta_url=f"https://example.com/edit-{n}",
                )
            )

    roles = iter([run, headquarters])
    _, errors = together(2, lambda: next(roles)())
    posts_publish_due(budget=TimeBudget(seconds=60))  # the next run publishes what the last edit left

    assert errors == []
    assert sum(len(outcome["edited"]) for outcome in outcomes) > 0, "no edit landed: the race was not exercised"
    assert any(outcome["busy"] for outcome in outcomes), "no post was held by the run: the race was not exercised"
    assert Post.objects.exclude(status=Post.Status.PUBLISHED).count() == 0
    assert_google_mirrors_database(sandbox)
    bodies = _google_bodies(sandbox)
    assert len(bodies) == len(franchises)  # each post on Google once
    for post in Post.objects.all():
        body = bodies[post.google_post_name]
        assert body["summary"] == post.summary
        assert (body.get("callToAction") or {}).get("url", "") == post.cta_url
    assert Post.objects.filter(summary__contains=": edit ").exists(), "no edited text reached Google"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_cancel_all_racing_a_publish_run_leaves_nothing_on_google_that_no_post_owns(sandbox, settings):
    settings.PUBLISH_CONCURRENCY = 2
    sandbox.client.latency(0.1, route="posts.create")
    franchises = franchises_connected_to_sandbox_bulk(sandbox.client, count=40, name="Racing")
    announcement = _due_announcement(franchises)
    counts: list[dict] = []

    def run() -> None:
        posts_publish_due(budget=TimeBudget(seconds=60))

    def headquarters() -> None:
        give_up = time.monotonic() + 30
        while Post.objects.filter(status=Post.Status.PUBLISHED).count() < 5 and time.monotonic() < give_up:
            time.sleep(0.02)  # a few out first, so the cancel meets posts being published
        counts.append(announcement_cancel_all(announcement=Announcement.objects.get(pk=announcement.pk), user=None))

    roles = iter([run, headquarters])
    _, errors = together(2, lambda: next(roles)())
    posts_publish_due(budget=TimeBudget(seconds=60))

    assert errors == []
    published = Post.objects.filter(status=Post.Status.PUBLISHED).count()
    assert counts[0]["deleted"] > 0 and published >= 5
    assert counts[0]["deleted"] + published == len(franchises)
    assert PostEvent.objects.filter(action=PostEvent.Action.DELETED).count() == counts[0]["deleted"]
    assert_google_mirrors_database(sandbox)
    assert len(_google_bodies(sandbox)) == published


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_row_another_transaction_holds_is_busy_at_once_not_waited_for():
    """A publish run's claim in flight holds the row until it commits: edit all and cancel all
    name that post busy and go on, without waiting for it."""
    announcement = _send([make_franchise(name="Akron Shop"), make_franchise(name="Lima Shop")])
    held = Post.objects.get(franchise__name="Lima Shop")
    holding, release = threading.Event(), threading.Event()

    def other_transaction() -> None:
        try:
            with transaction.atomic():
                Post.objects.filter(pk=held.pk).update(updated_at=timezone.now())  # the row locked
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=other_transaction)
    thread.start()
    try:
        assert holding.wait(10)
        started = time.monotonic()
        outcome = announcement_edit_all(announcement=announcement, user=None, template="New at {name}.")
        counts = announcement_cancel_all(announcement=announcement, user=None)
        elapsed = time.monotonic() - started
    finally:
        release.set()
        thread.join()

    assert outcome == {
        "edited": ["Akron Shop"],
        "kept_local": [],
        "overwritten": [],
        "busy": ["Lima Shop"],
        "kept_time": [],
    }
    assert counts == {"deleted": 1, "busy": 1, "series_ended": 0}
    assert elapsed < 5
    row = Post.objects.get()
    assert (row.pk, row.summary, row.version) == (held.pk, held.summary, held.version)
