"""An announcement once sent is edited in the post editor: "edit all" changes its posts' day, local
time and post type with that type's fields (each franchise's own wall clock), only the chosen
type's fields show, and its photo can be uploaded (headquarters' own, not a franchise's)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from franchises.models import Membership
from posts.models import Announcement, Post, PostEvent, PostPhoto
from posts.services import PostActionError, announcement_schedule, post_schedule
from posts.services.announcements import announcement_edit_all
from testkit.factories import make_franchise, make_member, make_user
from testkit.photos import photo_upload
from testkit.web import logged_in, messages_of

pytestmark = pytest.mark.django_db

DAY = dt.date(2030, 12, 20)
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture
def headquarters(client):
    user = make_user(superuser=True)
    logged_in(client, user)
    return user


@pytest.fixture
def sent(headquarters):
    franchises = [
        make_franchise(name="Akron Shop", city="Akron", timezone="America/New_York"),
        make_franchise(name="Paris Shop", city="Paris", timezone="Europe/Paris"),
    ]
    posts = announcement_schedule(
        franchises=franchises, template="News from {name}.", date=DAY, local_time=dt.time(9, 0), user=headquarters
    )
    return posts[0].announcement


def by_franchise() -> dict[str, Post]:
    return {post.franchise.name: post for post in Post.objects.select_related("franchise")}


EVENT = {
    "summary": "Carols at {name} on Sunday.",
    "topic_type": "EVENT",
    "event_title": "Carols",
    "event_start": "2030-12-22T17:00",
    "event_end": "2030-12-22T19:00",
    "date": "2030-12-21",
    "local_time": "10:30",
}


def test_edit_all_changes_the_day_the_time_and_the_type_in_each_franchises_own_time(client, sent):
    answer = client.post(reverse("posts:announcement_edit", args=[sent.pk]), EVENT)

    assert answer.status_code == 302
    posts = by_franchise()
    akron, paris = posts["Akron Shop"], posts["Paris Shop"]
    assert akron.scheduled_at == dt.datetime(2030, 12, 21, 10, 30, tzinfo=NEW_YORK)
    assert paris.scheduled_at == dt.datetime(2030, 12, 21, 10, 30, tzinfo=PARIS)
    assert akron.event_start == dt.datetime(2030, 12, 22, 17, 0, tzinfo=NEW_YORK)
    assert paris.event_end == dt.datetime(2030, 12, 22, 19, 0, tzinfo=PARIS)
    assert {(p.topic_type, p.event_title, p.status) for p in posts.values()} == {("EVENT", "Carols", "scheduled")}
    assert paris.summary == "Carols at Paris Shop on Sunday."
    actions = set(PostEvent.objects.filter(post=paris).values_list("action", flat=True))
    assert {"edited", "scheduled"} <= actions
    sent.refresh_from_db()
    assert (sent.date, sent.local_time, sent.topic_type, sent.event_title) == (
        dt.date(2030, 12, 21),
        dt.time(10, 30),
        "EVENT",
        "Carols",
    )
    # The page starts from what was sent: the new type, its wall-clock times, the new day.
    page = client.get(reverse("posts:announcement_edit", args=[sent.pk])).content.decode()
    assert 'value="2030-12-22T17:00"' in page and 'value="2030-12-21"' in page and 'value="10:30"' in page


def test_back_to_an_update_the_event_goes_and_edit_all_finds_its_posts_again(client, sent):
    url = reverse("posts:announcement_edit", args=[sent.pk])
    client.post(url, EVENT)
    client.post(url, {**EVENT, "topic_type": "STANDARD", "summary": "Plain news from {name}."})

    posts = by_franchise().values()
    assert {(p.topic_type, p.event_title, p.event_start) for p in posts} == {("STANDARD", "", None)}
    assert {p.summary for p in posts} == {"Plain news from Akron Shop.", "Plain news from Paris Shop."}


def test_a_post_moved_by_hand_keeps_its_time_and_is_named(client, sent, headquarters):
    moved = by_franchise()["Paris Shop"]
    own_time = dt.datetime(2030, 12, 23, 8, 0, tzinfo=PARIS)
    post_schedule(post=moved, at=own_time, user=headquarters)

    answer = client.post(reverse("posts:announcement_edit", args=[sent.pk]), EVENT, follow=True)

    assert "Kept their own time, moved by hand since it was sent: Paris Shop." in messages_of(answer)
    posts = by_franchise()
    assert posts["Paris Shop"].scheduled_at == own_time and posts["Paris Shop"].topic_type == "EVENT"
    assert posts["Akron Shop"].scheduled_at == dt.datetime(2030, 12, 21, 10, 30, tzinfo=NEW_YORK)


def test_a_new_time_already_past_in_a_franchise_changes_nothing(sent, headquarters):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(PostActionError, match="that time has passed there"):
        announcement_edit_all(
            announcement=sent, user=headquarters, template="Late.", date=yesterday, local_time=dt.time(9, 0)
        )
    assert {p.summary for p in by_franchise().values()} == {"News from Akron Shop.", "News from Paris Shop."}


def test_the_form_shows_the_chosen_types_fields_only_and_takes_an_uploaded_photo(client, sent, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    page = client.get(reverse("posts:announcement_edit", args=[sent.pk])).content.decode()
    assert 'data-topics="EVENT OFFER"' in page and 'data-topics="OFFER"' in page
    upload_url = reverse("posts:announcement_photo_upload")
    assert f'data-upload-url="{upload_url}"' in page

    stored = client.post(upload_url, {"photo": photo_upload()})

    assert stored.status_code == 201
    photo = PostPhoto.objects.get()
    assert photo.franchise is None and stored.json()["url"] == photo.url
    client.post(reverse("posts:announcement_edit", args=[sent.pk]), {**EVENT, "media_url": photo.url})
    assert {p.media_url for p in by_franchise().values()} == {photo.url}
    assert Announcement.objects.get().media_url == photo.url


def test_only_headquarters_uploads_an_announcements_photo(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    logged_in(client, make_member(make_franchise(), Membership.Role.ADMIN))
    assert client.post(reverse("posts:announcement_photo_upload"), {"photo": photo_upload()}).status_code == 403
    assert not PostPhoto.objects.exists()
