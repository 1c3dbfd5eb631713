"""Publishing metrics on hand-made data, checked against numbers worked out by hand."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User

from franchises.models import Franchise, Membership
from health import metrics
from health.metrics import publishing_metrics
from posts.models import Post
from testkit.factories import make_franchise, make_post

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def published(franchise, *, days_ago: float, delay: float) -> Post:
    at = NOW - timedelta(days=days_ago)
    return make_post(
        franchise=franchise, status=Post.Status.PUBLISHED, scheduled_at=at, published_at=at + timedelta(seconds=delay)
    )


def failed(franchise, *, days_ago: float, reason: str) -> Post:
    return make_post(
        franchise=franchise, status=Post.Status.FAILED, scheduled_at=NOW - timedelta(days=days_ago), last_error=reason
    )


@pytest.fixture
def data():
    """A: delays 10, 20, 30, 40, 100 s, three failures, one retrying; B: one post, 60 s;
    C: nothing; plus a post 10 days old (30-day window only) and drafts (never counted)."""
    a = make_franchise(name="A")
    b = make_franchise(name="B")
    c = make_franchise(name="C")
    for i, delay in enumerate([40, 10, 100, 30, 20]):  # not in order on purpose
        published(a, days_ago=1 + i / 10, delay=delay)
    failed(a, days_ago=2, reason="Google quota exhausted")
    failed(a, days_ago=3, reason="Google quota exhausted")
    failed(a, days_ago=4, reason="Location not found")
    make_post(franchise=a, status=Post.Status.SCHEDULED, scheduled_at=NOW - timedelta(hours=1))
    published(b, days_ago=0.5, delay=60)
    published(b, days_ago=10, delay=3600)  # outside the last 7 days
    make_post(franchise=a, status=Post.Status.DRAFT, scheduled_at=NOW - timedelta(days=1))
    make_post(franchise=c, status=Post.Status.SCHEDULED, scheduled_at=NOW + timedelta(days=1))  # future
    return a, b, c


def by_name(metrics: dict) -> dict:
    return {row["name"]: row for row in metrics["franchises"]}


def test_metrics_per_franchise_and_overall_match_hand_computed_values(data):
    with time_machine.travel(NOW, tick=False):
        metrics = publishing_metrics(franchises=Franchise.objects.all(), days=7)

    rows = by_name(metrics)
    assert rows["A"]["published"] == 5 and rows["A"]["failed"] == 3 and rows["A"]["pending"] == 1
    assert rows["A"]["successRate"] == 0.625
    # percentile_cont: position p * (n - 1) between sorted values 10 20 30 40 100.
    assert rows["A"]["timeToPublishSeconds"] == {"mean": 40.0, "median": 30.0, "p95": 88.0}
    assert rows["A"]["failuresByReason"] == [
        {"reason": "Google quota exhausted", "count": 2},
        {"reason": "Location not found", "count": 1},
    ]
    assert rows["B"]["timeToPublishSeconds"] == {"mean": 60.0, "median": 60.0, "p95": 60.0}
    assert rows["B"]["successRate"] == 1.0
    assert rows["C"] == {
        "id": str(data[2].id),
        "name": "C",
        "published": 0,
        "failed": 0,
        "pending": 0,
        "successRate": None,
        "timeToPublishSeconds": {"mean": None, "median": None, "p95": None},
        "failuresByReason": [],
        "takenOffGoogle": {"rejected": 0, "removed": 0},
    }

    overall = metrics["overall"]  # delays 10 20 30 40 60 100
    assert overall["published"] == 6 and overall["failed"] == 3 and overall["pending"] == 1
    assert overall["successRate"] == round(6 / 9, 4)
    assert overall["timeToPublishSeconds"] == {"mean": round(260 / 6, 6), "median": 35.0, "p95": 90.0}
    assert overall["failuresByReason"][0] == {"reason": "Google quota exhausted", "count": 2}
    assert metrics["days"] == 7 and metrics["until"] == "2026-03-10T12:00:00.000Z"


def test_posts_google_took_off_since_are_counted_in_the_status_vocabulary(data):
    a = data[0]
    Post.objects.filter(pk=published(a, days_ago=1, delay=5).pk).update(google_state="REJECTED")
    Post.objects.filter(pk=published(a, days_ago=1, delay=5).pk).update(google_state="REMOVED")
    with time_machine.travel(NOW, tick=False):
        every = publishing_metrics(franchises=Franchise.objects.all(), days=7)
        page = publishing_metrics(franchises=Franchise.objects.all(), days=7, listed=[data[1].pk])
    assert by_name(every)["A"]["takenOffGoogle"] == {"rejected": 1, "removed": 1}
    assert every["overall"]["takenOffGoogle"] == page["overall"]["takenOffGoogle"] == {"rejected": 1, "removed": 1}
    assert by_name(page)["B"]["takenOffGoogle"] == {"rejected": 0, "removed": 0}


def test_the_thirty_day_window_takes_older_posts_in(data):
    with time_machine.travel(NOW, tick=False):
        rows = by_name(publishing_metrics(franchises=Franchise.objects.all(), days=30))
    assert rows["B"]["published"] == 2
    assert rows["B"]["timeToPublishSeconds"] == {"mean": 1830.0, "median": 1830.0, "p95": 3423.0}


def test_sub_second_delays_and_even_counts_are_exact():
    franchise = make_franchise(name="D")
    for delay in [0.25, 0.5, 1.75, 2.0]:
        published(franchise, days_ago=1, delay=delay)
    with time_machine.travel(NOW, tick=False):
        row = publishing_metrics(franchises=Franchise.objects.all(), days=7)["franchises"][0]
    # median: between 0.5 and 1.75; p95: position 2.85 → 1.75 + 0.85 * 0.25
    assert row["timeToPublishSeconds"] == {"mean": 1.125, "median": 1.125, "p95": 1.9625}


def test_delays_across_second_boundaries_and_before_the_scheduled_time_are_exact():
    """The delay is worked out from the stored times (SQLite's text, whole seconds without a
    fraction): a microsecond past a second, a time on the second, and a post Google took early."""
    franchise = make_franchise(name="E")
    at = NOW - timedelta(days=1, microseconds=1)  # scheduled at …:59.999999, published on the second
    make_post(
        franchise=franchise, status=Post.Status.PUBLISHED, scheduled_at=at, published_at=at + timedelta(microseconds=2)
    )
    published(franchise, days_ago=2, delay=-1.5)
    published(franchise, days_ago=3, delay=86400.000001)
    with time_machine.travel(NOW, tick=False):
        row = publishing_metrics(franchises=Franchise.objects.all(), days=7)["franchises"][0]
    assert row["timeToPublishSeconds"] == {
        "mean": round((0.000002 - 1.5 + 86400.000001) / 3, 6),
        "median": 0.000002,
        "p95": round(0.000002 + 0.9 * (86400.000001 - 0.000002), 6),
    }


def test_only_the_given_franchises_are_counted(data):
    b = data[1]
    with time_machine.travel(NOW, tick=False):
        metrics = publishing_metrics(franchises=Franchise.objects.filter(pk=b.pk), days=7)
    assert [row["name"] for row in metrics["franchises"]] == ["B"]
    assert metrics["overall"]["published"] == 1 and metrics["overall"]["failed"] == 0


def test_the_number_of_queries_does_not_grow_with_franchises(data, django_assert_max_num_queries):
    for _ in range(20):
        published(make_franchise(), days_ago=1, delay=5)
    # Counts, percentiles (two), failure reasons (two), posts Google took off, the franchises.
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(7):
        publishing_metrics(franchises=Franchise.objects.all(), days=7)


def python_percentile(values: list[float], fraction: float) -> float:
    """percentile_cont by its definition: linear interpolation at position fraction * (n - 1)."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def test_uneven_groups_match_the_definition_computed_in_python():
    rng = random.Random(11)
    expected = {}
    for name in "PQRST":
        franchise = make_franchise(name=name)
        delays = [rng.randint(0, 5_000_000) / 1000 for _ in range(rng.randint(1, 17))]  # whole milliseconds
        for delay in delays:
            published(franchise, days_ago=rng.uniform(0, 6), delay=delay)
        expected[name] = delays
    with time_machine.travel(NOW, tick=False):
        rows = by_name(publishing_metrics(franchises=Franchise.objects.all(), days=7))
    for name, delays in expected.items():
        got = rows[name]["timeToPublishSeconds"]
        assert got["median"] == pytest.approx(python_percentile(delays, 0.5), abs=1e-6)
        assert got["p95"] == pytest.approx(python_percentile(delays, 0.95), abs=1e-6)
        assert got["mean"] == pytest.approx(sum(delays) / len(delays), abs=1e-6)


