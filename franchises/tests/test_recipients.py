"""Who gets each kind of email about a franchise (franchises/recipients.py), through each sender:
its active admins with an address, less those who turned that kind off; never staff, never a
deactivated account. The Google access email cannot be turned off."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from franchises.google.tokens import GoogleReauthorizationRequired, google_access_token_get
from franchises.models import Franchise, Membership, NotificationSettings
from franchises.recipients import AdminEmail, franchise_admin_recipients
from gbp_scheduler.jobs import TimeBudget
from health.digests import franchise_digests_send
from health.failure_notices import posts_failed_notify
from posts.models import Post
from posts.services import google_posts_sync, post_publish_now, posts_publish_due
from testkit.factories import make_franchise, make_member, make_post
from testkit.google import franchise_connected_to_sandbox

pytestmark = pytest.mark.django_db

ANN, OLIVE, DEE = "ann@example.com", "olive@example.com", "dee@example.com"


@pytest.fixture(autouse=True)
def _one_worker(settings):
    settings.PUBLISH_CONCURRENCY = 1
    settings.GOOGLE_SYNC_MIN_INTERVAL_SECONDS = 0


def _people(franchise: Franchise) -> None:
    """Ann wants everything; Olive turned every email she may off; Dee's account is deactivated;
    the staff member and an admin without an address are never emailed."""
    make_member(franchise, Membership.Role.ADMIN, email=ANN)
    olive = make_member(franchise, Membership.Role.ADMIN, email=OLIVE)
    NotificationSettings.objects.create(user=olive, email_post_failures=False, email_weekly_digest=False)
    make_member(franchise, Membership.Role.ADMIN, email=DEE, is_active=False)
    make_member(franchise, Membership.Role.STAFF, email="staff@example.com")
    make_member(franchise, Membership.Role.ADMIN, email="")


@pytest.fixture
def franchise(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox, name="Harbor Deli", expired=True)
    _people(franchise)
    return franchise


def _to(outbox) -> list[str]:
    return sorted(address for message in outbox for address in message.to)


def test_google_access_breaking_reaches_every_active_admin_even_one_who_turned_other_emails_off(
    sandbox, franchise, mailoutbox, django_capture_on_commit_callbacks
):
    sandbox.client.revoke(franchise.google_refresh_token)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(GoogleReauthorizationRequired):
        google_access_token_get(franchise=franchise)
    assert _to(mailoutbox) == [ANN, OLIVE]
    assert all(message.subject.startswith("Reconnect Google for Harbor Deli") for message in mailoutbox)


def test_a_post_google_rejected_reaches_the_admins_who_want_post_emails(sandbox, franchise, mailoutbox):
    make_post(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=timezone.now() - dt.timedelta(minutes=1))
    assert posts_publish_due(budget=TimeBudget(seconds=60))["published"] == 1
    sandbox.client.reject_post(Post.objects.get(franchise=franchise).google_post_name)
    assert google_posts_sync(budget=TimeBudget(seconds=60))["rejected"] == 1
    assert _to(mailoutbox) == [ANN]
    assert mailoutbox[0].subject == "Google rejected a post of Harbor Deli"


def test_a_post_that_failed_reaches_the_admins_who_want_post_emails(sandbox, franchise, mailoutbox):
    sandbox.client.fail("posts.create", status=403, times=1)
    assert post_publish_now(post=make_post(franchise=franchise)).outcome == "failed"
    assert posts_failed_notify(now=timezone.now()) == 1
    assert _to(mailoutbox) == [ANN]
    assert mailoutbox[0].subject == "A post of Harbor Deli could not be published"


def test_the_weekly_digest_reaches_the_admins_who_want_it(mailoutbox):
    franchise = make_franchise(name="Harbor Deli", timezone="UTC")
    _people(franchise)
    monday_morning = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(monday_morning - dt.timedelta(days=1)):
        make_post(franchise=franchise, source=Post.Source.AI)
    assert franchise_digests_send(now=monday_morning)["digests_sent"] == 1
    assert _to(mailoutbox) == [ANN]
    assert mailoutbox[0].subject == "Harbor Deli: your week on Google"


def test_one_address_administering_several_franchises_is_listed_once_with_each_of_them():
    north, south, other = make_franchise(), make_franchise(), make_franchise()
    for franchise in (north, south):
        make_member(franchise, Membership.Role.ADMIN, email=ANN)
    make_member(other, Membership.Role.ADMIN, email=OLIVE)
    recipients = franchise_admin_recipients(franchise_ids=[north.pk, south.pk], email=AdminEmail.POST_PROBLEMS)
    assert list(recipients) == [ANN]
    assert sorted(recipients[ANN]) == sorted([north.pk, south.pk])


def test_a_location_google_stops_taking_posts_from_reaches_every_active_admin_even_one_who_turned_other_emails_off(
    sandbox, franchise, mailoutbox
):
    from franchises.google.rights import posting_rights_check

    sandbox.client.set_location_rights(franchise.google_location_id, can_post=False)

    posting_rights_check(budget=TimeBudget(seconds=30))

    assert _to(mailoutbox) == [ANN, OLIVE]
