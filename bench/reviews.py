"""Benchmark of sync-reviews: Google requests and seconds to read the reviews of 1,000 locations of
one Google account at Google's default quota, and what a second sync costs after a few changes.

    .venv/bin/python bench/reviews.py --locations 1000 --reviews-per-location 50 --latency-ms 300 --quota 300
    .venv/bin/python bench/reviews.py --locations 100 --reviews-per-location 20 --quota 3000

It starts the sandbox on a free port, builds a throwaway database (a SQLite file, or
`bench_<name>` beside DATABASE_URL's database), connects L locations of one Google account through
one connection (a group's headquarters), gives each R reviews at the sandbox, sets Google's quota
(the app's GOOGLE_REQUESTS_PER_MINUTE and the sandbox's limit for mybusiness.googleapis.com) and a
latency per request, then runs the real job (`reviews_sync_due`) with a --budget seconds time
budget until every location was read. It prints each run's locations, requests, seconds and rate,
the 429s Google answered (0 is the promise) and the requests per location; then, after customers
wrote a few new reviews and edited a few old ones, a second sync of every location, which must read
only what changed (a page per group of locations).
"""

from __future__ import annotations

import argparse
import tempfile
import time

from harness import database_drop, django_configure, sandbox_start, summary_add, table

REVIEWS_API = "mybusiness.googleapis.com"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--locations", type=int, default=1000, help="locations of one account (default 1000)")
    parser.add_argument("--reviews-per-location", type=int, default=50, help="reviews of each (default 50)")
    parser.add_argument("--quota", type=int, default=300, help="GOOGLE_REQUESTS_PER_MINUTE (default 300, Google's)")
    parser.add_argument("--budget", type=float, default=240, help="seconds of each run's budget (default 240)")
    parser.add_argument("--latency-ms", type=float, default=300, help="sandbox latency of a request (default 300)")
    parser.add_argument("--changes", type=int, default=20, help="new and edited reviews before the second sync")
    return parser.parse_args()


def runs_until_read(args) -> tuple[list[list], float, int]:
    """Runs of the job until no location is left: a row per run, the seconds, the requests."""
    from gbp_scheduler.jobs import TimeBudget
    from reviews.services.sync import reviews_sync_due

    rows, seconds, requests = [], 0.0, 0
    while len(rows) < 20:
        started = time.perf_counter()
        counts = reviews_sync_due(budget=TimeBudget(seconds=args.budget))
        elapsed = time.perf_counter() - started
        seconds += elapsed
        requests += counts["google_requests"]
        rows.append(
            [
                len(rows) + 1,
                counts["locations_synced"],
                counts["google_requests"],
                f"{elapsed:.1f}",
                f"{counts['google_requests'] / elapsed * 60:.0f}",
                counts["reviews_new"],
                counts["reviews_updated"],
                counts["left_for_next_run"],
            ]
        )
        if not counts["left_for_next_run"] or not counts["locations_synced"]:
            break
    return rows, seconds, requests


def main() -> None:
    args = parse_args()
    sandbox = sandbox_start()
    with tempfile.TemporaryDirectory() as tmp:
        django_configure(tmp, sandbox)
        from django.conf import settings
        from django.db import connection

        from reviews.models import Review, ReviewSync
        from testkit.google import franchises_on_one_account_in_sandbox

        try:
            franchises = franchises_on_one_account_in_sandbox(sandbox.client, count=args.locations)
            locations = [f.google_location_id for f in franchises]
            for start in range(0, len(locations), 100):
                sandbox.client.add_reviews(locations[start : start + 100], args.reviews_per_location)
            settings.GOOGLE_REQUESTS_PER_MINUTE = args.quota
            sandbox.client.set_quota(args.quota, REVIEWS_API)
            for route in ("reviews.batch", "reviews.list", "reviews.get", "reviews.reply"):
                sandbox.client.latency(args.latency_ms / 1000, route=route)

            first_rows, first_seconds, first_requests = runs_until_read(args)
            stored = Review.objects.count()
            # Customers write new reviews and change old ones; every location is due again.
            for n in range(args.changes):
                location = locations[(n * 37) % len(locations)]
                if n % 2:
                    sandbox.client.add_review(location, stars=1 + n % 5, comment=f"New review {n}")
                else:
                    old = Review.objects.filter(franchise__google_location_id=location).first()
                    sandbox.client.edit_review(old.google_name, stars=1 + n % 5, comment=f"Edited {n}")
            ReviewSync.objects.update(synced_at=None)
            second_rows, second_seconds, second_requests = runs_until_read(args)
            too_many = sum(sandbox.client.calls(route, 429) for route in ("reviews.batch", "reviews.list"))
        finally:
            database_drop()
            sandbox.stop()

    headers = ["run", "locations", "requests", "seconds", "requests/min", "new", "updated", "left"]
    setup = (
        f"{args.locations} locations x {args.reviews_per_location} reviews, quota {args.quota}/min, "
        f"{args.latency_ms:g} ms"
    )
    print(f"sync-reviews: {setup}, run budget {args.budget:g} s, {connection.vendor}")
    print("first sync:")
    print(table(headers, first_rows))
    print(f"second sync (after {args.changes} new or edited reviews):")
    print(table(headers, second_rows))
    per_first = first_requests / max(1, args.locations)
    per_second = second_requests / max(1, args.locations)
    print(
        f"first sync: {first_requests} requests ({per_first:.2f} per location) in {first_seconds:.0f} s, "
        f"{stored} reviews stored; second sync: {second_requests} requests ({per_second:.3f} per location) in "
        f"{second_seconds:.1f} s; 429 answers: {too_many}"
    )
    summary_add(
        "reviews",
        f"first sync: requests per location; seconds; 429s ({setup})",
        f"{per_first:.2f}; {first_seconds:.0f}; {too_many}",
    )
    summary_add(
        "reviews", f"second sync: requests per location; seconds ({setup})", f"{per_second:.3f}; {second_seconds:.1f}"
    )


if __name__ == "__main__":
    main()
