"""The post page's actions, each recorded in the history, and the history pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from franchises.models import Membership
from gbp_scheduler.jobs import TimeBudget
from posts.models import Post, PostEvent
from posts.services.publishing import posts_publish_due
from testkit.factories import make_franchise, make_member, make_post
from testkit.google import franchise_connected_to_sandbox, google_posts
from testkit.web import logged_in, messages_of

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture(autouse=True)
def _one_worker(settings):
    settings.PUBLISH_CONCURRENCY = 1


@pytest.fixture
def franchise():
    return make_franchise(timezone="Europe/Berlin")


@pytest.fixture
def staff(client, franchise):
    user = make_member(franchise, Membership.Role.STAFF)
    logged_in(client, user)
    return user


def _actions(post: Post) -> list[str]:
    return list(PostEvent.objects.filter(post=post).order_by("created_at").values_list("action", flat=True))


def test_approve_and_schedule_from_the_post_page(client, franchise, staff):
    post = make_post(franchise=franchise, source=Post.Source.AI)
    response = client.post(reverse("posts:schedule", args=[post.pk]), {"scheduled_at": "2030-03-02T10:15"}, follow=True)
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED
    assert post.scheduled_at == dt.datetime(2030, 3, 2, 9, 15, tzinfo=UTC)  # 10:15 CET
    assert "Approved and scheduled." in messages_of(response)
    assert _actions(post) == ["scheduled"]
    assert 'data-event="scheduled"' in response.content.decode()


def test_scheduling_in_the_past_is_refused_with_a_message(client, franchise, staff):
    post = make_post(franchise=franchise)
    response = client.post(reverse("posts:schedule", args=[post.pk]), {"scheduled_at": "2001-01-01T10:00"}, follow=True)
    assert any("That time has passed" in text for text in messages_of(response))
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT
    assert _actions(post) == []


def test_a_post_google_would_reject_is_not_scheduled(client, franchise, staff):
    post = make_post(franchise=franchise, topic_type=Post.TopicType.EVENT)
    response = client.post(reverse("posts:schedule", args=[post.pk]), {"scheduled_at": "2030-01-01T10:00"}, follow=True)
    assert "Not scheduled: An event needs a title. An event needs a start and an end." in messages_of(response)
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT


def test_unschedule_puts_the_post_back_to_draft(client, franchise, staff):
    post = make_post(franchise=franchise, status=Post.Status.SCHEDULED)
    response = client.post(reverse("posts:unschedule", args=[post.pk]), follow=True)
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT
    assert "Unscheduled: back to draft." in messages_of(response)
    assert _actions(post) == ["unscheduled"]


def test_actions_on_a_post_being_published_are_refused_with_the_reason(client, franchise, staff):
    post = make_post(franchise=franchise, status=Post.Status.SCHEDULED, publishing_at=timezone.now())
    response = client.post(reverse("posts:unschedule", args=[post.pk]), follow=True)
    assert any("being published right now" in text for text in messages_of(response))
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED
    page = client.get(reverse("posts:detail", args=[post.pk])).content.decode()
    assert 'id="locked-message"' in page
    assert 'data-action="unschedule"' not in page


def test_publish_now_puts_it_on_google_and_links_to_it(client, sandbox, staff):
    franchise = franchise_connected_to_sandbox(sandbox)
    user = make_member(franchise, Membership.Role.STAFF)
    logged_in(client, user)
    post = make_post(franchise=franchise, summary="Open late tonight.")
    response = client.post(reverse("posts:publish_now", args=[post.pk]), follow=True)
    assert "Published on Google." in messages_of(response)
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED
    assert [item["summary"] for item in google_posts(sandbox, franchise)] == ["Open late tonight."]
    body = response.content.decode()
    assert f'href="{post.google_search_url}" id="google-link"' in body
    event = PostEvent.objects.get(post=post)
    assert (event.action, event.actor) == (PostEvent.Action.PUBLISHED, user)


def test_publish_now_that_google_refuses_shows_why(client, sandbox, staff):
    franchise = franchise_connected_to_sandbox(sandbox)
    logged_in(client, make_member(franchise, Membership.Role.STAFF))
    post = make_post(franchise=franchise)
    sandbox.client.fail("posts.create", status=403, times=1)
    response = client.post(reverse("posts:publish_now", args=[post.pk]), follow=True)
    post.refresh_from_db()
    assert post.status == Post.Status.FAILED
    assert any(text.startswith("Publishing failed:") for text in messages_of(response))
    assert 'id="last-error"' in response.content.decode()
    assert _actions(post) == ["failed"]


def test_retry_schedules_a_failed_post_again(client, franchise, staff):
    post = make_post(franchise=franchise, status=Post.Status.FAILED, last_error="Google was down.")
    before = timezone.now()
    response = client.post(reverse("posts:retry", args=[post.pk]), follow=True)
    assert "Scheduled again: the next publish run sends it." in messages_of(response)
    post.refresh_from_db()
    assert (post.status, post.last_error) == (Post.Status.SCHEDULED, "")
    assert before <= post.scheduled_at <= timezone.now()
    event = PostEvent.objects.get(post=post)
    assert event.action == PostEvent.Action.RETRIED
    assert "Google was down." in event.detail


def test_duplicate_opens_the_copy_in_the_editor(client, franchise, staff):
    post = make_post(franchise=franchise, status=Post.Status.PUBLISHED, summary="A good one.")
    response = client.post(reverse("posts:duplicate", args=[post.pk]))
    copy = Post.objects.exclude(pk=post.pk).get()
    assert response["Location"] == reverse("posts:edit", args=[copy.pk])
    assert (copy.status, copy.summary, copy.created_by) == (Post.Status.DRAFT, "A good one.", staff)
    assert _actions(copy) == ["created"]
    assert _actions(post) == ["duplicated"]


def test_deleting_asks_first_then_deletes_and_keeps_the_history(client, franchise, staff):
    post = make_post(franchise=franchise, summary="Going away.")
    confirm = client.get(reverse("posts:delete", args=[post.pk]))
    assert 'id="confirm-delete"' in confirm.content.decode()
    assert Post.objects.filter(pk=post.pk).exists()
    response = client.post(reverse("posts:delete", args=[post.pk]))
    assert response["Location"] == reverse("posts:franchise_list", args=[franchise.pk])
    assert not Post.objects.filter(pk=post.pk).exists()
    event = PostEvent.objects.get()
    assert (event.action, event.post, event.actor, event.post_excerpt) == ("deleted", None, staff, "Going away.")


def test_an_admin_deletes_a_published_post_on_google_too(client, sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    admin = make_member(franchise, Membership.Role.ADMIN)
    logged_in(client, admin)
    post = make_post(franchise=franchise)
    client.post(reverse("posts:publish_now", args=[post.pk]))
    assert len(google_posts(sandbox, franchise)) == 1
    response = client.post(reverse("posts:delete", args=[post.pk]), follow=True)
    assert "Deleted, on Google too." in messages_of(response)
    assert google_posts(sandbox, franchise) == []
    assert not Post.objects.filter(pk=post.pk).exists()
    event = PostEvent.objects.get(action="deleted")
    assert event.detail == "Deleted on Google too."


def test_the_franchise_history_lists_every_change_with_who_and_when(client, sandbox):
    franchise = franchise_connected_to_sandbox(sandbox, timezone="Asia/Kolkata")
    admin = make_member(franchise, Membership.Role.ADMIN, username="priya")
    logged_in(client, admin)
    client.post(
        reverse("posts:new", args=[franchise.pk]),
        {
            "summary": "Diwali hours.",
            "topic_type": "STANDARD",
            "intent": "schedule",
            "scheduled_at": "2030-01-01T10:00",
        },
    )
    post = Post.objects.get()
    Post.objects.filter(pk=post.pk).update(scheduled_at=timezone.now())  # due now
    # The publish job records what it did (no user: "the publish job").
    posts_publish_due(budget=TimeBudget(30))
    body = client.get(reverse("posts:history", args=[franchise.pk])).content.decode()
    assert (
        body.index('data-event="published"') < body.index('data-event="scheduled"') < body.index('data-event="created"')
    )
    assert "by the publish job" in body
    assert "by priya" in body
    assert "Asia/Kolkata" in body
    assert "Diwali hours." in body
    assert PostEvent.objects.get(action="published").actor is None


def test_the_history_of_another_franchise_is_not_shown(client, franchise):
    other = make_post(franchise=make_franchise(), summary="Not yours.")
    PostEvent.objects.create(franchise=other.franchise, post=other, action="created", post_excerpt="Not yours.")
    logged_in(client, make_member(franchise, Membership.Role.ADMIN))
    body = client.get(reverse("posts:history", args=[franchise.pk])).content.decode()
    assert "Not yours." not in body
    assert 'id="history-empty"' in body
