"""Benchmark of publish-scheduled: throughput, database queries and Google creates per post.

    .venv/bin/python bench/publish.py                       # N=1000 over F=50, L=200 ms, C=4, quota 300/min
    .venv/bin/python bench/publish.py --posts 1000 --latency-ms 200 --concurrency 1,4,8 --quota 1200
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gbp .venv/bin/python bench/publish.py

It starts the sandbox (standing in for Google) on a free port with every create answered after
--latency-ms, builds a throwaway database (a SQLite file in a temp dir, or `bench_<name>` beside
the database in DATABASE_URL, dropped at the end), creates N due posts over F connected
franchises and runs the real job (`posts_publish_due`) once per concurrency. It prints posts per
second, SQL statements per post, creates per post (exactly 1.00 is the promise) and the ratio to
the ideal min(quota, C / L) posts per second.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from harness import QueryCounter, database_drop, django_configure, sandbox_start, summary_add, table


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=1000, help="due posts (default 1000)")
    parser.add_argument("--franchises", type=int, default=50, help="franchises they belong to (default 50)")
    parser.add_argument("--latency-ms", type=float, default=200, help="sandbox latency of a create (default 200)")
    parser.add_argument("--concurrency", default="4", help="PUBLISH_CONCURRENCY values, comma-separated (default 4)")
    parser.add_argument("--quota", type=int, default=300, help="GOOGLE_REQUESTS_PER_MINUTE (default 300)")
    return parser.parse_args()


def due_posts_create(sandbox, *, posts: int, franchises: int) -> None:
    from franchises.models import Franchise
    from posts.models import Post
    from testkit.google import franchises_connected_to_sandbox_bulk, posts_due_bulk

    Post.objects.all().delete()
    Franchise.objects.all().delete()
    # A group on one Google account, as franchise groups connect: one grant for all of them.
    created = franchises_connected_to_sandbox_bulk(
        sandbox.client, count=franchises, name="Bench Franchise", shared=True
    )
    posts_due_bulk(created, count=posts, summary="Benchmark post {n}: something worth knowing this week.")


def run_once(sandbox, args, concurrency: int) -> list:
    from django.conf import settings

    from gbp_scheduler.jobs import TimeBudget
    from posts.models import Post
    from posts.services import posts_publish_due

    settings.PUBLISH_CONCURRENCY = concurrency
    settings.GOOGLE_REQUESTS_PER_MINUTE = args.quota
    sandbox.client.reset(seed="empty")
    sandbox.client.latency(args.latency_ms / 1000, route="posts.create")
    due_posts_create(sandbox, posts=args.posts, franchises=args.franchises)

    counter = QueryCounter()
    counter.install()
    started = time.perf_counter()
    counts = posts_publish_due(budget=TimeBudget(seconds=3600))
    elapsed = time.perf_counter() - started

    published = Post.objects.filter(status=Post.Status.PUBLISHED).count()
    creates = sandbox.client.calls("posts.create")
    rate = published / elapsed
    ideal = min(args.quota / 60, concurrency / (args.latency_ms / 1000))
    setup = f"N={args.posts}, L={args.latency_ms:g} ms, C={concurrency}, quota {args.quota}/min"
    summary_add("publish", f"posts/s ({setup}); ratio to ideal", f"{rate:.2f}; {rate / ideal:.2f}")
    summary_add(
        "publish",
        f"queries/post; creates/post ({setup})",
        f"{counter.count / max(1, published):.2f}; {creates / max(1, published):.2f}",
    )
    return [
        concurrency,
        f"{published}/{args.posts}",
        f"{elapsed:.1f}",
        f"{rate:.2f}",
        f"{ideal:.2f}",
        f"{rate / ideal:.2f}",
        f"{counter.count / max(1, published):.2f}",
        f"{creates / max(1, published):.2f}",
        counts["failed"] + counts["deferred"],
    ]


def main() -> None:
    args = parse_args()
    sandbox = sandbox_start()
    with tempfile.TemporaryDirectory() as tmp:
        django_configure(tmp, sandbox)
        from django.db import connection

        try:
            rows = [run_once(sandbox, args, int(c)) for c in args.concurrency.split(",")]
        finally:
            database_drop()
            sandbox.stop()
        print(
            f"publish-scheduled: {args.posts} due posts over {args.franchises} franchises, "
            f"create latency {args.latency_ms:g} ms, quota {args.quota}/min, {connection.vendor}"
        )
        print(
            table(
                [
                    "C",
                    "published",
                    "seconds",
                    "posts/s",
                    "ideal/s",
                    "ratio",
                    "queries/post",
                    "creates/post",
                    "not published",
                ],
                rows,
            )
        )


if __name__ == "__main__":
    main()
