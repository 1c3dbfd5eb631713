"""The published posts' running counts under concurrent writers (PostgreSQL): posts of one franchise
published, moved and unpublished at once by transactions that overlap still leave every day's
count what the posts give (the trigger's advisory lock has them take turns)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import transaction
from django.utils import timezone

from posts.models import Post
from posts.published_running import posts_published_by_day, posts_published_running_kept, posts_published_through
from testkit.factories import make_franchise, make_post
from testkit.threads import each_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_overlapping_writers_of_one_franchise_keep_its_counts_equal_to_the_posts():
    franchise = make_franchise()
    now = timezone.now()
    first = make_post(
        franchise=franchise, status=Post.Status.PUBLISHED, scheduled_at=now, published_at=now - dt.timedelta(days=10)
    )
    drafts = [make_post(franchise=franchise, status=Post.Status.DRAFT) for _ in range(3)]

    def change(post_id, **fields):
        def run():
            with transaction.atomic():
                Post.objects.filter(pk=post_id).update(**fields)
                time.sleep(0.3)  # hold the transaction open while the others start theirs

        return run

    outcome = each_together(
        {
            "before its first day": change(
                drafts[0].pk, status=Post.Status.PUBLISHED, published_at=now - dt.timedelta(days=14)
            ),
            "after its last day": change(drafts[1].pk, status=Post.Status.PUBLISHED, published_at=now),
            "between": change(drafts[2].pk, status=Post.Status.PUBLISHED, published_at=now - dt.timedelta(days=4)),
            "unpublished": change(first.pk, status=Post.Status.DRAFT),
        }
    )
    assert all(result is None for result in outcome.values()), outcome

    kept, dense = posts_published_running_kept()
    assert dense[franchise.pk]
    counted = posts_published_by_day()[franchise.pk]
    for days_ago in range(-2, 17):
        day = (now - dt.timedelta(days=days_ago)).astimezone(dt.UTC).date()
        expected = sum(n for at, n in counted.items() if at <= day)
        assert posts_published_through(kept, franchise.pk, day) == expected, days_ago
