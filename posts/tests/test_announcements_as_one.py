"""An announcement once sent stays one thing: its page lists every post of it, and headquarters
can edit or cancel all those not yet published at once (each post as post_update and post_delete
would change it, in a bounded number of queries: posts_update_many, posts_delete_many); published
posts stay, and what a franchise changed on its post since is kept (unless overwritten) and named."""

from __future__ import annotations

import datetime as dt
from datetime import UTC

import pytest
from django.urls import reverse
from django.utils import timezone

from posts.models import Announcement, Post, PostEvent, PostSeries
from posts.selectors import announcement_posts
from posts.services import PostActionError, announcement_schedule, announcement_series_create, post_update
from posts.services.announcements import announcement_cancel_all, announcement_edit_all
from posts.services.series import series_rule_build
from testkit.factories import make_franchise, make_user
from testkit.web import logged_in, messages_of

pytestmark = pytest.mark.django_db

DAY = dt.date(2030, 12, 20)
WHEN = {"date": "2030-12-20", "local_time": "09:00"}  # as the edit page's form sends them
# One "edit all" or "cancel all" request, whatever the number of posts: the page's own queries
# (session, user, the announcement) and the service's few (14 each, on SQLite and PostgreSQL; a
# cancel also deletes the posts' team notes, and the people they mention, and their approval
# decisions and review links: 17).
EDIT_QUERIES, CANCEL_QUERIES = 16, 19


@pytest.fixture
def headquarters(client):
    user = make_user(superuser=True)
    logged_in(client, user)
    return user


def _three():
    return [
        make_franchise(name="Akron Shop", city="Akron"),
        make_franchise(name="Lima Shop", city="Lima"),
        make_franchise(name="Paris Shop", city="Paris", timezone="Europe/Paris"),
    ]


def _send(franchises, user=None, **fields) -> Announcement:
    posts = announcement_schedule(
        franchises=franchises,
        template=fields.pop("template", "News from {name} in {city}."),
        date=DAY,
        local_time=dt.time(9, 0),
        user=user,
        **fields,
    )
    return posts[0].announcement


def _by_franchise() -> dict[str, Post]:
    return {post.franchise.name: post for post in Post.objects.select_related("franchise")}


def _publish(post: Post) -> None:
    Post.objects.filter(pk=post.pk).update(status=Post.Status.PUBLISHED, published_at=timezone.now())


def test_sending_an_announcement_lands_on_its_page_listing_every_post(client, headquarters):
    franchises = _three()
    data = {
        "franchises": [str(f.pk) for f in franchises],
        "summary": "Hello from {name}!",
        "date": "2030-12-20",
        "local_time": "09:00",
        "step": "schedule",
    }
    answer = client.post(reverse("posts:announcement_new"), data)
    announcement = Announcement.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == reverse("posts:announcement_detail", args=[announcement.pk])
    assert announcement.summary == "Hello from {name}!" and announcement.franchise_count == 3
    assert Post.objects.filter(announcement=announcement).count() == 3
    body = client.get(answer["Location"]).content.decode()
    assert body.count('data-testid="announcement-post"') == 3
    assert all(f.name in body for f in franchises)
    assert 'id="announcement-edit-all"' in body and 'id="announcement-cancel-all"' in body
    listing = client.get(reverse("posts:announcement_list")).content.decode()
    assert reverse("posts:announcement_detail", args=[announcement.pk]) in listing


