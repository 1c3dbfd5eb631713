"""Benchmark of fetch-insights: Google requests and seconds to read 1,000 locations' daily figures
at Google's default quota, and what a day's second reading costs; then a month's reading of their
search keywords (fetch-search-keywords) and an hourly check of their posting rights
(check-posting-rights), and what all three cost in requests per location per month.

    .venv/bin/python bench/insights.py                           # 1,000 locations, 300/min, 240 s runs
    .venv/bin/python bench/insights.py --locations 100 --quota 3000 --budget 20

It starts the sandbox (standing in for Google's Performance API) on a free port, builds a
throwaway database (a SQLite file, or `bench_<name>` beside DATABASE_URL's database), connects L
locations through one Google account, sets Google's quota (the app's GOOGLE_REQUESTS_PER_MINUTE
and the sandbox's limit for businessprofileperformance.googleapis.com) and a latency per request,
then runs the real job (`insights_fetch_due`) with a --budget seconds time budget until every
location was read once (the first reading: 90 days each). It prints each run's locations,
requests, seconds, request rate and figures stored, the 429s Google answered (0 is the promise),
and then a second day's run (the last week read again) for comparison. Then the month's search
keywords (the month before already read, as any month after the first) and one posting-rights
check (each location here in a Google account of its own: the most it can cost; a group's
locations in one account take a request per 100), each until done. The requests per location per
month are what was measured: a day's figures x 30, a month's keywords, a day's check x 30 (plus
the hourly checks before each post, at most two a post).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time

from harness import QueryCounter, database_drop, django_configure, sandbox_start, summary_add, table

PERFORMANCE = "businessprofileperformance.googleapis.com"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--locations", type=int, default=1000, help="connected locations (default 1000)")
    parser.add_argument("--quota", type=int, default=300, help="GOOGLE_REQUESTS_PER_MINUTE (default 300, Google's)")
    parser.add_argument("--budget", type=float, default=240, help="seconds of each run's budget (default 240)")
    parser.add_argument("--latency-ms", type=float, default=300, help="sandbox latency of a request (default 300)")
    return parser.parse_args()


def runs_until_covered(args) -> tuple[list[list], float]:
    """Runs of the job until every location was read once: a row per run, and the seconds."""
    from gbp_scheduler.jobs import TimeBudget
    from insights.services import insights_fetch_due

    fetched: list[str] = []
    rows, seconds = [], 0.0
    while len(set(fetched)) < args.locations and len(rows) < 50:
        started = time.perf_counter()
        counts = insights_fetch_due(
            budget=TimeBudget(seconds=args.budget), report=lambda line: fetched.append(line.split(":")[0])
        )
        elapsed = time.perf_counter() - started
        seconds += elapsed
        rows.append(
            [
                len(rows) + 1,
                counts["locations_fetched"],
                counts["google_requests"],
                f"{elapsed:.1f}",
                f"{counts['google_requests'] / elapsed * 60:.0f}",
                counts["figures_stored"],
                counts["left_for_next_run"],
            ]
        )
        if not counts["locations_fetched"]:
            break
    return rows, seconds


def keywords_month(args, sandbox) -> tuple[int, int, float]:
    """fetch-search-keywords' runs for one month, each location having read the month before (as
    every month after its first): runs, requests, seconds."""
    from django.utils import timezone

    from gbp_scheduler.jobs import TimeBudget
    from insights.keywords import last_month, month_before, search_keywords_fetch_due
    from insights.models import SearchKeywordsFetch
    from insights.services import locations_with_figures

    before = month_before(last_month(timezone.now().date()))
    SearchKeywordsFetch.objects.bulk_create(
        [
            SearchKeywordsFetch(franchise_id=pk, fetched_through=before)
            for pk in locations_with_figures().values_list("pk", flat=True)
        ]
    )
    sandbox.client.latency(args.latency_ms / 1000, route="performance.keywords")
    runs, requests, started = 0, 0, time.perf_counter()
    while runs < 20:
        counts = search_keywords_fetch_due(budget=TimeBudget(seconds=args.budget))
        runs, requests = runs + 1, requests + counts["google_requests"]
        if not counts["left_for_next_run"]:
            break
    return runs, requests, time.perf_counter() - started


def rights_check() -> tuple[int, float]:
    """One check-posting-rights run: requests, seconds."""
    from franchises.google.rights import posting_rights_check
    from gbp_scheduler.jobs import TimeBudget

    started = time.perf_counter()
    counts = posting_rights_check(budget=TimeBudget(seconds=600))
    return counts["google_requests"], time.perf_counter() - started


def main() -> None:
    args = parse_args()
    sandbox = sandbox_start()
    with tempfile.TemporaryDirectory() as tmp:
        django_configure(tmp, sandbox)
        from django.conf import settings
        from django.db import connection

        from insights.models import DailyMetric, InsightsFetch
        from testkit.google import franchises_connected_to_sandbox_bulk

        try:
            settings.GOOGLE_REQUESTS_PER_MINUTE = 600_000  # the set-up is not what is measured
            franchises_connected_to_sandbox_bulk(sandbox.client, count=args.locations, name="Location", shared=True)
            settings.GOOGLE_REQUESTS_PER_MINUTE = args.quota
            sandbox.client.set_quota(args.quota, PERFORMANCE)
            sandbox.client.latency(args.latency_ms / 1000, route="performance.fetch")
            counter = QueryCounter()
            counter.install()

            first_rows, first_seconds = runs_until_covered(args)
            first_statements = counter.count
            figures = DailyMetric.objects.count()
            # The next day: every location is due again and reads only its last week.
            InsightsFetch.objects.update(fetched_at=None)
            for row in InsightsFetch.objects.all():
                InsightsFetch.objects.filter(pk=row.pk).update(
                    fetched_through=row.fetched_through - dt.timedelta(days=1)
                )
            second_rows, second_seconds = runs_until_covered(args)
            too_many = sandbox.client.calls("performance.fetch", 429)
            requests = sandbox.client.calls("performance.fetch")
            statements = counter.count
            keyword_runs, keyword_requests, keyword_seconds = keywords_month(args, sandbox)
            rights_requests, rights_seconds = rights_check()
            too_many += sandbox.client.calls("performance.keywords", 429)
        finally:
            database_drop()
            sandbox.stop()

        headers = ["run", "locations", "requests", "seconds", "requests/min", "figures stored", "left"]
        print(
            f"fetch-insights: {args.locations} locations, quota {args.quota}/min, run budget {args.budget:g} s, "
            f"request latency {args.latency_ms:g} ms, {connection.vendor}"
        )
        print("first reading (90 days each):")
        print(table(headers, first_rows))
        print("the next day (the last week each):")
        print(table(headers, second_rows))
        first_requests = sum(row[2] for row in first_rows)
        print(
            f"first reading: {first_requests} requests in {first_seconds:.0f} s over {len(first_rows)} run(s), "
            f"{figures} figures stored, {first_statements / max(1, args.locations):.1f} SQL statements per "
            f"location; next day: {sum(row[2] for row in second_rows)} requests in {second_seconds:.0f} s; "
            f"{requests} requests in all, 429 answers {too_many}; "
            f"{(statements - first_statements) / max(1, args.locations):.1f} SQL statements per location next day"
        )
        setup = f"{args.locations} locations, quota {args.quota}/min, {args.latency_ms:g} ms"
        summary_add(
            "insights",
            f"first reading: requests; seconds; runs ({setup})",
            f"{first_requests}; {first_seconds:.0f}; {len(first_rows)}",
        )
        summary_add("insights", f"next day: seconds; 429s ({setup})", f"{second_seconds:.0f}; {too_many}")
        daily = sum(row[2] for row in second_rows) / args.locations
        monthly = [
            ("daily figures (fetch-insights, a request a day)", daily * 30),
            ("search keywords (fetch-search-keywords, a month)", keyword_requests / args.locations),
            ("posting rights (check-posting-rights, daily)", rights_requests / args.locations * 30),
        ]
        print(
            f"search keywords, a month: {keyword_requests} requests in {keyword_seconds:.0f} s over {keyword_runs} "
            f"run(s); posting rights, one check: {rights_requests} requests in {rights_seconds:.1f} s"
        )
        print("requests per location per month:")
        print(
            table(
                ["what", "requests"],
                [[what, f"{n:.2f}"] for what, n in [*monthly, ("all", sum(n for _, n in monthly))]],
            )
        )
        summary_add(
            "insights",
            f"requests per location per month: figures; keywords; rights ({setup})",
            "; ".join(f"{n:.2f}" for _, n in monthly),
        )


if __name__ == "__main__":
    main()
