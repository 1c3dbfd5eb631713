"""A failed post has one path: fix it and retry, on the next publish run or now. Fixing it in the
editor takes it out of Failed, through the editing services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from franchises.models import Membership
from posts.models import Post, PostEvent
from testkit.factories import make_franchise, make_member, make_post
from testkit.google import franchise_connected_to_sandbox, google_posts
from testkit.web import logged_in, messages_of

pytestmark = pytest.mark.django_db

ERROR = "Google refused it: the button link does not open."
PAST = dt.datetime(2026, 1, 5, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _one_worker(settings):
    settings.PUBLISH_CONCURRENCY = 1


def _failed(franchise, **fields) -> Post:
    fields.setdefault("summary", "Pizza night, half price.")
    return make_post(franchise=franchise, status=Post.Status.FAILED, scheduled_at=PAST, last_error=ERROR, **fields)


def _fields(post: Post, **changes) -> dict:
    data = {"summary": post.summary, "topic_type": post.topic_type, "cta_action_type": "", "version": post.version}
    return {**data, **changes}


@pytest.fixture
def franchise():
    return make_franchise(timezone="America/Chicago")


@pytest.fixture
def staff(client, franchise):
    user = make_member(franchise, Membership.Role.STAFF)
    logged_in(client, user)
    return user


def test_the_failed_post_page_offers_one_path_fix_and_retry_and_no_past_time(client, franchise, staff):
    post = _failed(franchise)
    body = client.get(reverse("posts:detail", args=[post.pk])).content.decode()
    assert 'id="failed-panel"' in body and ERROR in body
    assert f'href="{reverse("posts:edit", args=[post.pk])}" class="button primary" data-action="fix-and-retry"' in body
    assert "on the next publish run, or now" in body
    # Retrying as it is: named for when it goes out; no second, unexplained "Publish now" beside it.
    assert ">Retry as it is on the next run<" in body and ">Retry as it is now…<" in body  # "…": it asks first
    assert 'data-action="publish-now"' not in body and "Retry now" not in body
    assert 'data-action="edit"' not in body  # "Fix and retry" is the way to the editor
    # The time that already failed is not offered again.
    assert 'name="scheduled_at" value=' not in body
    assert "Approve and schedule" not in body


def test_saving_a_fixed_failed_post_as_a_draft_clears_failed_and_the_old_error(client, franchise, staff):
    post = _failed(franchise)
    response = client.post(
        reverse("posts:edit", args=[post.pk]), _fields(post, summary="Pizza night!", intent="draft"), follow=True
    )
    post.refresh_from_db()
    assert (post.status, post.last_error, post.summary) == (Post.Status.DRAFT, "", "Pizza night!")
    body = response.content.decode()
    assert 'data-status="draft"' in body and 'id="last-error"' not in body and ERROR not in body
    event = PostEvent.objects.get(post=post)
    assert (event.action, event.detail) == ("edited", "Changed: summary. No longer failed: a draft again.")


def test_the_editor_of_a_failed_post_has_no_past_time_and_offers_retry_on_the_next_run_or_now(client, franchise, staff):
    post = _failed(franchise)
    body = client.get(reverse("posts:edit", args=[post.pk])).content.decode()
    assert 'id="failed-note"' in body and ERROR in body
    assert 'value="retry"' in body and 'value="publish_now"' in body and 'value="draft"' in body
    assert 'id="id_scheduled_at"' not in body


def test_save_and_retry_schedules_the_fixed_post_for_the_next_run(client, franchise, staff):
    post = _failed(franchise)
    before = timezone.now()
    response = client.post(
        reverse("posts:edit", args=[post.pk]), _fields(post, summary="Fixed text.", intent="retry"), follow=True
    )
    post.refresh_from_db()
    assert (post.status, post.last_error, post.summary) == (Post.Status.SCHEDULED, "", "Fixed text.")
    assert before <= post.scheduled_at <= timezone.now()
    assert "Saved. The next publish run sends it." in messages_of(response)
    actions = list(PostEvent.objects.filter(post=post).order_by("created_at").values_list("action", flat=True))
    assert actions == ["edited", "retried"]


def test_save_and_publish_now_sends_the_fixed_post_to_google_in_the_same_request(client, sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    logged_in(client, make_member(franchise, Membership.Role.STAFF))
    post = _failed(franchise)
    response = client.post(
        reverse("posts:edit", args=[post.pk]), _fields(post, summary="Now it works.", intent="publish_now"), follow=True
    )
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED and post.last_error == ""
    assert "Published on Google." in messages_of(response)
    assert [item["summary"] for item in google_posts(sandbox, franchise)] == ["Now it works."]


def test_retrying_a_fix_google_would_still_refuse_is_stopped_in_the_form(client, franchise, staff):
    post = _failed(franchise)
    data = _fields(post, cta_action_type="BOOK", cta_url="", intent="retry")
    response = client.post(reverse("posts:edit", args=[post.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors == {"cta_url": ["The button needs a link."]}
    post.refresh_from_db()
    assert (post.status, post.last_error) == (Post.Status.FAILED, ERROR)


def test_the_retry_buttons_mean_nothing_on_a_draft(client, franchise, staff):
    post = make_post(franchise=franchise)
    client.post(reverse("posts:edit", args=[post.pk]), _fields(post, summary="Still a draft.", intent="publish_now"))
    post.refresh_from_db()
    assert (post.status, post.summary) == (Post.Status.DRAFT, "Still a draft.")