def test_edit_all_refills_each_franchise_leaves_published_posts_and_keeps_local_changes():
    user = make_user(superuser=True)
    announcement = _send(_three(), user=user)
    posts = _by_franchise()
    _publish(posts["Akron Shop"])
    post_update(post=posts["Lima Shop"], user=user, summary="Lima's own words.")

    outcome = announcement_edit_all(
        announcement=announcement,
        user=user,
        template="Now open late at {name}, {city}!",
        cta_action_type="LEARN_MORE",
        cta_url="https://example.com/late",
        media_url="",
    )

    posts = _by_franchise()
    assert outcome == {
        "edited": ["Lima Shop", "Paris Shop"],
        "kept_local": ["Lima Shop"],
        "overwritten": [],
        "busy": [],
        "kept_time": [],
    }
    assert posts["Paris Shop"].summary == "Now open late at Paris Shop, Paris!"
    assert posts["Paris Shop"].cta_url == "https://example.com/late"
    assert posts["Paris Shop"].status == Post.Status.SCHEDULED
    assert posts["Akron Shop"].summary == "News from Akron Shop in Akron."  # published: as it went out
    assert posts["Lima Shop"].summary == "Lima's own words."  # its own text kept
    assert posts["Lima Shop"].cta_url == "https://example.com/late"  # headquarters' button taken
    assert PostEvent.objects.filter(post_id=posts["Paris Shop"].pk, action=PostEvent.Action.EDITED).exists()
    announcement.refresh_from_db()
    assert announcement.summary == "Now open late at {name}, {city}!"
    # The next edit knows the posts it changed as its own again.
    outcome = announcement_edit_all(announcement=announcement, user=user, template="Again, {name}.")
    assert outcome["edited"] == ["Lima Shop", "Paris Shop"] and outcome["kept_local"] == ["Lima Shop"]


def test_edit_all_refuses_the_lot_when_google_would_reject_any_franchise_post():
    franchises = [make_franchise(name="Bo"), make_franchise(name="A franchise with a much longer name than most")]
    announcement = _send(franchises, template="{name}!")
    with pytest.raises(PostActionError, match="much longer name than most: The text is"):
        announcement_edit_all(announcement=announcement, user=None, template="{name} " + "x" * 1490)
    with pytest.raises(PostActionError, match="Did you mean"):
        announcement_edit_all(announcement=announcement, user=None, template="{Name}")
    assert sorted(Post.objects.values_list("summary", flat=True)) == [
        "A franchise with a much longer name than most!",
        "Bo!",
    ]


def test_edit_all_refuses_a_text_too_long_for_a_draft_of_it_too():
    franchises = [make_franchise(name="Bo"), make_franchise(name="A franchise with a much longer name than most")]
    announcement = _send(franchises, template="{name}!")
    Post.objects.filter(franchise=franchises[1]).update(status=Post.Status.DRAFT)  # unscheduled meanwhile
    with pytest.raises(PostActionError, match="much longer name than most: The text is"):
        announcement_edit_all(announcement=announcement, user=None, template="{name} " + "x" * 1490)
    assert Post.objects.filter(summary="Bo!").exists()


def test_cancel_all_deletes_the_unpublished_posts_with_their_history_and_keeps_the_published():
    franchises = _three()
    announcement = _send(franchises)
    posts = _by_franchise()
    _publish(posts["Akron Shop"])

    counts = announcement_cancel_all(announcement=announcement, user=None)

    assert counts == {"deleted": 2, "busy": 0, "series_ended": 0}
    assert list(Post.objects.values_list("franchise__name", flat=True)) == ["Akron Shop"]
    assert PostEvent.objects.filter(action=PostEvent.Action.DELETED).count() == 2


def test_cancelling_a_repeating_announcement_ends_each_franchise_series(client, headquarters):
    franchises = _three()[:2]
    start = timezone.localdate() + dt.timedelta(days=3)
    series = announcement_series_create(
        franchises=franchises,
        template="Weekly at {name}.",
        date=start,
        local_time=dt.time(9, 0),
        rule=series_rule_build(
            frequency="weekly", weekdays=[["MO", "TU", "WE", "TH", "FR", "SA", "SU"][start.weekday()]]
        ),
        user=headquarters,
    )
    announcement = Announcement.objects.get(pk=series[0].announcement_id)
    assert announcement.rule
    assert Post.objects.filter(series__announcement_id=announcement.pk, status=Post.Status.SCHEDULED).exists()
    page = client.get(reverse("posts:announcement_detail", args=[announcement.pk])).content.decode()
    assert page.count('data-testid="announcement-series"') == 2
    confirm = client.get(reverse("posts:announcement_cancel", args=[announcement.pk])).content.decode()
    assert "end 2 repeating posts" in confirm
    answer = client.post(reverse("posts:announcement_cancel", args=[announcement.pk]))
    assert answer.status_code == 302
    assert PostSeries.objects.filter(announcement_id=announcement.pk, ended_at=None).count() == 0
    assert not Post.objects.filter(series__announcement_id=announcement.pk, status=Post.Status.SCHEDULED).exists()


