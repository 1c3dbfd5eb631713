from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gbp_scheduler.jobs import TimeBudget
from posts.models import Post
from posts.services import (
    PostActionError,
    post_delete,
    post_duplicate,
    post_publish_now,
    post_retry,
    post_schedule,
    post_unschedule,
    post_update,
)
from posts.services.publishing import posts_publish_due
from testkit.factories import make_post
from testkit.google import franchise_connected_to_sandbox, google_posts

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _one_worker(settings):
    settings.PUBLISH_CONCURRENCY = 1


@pytest.fixture
def published(sandbox) -> Post:
    franchise = franchise_connected_to_sandbox(sandbox)
    post = make_post(franchise=franchise, summary="Original text.")
    assert post_publish_now(post=post).outcome == "published"
    post.refresh_from_db()
    return post


def test_editing_a_published_post_patches_it_on_google(sandbox, published):
    post_update(post=published, summary="Corrected text.", cta_action_type="LEARN_MORE", cta_url="https://e.com")

    on_google = google_posts(sandbox, published.franchise)
    assert [item["summary"] for item in on_google] == ["Corrected text."]
    assert on_google[0]["body"]["callToAction"] == {"actionType": "LEARN_MORE", "url": "https://e.com"}
    assert sandbox.client.calls("posts.patch") == 1
    published.refresh_from_db()
    assert published.summary == "Corrected text."


def test_an_edit_google_refuses_changes_nothing_here(sandbox, published):
    from franchises.google import business_profile

    sandbox.client.fail("posts.patch", 500)
    with pytest.raises(business_profile.GbpError):
        post_update(post=published, summary="Will not stick.")
    published.refresh_from_db()
    assert published.summary == "Original text."


def test_deleting_a_published_post_deletes_it_on_google_too(sandbox, published):
    post_delete(post=published)

    assert google_posts(sandbox, published.franchise) == []
    assert not Post.objects.filter(pk=published.pk).exists()


def test_deleting_a_post_already_gone_from_google_still_deletes_it_here(sandbox, published):
    post_delete(post=Post.objects.get(pk=published.pk))  # first delete removes it at Google
    again = make_post(franchise=published.franchise, status=Post.Status.PUBLISHED)
    Post.objects.filter(pk=again.pk).update(google_post_name=published.google_post_name)
    post_delete(post=Post.objects.get(pk=again.pk))
    assert not Post.objects.filter(pk=again.pk).exists()


def test_a_post_being_published_cannot_be_edited_or_deleted(sandbox):
    post = make_post(status=Post.Status.SCHEDULED, publishing_at=timezone.now())
    with pytest.raises(PostActionError, match="being published right now"):
        post_update(post=post, summary="changed")
    with pytest.raises(PostActionError, match="being published right now"):
        post_delete(post=post)
    post.refresh_from_db()
    assert post.summary != "changed"


def test_scheduling_refuses_a_post_google_would_reject():
    post = make_post(topic_type=Post.TopicType.EVENT)
    with pytest.raises(PostActionError, match="needs a title"):
        post_schedule(post=post, at=timezone.now())
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT


def test_approve_unschedule_and_duplicate():
    draft = make_post(status=Post.Status.DRAFT)
    at = timezone.now() + dt.timedelta(days=1)
    assert post_schedule(post=draft, at=at).status == Post.Status.SCHEDULED
    assert post_unschedule(post=draft).status == Post.Status.DRAFT
    copy = post_duplicate(post=draft)
    assert copy.pk != draft.pk and copy.summary == draft.summary and copy.status == Post.Status.DRAFT


def test_retrying_a_post_whose_create_may_have_landed_looks_on_google_first(sandbox, settings):
    settings.PUBLISH_MAX_ATTEMPTS = 1
    franchise = franchise_connected_to_sandbox(sandbox)
    post = make_post(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=timezone.now())
    sandbox.client.drop("posts.create", after_commit=True)

    posts_publish_due(budget=TimeBudget(seconds=30))
    post.refresh_from_db()
    assert post.status == Post.Status.FAILED
    assert "Google may have the post already" in post.last_error

    settings.PUBLISH_MAX_ATTEMPTS = 5
    post_retry(post=post)
    posts_publish_due(budget=TimeBudget(seconds=30))

    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED
    assert len(google_posts(sandbox, franchise)) == 1
    assert sandbox.client.calls("posts.create") == 1
