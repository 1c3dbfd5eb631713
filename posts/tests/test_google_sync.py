"""The sync-google-posts job: Google's state of each published post kept in the database, posts
Google rejected or removed noticed and told about once, nothing created or deleted on Google."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from franchises.models import Franchise, Membership
from gbp_scheduler.jobs import TimeBudget
from posts.models import Post, PostEvent
from posts.services import google_posts_sync, posts_publish_due
from posts.services.google_sync import locations_to_sync
from testkit.factories import make_member, make_post
from testkit.google import (
    assert_google_mirrors_database,
    franchise_connected_to_sandbox,
    franchises_connected_to_sandbox_bulk,
    posts_due_bulk,
)
from testkit.web import logged_in

pytestmark = pytest.mark.django_db

MUTATING = ("posts.create", "posts.patch", "posts.delete")


@pytest.fixture(autouse=True)
def _one_worker(settings):
    settings.PUBLISH_CONCURRENCY = 1
    settings.GOOGLE_HTTP_TIMEOUT_SECONDS = 1.0
    # Each sync() below stands for a later run (an hour on, as the cron runs): no minimum spacing.
    # test_a_location_synced_moments_ago_waits_for_a_run_after_the_interval keeps the default.
    settings.GOOGLE_SYNC_MIN_INTERVAL_SECONDS = 0


def sync(seconds: float = 60, **kwargs) -> dict:
    return google_posts_sync(budget=TimeBudget(seconds=seconds), **kwargs)


def published(franchise, summary: str = "Fresh bread at 7.") -> Post:
    post = make_post(
        franchise=franchise,
        status=Post.Status.SCHEDULED,
        scheduled_at=timezone.now() - dt.timedelta(minutes=1),
        summary=summary,
    )
    assert posts_publish_due(budget=TimeBudget(seconds=60))["published"] == 1
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED and post.google_state == "LIVE"
    return post


def mutations(sandbox) -> dict:
    return {kind: sandbox.client.calls(kind) for kind in MUTATING}


@pytest.fixture
def franchise(sandbox):
    return franchise_connected_to_sandbox(sandbox, name="Sunrise Bakery")


def test_a_post_rejected_on_google_is_rejected_after_one_sync_run(sandbox, franchise, mailoutbox):
    admin = make_member(franchise, Membership.Role.ADMIN, email="owner@sunrise.example")
    post = published(franchise, "Miracle sourdough cures everything.")
    sandbox.client.reject_post(post.google_post_name)
    before = mutations(sandbox)

    counts = sync()

    post.refresh_from_db()
    assert post.google_state == "REJECTED" and post.status == Post.Status.PUBLISHED
    assert post.google_problem == "REJECTED" and post.google_notice_open
    assert counts["rejected"] == 1 and counts["locations_synced"] == 1
    event = post.events.get(action=PostEvent.Action.GOOGLE_REJECTED)
    assert "rejected" in event.detail and "republish" in event.detail and event.actor is None
    assert [m.to for m in mailoutbox] == [[admin.email]]
    assert "rejected" in mailoutbox[0].subject and f"/posts/{post.pk}/" in mailoutbox[0].body
    assert mutations(sandbox) == before
    assert_google_mirrors_database(sandbox)


def test_a_post_its_owner_removed_on_google_is_removed_after_one_sync_run(sandbox, franchise, mailoutbox):
    make_member(franchise, Membership.Role.ADMIN, email="owner@sunrise.example")
    post = published(franchise)
    sandbox.client.remove_post(post.google_post_name)
    before = mutations(sandbox)

    counts = sync()

    post.refresh_from_db()
    assert post.google_state == "REMOVED" and post.google_problem == "REMOVED"
    assert counts["removed"] == 1
    assert post.events.filter(action=PostEvent.Action.GOOGLE_REMOVED).count() == 1
    assert len(mailoutbox) == 1 and "removed from Google" in mailoutbox[0].subject
    assert sandbox.client.calls("posts.get") == 1, "a post missing from the list is confirmed once with a get"
    assert mutations(sandbox) == before
    assert_google_mirrors_database(sandbox)


def test_admins_get_one_email_each_per_post_however_many_runs_follow(sandbox, franchise, mailoutbox):
    admins = [make_member(franchise, Membership.Role.ADMIN, email=f"admin{n}@sunrise.example") for n in (1, 2)]
    make_member(franchise, Membership.Role.STAFF, email="staff@sunrise.example")
    rejected, removed = published(franchise, "One."), published(franchise, "Two.")
    published(franchise, "Three, still live.")
    sandbox.client.reject_post(rejected.google_post_name)
    sandbox.client.remove_post(removed.google_post_name)
    before = mutations(sandbox)

    runs = [sync() for _ in range(4)]
    sandbox.client.remove_post(rejected.google_post_name)  # later deleted by its owner too
    runs.append(sync())

    assert [r["locations_synced"] for r in runs] == [1, 1, 1, 1, 1]
    assert sorted(tuple(m.to) for m in mailoutbox) == sorted([(a.email,) for a in admins] * 2)
    assert {m.to[0] for m in mailoutbox} == {a.email for a in admins}
    rejected.refresh_from_db()
    assert rejected.google_state == "REMOVED"
    assert [e.action for e in rejected.events.order_by("created_at")][-2:] == ["google_rejected", "google_removed"]
    assert PostEvent.objects.filter(action__in=["google_rejected", "google_removed"]).count() == 3
    assert mutations(sandbox) == before


def test_state_search_url_and_update_time_follow_google(sandbox, franchise):
    sandbox.client.set_post_review(3600)
    post = make_post(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=timezone.now())
    posts_publish_due(budget=TimeBudget(seconds=60))
    post.refresh_from_db()
    assert post.google_state == "PROCESSING" and post.google_update_time is not None
    Post.objects.filter(pk=post.pk).update(google_search_url="", google_update_time=None)

    sandbox.client.set_post_state(post.google_post_name, "LIVE")
    counts = sync()

    post.refresh_from_db()
    google = sandbox.client.posts()[0]
    assert counts["updated"] == 1 and counts["rejected"] == counts["removed"] == 0
    assert post.google_state == "LIVE"
    assert post.google_search_url.endswith(f"#post-{google['id']}")
    assert post.google_update_time is not None
    assert not post.events.filter(action__startswith="google_").exists()


def test_locations_are_synced_oldest_first_and_a_run_stops_at_its_budget(sandbox):
    franchises = franchises_connected_to_sandbox_bulk(sandbox.client, count=3, name="Bakery", shared=True)
    posts_due_bulk(franchises, count=3)
    posts_publish_due(budget=TimeBudget(seconds=60))
    now = timezone.now()
    for age, franchise in zip((1, 3, 2), franchises, strict=True):
        Franchise.objects.filter(pk=franchise.pk).update(google_posts_synced_at=now - dt.timedelta(hours=age))

    order = [f.pk for f in locations_to_sync(now=now, recent_before=now, settled_before=now)]
    assert order == [franchises[1].pk, franchises[2].pk, franchises[0].pk]
    counts = sync(seconds=0)
    assert counts["locations_synced"] == 0 and counts["left_for_next_run"] == 3
    counts = sync()
    assert counts["locations_synced"] == 3 and counts["left_for_next_run"] == 0
    before = timezone.now() - dt.timedelta(seconds=1)
    assert not locations_to_sync(now=now, recent_before=before, settled_before=before).exists()


def test_a_location_synced_moments_ago_waits_for_a_run_after_the_interval(sandbox, franchise, settings):
    settings.GOOGLE_SYNC_MIN_INTERVAL_SECONDS = 600
    post = published(franchise)
    assert sync()["locations_synced"] == 1
    sandbox.client.reject_post(post.google_post_name)

    assert sync()["locations_synced"] == 0, "a run moments later (say a second cron) reads nothing"
    assert sandbox.client.calls("posts.list") == 1
    post.refresh_from_db()
    assert post.google_state == "LIVE"

    Franchise.objects.filter(pk=franchise.pk).update(google_posts_synced_at=timezone.now() - dt.timedelta(minutes=11))
    counts = sync()
    assert counts["locations_synced"] == 1 and counts["rejected"] == 1
    post.refresh_from_db()
    assert post.google_state == "REJECTED"


def test_a_location_google_fails_for_now_is_retried_first_next_run(sandbox, franchise):
    post = published(franchise)
    sandbox.client.reject_post(post.google_post_name)
    sandbox.client.fail("posts.list", status=503)

    counts = sync()

    franchise.refresh_from_db()
    assert counts["deferred"] == 1 and counts["locations_synced"] == 0
    assert franchise.google_posts_synced_at is None, "back in line as it was"
    assert "retried next run" in franchise.google_posts_sync_error
    assert sync()["rejected"] == 1
    franchise.refresh_from_db()
    assert franchise.google_posts_sync_error == "" and franchise.google_posts_synced_at is not None


def test_a_location_that_is_gone_fails_alone_with_the_reason_and_the_run_goes_on(sandbox, franchise):
    published(franchise)
    other = franchise_connected_to_sandbox(sandbox, name="Harbor Fitness")
    published(other, "Open late.")
    sandbox.client.disable_location(franchise.google_location_id)

    counts = sync()

    franchise.refresh_from_db()
    assert counts["failed"] == 1 and counts["locations_synced"] == 1
    assert "disabled" in franchise.google_posts_sync_error
    admin = make_member(franchise, Membership.Role.ADMIN)
    page = logged_in(Client(), admin).get(f"/franchises/{franchise.pk}/").content.decode()
    assert 'id="google-posts-sync-error"' in page and "disabled" in page


def test_a_location_whose_google_access_was_revoked_is_skipped_until_it_reconnects(sandbox, franchise):
    published(franchise)
    sandbox.client.revoke(client_id=sandbox.client_id)
    Franchise.objects.filter(pk=franchise.pk).update(google_access_token=None)
    from franchises.models import GoogleConnection

    GoogleConnection.objects.update(access_token=None)

    counts = sync()

    assert counts["skipped_reauth"] == 1 and counts["locations_synced"] == 0
    assert sync()["skipped_reauth"] == 0, "a franchise that must reconnect is not asked about"


def test_a_post_the_list_does_not_show_is_asked_for_by_name_before_it_is_called_removed(sandbox, franchise):
    """The franchise moved to another location: its earlier post is not in the new location's
    list, but Google still has it, so it stays live (only Google's 404 makes a post removed)."""
    post = published(franchise, "Posted at the old address.")
    account = sandbox.client.add_account("New address", locations=1)
    Franchise.objects.filter(pk=franchise.pk).update(
        google_account_id=account["account_id"], google_location_id=account["location_ids"][0]
    )

    counts = sync()

    post.refresh_from_db()
    assert counts["removed"] == 0 and counts["posts_checked"] == 1
    assert sandbox.client.calls("posts.get") == 1
    assert post.google_state == "LIVE"


def test_the_cron_endpoint_and_the_command_run_the_job(sandbox, franchise, settings, capsys):
    settings.CRON_SECRET = "cron-secret-for-tests"
    post = published(franchise)
    sandbox.client.reject_post(post.google_post_name)

    answer = Client().get("/api/cron/sync-google-posts", HTTP_AUTHORIZATION="Bearer cron-secret-for-tests")

    body = json.loads(answer.content)
    assert answer.status_code == 200 and body["job"] == "sync-google-posts"
    assert body["rejected"] == 1 and body["locations_synced"] == 1 and "durationMs" in body
    call_command("sync_google_posts")
    assert "sync-google-posts: durationMs=" in capsys.readouterr().out
    assert Client().get("/api/cron/sync-google-posts").status_code == 401


def test_the_sync_covers_every_location_across_runs_within_the_quota_and_the_time_budget(sandbox, settings):
    """100 locations, a run budget that holds about a third of them at this quota: the runs
    together cover every location, each once before any twice, least recently synced first, and
    Google never answers 429 (the sandbox counts the same quota). bench/google_sync.py measures
    the same at Google's default 300 requests a minute."""
    franchises = franchises_connected_to_sandbox_bulk(sandbox.client, count=100, name="Location", shared=True)
    posts_due_bulk(franchises, count=100)
    assert posts_publish_due(budget=TimeBudget(seconds=120))["published"] == 100
    settings.GOOGLE_REQUESTS_PER_MINUTE = 6000  # 100 a second: a 0.3-second budget holds about 30
    sandbox.client.set_quota(6000, "mybusiness.googleapis.com")
    synced: list[str] = []

    runs = []
    while len(set(synced)) < 100 and len(runs) < 30:
        runs.append(sync(seconds=0.3, report=lambda line: synced.append(line.split(":")[0])))

    assert len(set(synced[:100])) == 100, "every location once before any twice"
    assert len(runs) >= 3, "the budget, not the list, ended the runs"
    assert all(run["left_for_next_run"] > 0 for run in runs[:-1])
    assert sum(run["google_requests"] for run in runs) == sum(run["locations_synced"] for run in runs) == len(synced)
    assert sandbox.client.calls("posts.list", 429) == 0
    assert Franchise.objects.filter(google_posts_synced_at__isnull=True).count() == 0


def test_a_location_whose_posts_are_all_older_than_two_weeks_is_synced_daily_not_hourly(sandbox, settings):
    """Two locations synced two hours ago, one with a post published today, the other with posts
    published three weeks ago: a run syncs the first only; a day later both."""
    fresh, settled = franchises_connected_to_sandbox_bulk(sandbox.client, count=2, name="Bakery", shared=True)
    posts_due_bulk([fresh, settled], count=2)
    posts_publish_due(budget=TimeBudget(seconds=60))
    now = timezone.now()
    Post.objects.filter(franchise=settled).update(published_at=now - dt.timedelta(days=21))
    Franchise.objects.filter(pk__in=[fresh.pk, settled.pk]).update(google_posts_synced_at=now - dt.timedelta(hours=2))

    assert sync()["locations_synced"] == 1
    synced = Franchise.objects.filter(google_posts_synced_at__gte=now).values_list("pk", flat=True)
    assert list(synced) == [fresh.pk]

    with time_machine.travel(now + dt.timedelta(days=1), tick=True):
        assert sync()["locations_synced"] == 2
