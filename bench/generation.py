"""Benchmark of the AI draft queue: how fast generate-drafts queues, how fast the queue drains.

    .venv/bin/python bench/generation.py
    .venv/bin/python bench/generation.py --latency-ms 2000 --concurrency 1,4,16 --rows 200
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gbp .venv/bin/python bench/generation.py

It starts the sandbox (standing in for Anthropic) on a free port, builds a throwaway database
(a SQLite file in a temp dir, or `bench_<name>` beside the database in DATABASE_URL, dropped at
the end), migrates it, and runs the real job functions against it:

1. generate-drafts for --franchises franchises x --posts-per-week slots: rows queued per second
   on a first run (all inserts) and a second run (all conflicts, i.e. the idempotent rerun).
2. process-generation-queue over --rows due rows at each --concurrency, with the sandbox
   answering every Messages call after --latency-ms: drafts per minute, against the ceiling
   concurrency x 60 / latency.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from harness import django_configure, summary_add


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--franchises", type=int, default=1000, help="franchises to queue for (default 1000)")
    parser.add_argument("--posts-per-week", type=int, default=3, help="slots per franchise (default 3)")
    parser.add_argument("--rows", type=int, default=100, help="queue rows to process per concurrency (default 100)")
    parser.add_argument("--latency-ms", type=float, default=1000, help="sandbox Messages latency (default 1000)")
    parser.add_argument(
        "--concurrency", default="2,4,8", help="GENERATION_CONCURRENCY values, comma-separated (default 2,4,8)"
    )
    return parser.parse_args()


def bench_fill(*, franchises: int, posts_per_week: int) -> list[tuple]:
    from franchises.models import Franchise
    from gbp_scheduler.jobs import TimeBudget
    from generation.services import generation_queue_fill
    from testkit.factories import make_franchise

    make_franchise(name="warm-up")  # imports and first connection out of the timing
    Franchise.objects.all().delete()
    Franchise.objects.bulk_create(
        Franchise(
            name=f"Bench Franchise {n}",
            timezone=("America/New_York", "Europe/Berlin", "Australia/Sydney", "UTC")[n % 4],
            google_refresh_token="bench-refresh-token",
            posts_per_week=posts_per_week,
        )
        for n in range(franchises)
    )
    results = []
    for label in ("first run (inserts)", "second run (no-op)"):
        started = time.perf_counter()
        counts = generation_queue_fill(budget=TimeBudget(seconds=3600))
        elapsed = time.perf_counter() - started
        slots = counts["queued"] + counts["skipped"]
        results.append((label, counts["queued"], counts["skipped"], elapsed, slots / elapsed))
    return results


def bench_process(*, rows: int, concurrency: int, latency_ms: float) -> tuple:
    import datetime as dt

    from django.conf import settings
    from django.utils import timezone

    from franchises.models import Franchise
    from gbp_scheduler.jobs import TimeBudget
    from generation.models import GenerationQueue
    from generation.services import generation_queue_process
    from posts.models import Post

    GenerationQueue.objects.all().delete()
    Post.objects.all().delete()
    franchises = list(Franchise.objects.order_by("id")[: max(1, rows // 7 + 1)])
    now = timezone.now()
    GenerationQueue.objects.bulk_create(
        GenerationQueue(
            franchise=franchises[n % len(franchises)],
            week_start=dt.date(2030, 1, 7),
            slot=n // len(franchises),
            scheduled_for=now + dt.timedelta(days=3, minutes=n),
        )
        for n in range(rows)
    )
    settings.GENERATION_CONCURRENCY = concurrency
    started = time.perf_counter()
    counts = generation_queue_process(budget=TimeBudget(seconds=3600))
    elapsed = time.perf_counter() - started
    ceiling = concurrency * 60_000 / latency_ms if latency_ms else float("inf")
    return (
        concurrency,
        counts["completed"],
        counts["failed"] + counts["deferred"],
        elapsed,
        counts["completed"] / elapsed * 60,
        ceiling,
    )


def main() -> None:
    args = parse_args()
    from sandbox.client import SandboxClient
    from sandbox.server import Sandbox

    sandbox = Sandbox(port=0, seed="empty").start()
    with tempfile.TemporaryDirectory(prefix="gbp-bench-") as tmp:
        django_configure(tmp, sandbox)
        from django.db import connection

        try:
            print(f"database: {connection.vendor} ({connection.settings_dict['NAME']}), sandbox: {sandbox.url}")
            print(f"\ngenerate-drafts: {args.franchises} franchises x {args.posts_per_week} posts/week")
            print(f"{'run':<22}{'queued':>8}{'skipped':>9}{'seconds':>9}{'slots/s':>10}")
            for label, queued, skipped, elapsed, rate in bench_fill(
                franchises=args.franchises, posts_per_week=args.posts_per_week
            ):
                print(f"{label:<22}{queued:>8}{skipped:>9}{elapsed:>9.2f}{rate:>10.0f}")
                summary_add(
                    "generation", f"generate-drafts {label}, {args.franchises} franchises: slots/s", f"{rate:.0f}"
                )

            SandboxClient(sandbox.url).latency(args.latency_ms / 1000, route="messages")
            print(f"\nprocess-generation-queue: {args.rows} rows, sandbox latency {args.latency_ms:.0f} ms per call")
            print(f"{'concurrency':<12}{'completed':>10}{'other':>7}{'seconds':>9}{'drafts/min':>12}{'ceiling':>9}")
            for c in (int(v) for v in args.concurrency.split(",")):
                concurrency, done, other, elapsed, rate, ceiling = bench_process(
                    rows=args.rows, concurrency=c, latency_ms=args.latency_ms
                )
                print(f"{concurrency:<12}{done:>10}{other:>7}{elapsed:>9.2f}{rate:>12.0f}{ceiling:>9.0f}")
                summary_add(
                    "generation",
                    f"drafts/min at C={concurrency}, L={args.latency_ms:.0f} ms (ceiling {ceiling:.0f})",
                    f"{rate:.0f}",
                )
        finally:
            connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
            sandbox.stop()


if __name__ == "__main__":
    main()
