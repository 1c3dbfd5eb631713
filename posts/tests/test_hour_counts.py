"""The posts counted by zone, hour and status (PostHourCount) stay what a recount from the posts
gives, whatever path changes the posts: the services, bulk updates, raw SQL, deletes, the Django
admin, a franchise's change of zone, and the publish job."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db import connection
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from franchises.models import Franchise
from gbp_scheduler.jobs import TimeBudget
from posts.hour_counts import post_hour_counts_kept, post_hour_counts_recount
from posts.models import Post
from posts.services import post_create, post_delete, post_schedule, post_unschedule
from posts.services.publishing import posts_publish_due
from testkit.factories import make_franchise, make_post
from testkit.google import franchise_connected_to_sandbox

pytestmark = pytest.mark.django_db

ZONES = ["America/New_York", "America/Chicago", "Asia/Kolkata", "UTC"]


def _some(rnd: random.Random, count: int = 3) -> list:
    ids = list(Post.objects.order_by("pk").values_list("pk", flat=True))
    return rnd.sample(ids, min(count, len(ids)))


def _at(rnd: random.Random) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=rnd.randrange(-3 * 24 * 60, 20 * 24 * 60))


def _step(rnd: random.Random, franchises: list[Franchise]) -> str:
    """One random change of posts through one path; its name."""
    path = rnd.choice(
        ["create", "schedule", "unschedule", "bulk time", "bulk status", "raw sql", "delete", "bulk delete", "zone"]
    )
    post = Post.objects.filter(pk__in=_some(rnd, 1)).select_related("franchise").first()
    if path == "create" or post is None:
        status = rnd.choice([Post.Status.DRAFT, Post.Status.SCHEDULED])
        at = _at(rnd) if status == Post.Status.SCHEDULED or rnd.random() < 0.5 else None
        post_create(franchise=rnd.choice(franchises), status=status, scheduled_at=at, summary="Fresh bread today.")
    elif path == "schedule" and post.status in (Post.Status.DRAFT, Post.Status.SCHEDULED):
        post_schedule(post=post, at=timezone.now() + dt.timedelta(days=rnd.randrange(1, 20)))
    elif path == "unschedule" and post.status == Post.Status.SCHEDULED:
        post_unschedule(post=post)
    elif path == "bulk time":
        Post.objects.filter(pk__in=_some(rnd)).update(scheduled_at=F("scheduled_at") + dt.timedelta(hours=5))
    elif path == "bulk status":
        status = rnd.choice(list(Post.Status.values))
        chosen = Post.objects.filter(pk__in=_some(rnd))
        (chosen.filter(scheduled_at__isnull=False) if status == Post.Status.SCHEDULED else chosen).update(status=status)
    elif path == "raw sql":
        field = Post._meta.get_field

        def prep(name: str, value):
            return field(name).get_db_prep_value(value, connection)

        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE posts SET status = 'published', published_at = %s, franchise_id = %s WHERE id = %s",
                [prep("published_at", _at(rnd)), prep("franchise", rnd.choice(franchises).pk), prep("id", post.pk)],
            )
    elif path == "delete":
        post_delete(post=post)
    elif path == "bulk delete":
        Post.objects.filter(pk__in=_some(rnd, 2)).delete()
    elif path == "zone":
        Franchise.objects.filter(pk=rnd.choice(franchises).pk).update(timezone=rnd.choice(ZONES))
    return path


@pytest.mark.parametrize("seed", range(3))
def test_random_changes_through_each_path_keep_the_counts_equal_to_a_recount(seed):
    rnd = random.Random(seed)
    franchises = [make_franchise(timezone=zone) for zone in ZONES]
    for _ in range(12):
        make_post(franchise=rnd.choice(franchises), status=Post.Status.SCHEDULED, scheduled_at=_at(rnd))
    assert post_hour_counts_kept() == post_hour_counts_recount()

    for _ in range(60):
        path = _step(rnd, franchises)
        assert post_hour_counts_kept() == post_hour_counts_recount(), f"after {path}"
    franchises[0].delete()  # with its posts
    assert post_hour_counts_kept() == post_hour_counts_recount()


def test_the_admin_and_the_publish_job_keep_the_counts_equal_to_a_recount(admin_client, sandbox, settings):
    settings.PUBLISH_CONCURRENCY = 1  # one transaction shared with the test
    franchise = franchise_connected_to_sandbox(sandbox)
    due = [
        make_post(
            franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=timezone.now() - dt.timedelta(hours=n)
        )
        for n in range(1, 4)
    ]
    gone = make_post(franchise=franchise, status=Post.Status.DRAFT, scheduled_at=timezone.now())

    counts = posts_publish_due(budget=TimeBudget(seconds=60))
    response = admin_client.post(
        reverse("admin:posts_post_changelist"),
        {"action": "delete_selected", "_selected_action": [gone.pk], "post": "yes"},
    )

    assert counts["published"] == len(due) and response.status_code == 302
    assert not Post.objects.filter(pk=gone.pk).exists()
    kept = post_hour_counts_kept()
    assert kept == post_hour_counts_recount()
    assert sum(n for (_zone, _hour, status), n in kept.items() if status == Post.Status.PUBLISHED) == len(due)
