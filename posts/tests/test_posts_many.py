"""The posts list at group scale: days in each franchise's own zone, rows sorted by the time they
show, and many posts scheduled, unscheduled, moved or deleted at once after a confirmation that
states the count, each through the editing services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from franchises.models import Membership
from posts.models import Post, PostEvent
from testkit.factories import make_franchise, make_member, make_post, make_user
from testkit.web import logged_in, messages_of

pytestmark = pytest.mark.django_db

LIST = reverse("posts:list")
MANY = reverse("posts:many")
UTC = dt.UTC


def _rows(response) -> list:
    return [post.pk for post in response.context["page"].object_list]


@pytest.fixture
def chicago():
    return make_franchise(name="Chicago", timezone="America/Chicago")


@pytest.fixture
def tokyo():
    return make_franchise(name="Tokyo", timezone="Asia/Tokyo")


@pytest.fixture
def admin(client, chicago, tokyo):
    user = make_member(chicago, Membership.Role.ADMIN)
    Membership.objects.create(user=user, franchise=tokyo, role=Membership.Role.ADMIN)
    logged_in(client, user)
    return user


def test_date_filters_are_days_in_each_posts_own_franchise_zone(client, chicago, tokyo, admin):
    # 2026-12-02 03:30 UTC is Dec 1, 21:30 in Chicago and Dec 2, 12:30 in Tokyo.
    at = dt.datetime(2026, 12, 2, 3, 30, tzinfo=UTC)
    in_chicago = make_post(franchise=chicago, status=Post.Status.SCHEDULED, scheduled_at=at)
    in_tokyo = make_post(franchise=tokyo, status=Post.Status.SCHEDULED, scheduled_at=at)
    dec_1 = client.get(LIST, {"date_from": "2026-12-01", "date_to": "2026-12-01"})
    assert _rows(dec_1) == [in_chicago.pk]
    dec_2 = client.get(LIST, {"date_from": "2026-12-02", "date_to": "2026-12-02"})
    assert _rows(dec_2) == [in_tokyo.pk]
    assert "each post's own franchise's zone" in dec_2.content.decode()


def test_a_published_post_is_filtered_and_sorted_by_the_time_it_shows(client, chicago, admin):
    # Planned for Dec 10 but published on Dec 3: it shows (and is found) on Dec 3.
    published = make_post(
        franchise=chicago,
        status=Post.Status.PUBLISHED,
        scheduled_at=dt.datetime(2026, 12, 10, 18, tzinfo=UTC),
        published_at=dt.datetime(2026, 12, 3, 18, tzinfo=UTC),
    )
    later = make_post(
        franchise=chicago, status=Post.Status.SCHEDULED, scheduled_at=dt.datetime(2026, 12, 5, 18, tzinfo=UTC)
    )
    draft = make_post(franchise=chicago)
    assert _rows(client.get(LIST)) == [draft.pk, later.pk, published.pk]  # newest shown time first
    assert _rows(client.get(LIST, {"date_from": "2026-12-03", "date_to": "2026-12-03"})) == [published.pk]
    assert _rows(client.get(LIST, {"date_from": "2026-12-10", "date_to": "2026-12-10"})) == []


def test_the_list_offers_boxes_and_the_actions(client, chicago, admin):
    post = make_post(franchise=chicago)
    body = client.get(LIST).content.decode()
    assert f'name="post" value="{post.pk}" form="many-form"' in body
    for action in ("schedule", "unschedule", "reschedule", "delete"):
        assert f'<option value="{action}"' in body


def test_moving_many_asks_first_stating_the_count_then_moves_each(client, chicago, tokyo, admin):
    start = timezone.now() + dt.timedelta(days=3)
    posts = [make_post(franchise=f, status=Post.Status.SCHEDULED, scheduled_at=start) for f in (chicago, tokyo, tokyo)]
    data = {"action": "reschedule", "amount": "1", "unit": "days", "post": [str(p.pk) for p in posts], "next": LIST}
    confirm = client.post(MANY, data)
    assert confirm.status_code == 200
    body = confirm.content.decode()
    assert "Move 3 posts 1 day later?" in body and ">Yes, 3 posts<" in body
    assert all(p.scheduled_at == start for p in Post.objects.all())  # nothing moved yet

    response = client.post(MANY, {**data, "confirm": "yes"}, follow=True)
    assert "3 posts moved." in messages_of(response)
    assert response.redirect_chain[-1][0] == LIST
    assert all(p.scheduled_at == start + dt.timedelta(days=1) for p in Post.objects.all())
    assert PostEvent.objects.filter(action=PostEvent.Action.SCHEDULED).count() == 3  # each recorded


def test_moving_into_the_past_or_moving_a_draft_is_refused_with_the_reason(client, chicago, admin):
    soon = make_post(
        franchise=chicago, status=Post.Status.SCHEDULED, scheduled_at=timezone.now() + dt.timedelta(hours=1)
    )
    draft = make_post(franchise=chicago)
    data = {"action": "reschedule", "amount": "-2", "unit": "hours", "post": [str(soon.pk), str(draft.pk)]}
    response = client.post(MANY, {**data, "confirm": "yes"}, follow=True)
    assert "1 post not moved: It would move into the past." in messages_of(response)
    assert "1 post not moved: Only scheduled posts are moved." in messages_of(response)


def test_schedule_unschedule_and_delete_many(client, chicago, admin):
    ahead = timezone.now() + dt.timedelta(days=1)
    drafts = [make_post(franchise=chicago, scheduled_at=ahead) for _ in range(2)]
    no_time = make_post(franchise=chicago)
    ids = [str(p.pk) for p in [*drafts, no_time]]
    response = client.post(MANY, {"action": "schedule", "post": ids, "confirm": "yes"}, follow=True)
    assert "2 posts scheduled." in messages_of(response)
    assert "1 post not scheduled: It has no time ahead: pick one on its page." in messages_of(response)
    response = client.post(MANY, {"action": "unschedule", "post": ids[:2], "confirm": "yes"}, follow=True)
    assert "2 posts unscheduled." in messages_of(response)
    assert (
        client.post(MANY, {"action": "delete", "post": ids}).content.decode().count('data-testid="confirm-post"') == 3
    )
    response = client.post(MANY, {"action": "delete", "post": ids, "confirm": "yes"}, follow=True)
    assert "3 posts deleted." in messages_of(response)
    assert not Post.objects.exists()


def test_staff_cannot_delete_a_live_post_in_bulk(client, chicago):
    logged_in(client, make_member(chicago, Membership.Role.STAFF))
    live = make_post(franchise=chicago, status=Post.Status.PUBLISHED, published_at=timezone.now())
    draft = make_post(franchise=chicago)
    data = {"action": "delete", "post": [str(live.pk), str(draft.pk)], "confirm": "yes"}
    response = client.post(MANY, data, follow=True)
    assert "1 post deleted." in messages_of(response)
    assert any("Only the franchise's admins can delete" in text for text in messages_of(response))
    assert list(Post.objects.values_list("pk", flat=True)) == [live.pk]


def test_another_franchises_posts_are_left_alone(client, chicago, admin):
    theirs = make_post(franchise=make_franchise(name="Elsewhere"))
    response = client.post(MANY, {"action": "delete", "post": [str(theirs.pk)], "confirm": "yes"}, follow=True)
    assert "None of the ticked posts is there any more." in messages_of(response)
    assert Post.objects.filter(pk=theirs.pk).exists()


def test_a_move_without_an_amount_says_what_to_give(client, chicago, admin):
    post = make_post(
        franchise=chicago, status=Post.Status.SCHEDULED, scheduled_at=timezone.now() + dt.timedelta(days=1)
    )
    response = client.post(MANY, {"action": "reschedule", "post": [str(post.pk)]}, follow=True)
    assert "Say how far to move them: 1 day later, or -2 hours (earlier)." in messages_of(response)


def test_headquarters_sees_every_franchise_in_one_list(client, chicago, tokyo):
    logged_in(client, make_user(superuser=True))
    a, b = make_post(franchise=chicago), make_post(franchise=tokyo)
    assert set(_rows(client.get(LIST))) == {a.pk, b.pk}
