"""Benchmark: one headquarters announcement to a whole franchise group on one Google account.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gbp .venv/bin/python bench/announcement.py \\
        --franchises 1000 --latency-ms 1500 --quota 300

It starts the sandbox (standing in for Google) with every create answered after --latency-ms and
a per-minute quota of --quota that answers 429 past it, as Google does; connects N franchises
through ONE Google account of the sandbox (one consent, one refresh token, N locations), sends
one announcement to all of them through the same service the announcement page uses, and runs
the publish job the way the cron would: consecutive runs, each with the normal time budget,
until nothing is left. One line per run, then the summary: published N/N, creates per post
(exactly 1.00 is the promise), token refreshes (one per access-token lifetime for the one
connection, not one per franchise), runs, total seconds, the achieved rate against the quota's
(1,000 creates at 300/min cannot take less than 200 s), and the 429s provoked (none is the aim).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time

from harness import database_drop, django_configure, sandbox_start, summary_add, table


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--franchises", type=int, default=1000, help="franchises in the group (default 1000)")
    parser.add_argument("--latency-ms", type=float, default=1500, help="Google's create latency (default 1500)")
    parser.add_argument("--quota", type=int, default=300, help="requests per minute, at Google and in settings")
    parser.add_argument("--token-lifetime", type=int, default=120, help="access-token lifetime in seconds")
    parser.add_argument("--budget", type=int, default=240, help="CRON_TIME_BUDGET_SECONDS of each run")
    return parser.parse_args()


def group_connect(sandbox, count: int) -> list:
    """N franchises connected through one Google account: one grant, one connection."""
    from django.conf import settings
    from django.utils import timezone

    from franchises.google.tokens import connection_mirror
    from franchises.models import Franchise, GoogleConnection

    account = sandbox.client.add_account("Bench Group", locations=count)
    grant = sandbox.client.grant(user="hq@bench-group.example")
    connection = GoogleConnection.objects.create(
        google_user_id=grant["google_user_id"],
        google_email=grant["email"],
        oauth_client_id=settings.GOOGLE_CLIENT_ID,
        refresh_token=grant["refresh_token"],
        access_token=grant["access_token"],
        token_expires_at=timezone.now() + dt.timedelta(seconds=grant["expires_in"]),
    )
    franchises = Franchise.objects.bulk_create(
        Franchise(
            name=f"Bench Franchise {n:04d}",
            city=f"Town {n}",
            timezone="America/New_York",
            google_connection=connection,
            google_account_id=account["account_id"],
            google_location_id=location_id,
            google_location_title=f"Bench location {n}",
        )
        for n, location_id in enumerate(account["location_ids"])
    )
    connection_mirror(connection)
    return franchises


def main() -> None:
    args = parse_args()
    sandbox = sandbox_start()
    with tempfile.TemporaryDirectory() as tmp:
        django_configure(
            tmp,
            sandbox,
            env={
                "GOOGLE_REQUESTS_PER_MINUTE": str(args.quota),
                "CRON_TIME_BUDGET_SECONDS": str(args.budget),
                "GOOGLE_TOKEN_REFRESH_MARGIN_SECONDS": str(min(30, args.token_lifetime // 4)),
            },
        )
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.utils import timezone

        from gbp_scheduler.jobs import TimeBudget
        from posts.models import Post
        from posts.services import announcement_schedule, posts_publish_due

        try:
            sandbox.client.set_access_token_lifetime(args.token_lifetime)
            franchises = group_connect(sandbox, args.franchises)
            sandbox.client.latency(args.latency_ms / 1000, route="posts.create")
            sandbox.client.set_quota(args.quota)
            headquarters = get_user_model().objects.create_superuser("bench-hq", "", None)
            local = timezone.localtime(timezone.now(), franchises[0].zone)
            started = time.perf_counter()
            announcement_schedule(
                franchises=franchises,
                template="{name}: our spring schedule is open. Book your first visit today!",
                date=local.date(),
                local_time=local.time().replace(second=0, microsecond=0),
                user=headquarters,
            )
            scheduled = time.perf_counter() - started
            rows = []
            started = time.perf_counter()
            while Post.objects.filter(status=Post.Status.SCHEDULED).exists() and len(rows) < 20:
                run_started = time.perf_counter()
                counts = posts_publish_due(budget=TimeBudget())
                rows.append(
                    [
                        len(rows) + 1,
                        counts["published"],
                        counts["deferred"],
                        counts["failed"],
                        counts["left_for_next_run"],
                        counts["peak_concurrency"],
                        f"{time.perf_counter() - run_started:.0f}",
                    ]
                )
                print(table(["run", "published", "deferred", "failed", "left", "peak in flight", "seconds"], rows[-1:]))
            elapsed = time.perf_counter() - started
            published = Post.objects.filter(status=Post.Status.PUBLISHED).count()
            creates = sandbox.client.calls("posts.create")
            over_quota = sum(sandbox.client.calls(kind, 429) for kind in ("posts.create", "posts.list", "posts.patch"))
            refreshes = sandbox.client.calls("token")
        finally:
            database_drop()
            sandbox.stop()
    rate = published / elapsed
    quota_rate = args.quota / 60
    print(
        f"\nannouncement to {args.franchises} franchises on one Google account: create latency "
        f"{args.latency_ms:g} ms, quota {args.quota}/min, access tokens live {args.token_lifetime} s, "
        f"{connection.vendor}; scheduling the announcement took {scheduled:.1f} s"
    )
    summary = [
        ["published", f"{published}/{args.franchises}"],
        ["creates per post", f"{creates / max(1, published):.2f}"],
        ["token refreshes", f"{refreshes} (one connection, {elapsed / args.token_lifetime:.1f} token lifetimes)"],
        ["runs", len(rows)],
        ["total seconds", f"{elapsed:.0f} (floor {args.franchises / quota_rate:.0f} s at the quota)"],
        ["rate vs quota", f"{rate:.2f}/s of {quota_rate:.2f}/s = {rate / quota_rate:.2f}"],
        ["429s provoked", over_quota],
    ]
    print(table(["measure", "value"], summary))
    setup = f"N={args.franchises}, L={args.latency_ms:g} ms, quota {args.quota}/min"
    summary_add(
        "announcement",
        f"published; creates/post ({setup})",
        f"{published}/{args.franchises}; {creates / max(1, published):.2f}",
    )
    summary_add(
        "announcement", f"rate vs quota; runs; 429s ({setup})", f"{rate / quota_rate:.2f}; {len(rows)}; {over_quota}"
    )


if __name__ == "__main__":
    main()