def test_one_post_or_none_gives_its_own_delay_or_nothing():
    franchise = make_franchise()
    posts = Post.objects.filter(status=Post.Status.PUBLISHED)
    assert metrics._percentiles(posts, posts) == ({}, {"median": None, "p95": None})
    published(franchise, days_ago=1, delay=12.5)
    per, overall = metrics._percentiles(posts, posts)
    assert metrics._seconds(overall["median"]) == metrics._seconds(overall["p95"]) == 12.5
    assert metrics._seconds(per[franchise.pk]["p95"]) == 12.5


@pytest.mark.postgres
def test_postgres_percentile_cont_and_the_python_interpolation_agree():
    """PostgreSQL computes the percentiles in SQL (percentile_cont); SQLite, for the demo and the
    tests, reads the delays and interpolates them in Python: on uneven data both give the same
    figures, group by group and overall, to the microsecond."""
    rng = random.Random(7)
    for name in "PQRS":
        franchise = make_franchise(name=name)
        for _ in range(rng.randint(1, 23)):
            published(franchise, days_ago=rng.uniform(0, 6), delay=rng.randint(0, 10_000_000) / 1000)
    with time_machine.travel(NOW, tick=False):
        posts = Post.objects.filter(status=Post.Status.PUBLISHED)
        page = posts.filter(franchise__name__in=["P", "R"])
        per_sql, overall_sql = metrics._percentiles(posts, page)
    delays = defaultdict(list)
    for franchise_id, delay in posts.annotate(delay=metrics._delay()).values_list("franchise_id", "delay"):
        delays[franchise_id].append(delay)
    in_python = {pk: metrics._interpolated(theirs) for pk, theirs in delays.items()}
    overall_python = metrics._interpolated([delay for theirs in delays.values() for delay in theirs])
    assert per_sql.keys() == set(page.values_list("franchise_id", flat=True))
    for figures, expected in [*((per_sql[pk], in_python[pk]) for pk in per_sql), (overall_sql, overall_python)]:
        for name in metrics.PERCENTILES:
            assert abs(figures[name] - expected[name]) <= timedelta(microseconds=1), (name, figures, expected)


