"""Benchmark of sync-google-posts: locations synced per run within Google's quota and a run's
time budget, and the runs it takes to cover a large group.

    .venv/bin/python bench/google_sync.py                    # 300 locations, quota 300/min, 60 s runs
    .venv/bin/python bench/google_sync.py --budget 240        # one production-sized run
    .venv/bin/python bench/google_sync.py --locations 1000 --latency-ms 300

It starts the sandbox (standing in for Google) on a free port, builds a throwaway database (a
SQLite file, or `bench_<name>` beside DATABASE_URL's database), connects L locations through one
Google account and publishes P posts on each (quota lifted for the set-up), rejects one post in
ten at the sandbox, then sets Google's quota (the app's GOOGLE_REQUESTS_PER_MINUTE and the
sandbox's own limit) and runs the real job (`google_posts_sync`) with a --budget seconds time
budget, again and again, until every location was synced once. It prints each run's locations,
Google requests and request rate, the runs needed, the locations a production run (240 s) covers
at that rate, and the 429s Google answered (0 is the promise).
"""

from __future__ import annotations

import argparse
import tempfile
import time

from harness import QueryCounter, database_drop, django_configure, sandbox_start, summary_add, table

PRODUCTION_BUDGET = 240  # CRON_TIME_BUDGET_SECONDS' default


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--locations", type=int, default=300, help="connected locations (default 300)")
    parser.add_argument("--posts", type=int, default=2, help="published posts per location (default 2)")
    parser.add_argument("--quota", type=int, default=300, help="GOOGLE_REQUESTS_PER_MINUTE (default 300)")
    parser.add_argument("--budget", type=float, default=60, help="seconds of each run's budget (default 60)")
    parser.add_argument("--latency-ms", type=float, default=100, help="sandbox latency of a list (default 100)")
    return parser.parse_args()


def group_publish(sandbox, args) -> None:
    from django.conf import settings

    from gbp_scheduler.jobs import TimeBudget
    from posts.models import Post
    from posts.services import posts_publish_due
    from testkit.google import franchises_connected_to_sandbox_bulk, posts_due_bulk

    settings.GOOGLE_REQUESTS_PER_MINUTE = 600_000  # the set-up is not what is measured
    franchises = franchises_connected_to_sandbox_bulk(
        sandbox.client, count=args.locations, name="Location", shared=True
    )
    posts_due_bulk(franchises, count=args.locations * args.posts, summary="Bench post {n}: news of the week.")
    posts_publish_due(budget=TimeBudget(seconds=3600))
    names = list(Post.objects.filter(status=Post.Status.PUBLISHED).values_list("google_post_name", flat=True))
    assert len(names) == args.locations * args.posts, "the set-up did not publish every post"
    for name in names[::10]:
        sandbox.client.reject_post(name)


def main() -> None:
    args = parse_args()
    sandbox = sandbox_start()
    with tempfile.TemporaryDirectory() as tmp:
        django_configure(tmp, sandbox, env={"PUBLISH_CONCURRENCY": "4"})
        from django.conf import settings
        from django.db import connection

        from gbp_scheduler.jobs import TimeBudget
        from posts.models import Post
        from posts.services import google_posts_sync

        try:
            group_publish(sandbox, args)
            settings.GOOGLE_REQUESTS_PER_MINUTE = args.quota
            sandbox.client.set_quota(args.quota, "mybusiness.googleapis.com")
            sandbox.client.latency(args.latency_ms / 1000, route="posts.list")
            counter = QueryCounter()
            counter.install()

            synced: list[str] = []
            rows, seconds = [], 0.0
            while len(set(synced)) < args.locations and len(rows) < 100:
                started = time.perf_counter()
                counts = google_posts_sync(
                    budget=TimeBudget(seconds=args.budget), report=lambda line: synced.append(line.split(":")[0])
                )
                elapsed = time.perf_counter() - started
                seconds += elapsed
                rows.append(
                    [
                        len(rows) + 1,
                        counts["locations_synced"],
                        counts["google_requests"],
                        f"{elapsed:.1f}",
                        f"{counts['google_requests'] / elapsed * 60:.0f}",
                        counts["rejected"],
                        counts["left_for_next_run"],
                    ]
                )
            rejected = Post.objects.filter(google_state="REJECTED").count()
            too_many = sandbox.client.calls("posts.list", 429) + sandbox.client.calls("posts.get", 429)
            statements = counter.count
        finally:
            database_drop()
            sandbox.stop()

        full_runs = [row for row in rows if row[6] > 0]  # runs the budget ended
        per_run = max((row[1] for row in full_runs), default=rows[0][1])
        per_second = len(synced) / seconds
        production = min(args.locations, round(per_second * PRODUCTION_BUDGET))
        print(
            f"sync-google-posts: {args.locations} locations x {args.posts} posts, quota {args.quota}/min, "
            f"run budget {args.budget:g} s, list latency {args.latency_ms:g} ms, {connection.vendor}"
        )
        print(table(["run", "locations", "requests", "seconds", "requests/min", "rejected", "left"], rows))
        print(
            f"{len(rows)} runs covered {len(set(synced))}/{args.locations} locations; {per_run} locations in a "
            f"{args.budget:g} s run; {per_second:.2f} locations/s, so a {PRODUCTION_BUDGET} s run covers "
            f"~{round(per_second * PRODUCTION_BUDGET)} locations; rejections noticed {rejected}/"
            f"{args.locations * args.posts // 10 + (1 if (args.locations * args.posts) % 10 else 0)}; "
            f"429 answers {too_many}; {statements / max(1, len(synced)):.1f} SQL statements per location"
        )
        setup = f"quota {args.quota}/min, {args.budget:g} s runs, {args.locations} locations"
        summary_add("google sync", f"locations synced per run ({setup})", str(per_run))
        summary_add("google sync", f"runs to cover every location; 429s ({setup})", f"{len(rows)}; {too_many}")
        production_run = f"locations per {PRODUCTION_BUDGET} s run at quota {args.quota}/min"
        summary_add("google sync", production_run, str(production))


if __name__ == "__main__":
    main()