def test_the_cancel_page_states_the_count_before_anything_is_deleted(client, headquarters):
    announcement = _send(_three())
    _publish(_by_franchise()["Lima Shop"])
    body = client.get(reverse("posts:announcement_cancel", args=[announcement.pk])).content.decode()
    assert "Cancel 2 posts not yet published?" in body
    assert Post.objects.count() == 3
    answer = client.post(reverse("posts:announcement_cancel", args=[announcement.pk]))
    assert "Cancelled: 2 posts deleted." in messages_of(client.get(answer["Location"]))
    assert Post.objects.count() == 1


def test_edit_all_through_the_page_says_which_posts_kept_their_own_changes(client, headquarters):
    announcement = _send(_three(), user=headquarters)
    post_update(post=_by_franchise()["Lima Shop"], summary="Lima's own words.")
    url = reverse("posts:announcement_edit", args=[announcement.pk])
    assert "News from {name} in {city}." in client.get(url).content.decode()
    answer = client.post(url, {"summary": "Open late at {name}.", "cta_action_type": "", **WHEN})
    shown = messages_of(client.get(answer["Location"]))
    assert "Changed 3 posts." in shown
    assert "Kept their own changes to the parts not locked: Lima Shop." in shown
    # An unknown placeholder is an error on the form; nothing changes.
    body = client.post(url, {"summary": "Open late in {City}."}).content.decode()
    assert "Did you mean {city}?" in body
    assert _by_franchise()["Akron Shop"].summary == "Open late at Akron Shop."


def test_the_announcement_page_for_50_franchises_takes_a_bounded_number_of_queries(
    client, headquarters, django_assert_max_num_queries
):
    franchises = [make_franchise(name=f"Shop {n:02}", city="Akron") for n in range(50)]
    announcement = _send(franchises)
    pages = {
        reverse("posts:announcement_detail", args=[announcement.pk]): "Shop 49",
        reverse("posts:announcement_edit", args=[announcement.pk]): "Change 50 posts",
        reverse("posts:announcement_cancel", args=[announcement.pk]): "Cancel 50 posts not yet published?",
        reverse("posts:announcement_list"): "News from {name} in {city}.",
    }
    for url, expected in pages.items():
        # However many franchises; the menu's requests waiting and the page's zone are one query each.
        with django_assert_max_num_queries(9):
            body = client.get(url).content.decode()
        assert expected in body


def test_the_announcement_page_pages_through_its_posts_fifty_at_a_time(client, headquarters):
    announcement = _send([make_franchise(name=f"Shop {n:03}", city="Akron") for n in range(120)])
    url = reverse("posts:announcement_detail", args=[announcement.pk])
    first = client.get(url).content.decode()
    assert first.count('data-testid="announcement-post"') == 50
    assert "120 posts, 120 not yet published" in first and "Page 1 of 3" in first
    assert "Shop 119" in client.get(url + "?page=3").content.decode()


def test_editing_then_cancelling_50_posts_is_one_request_each_in_a_bounded_number_of_queries(
    client, headquarters, django_assert_max_num_queries
):
    """Each post is checked, versioned and recorded as post_update / post_delete would do it
    alone, but the posts never sent to Google are written in bulk: a few queries for the lot (it
    was 33 a post to edit and 8 to delete, one post at a time; test_announcements_batched.py
    shows the count does not grow with the posts)."""
    franchises = [make_franchise(name=f"Shop {n:02}", city="Akron") for n in range(50)]
    announcement = _send(franchises)
    with django_assert_max_num_queries(EDIT_QUERIES):
        answer = client.post(
            reverse("posts:announcement_edit", args=[announcement.pk]), {"summary": "Hi {name}.", **WHEN}
        )
    assert "Changed 50 posts." in messages_of(client.get(answer["Location"]))
    with django_assert_max_num_queries(CANCEL_QUERIES):
        client.post(reverse("posts:announcement_cancel", args=[announcement.pk]))
    assert not Post.objects.exists()


