"""A post Google rejected or removed: shown on the post, the posts list and the home card with
what it means and what to do; edited and republished (after confirming) as a new copy through
the exactly-once path, or its notice dismissed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from franchises.models import Membership
from gbp_scheduler.jobs import TimeBudget
from posts.models import GoogleDeletion, Post
from posts.services import (
    PostActionError,
    google_posts_sync,
    post_google_notice_dismiss,
    post_republish,
    post_update,
    posts_publish_due,
)
from testkit.factories import make_member, make_post
from testkit.google import assert_google_mirrors_database, franchise_connected_to_sandbox, google_posts
from testkit.web import logged_in, messages_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _one_worker(settings):
    settings.PUBLISH_CONCURRENCY = 1
    settings.GOOGLE_HTTP_TIMEOUT_SECONDS = 1.0
    settings.GOOGLE_SYNC_MIN_INTERVAL_SECONDS = 0  # each sync run here stands for a later cron run


@pytest.fixture
def franchise(sandbox):
    return franchise_connected_to_sandbox(sandbox, name="Sunrise Bakery")


@pytest.fixture
def staff(client, franchise):
    user = make_member(franchise, Membership.Role.STAFF)
    logged_in(client, user)
    return user


def published(franchise, summary: str = "Fresh bread at 7.") -> Post:
    post = make_post(
        franchise=franchise,
        status=Post.Status.SCHEDULED,
        scheduled_at=timezone.now() - dt.timedelta(minutes=1),
        summary=summary,
    )
    posts_publish_due(budget=TimeBudget(seconds=60))
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED
    return post


def taken_off(sandbox, post: Post, how: str) -> Post:
    """Google rejects the post (how="rejected") or its owner removes it; a sync run notices."""
    if how == "rejected":
        sandbox.client.reject_post(post.google_post_name)
    else:
        sandbox.client.remove_post(post.google_post_name)
    google_posts_sync(budget=TimeBudget(seconds=60))
    post.refresh_from_db()
    assert post.google_problem == {"rejected": "REJECTED", "removed": "REMOVED"}[how]
    return post


def actions(post: Post) -> list[str]:
    return list(post.events.order_by("created_at").values_list("action", flat=True))


# --- shown where people look --------------------------------------------------------------------


def test_a_rejected_post_says_what_it_means_and_what_to_do_on_its_page_the_list_and_the_home_card(
    sandbox, client, franchise, staff
):
    post = taken_off(sandbox, published(franchise, "Best prices, guaranteed!"), "rejected")

    page = client.get(reverse("posts:detail", args=[post.pk])).content.decode()
    assert 'id="google-notice" data-google-state="REJECTED"' in page
    assert "Google rejected this post." in page and "content policies" in page
    assert "republish" in page and 'id="dismiss-notice"' in page
    assert reverse("posts:republish", args=[post.pk]) in page
    assert 'id="google-link"' not in page, "no link to a post customers cannot see"

    listing = client.get(reverse("posts:franchise_list", args=[franchise.pk])).content.decode()
    assert "Rejected by Google: edit and republish, or dismiss" in listing

    home = client.get("/").content.decode()
    assert f'id="google-notices-{franchise.pk}"' in home and "Rejected by Google" in home


def test_a_removed_post_says_so(sandbox, client, franchise, staff):
    post = taken_off(sandbox, published(franchise), "removed")

    page = client.get(reverse("posts:detail", args=[post.pk])).content.decode()
    assert "This post was removed from Google." in page and "deleted it in Google" in page
    assert "Removed from Google" in client.get(reverse("posts:list")).content.decode()


# --- republish ------------------------------------------------------------------------------------


def test_republishing_a_rejected_post_after_an_edit_creates_a_new_copy_and_deletes_the_rejected_one(
    sandbox, client, franchise, staff
):
    post = taken_off(sandbox, published(franchise, "Miracle sourdough cures everything."), "rejected")
    old_name = post.google_post_name

    # The edit is saved here only: there is no live copy to patch.
    edited = post_update(post=post, summary="Sourdough, baked fresh every morning.")
    assert sandbox.client.calls("posts.patch") == 0
    assert edited.google_state == "REJECTED"

    confirm = client.get(reverse("posts:republish", args=[post.pk])).content.decode()
    assert 'id="confirm-republish"' in confirm and "the rejected copy is deleted there" in confirm
    response = client.post(reverse("posts:republish", args=[post.pk]), follow=True)

    post.refresh_from_db()
    assert "Republished: it is on Google again as a new post." in messages_of(response)
    assert post.status == Post.Status.PUBLISHED and post.google_state == "LIVE"
    assert post.google_post_name != old_name and not post.google_notice_open
    assert post.google_notice_sent_at is None and post.google_notice_dismissed_at is None
    assert [item["summary"] for item in google_posts(sandbox, franchise)] == ["Sourdough, baked fresh every morning."]
    assert sandbox.client.calls("posts.delete") == 1 and not GoogleDeletion.objects.exists()
    assert actions(post)[-2:] == ["republished", "published"]
    assert_google_mirrors_database(sandbox)


def test_republishing_a_removed_post_deletes_nothing_on_google(sandbox, franchise, staff):
    post = taken_off(sandbox, published(franchise), "removed")

    result = post_republish(post=post, user=staff)

    post.refresh_from_db()
    assert result.outcome == "published" and post.google_state == "LIVE"
    assert sandbox.client.calls("posts.delete") == 0 and sandbox.client.calls("posts.create") == 2
    assert len(google_posts(sandbox, franchise)) == 1
    assert_google_mirrors_database(sandbox)


def test_a_republish_google_cannot_take_yet_stays_scheduled_for_the_next_run(sandbox, franchise):
    post = taken_off(sandbox, published(franchise), "removed")
    sandbox.client.fail("posts.create", status=503)

    result = post_republish(post=post)

    post.refresh_from_db()
    assert result.outcome == "deferred" and post.status == Post.Status.SCHEDULED
    Post.objects.filter(pk=post.pk).update(next_attempt_at=None)  # its retry time has come
    assert posts_publish_due(budget=TimeBudget(seconds=60))["published"] == 1
    assert_google_mirrors_database(sandbox)


def test_a_post_google_did_not_take_off_cannot_be_republished(sandbox, client, franchise, staff):
    post = published(franchise)

    page = client.get(reverse("posts:republish", args=[post.pk])).content.decode()
    assert "Nothing to republish" in page
    response = client.post(reverse("posts:republish", args=[post.pk]), follow=True)
    assert messages_of(response) == ["Not republished: Only a post Google rejected or removed can be republished."]
    assert sandbox.client.calls("posts.create") == 1


def test_a_rejection_after_a_republish_is_told_again(sandbox, franchise, mailoutbox):
    make_member(franchise, Membership.Role.ADMIN, email="owner@sunrise.example")
    post = taken_off(sandbox, published(franchise), "rejected")
    post_republish(post=post)
    post.refresh_from_db()

    taken_off(sandbox, post, "rejected")

    assert len(mailoutbox) == 2


# --- dismiss ----------------------------------------------------------------------------------------


def test_dismissing_the_notice_takes_it_off_the_pages_and_keeps_the_post_as_it_is(sandbox, client, franchise, staff):
    post = taken_off(sandbox, published(franchise), "rejected")

    response = client.post(reverse("posts:dismiss_notice", args=[post.pk]), follow=True)

    post.refresh_from_db()
    assert "Notice dismissed: the post stays as it is." in messages_of(response)
    assert post.google_state == "REJECTED" and not post.google_notice_open
    assert actions(post)[-1] == "notice_dismissed"
    assert f'id="google-notices-{franchise.pk}"' not in client.get("/").content.decode()
    page = client.get(reverse("posts:detail", args=[post.pk])).content.decode()
    assert 'id="notice-dismissed"' in page and 'id="republish-link"' in page
    with pytest.raises(PostActionError, match="no notice"):
        post_google_notice_dismiss(post=post)


# --- Google's 404 found by an edit or by the upkeep ---------------------------------------------------


def test_editing_a_post_its_owner_removed_on_google_saves_the_edit_and_marks_it_removed(
    sandbox, client, franchise, staff, mailoutbox
):
    make_member(franchise, Membership.Role.ADMIN, email="owner@sunrise.example")
    post = published(franchise)
    sandbox.client.remove_post(post.google_post_name)

    response = client.post(
        reverse("posts:edit", args=[post.pk]),
        {"summary": "Fresh bread at 8.", "topic_type": "STANDARD", "version": post.version, "intent": "draft"},
        follow=True,
    )

    post.refresh_from_db()
    assert response.status_code == 200
    assert post.summary == "Fresh bread at 8." and post.google_state == "REMOVED"
    assert actions(post)[-2:] == ["google_removed", "edited"]
    assert len(mailoutbox) == 1


def test_the_upkeep_finding_a_post_gone_on_google_tells_people_once(sandbox, franchise, mailoutbox):
    make_member(franchise, Membership.Role.ADMIN, email="owner@sunrise.example")
    post = published(franchise)
    sandbox.client.remove_post(post.google_post_name)
    Post.objects.filter(pk=post.pk).update(google_needs_update=True)

    posts_publish_due(budget=TimeBudget(seconds=60))
    google_posts_sync(budget=TimeBudget(seconds=60))

    post.refresh_from_db()
    assert post.google_state == "REMOVED" and "google_removed" in actions(post)
    assert len(mailoutbox) == 1


def test_a_rejection_google_reports_in_its_answer_to_an_edit_is_told(sandbox, franchise, mailoutbox):
    """Google's review rejected the post; the next edit's PATCH answers with state REJECTED. The
    history says so and the admins get their email, as when the sync job notices it (which then
    sees nothing new)."""
    make_member(franchise, Membership.Role.ADMIN, email="owner@example.com")
    post = published(franchise)
    sandbox.client.reject_post(post.google_post_name)

    post_update(post=post, summary="Fresh bread at 7, and rye on Fridays.")

    post.refresh_from_db()
    assert post.google_state == "REJECTED"
    assert post.events.filter(action="google_rejected").count() == 1
    assert [message.to for message in mailoutbox] == [["owner@example.com"]]
    google_posts_sync(budget=TimeBudget(seconds=30))
    assert post.events.filter(action="google_rejected").count() == 1 and len(mailoutbox) == 1
