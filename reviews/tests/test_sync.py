"""The sync-reviews job against the sandbox: many locations of one account a request, newest
first, a second run reading only what changed, edits and removals followed, a location Google
refuses failing alone, and nothing waited for past the run's budget."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from franchises.models import Membership
from gbp_scheduler.jobs import TimeBudget
from reviews.models import Review, ReviewSync
from reviews.services.sync import reviews_sync_due
from testkit.factories import make_member
from testkit.google import franchise_connected_to_sandbox, franchises_on_one_account_in_sandbox

pytestmark = pytest.mark.django_db


def sync(seconds: float = 60) -> dict:
    return reviews_sync_due(budget=TimeBudget(seconds=seconds))


def test_reviews_of_many_locations_are_read_together_and_a_second_run_reads_one_page(sandbox) -> None:
    franchises = franchises_on_one_account_in_sandbox(sandbox.client, count=3)
    sandbox.client.add_reviews([f.google_location_id for f in franchises], 30)

    first = sync()

    assert Review.objects.count() == 90
    assert first["reviews_new"] == 90 and first["locations_synced"] == 3
    # 90 reviews of 3 locations, 50 a page, in one batchGetReviews list: 2 requests, no list per location.
    assert sandbox.client.calls("reviews.batch") == 2 and sandbox.client.calls("reviews.list") == 0
    ReviewSync.objects.update(synced_at=None)  # due again
    newest = Review.objects.filter(franchise=franchises[1]).order_by("-google_updated_at").first()
    sandbox.client.edit_review(newest.google_name, stars=1, comment="Changed my mind")

    second = sync()

    assert sandbox.client.calls("reviews.batch") == 3  # one page more, and it stopped there
    assert second["reviews_new"] == 0 and second["reviews_updated"] == 1
    newest.refresh_from_db()
    assert (newest.stars, newest.comment) == (1, "Changed my mind")


def test_a_location_whose_last_review_is_old_does_not_make_the_group_read_deeper(sandbox) -> None:
    busy, quiet = franchises_on_one_account_in_sandbox(sandbox.client, count=2)
    sandbox.client.add_reviews([busy.google_location_id], 120)
    sandbox.client.add_review(
        quiet.google_location_id, stars=4, comment="Years ago", create_time="2023-05-01T10:00:00Z"
    )
    sync()
    before = sandbox.client.calls("reviews.batch")
    sandbox.client.add_review(busy.google_location_id, stars=5, comment="Today")
    ReviewSync.objects.update(synced_at=None)

    counts = sync()

    assert sandbox.client.calls("reviews.batch") == before + 1 and counts["reviews_new"] == 1


def test_a_removed_review_is_marked_gone_on_the_next_full_read(sandbox) -> None:
    franchise = franchise_connected_to_sandbox(sandbox)
    kept = sandbox.client.add_review(franchise.google_location_id, stars=5, comment="Great")
    removed = sandbox.client.add_review(franchise.google_location_id, stars=1, comment="Awful")
    sync()
    sandbox.client.remove_review(removed["name"])
    ReviewSync.objects.update(synced_at=None, full_read_at=None)

    counts = sync()

    assert counts["reviews_gone"] == 1
    assert Review.objects.get(google_name=removed["name"]).gone_at is not None
    assert Review.objects.get(google_name=kept["name"]).gone_at is None


def test_a_location_google_refuses_fails_alone(sandbox) -> None:
    good, bad = franchises_on_one_account_in_sandbox(sandbox.client, count=2)
    sandbox.client.add_review(good.google_location_id, stars=4, comment="Nice")
    sandbox.client.set_location_rights(bad.google_location_id, verified=False)

    counts = sync()

    assert counts["failed"] == 1 and counts["locations_synced"] == 1
    assert Review.objects.filter(franchise=good).count() == 1
    assert "not verified" in ReviewSync.objects.get(pk=bad.pk).last_error


def test_new_low_star_reviews_are_emailed_to_the_admins_once(sandbox, django_user_model) -> None:
    franchise = franchise_connected_to_sandbox(sandbox)
    make_member(franchise, Membership.Role.ADMIN, email="boss@example.com")
    sandbox.client.add_review(franchise.google_location_id, stars=1, comment="Old complaint")
    sync()  # the first read of a location tells nobody about its old reviews
    assert mail.outbox == []
    sandbox.client.add_review(franchise.google_location_id, stars=2, comment="Rude staff", reviewer="Ann")
    sandbox.client.add_review(franchise.google_location_id, stars=5, comment="Lovely")
    ReviewSync.objects.update(synced_at=None)

    sync()
    ReviewSync.objects.update(synced_at=None, full_read_at=None)
    sync()

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["boss@example.com"] and "Rude staff" in mail.outbox[0].body


def test_the_command_runs_the_job(sandbox, capsys) -> None:
    franchise = franchise_connected_to_sandbox(sandbox)
    sandbox.client.add_review(franchise.google_location_id, stars=3, comment="OK")
    call_command("sync_reviews")
    assert Review.objects.filter(franchise=franchise).count() == 1


def test_a_location_is_read_as_often_as_the_quota_plan_says_not_every_run(sandbox) -> None:
    """Hourly at this size, with a run every 20 minutes: a location read 30 minutes ago waits, one
    read 45 minutes ago is read (due 40 minutes after its read, the next run an hour after it)."""
    waits, read = franchises_on_one_account_in_sandbox(sandbox.client, count=2)
    sync()
    now = timezone.now()
    ReviewSync.objects.filter(franchise=waits).update(synced_at=now - dt.timedelta(minutes=30))
    ReviewSync.objects.filter(franchise=read).update(synced_at=now - dt.timedelta(minutes=45))

    counts = sync()

    assert counts["locations_synced"] == 1 and counts["left_for_next_run"] == 0
    assert ReviewSync.objects.get(franchise=read).synced_at > now
    assert ReviewSync.objects.get(franchise=waits).synced_at == now - dt.timedelta(minutes=30)