def test_listing_some_franchises_gives_their_rows_and_the_same_overall_figures(data):
    a, _b, c = data
    with time_machine.travel(NOW, tick=False):
        whole = publishing_metrics(franchises=Franchise.objects.all(), days=30)
        page = publishing_metrics(franchises=Franchise.objects.all(), days=30, listed=[c.pk, a.pk])
    assert page["overall"] == whole["overall"]
    assert [row["name"] for row in page["franchises"]] == ["A", "C"]  # by name, whatever the order given
    assert page["franchises"] == [row for row in whole["franchises"] if row["name"] in {"A", "C"}]


def test_a_page_of_every_franchise_takes_its_overall_percentiles_from_the_buckets_within_a_second():
    """The page (a page of franchises listed) reads the overall median and 95th percentile off the
    delays counted by the hour and bucket: within a second of the exact figures (delays under an
    hour here, to the millisecond), the rest of the figures the same."""
    rng = random.Random(5)
    for name in "PQR":
        franchise = make_franchise(name=name)
        for _ in range(rng.randint(20, 40)):
            published(franchise, days_ago=rng.uniform(0, 6.9), delay=rng.randint(-5_000, 1_800_000) / 1000)
    with time_machine.travel(NOW, tick=False):
        exact = publishing_metrics(franchises=Franchise.objects.all(), days=7)["overall"]
        page = publishing_metrics(franchises=Franchise.objects.all(), days=7, listed=[])["overall"]
    for name in metrics.PERCENTILES:
        assert abs(page["timeToPublishSeconds"][name] - exact["timeToPublishSeconds"][name]) < 1, name
    times = ("timeToPublishSeconds",)
    assert {k: v for k, v in page.items() if k not in times} == {k: v for k, v in exact.items() if k not in times}
    assert page["timeToPublishSeconds"]["mean"] == exact["timeToPublishSeconds"]["mean"]


# --- /api/metrics -----------------------------------------------------------------------


def test_anonymous_callers_are_refused(client):
    assert client.get("/api/metrics").status_code == 401


def test_a_franchise_user_sees_only_their_franchises(client, data):
    a = data[0]
    user = User.objects.create_user("franchisee")
    Membership.objects.create(user=user, franchise=a)
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        body = client.get("/api/metrics?days=7").json()
    assert [row["name"] for row in body["franchises"]] == ["A"]
    assert body["overall"]["published"] == 5


def test_headquarters_and_the_bearer_secret_see_every_franchise(client, data):
    with time_machine.travel(NOW, tick=False):
        bearer = client.get("/api/metrics?days=30", HTTP_AUTHORIZATION="Bearer test-cron-secret").json()
        client.force_login(User.objects.create_superuser("operator", email=""))
        headquarters = client.get("/api/metrics?days=30").json()
    assert [row["name"] for row in bearer["franchises"]] == ["A", "B", "C"]
    assert headquarters == bearer
    assert "no-store" in client.get("/api/metrics")["Cache-Control"]


def test_django_staff_flag_gives_a_franchise_member_only_their_own_franchises(client, data):
    """is_staff opens Django's admin site; it is not headquarters. (It once showed every franchise.)"""
    user = User.objects.create_user("staff-of-a", is_staff=True)
    Membership.objects.create(user=user, franchise=data[0], role=Membership.Role.STAFF)
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        body = client.get("/api/metrics?days=30").json()
    assert [row["name"] for row in body["franchises"]] == ["A"]


@pytest.mark.parametrize("days", ["0", "366", "seven", "-1"])
def test_a_bad_window_is_refused(client, days):
    client.force_login(User.objects.create_user("operator"))
    assert client.get(f"/api/metrics?days={days}").status_code == 400
