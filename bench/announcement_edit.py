"""Benchmark: headquarters' "edit all" and "cancel all" of one announcement, in one request.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gbp .venv/bin/python bench/announcement_edit.py \\
        --posts 20,200,1000

For each size N: N franchises, one announcement to all of them (scheduled, never sent to Google),
then "edit all" (a new text, button and link) and "cancel all", each through the service the
announcement page calls. Prints the SQL statements and milliseconds of each: what a serverless
function's time limit has to hold. No Google call is made (posts never sent to Google are edited
and deleted in the database alone).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from types import SimpleNamespace

from harness import QueryCounter, database_drop, django_configure, summary_add, table


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", default="20,200,1000", help="announcement sizes, comma-separated")
    parser.add_argument("--db-prefix", default="bench_", help="prefix of the database created beside DATABASE_URL's")
    return parser.parse_args()


def measured(call, counter: QueryCounter) -> tuple[int, float, object]:
    """The statements `call` sent, its milliseconds, and its answer."""
    before = counter.count
    started = time.perf_counter()
    answer = call()
    elapsed = (time.perf_counter() - started) * 1000
    return counter.count - before, elapsed, answer


def main() -> None:
    args = parse_args()
    sizes = [int(size) for size in args.posts.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        # Nothing here calls Google: no sandbox is started.
        django_configure(tmp, SimpleNamespace(url="http://127.0.0.1:9"), db_prefix=args.db_prefix)
        from django.contrib.auth import get_user_model
        from django.db import connection

        from franchises.models import Franchise
        from posts.services import announcement_cancel_all, announcement_edit_all, announcement_schedule

        rows = []
        counter = QueryCounter()
        counter.install()
        try:
            headquarters = get_user_model().objects.create_superuser("bench-hq", "", None)
            for size in sizes:
                franchises = Franchise.objects.bulk_create(
                    Franchise(name=f"Bench {size} franchise {n:04d}", city=f"Town {n}", timezone="America/New_York")
                    for n in range(size)
                )
                posts = announcement_schedule(
                    franchises=franchises,
                    template="{name}: our spring schedule is open.",
                    date=dt.date(2030, 4, 1),
                    local_time=dt.time(9, 0),
                    user=headquarters,
                )
                announcement = posts[0].announcement
                edit_queries, edit_ms, outcome = measured(
                    lambda announcement=announcement: announcement_edit_all(
                        announcement=announcement,
                        user=headquarters,
                        template="{name} in {city}: open late all spring. Book your visit today!",
                        cta_action_type="BOOK",
                        cta_url="https://example.com/book",
                    ),
                    counter,
                )
                cancel_queries, cancel_ms, counts = measured(
                    lambda announcement=announcement: announcement_cancel_all(
                        announcement=announcement, user=headquarters
                    ),
                    counter,
                )
                assert len(outcome["edited"]) == size and counts["deleted"] == size, (outcome, counts)
                rows.append([size, edit_queries, f"{edit_ms:.0f}", cancel_queries, f"{cancel_ms:.0f}"])
                print(table(["posts", "edit all: queries", "ms", "cancel all: queries", "ms"], rows[-1:]), flush=True)
        finally:
            database_drop()
    print(f"\nedit all and cancel all of one announcement, {connection.vendor}")
    print(table(["posts", "edit all: queries", "ms", "cancel all: queries", "ms"], rows))
    for size, edit_queries, edit_ms, cancel_queries, cancel_ms in rows:
        summary_add("announcement edit", f"edit all: queries; ms (N={size})", f"{edit_queries}; {edit_ms}")
        summary_add("announcement edit", f"cancel all: queries; ms (N={size})", f"{cancel_queries}; {cancel_ms}")


if __name__ == "__main__":
    main()
