"""The "Publish now" button says what will happen before it does it; a member who may not take a
live post down asks an admin, who takes it down (through post_delete: Google's copy goes too) or
declines, saying why; the requests wait in the admins' requests page and each step is in the
post's history."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from franchises.models import Membership
from posts.models import Post, PostEvent, TakedownRequest
from posts.services import post_publish_now
from testkit.factories import make_member, make_post, make_user
from testkit.google import franchise_connected_to_sandbox, google_posts
from testkit.web import logged_in, messages_of

pytestmark = pytest.mark.django_db
WHY = "The offer in it ended yesterday."


@pytest.fixture(autouse=True)
def _one_worker(settings):
    settings.PUBLISH_CONCURRENCY = 1


@pytest.fixture
def franchise(sandbox):
    return franchise_connected_to_sandbox(sandbox, name="Harbor Cafe")


@pytest.fixture
def staff(franchise):
    return make_member(franchise, Membership.Role.STAFF)


@pytest.fixture
def admin(franchise):
    return make_member(franchise, Membership.Role.ADMIN, email="boss@harbor.example")


@pytest.fixture
def live(franchise):
    post = make_post(franchise=franchise, summary="Two coffees for one, all week.")
    assert post_publish_now(post=post).outcome == "published"
    return Post.objects.get(pk=post.pk)


def ask(client, post, reason=WHY):
    return client.post(reverse("posts:takedown_ask", args=[post.pk]), {"reason": reason}, follow=True)


def test_publish_now_first_says_what_will_happen_and_publishes_only_when_confirmed(client, sandbox, franchise, staff):
    logged_in(client, staff)
    post = make_post(franchise=franchise, summary="Open late tonight.")

    page = client.get(reverse("posts:publish_now", args=[post.pk]))

    body = page.content.decode()
    assert page.status_code == 200 and 'id="publish-now-effects"' in body
    assert "goes to Google at once" in body and "only the admins of Harbor Cafe can take it down" in body
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT and google_posts(sandbox, franchise) == []
    detail = client.get(reverse("posts:detail", args=[post.pk])).content.decode()
    assert f'href="{reverse("posts:publish_now", args=[post.pk])}"' in detail  # a link to the question

    client.post(reverse("posts:publish_now", args=[post.pk]))
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED


def test_publish_now_says_why_it_cannot_instead_of_offering_the_button(client, franchise, staff):
    franchise.google_auth_valid = False
    franchise.save(update_fields=["google_auth_valid"])
    logged_in(client, staff)
    post = make_post(franchise=franchise)
    body = client.get(reverse("posts:publish_now", args=[post.pk])).content.decode()
    assert 'id="publish-blocked"' in body and "reconnect" in body
    assert 'id="confirm-publish-now"' not in body


def test_staff_see_why_they_cannot_take_a_live_post_down_and_ask_an_admin(
    client, franchise, staff, admin, live, django_capture_on_commit_callbacks
):
    logged_in(client, staff)
    page = client.get(reverse("posts:detail", args=[live.pk])).content.decode()
    assert "Only the admins of Harbor Cafe can take a live post down" in page
    assert 'data-action="delete"' not in page

    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, live)

    assert any("Asked" in text for text in messages_of(response))
    request = TakedownRequest.objects.get()
    assert (request.status, request.reason, request.requested_by) == ("open", WHY, staff)
    event = PostEvent.objects.filter(post=live).latest("created_at")
    assert (event.action, event.actor, event.detail) == (PostEvent.Action.TAKEDOWN_ASKED, staff, WHY)
    [email] = mail.outbox
    assert email.to == ["boss@harbor.example"] and WHY in email.body
    assert reverse("posts:takedowns") in email.body
    assert 'id="takedown-asked"' in response.content.decode()


def test_asking_twice_or_without_a_reason_or_for_a_post_not_on_google_is_refused(client, franchise, staff, live):
    logged_in(client, staff)
    assert any("Say why" in text for text in messages_of(ask(client, live, reason="  ")))
    ask(client, live)
    assert any("asked already" in text for text in messages_of(ask(client, live, reason="Again.")))
    draft = make_post(franchise=franchise)
    assert any("delete this one" in text for text in messages_of(ask(client, draft)))
    assert TakedownRequest.objects.count() == 1


def test_the_request_waits_in_the_admins_requests_and_the_admin_takes_the_post_down(
    client, sandbox, franchise, staff, admin, live
):
    logged_in(client, staff)
    ask(client, live)
    logged_in(client, admin)
    home = client.get("/").content.decode()
    assert 'id="nav-takedowns"' in home  # the link shows while a request waits

    queue = client.get(reverse("posts:takedowns")).content.decode()
    assert queue.count('data-testid="takedown-request"') == 1 and WHY in queue
    confirm = client.get(reverse("posts:take_down", args=[live.pk])).content.decode()
    assert "customers stop seeing it" in confirm and WHY in confirm

    response = client.post(reverse("posts:take_down", args=[live.pk]), follow=True)

    assert "Taken down: deleted here and on Google." in messages_of(response)
    assert not Post.objects.filter(pk=live.pk).exists()
    assert google_posts(sandbox, franchise) == []
    request = TakedownRequest.objects.get()
    assert (request.status, request.answered_by, request.post) == ("taken_down", admin, None)
    deleted = PostEvent.objects.get(franchise=franchise, action=PostEvent.Action.DELETED)
    assert deleted.actor == admin and f"at {staff.get_username()}'s request: {WHY}" in deleted.detail
    assert 'id="nav-takedowns"' not in client.get("/").content.decode()


def test_an_admin_declines_saying_why_and_the_member_reads_it_and_may_ask_again(client, staff, admin, live):
    logged_in(client, staff)
    ask(client, live)
    logged_in(client, admin)
    url = reverse("posts:takedown_decline", args=[live.pk])
    assert any("Say why it stays up" in text for text in messages_of(client.post(url, {"answer": ""}, follow=True)))

    client.post(url, {"answer": "The offer runs until Sunday."})

    request = TakedownRequest.objects.get()
    assert (request.status, request.answer) == ("declined", "The offer runs until Sunday.")
    assert PostEvent.objects.filter(post=live, action=PostEvent.Action.TAKEDOWN_DECLINED, actor=admin).exists()
    logged_in(client, staff)
    page = client.get(reverse("posts:detail", args=[live.pk])).content.decode()
    assert "The offer runs until Sunday." in page and 'id="takedown-form"' in page
    assert Post.objects.filter(pk=live.pk, status=Post.Status.PUBLISHED).exists()


def test_staff_cannot_take_down_or_decline_and_other_franchises_admins_do_not_see_the_request(
    client, sandbox, staff, live
):
    logged_in(client, staff)
    ask(client, live)
    assert client.get(reverse("posts:take_down", args=[live.pk])).status_code == 403
    assert client.post(reverse("posts:take_down", args=[live.pk])).status_code == 403
    assert client.post(reverse("posts:takedown_decline", args=[live.pk]), {"answer": "No."}).status_code == 403
    assert 'data-testid="takedown-request"' not in client.get(reverse("posts:takedowns")).content.decode()

    elsewhere = franchise_connected_to_sandbox(sandbox, name="Elsewhere")
    logged_in(client, make_member(elsewhere, Membership.Role.ADMIN))
    assert 'data-testid="takedown-request"' not in client.get(reverse("posts:takedowns")).content.decode()
    assert client.post(reverse("posts:take_down", args=[live.pk])).status_code == 404

    logged_in(client, make_user(superuser=True))
    assert client.get(reverse("posts:takedowns")).content.decode().count('data-testid="takedown-request"') == 1
    assert Post.objects.filter(pk=live.pk).exists()
