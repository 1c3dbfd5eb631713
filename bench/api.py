"""Benchmark of the REST API's list and create at 1,000 franchises x 100,000 posts (issue 32).

    .venv/bin/python bench/api.py --franchises 100 --posts 10000 --requests 50
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gbp .venv/bin/python bench/api.py

Builds a throwaway database (as bench/dashboard.py: a SQLite file in a temp dir, or `bench_<name>`
beside DATABASE_URL's, dropped at the end) with --franchises franchises and --posts posts spread
over them in every state (on PostgreSQL vacuumed and analysed, as autovacuum would have), makes a
read-and-write API key for headquarters (every franchise) and for a franchise admin (one), then
calls each endpoint --requests times through Django's test client with the key: the first page
of posts, a page deep in the list (by its cursor), a filtered page, and creating a post (with an
Idempotency-Key, so its claim and answer are counted). Prints the median and 95th-percentile
latency and the SQL statements per request, lowest and highest: the same figure for both means a
request's queries do not grow with the data or the page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
import uuid

from harness import (
    QueryCounter,
    database_drop,
    database_settle,
    django_configure,
    percentile,
    sandbox_start,
    summary_add,
    table,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--franchises", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100, help="requests per endpoint (default 100)")
    return parser.parse_args()


def data_create(*, franchises: int, posts: int):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from api.keys import api_key_create
    from franchises.models import Franchise, Membership
    from posts.models import Post

    zones = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"]
    created = Franchise.objects.bulk_create(
        Franchise(name=f"Franchise {n:04}", city=f"City {n}", timezone=zones[n % 4]) for n in range(franchises)
    )
    now = timezone.now()
    statuses = ["published", "published", "scheduled", "draft", "failed"]
    batch = []
    for n in range(posts):
        status = statuses[(n + n // franchises) % len(statuses)]
        when = now + dt.timedelta(minutes=(n * 7) % 86_400 - 43_200)
        batch.append(
            Post(
                franchise=created[n % franchises],
                status=status,
                source="ai" if n % 3 == 0 else "manual",
                summary=f"Post {n}: seasonal news, offers and tips for our neighbours.",
                scheduled_at=None if status == "draft" and n % 2 else when,
                published_at=when + dt.timedelta(seconds=30) if status == "published" else None,
            )
        )
        if len(batch) == 5000:
            Post.objects.bulk_create(batch)
            batch = []
    Post.objects.bulk_create(batch)
    User = get_user_model()
    hq = User.objects.create_superuser("hq", "hq@example.com", None)
    admin = User.objects.create_user("franchise-admin", "fa@example.com", None)
    Membership.objects.create(user=admin, franchise=created[0], role=Membership.Role.ADMIN)
    keys = {
        who: api_key_create(user=user, name="bench", scope="write")[1]
        for who, user in (("headquarters", hq), ("franchise admin", admin))
    }
    return created[0], keys


def measure(call, requests: int) -> tuple[float, float, int, int]:
    counter = QueryCounter()
    counter.install()
    call(0)  # warm
    latencies, queries = [], []
    for n in range(1, requests + 1):
        before = counter.count
        started = time.perf_counter()
        response = call(n)
        latencies.append((time.perf_counter() - started) * 1000)
        queries.append(counter.count - before)
        assert response.status_code in (200, 201), response.content[:300]
    return statistics.median(latencies), percentile(latencies, 0.95), min(queries), max(queries)


def _endpoints(client, franchise, cursor: str) -> dict:
    """label -> call(n): the requests measured, with `client`'s key."""
    return {
        "list, first page of 50": lambda n: client.get("/api/v1/posts", {"limit": 50}),
        "list, ~2,000 posts in, by cursor": lambda n: client.get("/api/v1/posts", {"limit": 50, "cursor": cursor}),
        "list, one franchise's scheduled": lambda n: client.get(
            "/api/v1/posts", {"franchise_id": str(franchise.pk), "status": "scheduled", "limit": 50}
        ),
        "create (Idempotency-Key)": lambda n: client.post(
            "/api/v1/posts",
            {"franchise_id": str(franchise.pk), "summary": f"Bench post {n}."},
            content_type="application/json",
            headers={"Idempotency-Key": str(uuid.uuid4())},
        ),
    }


def main() -> None:
    args = parse_args()
    sandbox = sandbox_start()
    with tempfile.TemporaryDirectory() as tmp:
        django_configure(tmp, sandbox, env={"API_REQUESTS_PER_MINUTE": "100000000"})
        from django.db import connection
        from django.test import Client

        rows = []
        try:
            franchise, keys = data_create(franchises=args.franchises, posts=args.posts)
            database_settle()
            for who, secret in keys.items():
                client = Client(headers={"Authorization": f"Bearer {secret}"})
                # Twenty pages of 100 in (or as far as the key's posts go).
                cursor = client.get("/api/v1/posts", {"limit": 100}).json()["next_cursor"]
                for _ in range(19):
                    following = client.get("/api/v1/posts", {"limit": 100, "cursor": cursor}).json()["next_cursor"]
                    if following is None:
                        break
                    cursor = following
                endpoints = _endpoints(client, franchise, cursor)
                for label, call in endpoints.items():
                    median, p95, low, high = measure(call, args.requests)
                    queries = f"{low}" if low == high else f"{low}-{high}"
                    rows.append([who, label, f"{median:.1f}", f"{p95:.1f}", queries])
                    summary_add(
                        "api", f"{label} as {who}: median / p95 ms, queries", f"{median:.0f} / {p95:.0f}, {queries}"
                    )
        finally:
            database_drop()
            sandbox.stop()
        print(f"REST API: {args.franchises} franchises x {args.posts} posts, {connection.vendor}")
        print(table(["key of", "endpoint", "median ms", "p95 ms", "queries"], rows))


if __name__ == "__main__":
    main()
