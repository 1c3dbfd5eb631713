"""A franchise's admins are emailed once per failed post, with the reason and a link to fix and
retry it; each user can turn these emails off in their profile."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from franchises.models import Membership, NotificationSettings
from health.failure_notices import posts_failed_notify
from health.models import PostFailureNotice
from posts.models import Post
from posts.services import post_publish_now
from testkit.factories import make_member, make_post
from testkit.google import franchise_connected_to_sandbox
from testkit.web import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _one_worker(settings):
    settings.PUBLISH_CONCURRENCY = 1


def _failure_emails(outbox) -> list:
    return [message for message in outbox if message.subject.endswith("could not be published")]


@pytest.fixture
def failed(sandbox):
    """A post Google refused for good (403), of a franchise with two admins and a staff member."""
    franchise = franchise_connected_to_sandbox(sandbox, name="Harbor Deli")
    make_member(franchise, Membership.Role.ADMIN, email="ann@example.com")
    make_member(franchise, Membership.Role.ADMIN, email="bob@example.com")
    make_member(franchise, Membership.Role.STAFF, email="staff@example.com")
    post = make_post(franchise=franchise, summary="Clam chowder Friday.")
    sandbox.client.fail("posts.create", status=403, times=1)
    assert post_publish_now(post=post).outcome == "failed"
    post.refresh_from_db()
    return post


def test_each_admin_gets_one_email_with_the_reason_and_the_link_once(failed, mailoutbox, settings):
    assert posts_failed_notify(now=timezone.now()) == 1
    assert sorted(message.to[0] for message in mailoutbox) == ["ann@example.com", "bob@example.com"]
    message = mailoutbox[0]
    assert message.subject == "A post of Harbor Deli could not be published"
    assert failed.last_error and f"Why: {failed.last_error}" in message.body
    assert f"{settings.SITE_URL}/posts/{failed.pk}/" in message.body and "Fix and retry" in message.body
    # The next runs (check-alerts every 10 minutes) do not tell it again.
    assert posts_failed_notify(now=timezone.now()) == 0
    call_command("check_alerts")
    assert len(_failure_emails(mailoutbox)) == 2
    assert PostFailureNotice.objects.get(post=failed).recipients == 2


def test_the_check_alerts_job_sends_them(failed, mailoutbox, capsys):
    call_command("check_alerts")
    assert "failedPostsTold=1" in capsys.readouterr().out
    assert len(_failure_emails(mailoutbox)) == 2


def test_an_admin_who_turned_them_off_gets_none(failed, mailoutbox):
    ann = Membership.objects.get(user__email="ann@example.com").user
    NotificationSettings.objects.create(user=ann, email_post_failures=False)
    posts_failed_notify(now=timezone.now())
    assert [message.to for message in mailoutbox] == [["bob@example.com"]]


def test_a_failure_older_than_a_day_is_not_emailed_about(failed, mailoutbox):
    with time_machine.travel(timezone.now() + dt.timedelta(days=1, minutes=1)):
        assert posts_failed_notify(now=timezone.now()) == 0
    assert mailoutbox == []


def test_a_post_no_longer_failed_is_not_emailed_about(failed, mailoutbox):
    Post.objects.filter(pk=failed.pk).update(status=Post.Status.DRAFT)
    assert posts_failed_notify(now=timezone.now()) == 0


def test_the_profile_page_turns_them_off_and_on(client, failed):
    ann = Membership.objects.get(user__email="ann@example.com").user
    logged_in(client, ann)
    url = reverse("dashboard:profile")
    body = client.get(url).content.decode()
    assert 'name="email_post_failures"' in body and "checked" in body
    assert client.post(url, {}).status_code == 302  # the box unticked
    assert NotificationSettings.objects.get(user=ann).email_post_failures is False
    client.post(url, {"email_post_failures": "on"})
    assert NotificationSettings.objects.get(user=ann).email_post_failures is True
    assert 'href="/profile/" id="nav-profile"' in client.get(url).content.decode()


def test_the_profile_page_needs_a_login(client):
    response = client.get(reverse("dashboard:profile"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
