"""Staff actions racing the publish job, on PostgreSQL with real threads and connections."""

from __future__ import annotations

import random
import threading

import pytest
from django.db import connection

from gbp_scheduler.jobs import TimeBudget
from posts.models import Post
from posts.services import PostActionError, post_publish_now, post_update
from posts.services.publishing import posts_publish_due
from testkit.factories import make_post
from testkit.google import franchise_connected_to_sandbox, franchises_connected_to_sandbox_bulk, posts_due_bulk

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _google_texts(sandbox) -> dict[str, str]:
    return {item["name"]: item["summary"] for item in sandbox.client.posts(include_deleted=False)}


def _database_texts() -> dict[str, str]:
    published = Post.objects.filter(status=Post.Status.PUBLISHED)
    return dict(published.values_list("google_post_name", "summary"))


def test_two_editors_saving_a_published_post_at_once_leave_google_and_the_database_agreeing(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    post = make_post(franchise=franchise, summary="Original.")
    post_publish_now(post=post)
    sandbox.client.latency(0.3, route="posts.patch")  # both saves overlap the PATCH
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def editor(text: str) -> None:
        mine = Post.objects.get(pk=post.pk)
        start.wait()
        try:
            post_update(post=mine, summary=text)
            outcomes.append("saved")
        except PostActionError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=editor, args=(f"Editor {n}'s text.",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["refused", "saved"]
    assert sandbox.client.calls("posts.patch") == 1
    assert _google_texts(sandbox) == _database_texts()


def test_staff_edits_racing_overlapping_runs_all_reach_google_once(sandbox, settings):
    settings.PUBLISH_CONCURRENCY = 2
    sandbox.client.latency(0.15, route="posts.create")  # runs long enough for the edits to race them
    franchises = franchises_connected_to_sandbox_bulk(sandbox.client, count=8, name="Racing")
    posts = posts_due_bulk(franchises, count=60, summary="Post {n}: first draft.")
    rng = random.Random(7)
    done = threading.Event()
    edits = []

    def runner() -> None:
        try:
            posts_publish_due(budget=TimeBudget(seconds=60))
        finally:
            connection.close()

    def staff() -> None:
        try:
            while not done.is_set():
                post = Post.objects.select_related("franchise").get(pk=rng.choice(posts).pk)
                try:
                    post_update(post=post, summary=f"{post.summary.split(':')[0]}: edit {len(edits)}.")
                    edits.append(post.pk)
                except PostActionError:
                    pass  # being published right now, or changed meanwhile: a person would retry
        finally:
            connection.close()

    editor = threading.Thread(target=staff)
    editor.start()
    runners = [threading.Thread(target=runner) for _ in range(3)]
    for thread in runners:
        thread.start()
    for thread in runners:
        thread.join()
    done.set()
    editor.join()
    posts_publish_due(budget=TimeBudget(seconds=60))  # the next run settles what the last edits left

    assert len(edits) >= 10, f"only {len(edits)} edits landed: the race was not exercised"
    assert Post.objects.exclude(status=Post.Status.PUBLISHED).count() == 0
    assert _google_texts(sandbox) == _database_texts()
    assert len(_google_texts(sandbox)) == len(posts)
