"""Random changes of posts through every path that writes them, for the tests of what the
database's triggers keep (posts counted by the hour)."""

from __future__ import annotations

import datetime as dt
import random

from django.db import connection
from django.db.models import F
from django.utils import timezone

from franchises.models import Franchise
from posts.models import Post
from posts.services import post_create, post_delete, post_schedule, post_unschedule


def _some_post_ids(rnd: random.Random, count: int = 3) -> list:
    ids = list(Post.objects.order_by("pk").values_list("pk", flat=True))
    return rnd.sample(ids, min(count, len(ids)))


def post_time_at_random(rnd: random.Random) -> dt.datetime:
    """A time from three days ago to twenty days ahead."""
    return timezone.now() + dt.timedelta(minutes=rnd.randrange(-3 * 24 * 60, 20 * 24 * 60))


def post_change_at_random(rnd: random.Random, franchises: list[Franchise], *, zones: list[str]) -> str:
    """One random change of posts through one path (a service, a bulk update, raw SQL, a delete, a
    franchise's new zone among `zones`); the path's name."""
    path = rnd.choice(
        ["create", "schedule", "unschedule", "bulk time", "bulk status", "raw sql", "delete", "bulk delete", "zone"]
    )
    post = Post.objects.filter(pk__in=_some_post_ids(rnd, 1)).select_related("franchise").first()
    if path == "create" or post is None:
        status = rnd.choice([Post.Status.DRAFT, Post.Status.SCHEDULED])
        at = post_time_at_random(rnd) if status == Post.Status.SCHEDULED or rnd.random() < 0.5 else None
        post_create(franchise=rnd.choice(franchises), status=status, scheduled_at=at, summary="Fresh bread today.")
    elif path == "schedule" and post.status in (Post.Status.DRAFT, Post.Status.SCHEDULED):
        post_schedule(post=post, at=timezone.now() + dt.timedelta(days=rnd.randrange(1, 20)))
    elif path == "unschedule" and post.status == Post.Status.SCHEDULED:
        post_unschedule(post=post)
    elif path == "bulk time":
        Post.objects.filter(pk__in=_some_post_ids(rnd)).update(scheduled_at=F("scheduled_at") + dt.timedelta(hours=5))
    elif path == "bulk status":
        status = rnd.choice(list(Post.Status.values))
        chosen = Post.objects.filter(pk__in=_some_post_ids(rnd))
        (chosen.filter(scheduled_at__isnull=False) if status == Post.Status.SCHEDULED else chosen).update(status=status)
    elif path == "raw sql":
        field = Post._meta.get_field

        def prep(name: str, value):
            return field(name).get_db_prep_value(value, connection)

        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE posts SET status = 'published', published_at = %s, franchise_id = %s WHERE id = %s",
                [
                    prep("published_at", post_time_at_random(rnd)),
                    prep("franchise", rnd.choice(franchises).pk),
                    prep("id", post.pk),
                ],
            )
    elif path == "delete":
        post_delete(post=post)
    elif path == "bulk delete":
        Post.objects.filter(pk__in=_some_post_ids(rnd, 2)).delete()
    elif path == "zone":
        Franchise.objects.filter(pk=rnd.choice(franchises).pk).update(timezone=rnd.choice(zones))
    return path


def publish_due_and_delete_in_admin(admin_client, sandbox) -> tuple[dict, object, list[Post], Post]:
    """Three posts due in the last hours published by the publish job, then a draft deleted through
    the Django admin: (the job's counts, the admin's response, the due posts, the deleted draft).
    The caller sets PUBLISH_CONCURRENCY = 1 (one transaction shared with the test)."""
    from django.urls import reverse

    from gbp_scheduler.jobs import TimeBudget
    from posts.services import posts_publish_due
    from testkit.factories import make_post
    from testkit.google import franchise_connected_to_sandbox

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
    return counts, response, due, gone
