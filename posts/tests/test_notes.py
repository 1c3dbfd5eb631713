"""Team notes on a post: members comment and mention each other; each person mentioned is emailed
once per note; only people who can see the post read or write its notes, and a mention of anyone
else is refused, naming them, with nothing saved."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from franchises.models import Membership, NotificationSettings
from posts.models import PostNote
from posts.services import PostActionError
from posts.services.notes import mentions_in, post_note_add
from testkit.factories import make_franchise, make_member, make_post, make_user
from testkit.web import logged_in, messages_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def akron():
    franchise = make_franchise(name="Akron Shop")
    return {
        "franchise": franchise,
        "post": make_post(franchise=franchise, summary="Winter menu."),
        "admin": make_member(franchise, Membership.Role.ADMIN, username="akron-admin", email="admin@akron.test"),
        "staff": make_member(franchise, Membership.Role.STAFF, username="akron.staff", email="staff@akron.test"),
    }


def test_mentions_are_read_once_each_and_not_from_email_addresses():
    text = "@akron-admin, see this. Ask @akron.staff. and @akron-admin again; mail me at a@b.com."
    assert mentions_in(text) == ["akron-admin", "akron.staff"]


def test_each_person_mentioned_is_emailed_once_and_the_note_is_in_the_post_history(
    client, akron, django_capture_on_commit_callbacks
):
    logged_in(client, akron["staff"])
    url = reverse("posts:note_add", args=[akron["post"].pk])
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(url, {"text": "@akron-admin can we use the new photo? @akron-admin @akron.staff"})

    assert answer.status_code == 302
    assert [message.to for message in mail.outbox] == [["admin@akron.test"]]  # not the author
    assert "akron.staff mentioned you in a note on a post of Akron Shop" in mail.outbox[0].subject
    assert "can we use the new photo?" in mail.outbox[0].body
    page = client.get(answer["Location"])
    assert "Note added. Mentioned (told by email): @akron-admin, @akron.staff." in messages_of(page)
    history = page.content.decode().split('id="history-list"')[1]
    assert 'data-event="note"' in history and "can we use the new photo?" in history


def test_headquarters_can_be_mentioned_and_write_notes(akron, django_capture_on_commit_callbacks):
    make_user(superuser=True, username="hq", email="hq@group.test")
    with django_capture_on_commit_callbacks(execute=True):
        note = post_note_add(post=akron["post"], user=akron["admin"], text="Checking with @hq first.")
    assert [user.username for user in note.mentioned.all()] == ["hq"]
    assert mail.outbox[0].to == ["hq@group.test"]


def test_a_mention_of_someone_who_cannot_see_the_post_is_refused_naming_them(client, akron):
    other = make_franchise(name="Lima Shop")
    make_member(other, Membership.Role.ADMIN, username="lima-admin", email="lima@lima.test")
    with pytest.raises(PostActionError, match=r"@lima-admin cannot see this post \(not a member of Akron Shop\)"):
        post_note_add(post=akron["post"], user=akron["admin"], text="@lima-admin look")
    with pytest.raises(PostActionError, match="Nobody is called @nobody"):
        post_note_add(post=akron["post"], user=akron["admin"], text="@nobody look")
    assert not PostNote.objects.exists()

    # Through the page: the note comes back as typed, with why.
    logged_in(client, akron["admin"])
    answer = client.post(reverse("posts:note_add", args=[akron["post"].pk]), {"text": "Hi @lima-admin and @ghost"})
    body = answer.content.decode()
    assert answer.status_code == 400
    assert "Nobody is called @ghost." in body and "@lima-admin cannot see this post" in body
    assert "Hi @lima-admin and @ghost</textarea>" in body
    assert not mail.outbox


def test_only_people_who_see_the_post_read_or_write_its_notes(client, akron):
    post_note_add(post=akron["post"], user=akron["admin"], text="A secret plan.")
    outsider = make_member(make_franchise(name="Lima Shop"), Membership.Role.ADMIN)
    logged_in(client, outsider)
    assert client.get(reverse("posts:detail", args=[akron["post"].pk])).status_code == 404
    assert client.post(reverse("posts:note_add", args=[akron["post"].pk]), {"text": "Mine."}).status_code == 404
    with pytest.raises(PostActionError, match="Only people who can see this post"):
        post_note_add(post=akron["post"], user=outsider, text="Mine.")
    assert PostNote.objects.count() == 1


def test_someone_who_turned_mention_emails_off_is_mentioned_but_not_emailed(akron, django_capture_on_commit_callbacks):
    NotificationSettings.objects.create(user=akron["admin"], email_mentions=False)
    with django_capture_on_commit_callbacks(execute=True):
        note = post_note_add(post=akron["post"], user=akron["staff"], text="@akron-admin please look")
    assert note.mentioned.get() == akron["admin"]
    assert not mail.outbox


def test_an_empty_or_too_long_note_is_refused():
    franchise = make_franchise()
    user = make_member(franchise, Membership.Role.STAFF)
    post = make_post(franchise=franchise)
    with pytest.raises(PostActionError, match="Write the note first"):
        post_note_add(post=post, user=user, text="   ")
    with pytest.raises(PostActionError, match="under 2,000 characters"):
        post_note_add(post=post, user=user, text="x" * 2001)


def test_the_profile_page_turns_mention_emails_off_and_keeps_the_others(client, akron):
    logged_in(client, akron["admin"])
    url = reverse("dashboard:profile")
    assert "Email me when someone mentions me in a note" in client.get(url).content.decode()
    on = {"email_post_failures": "on", "email_weekly_digest": "on", "email_low_star_reviews": "on"}
    assert client.post(url, on).status_code == 302
    settings = NotificationSettings.objects.get(user=akron["admin"])
    assert not settings.email_mentions
    assert settings.email_post_failures and settings.email_weekly_digest and settings.email_low_star_reviews
