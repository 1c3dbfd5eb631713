"""The posts counted by zone, hour and status (PostHourCount) stay what a recount from the posts
gives, whatever path changes the posts: the services, bulk updates, raw SQL, deletes, the Django
admin, a franchise's change of zone, and the publish job."""

from __future__ import annotations

import random

import pytest

from posts.hour_counts import post_hour_counts_kept, post_hour_counts_recount
from posts.models import Post
from testkit.factories import make_franchise, make_post
from testkit.post_changes import post_change_at_random, post_time_at_random, publish_due_and_delete_in_admin

pytestmark = pytest.mark.django_db

ZONES = ["America/New_York", "America/Chicago", "Asia/Kolkata", "UTC"]


@pytest.mark.parametrize("seed", range(3))
def test_random_changes_through_each_path_keep_the_counts_equal_to_a_recount(seed):
    rnd = random.Random(seed)
    franchises = [make_franchise(timezone=zone) for zone in ZONES]
    for _ in range(12):
        make_post(franchise=rnd.choice(franchises), status=Post.Status.SCHEDULED, scheduled_at=post_time_at_random(rnd))
    assert post_hour_counts_kept() == post_hour_counts_recount()

    for _ in range(60):
        path = post_change_at_random(rnd, franchises, zones=ZONES)
        assert post_hour_counts_kept() == post_hour_counts_recount(), f"after {path}"
    franchises[0].delete()  # with its posts
    assert post_hour_counts_kept() == post_hour_counts_recount()


def test_the_admin_and_the_publish_job_keep_the_counts_equal_to_a_recount(admin_client, sandbox, settings):
    settings.PUBLISH_CONCURRENCY = 1  # one transaction shared with the test
    counts, response, due, gone = publish_due_and_delete_in_admin(admin_client, sandbox)

    assert counts["published"] == len(due) and response.status_code == 302
    assert not Post.objects.filter(pk=gone.pk).exists()
    kept = post_hour_counts_kept()
    assert kept == post_hour_counts_recount()
    assert sum(n for (_zone, _hour, status), n in kept.items() if status == Post.Status.PUBLISHED) == len(due)
