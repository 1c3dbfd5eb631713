"""Benchmark of the AI draft queue: how fast generate-drafts queues, how fast the queue drains,
and what a week of drafts costs through Message Batches against one synchronous call each.

    .venv/bin/python bench/generation.py
    .venv/bin/python bench/generation.py --latency-ms 2000 --concurrency 1,4,16 --rows 200
    .venv/bin/python bench/generation.py --only cost --batch-error-rate 0.05
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gbp .venv/bin/python bench/generation.py

It starts the sandbox (standing in for Anthropic) on a free port, builds a throwaway database
(a SQLite file in a temp dir, or `bench_<name>` beside the database in DATABASE_URL, dropped at
the end), migrates it, and runs the real job functions against it:

1. generate-drafts for --franchises franchises x --posts-per-week slots: rows queued per second
   on a first run (all inserts) and a second run (all conflicts, i.e. the idempotent rerun).
2. process-generation-queue over --rows due rows at each --concurrency, synchronously, with the
   sandbox answering every Messages call after --latency-ms: drafts per minute, against the
   ceiling concurrency x 60 / latency.
3. Cost, side by side: the same --franchises x --posts-per-week rows (slots 2-8 days ahead)
   drained once with ANTHROPIC_USE_BATCHES off and once on (a share --batch-error-rate of batch
   requests ends `errored` and is retried synchronously). Anthropic requests (the sandbox's
   counters), tokens (the sandbox's usage), estimated cost from what the app recorded (the
   metrics page's figures, ANTHROPIC_PRICE_* settings), cost per draft and their ratio; and a
   check that every row was completed exactly once (one post each, no row in two batches).
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
    parser.add_argument(
        "--batch-error-rate", type=float, default=0.01, help="share of batch requests that end errored (default 0.01)"
    )
    parser.add_argument("--only", choices=["fill", "process", "cost"], action="append", help="run only these parts")
    return parser.parse_args()


def franchises_create(*, franchises: int, posts_per_week: int) -> None:
    from franchises.models import Franchise
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


def bench_fill() -> list[tuple]:
    from gbp_scheduler.jobs import TimeBudget
    from generation.services import generation_queue_fill

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
    settings.ANTHROPIC_USE_BATCHES = False  # this part measures the synchronous path's throughput
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


COST_MODES = (("synchronous", False), ("batches", True))
ANTHROPIC_KINDS = ("messages", "batches.create", "batches.get", "batches.list", "batches.results", "batches.cancel")


def bench_cost(*, sandbox_url: str, posts_per_week: int, error_rate: float) -> dict[str, dict]:
    """Drain the same week of rows through each path; what it took and what it cost."""
    import datetime as dt

    from django.conf import settings
    from django.db.models import Count, Sum
    from django.utils import timezone

    from franchises.models import Franchise
    from gbp_scheduler.jobs import TimeBudget
    from generation.models import GenerationBatch, GenerationQueue, GenerationUsage
    from generation.pricing import usage_cost
    from generation.services import generation_queue_process
    from posts.models import Post, PostEvent
    from sandbox.client import SandboxClient

    client = SandboxClient(sandbox_url, timeout=60)
    franchises = list(Franchise.objects.values_list("id", flat=True))
    results = {}
    for label, batches in COST_MODES:
        for model in (GenerationUsage, GenerationQueue, GenerationBatch, PostEvent, Post):
            model.objects.all().delete()
        client.reset(seed="empty")
        client.batch_config(delay_seconds=0, error_rate=error_rate if batches else 0.0, seed=7)
        now = timezone.now()
        GenerationQueue.objects.bulk_create(
            GenerationQueue(
                franchise_id=franchise_id,
                week_start=dt.date(2030, 1, 7),
                slot=slot,
                scheduled_for=now + dt.timedelta(days=2 + slot * 2, minutes=n % 600),
            )
            for n, franchise_id in enumerate(franchises)
            for slot in range(posts_per_week)
        )
        rows = len(franchises) * posts_per_week
        settings.ANTHROPIC_USE_BATCHES = batches
        settings.GENERATION_CONCURRENCY = 8
        started, runs = time.perf_counter(), 0
        while GenerationQueue.objects.exclude(status="completed").exists() and runs < 10:
            generation_queue_process(budget=TimeBudget(seconds=3600))
            runs += 1
        elapsed = time.perf_counter() - started

        counters = client.counters()
        usage = client.anthropic_usage()
        tokens = {
            field: sum(tier.get(field, 0) for tier in usage.values())
            for field in ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
        }
        cost = sum(
            usage_cost(
                input_tokens=u["input_tokens"],
                output_tokens=u["output_tokens"],
                cache_read_tokens=u["cache_read_tokens"],
                cache_write_tokens=u["cache_write_tokens"],
                batch=u["batch"],
            )
            for u in GenerationUsage.objects.values(
                "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "batch"
            )
        )
        sent = [custom_id for batch in client.batches() for custom_id in batch["custom_ids"]]
        completed = GenerationQueue.objects.filter(status="completed")
        once = (
            completed.count() == rows
            and Post.objects.filter(source="ai").count() == rows
            and completed.values("post_id").distinct().count() == rows
            and len(sent) == len(set(sent))
        )
        recorded = GenerationUsage.objects.aggregate(n=Count("id"), i=Sum("input_tokens"), o=Sum("output_tokens"))
        results[label] = {
            "rows": rows,
            "requests": sum(counters.get(kind, {}).get("total", 0) for kind in ANTHROPIC_KINDS),
            "messages": counters.get("messages", {}).get("total", 0),
            "batches": GenerationBatch.objects.count(),
            "answers": recorded["n"],
            "input": tokens["input_tokens"] + tokens["cache_read_input_tokens"] + tokens["cache_creation_input_tokens"],
            "output": tokens["output_tokens"],
            "cost": cost,
            "per_draft": cost / max(1, completed.count()),
            "completed": completed.count(),
            "from_batch": completed.filter(from_batch=True).count(),
            "once": once,
            # What the app recorded is what the sandbox reported.
            "tokens_agree": (recorded["i"], recorded["o"]) == (tokens["input_tokens"], tokens["output_tokens"]),
            "runs": runs,
            "seconds": elapsed,
        }
    return results


def print_cost(results: dict[str, dict], *, franchises: int, posts_per_week: int, error_rate: float) -> None:
    sync, batch = results["synchronous"], results["batches"]
    print(
        f"\ncost: {franchises} franchises x {posts_per_week} drafts = {sync['rows']} rows; "
        f"{error_rate:.0%} of batch requests end errored (retried synchronously)"
    )
    lines = [
        ("Anthropic HTTP requests", "requests", "{:,}"),
        ("  of which Messages calls", "messages", "{:,}"),
        ("  Message Batches", "batches", "{:,}"),
        ("answers (billed requests)", "answers", "{:,}"),
        ("input tokens", "input", "{:,}"),
        ("output tokens", "output", "{:,}"),
        ("estimated cost (USD)", "cost", "${:,.2f}"),
        ("cost per draft (USD)", "per_draft", "${:.5f}"),
        ("drafts from a batch answer", "from_batch", "{:,}"),
        ("rows completed", "completed", "{:,}"),
        ("every row exactly once", "once", "{}"),
        ("recorded tokens = sandbox's", "tokens_agree", "{}"),
        ("queue runs to finish", "runs", "{}"),
        ("seconds", "seconds", "{:.1f}"),
    ]
    print(f"{'':<30}{'synchronous':>14}{'batches':>14}")
    for title, key, fmt in lines:
        print(f"{title:<30}{fmt.format(sync[key]):>14}{fmt.format(batch[key]):>14}")
    ratio = batch["per_draft"] / sync["per_draft"] if sync["per_draft"] else float("nan")
    print(f"{'cost per draft, batches/sync':<30}{'':>14}{ratio:>14.3f}   (aim: at most 0.55)")
    if sync["input"] and batch["input"] < sync["input"]:
        print(
            f"(batch prompts are {1 - batch['input'] / sync['input']:.0%} shorter: a franchise's drafts of one "
            "week are written at once, so none lists the others as recent posts)"
        )
    summary_add("generation", f"cost per draft, batches / synchronous ({sync['rows']} drafts)", f"{ratio:.3f}")
    summary_add(
        "generation",
        f"Anthropic requests for {sync['rows']} drafts: synchronous / batches",
        f"{sync['requests']:,} / {batch['requests']:,}",
    )
    summary_add("generation", "every row completed exactly once (both paths)", str(sync["once"] and batch["once"]))


def main() -> None:
    args = parse_args()
    from sandbox.client import SandboxClient
    from sandbox.server import Sandbox

    sandbox = Sandbox(port=0, seed="empty").start()
    with tempfile.TemporaryDirectory(prefix="gbp-bench-") as tmp:
        django_configure(tmp, sandbox)
        from django.db import connection

        parts = set(args.only or ("fill", "process", "cost"))
        try:
            print(f"database: {connection.vendor} ({connection.settings_dict['NAME']}), sandbox: {sandbox.url}")
            franchises_create(franchises=args.franchises, posts_per_week=args.posts_per_week)
            if "fill" in parts:
                print(f"\ngenerate-drafts: {args.franchises} franchises x {args.posts_per_week} posts/week")
                print(f"{'run':<22}{'queued':>8}{'skipped':>9}{'seconds':>9}{'slots/s':>10}")
                for label, queued, skipped, elapsed, rate in bench_fill():
                    print(f"{label:<22}{queued:>8}{skipped:>9}{elapsed:>9.2f}{rate:>10.0f}")
                    summary_add(
                        "generation", f"generate-drafts {label}, {args.franchises} franchises: slots/s", f"{rate:.0f}"
                    )

            if "process" in parts:
                SandboxClient(sandbox.url).latency(args.latency_ms / 1000, route="messages")
                print(f"\nprocess-generation-queue: {args.rows} rows, synchronous, {args.latency_ms:.0f} ms per call")
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

            if "cost" in parts:
                results = bench_cost(
                    sandbox_url=sandbox.url, posts_per_week=args.posts_per_week, error_rate=args.batch_error_rate
                )
                print_cost(
                    results,
                    franchises=args.franchises,
                    posts_per_week=args.posts_per_week,
                    error_rate=args.batch_error_rate,
                )
        finally:
            connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
            sandbox.stop()


if __name__ == "__main__":
    main()
