"""Each franchise's weekly digest: on its Monday from 08:00 local time, once per week, to its
admins (unless they turned it off): drafts waiting, failures and what went out, with links."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from franchises.models import Membership, NotificationSettings
from health.digests import franchise_digests_send
from health.models import FranchiseDigest
from posts.models import Post, PostEvent
from testkit.factories import make_franchise, make_member, make_post

pytestmark = pytest.mark.django_db

# Monday 30 November 2026, 08:30 in Chicago (14:30 UTC).
MONDAY_MORNING = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)


@pytest.fixture
def franchise():
    franchise = make_franchise(name="Lakeside Bagels", timezone="America/Chicago")
    make_member(franchise, Membership.Role.ADMIN, email="admin@example.com")
    make_member(franchise, Membership.Role.STAFF, email="staff@example.com")
    return franchise


def _a_week(franchise):
    with time_machine.travel(MONDAY_MORNING - dt.timedelta(days=2)):
        make_post(franchise=franchise, source=Post.Source.AI, summary="A draft to review.")
        make_post(
            franchise=franchise,
            status=Post.Status.PUBLISHED,
            published_at=MONDAY_MORNING - dt.timedelta(days=2),
            summary="Everything bagels are back.",
        )
        failed = make_post(franchise=franchise, status=Post.Status.FAILED, summary="Lox special.")
        PostEvent.objects.create(franchise=franchise, post=failed, action=PostEvent.Action.FAILED)
    return failed


def test_the_digest_goes_to_the_admins_on_monday_morning_once(franchise, mailoutbox, settings):
    failed = _a_week(franchise)
    with time_machine.travel(MONDAY_MORNING, tick=False):
        assert franchise_digests_send(now=MONDAY_MORNING)["digests_sent"] == 1
        assert franchise_digests_send(now=MONDAY_MORNING)["digests_sent"] == 0
        call_command("send_digests")
    assert [message.to for message in mailoutbox] == [["admin@example.com"]]
    message = mailoutbox[0]
    assert message.subject == "Lakeside Bagels: your week on Google"
    body = message.body
    assert "AI drafts waiting for review: 1" in body and f"?franchise={franchise.pk}" in body
    assert "Posts that failed: 1" in body and f"{settings.SITE_URL}/posts/{failed.pk}/" in body
    assert "Posts that went out on Google: 1" in body and "Everything bagels are back." in body
    assert FranchiseDigest.objects.get().week_start == dt.date(2026, 11, 30)


def test_not_before_monday_08_00_in_the_franchises_zone(franchise, mailoutbox):
    _a_week(franchise)
    too_early = MONDAY_MORNING - dt.timedelta(hours=1)  # 07:30 in Chicago
    assert franchise_digests_send(now=too_early)["digests_sent"] == 0
    assert mailoutbox == []


def test_a_quiet_week_sends_nothing(franchise, mailoutbox):
    assert franchise_digests_send(now=MONDAY_MORNING)["digests_sent"] == 0
    assert mailoutbox == []


def test_an_admin_who_turned_it_off_gets_none(franchise, mailoutbox):
    _a_week(franchise)
    admin = Membership.objects.get(franchise=franchise, role=Membership.Role.ADMIN).user
    NotificationSettings.objects.create(user=admin, email_weekly_digest=False)
    assert franchise_digests_send(now=MONDAY_MORNING)["digests_sent"] == 0
    assert mailoutbox == []


def test_the_send_digests_job_sends_them_and_leaves_what_its_budget_has_no_time_for(franchise, mailoutbox, capsys):
    from gbp_scheduler.jobs import TimeBudget

    _a_week(franchise)
    with time_machine.travel(MONDAY_MORNING, tick=False):
        assert franchise_digests_send(now=MONDAY_MORNING, budget=TimeBudget(seconds=0)) == {
            "digests_sent": 0,
            "left_for_next_run": 1,
        }
        assert mailoutbox == []
        call_command("send_digests")
    assert "digests_sent=1" in capsys.readouterr().out
    assert [message.to for message in mailoutbox] == [["admin@example.com"]]


def test_the_digest_counts_the_weeks_new_reviews_their_stars_and_those_waiting(franchise, mailoutbox):
    from testkit.factories import make_review

    with time_machine.travel(MONDAY_MORNING - dt.timedelta(days=20)):
        make_review(franchise, stars=5, google_reply="Thanks")  # an older week's, answered
    with time_machine.travel(MONDAY_MORNING - dt.timedelta(days=2)):
        make_review(franchise, stars=4)
        make_review(franchise, stars=1)
    with time_machine.travel(MONDAY_MORNING, tick=False):
        assert franchise_digests_send(now=MONDAY_MORNING)["digests_sent"] == 1
    body = mailoutbox[0].body
    assert "New Google reviews: 2, 2.5 stars on average" in body
    assert "Reviews waiting for a reply: 2" in body and "answered=no" in body