def test_an_event_announcement_starts_at_each_franchise_local_time_and_is_checked_like_a_post(client, headquarters):
    franchises = [
        make_franchise(name="Dallas Shop", city="Dallas", timezone="America/Chicago"),
        make_franchise(name="Paris Shop", timezone="Europe/Paris"),
    ]
    data = {
        "franchises": [str(f.pk) for f in franchises],
        "summary": "Tasting day at {name}!",
        "topic_type": "EVENT",
        "event_start": "2030-12-21T10:00",
        "event_end": "2030-12-21T16:00",
        "date": "2030-12-20",
        "local_time": "09:00",
        "step": "schedule",
    }
    body = client.post(reverse("posts:announcement_new"), data).content.decode()
    assert "needs a title" in body  # as Google would say for a post
    assert not Post.objects.exists()
    answer = client.post(reverse("posts:announcement_new"), {**data, "event_title": "Tasting day"})
    assert answer.status_code == 302
    posts = _by_franchise()
    assert posts["Paris Shop"].event_start == dt.datetime(2030, 12, 21, 9, 0, tzinfo=UTC)  # 10:00 CET
    assert posts["Dallas Shop"].event_start == dt.datetime(2030, 12, 21, 16, 0, tzinfo=UTC)  # 10:00 CST
    assert {post.topic_type for post in posts.values()} == {"EVENT"}
    assert Announcement.objects.get().topic_type == "EVENT"


def test_an_offer_announcement_carries_its_coupon_once_or_repeating(client, headquarters):
    franchise = make_franchise(name="Dallas Shop", timezone="America/Chicago")
    data = {
        "franchises": [str(franchise.pk)],
        "summary": "10% off at {name}.",
        "topic_type": "OFFER",
        "event_title": "Winter offer",
        "event_start": "2030-12-21T00:00",
        "event_end": "2030-12-31T23:59",
        "offer_coupon_code": "WINTER10",
        "offer_redeem_url": "https://example.com/redeem",
        "offer_terms": "One per visit.",
        "date": "2030-12-20",
        "local_time": "09:00",
        "step": "schedule",
    }
    assert client.post(reverse("posts:announcement_new"), {**data, "repeat": "weekly"}).status_code == 302
    series = PostSeries.objects.get()  # its first post, 20 Dec, holds the offer typed: 21 to 31 Dec
    assert (series.topic_type, series.offer_coupon_code) == ("OFFER", "WINTER10")
    assert series.event_start == dt.datetime(2030, 12, 21, 6, 0, tzinfo=UTC)  # midnight in Dallas
    assert client.post(reverse("posts:announcement_new"), data).status_code == 302
    post = Post.objects.get()
    assert (post.offer_coupon_code, post.offer_redeem_url, post.offer_terms) == (
        "WINTER10",
        "https://example.com/redeem",
        "One per visit.",
    )


def test_the_selector_lists_posts_by_franchise_name():
    announcement = _send(list(reversed(_three())))
    assert [post.franchise.name for post in announcement_posts(announcement=announcement)] == [
        "Akron Shop",
        "Lima Shop",
        "Paris Shop",
    ]


def test_the_admin_lists_announcements_read_only(admin_client):
    _send(_three())
    answer = admin_client.get(reverse("admin:posts_announcement_changelist"), {"q": "News from"})
    assert answer.status_code == 200 and answer.context["cl"].result_count == 1
    assert admin_client.get(reverse("admin:posts_announcement_add")).status_code == 403
