"""Headquarters locks parts of an announcement: a franchise adjusts the rest of its own post (its
photo, a local line) but never a locked part, whatever way it tries (the editor, a tampered POST,
the bulk write, the Django admin); "edit all" keeps the franchises' own changes unless told to
overwrite them, and always sets the locked parts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from franchises.models import Membership
from posts.models import Post, PostEvent
from posts.services import PostActionError, announcement_schedule, post_update, posts_update_many
from posts.services.announcements import announcement_edit_all
from testkit.factories import make_franchise, make_member, make_user
from testkit.web import logged_in, messages_of

pytestmark = pytest.mark.django_db

DAY = dt.date(2030, 12, 20)
HQ_PHOTO = "https://example.com/hq.jpg"
LOCAL_PHOTO = "https://example.com/akron-own.jpg"


def _send(franchises, *, locked=("text",), user=None):
    posts = announcement_schedule(
        franchises=franchises,
        template="Winter menu at {name}.",
        date=DAY,
        local_time=dt.time(9, 0),
        user=user,
        locked=list(locked),
        media_url=HQ_PHOTO,
    )
    return posts[0].announcement


def _post(name: str) -> Post:
    return Post.objects.select_related("franchise").get(franchise__name=name)


def _two():
    return [make_franchise(name="Akron Shop", city="Akron"), make_franchise(name="Lima Shop", city="Lima")]


def test_a_franchise_changes_the_photo_of_its_post_but_not_the_locked_text():
    _send(_two())
    post = post_update(post=_post("Akron Shop"), media_url=LOCAL_PHOTO)
    assert post.media_url == LOCAL_PHOTO

    with pytest.raises(PostActionError, match="Headquarters locked this announcement's text"):
        post_update(post=post, summary="Akron's own words.")
    assert _post("Akron Shop").summary == "Winter menu at Akron Shop."
    # Saving the same text again (the editor sends every field) is no change: allowed.
    post_update(post=_post("Akron Shop"), summary="Winter menu at Akron Shop.", media_url=LOCAL_PHOTO)


def test_a_post_of_its_own_or_of_an_announcement_without_locks_stays_free():
    franchise = make_franchise(name="Akron Shop")
    _send([franchise], locked=())
    assert post_update(post=_post("Akron Shop"), summary="Mine now.").summary == "Mine now."


def test_the_bulk_write_refuses_a_locked_part_and_changes_the_rest():
    _send(_two(), locked=("photo",))
    akron, lima = _post("Akron Shop"), _post("Lima Shop")
    done, refused = posts_update_many(
        changes=[(akron, {"media_url": LOCAL_PHOTO}), (lima, {"summary": "Lima's own line."})]
    )
    assert done == {lima.pk}
    assert "locked this announcement's photo" in refused[akron.pk]
    assert _post("Akron Shop").media_url == HQ_PHOTO
    assert _post("Lima Shop").summary == "Lima's own line."


def test_the_editor_shows_the_locked_text_read_only_and_a_tampered_post_changes_only_the_photo(client):
    franchises = _two()
    _send(franchises)
    member = make_member(franchises[0], Membership.Role.ADMIN)
    logged_in(client, member)
    post = _post("Akron Shop")
    url = reverse("posts:edit", args=[post.pk])

    page = client.get(url).content.decode()
    assert 'id="lock-note"' in page and "Headquarters locked this announcement&#x27;s text." in page
    assert "readonly" in page.split('id="summary"')[1].split(">")[0]
    assert "Locked by headquarters for this announcement." in page

    # The browser sends nothing for a disabled field; a hand-made request sends it anyway.
    answer = client.post(
        url,
        {
            "summary": "Tampered text.",
            "topic_type": "STANDARD",
            "media_url": LOCAL_PHOTO,
            "version": post.version,
            "scheduled_at": timezone.localtime(post.scheduled_at, post.franchise.zone).strftime("%Y-%m-%dT%H:%M"),
            "intent": "schedule",
        },
    )
    assert answer.status_code == 302, re.findall(r'class="errorlist[^>]*>(.*?)</ul>', answer.content.decode(), re.S)
    post = _post("Akron Shop")
    assert post.summary == "Winter menu at Akron Shop."
    assert post.media_url == LOCAL_PHOTO


def test_the_admin_change_form_shows_locked_fields_read_only_and_never_changes_them(client):
    _send(_two())
    admin = make_user(superuser=True)
    logged_in(client, admin)
    post = _post("Akron Shop")
    url = reverse("admin:posts_post_change", args=[post.pk])
    form = client.get(url).context["adminform"].form
    assert form.fields["summary"].disabled and not form.fields["media_url"].disabled
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(summary="Admin's own text.", media_url=LOCAL_PHOTO, loaded_version=post.version)
    for name in ("scheduled_at", "event_start", "event_end"):
        value = data.pop(name, None)
        data[f"{name}_0"], data[f"{name}_1"] = value.strftime("%Y-%m-%d %H:%M:%S").split() if value else ("", "")

    assert client.post(url, data).status_code == 302
    post = _post("Akron Shop")
    assert post.summary == "Winter menu at Akron Shop."
    assert post.media_url == LOCAL_PHOTO


def test_edit_all_keeps_a_franchise_own_photo_and_sets_the_locked_text():
    hq = make_user(superuser=True)
    announcement = _send(_two(), user=hq)
    post_update(post=_post("Akron Shop"), media_url=LOCAL_PHOTO)

    outcome = announcement_edit_all(
        announcement=announcement, user=hq, template="Spring menu at {name}.", media_url="https://example.com/hq2.jpg"
    )

    assert outcome["edited"] == ["Akron Shop", "Lima Shop"] and outcome["kept_local"] == ["Akron Shop"]
    akron, lima = _post("Akron Shop"), _post("Lima Shop")
    assert akron.summary == "Spring menu at Akron Shop." and akron.media_url == LOCAL_PHOTO
    assert lima.summary == "Spring menu at Lima Shop." and lima.media_url == "https://example.com/hq2.jpg"
    announcement.refresh_from_db()
    assert announcement.locked == ["text"]


def test_edit_all_with_overwrite_replaces_the_franchises_own_changes():
    hq = make_user(superuser=True)
    announcement = _send(_two(), user=hq)
    post_update(post=_post("Akron Shop"), media_url=LOCAL_PHOTO)

    outcome = announcement_edit_all(
        announcement=announcement, user=hq, template="Spring menu at {name}.", overwrite=True
    )

    assert outcome["overwritten"] == ["Akron Shop"] and outcome["kept_local"] == []
    assert _post("Akron Shop").media_url == HQ_PHOTO
    assert PostEvent.objects.filter(post=_post("Akron Shop"), detail__contains="media url").count() == 2


def test_edit_all_can_lock_a_part_a_franchise_changed_and_takes_it_back(client):
    hq = make_user(superuser=True)
    announcement = _send(_two(), locked=(), user=hq)
    post_update(post=_post("Akron Shop"), media_url=LOCAL_PHOTO, summary="Akron's own line.")
    logged_in(client, hq)
    url = reverse("posts:announcement_edit", args=[announcement.pk])
    data = {"summary": "Winter menu at {name}.", "media_url": HQ_PHOTO, "date": "2030-12-20", "local_time": "09:00"}

    answer = client.post(url, {**data, "locked": ["photo"]})
    page = client.get(answer["Location"])
    assert "Kept their own changes to the parts not locked: Akron Shop." in messages_of(page)
    assert "Locked, no franchise can change on its post: Photo." in page.content.decode()
    akron = _post("Akron Shop")
    assert akron.media_url == HQ_PHOTO and akron.summary == "Akron's own line."
    with pytest.raises(PostActionError, match="photo"):
        post_update(post=akron, media_url=LOCAL_PHOTO)
    # The edit page starts from the locks as they are.
    assert client.get(url).context["form"]["locked"].value() == ["photo"]


def test_locks_are_refused_on_a_repeating_announcement(client):
    hq = make_user(superuser=True)
    logged_in(client, hq)
    franchise = make_franchise(name="Akron Shop")
    data = {
        "franchises": [str(franchise.pk)],
        "summary": "Hi {name}.",
        "date": "2030-12-20",
        "local_time": "09:00",
        "repeat": "weekly",
        "locked": ["text"],
        "step": "schedule",
    }
    body = client.post(reverse("posts:announcement_new"), data).content.decode()
    assert "Locks hold on an announcement sent once" in body
    assert not Post.objects.exists()
