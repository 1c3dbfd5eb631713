"""Benchmark of the dashboard's pages at 100 franchises x 10,000 posts (issue 15 measures 1,000 x 100,000).

    .venv/bin/python bench/dashboard.py
    .venv/bin/python bench/dashboard.py --franchises 100 --posts 10000 --requests 50
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gbp .venv/bin/python bench/dashboard.py

Builds a throwaway database (SQLite file in a temp dir, or `bench_<name>` beside DATABASE_URL's
database, dropped at the end) with --franchises franchises and --posts posts spread over them in
every state (each with a history entry), --insights-days days of Google's figures for every
location, and the franchises on one Google connection (on PostgreSQL then vacuumed and analysed,
as autovacuum would have done), then requests each page --requests times
through Django's test client as a headquarters user (who sees every franchise) and as a
franchise admin (who sees one). Prints the median and 95th-percentile latency and the SQL
statements per page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import statistics
import tempfile
import time

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
    parser.add_argument("--franchises", type=int, default=100)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=50, help="requests per page (default 50)")
    parser.add_argument(
        "--insights-days", type=int, default=90, help="days of Google's figures per location (default 90, as kept)"
    )
    parser.add_argument("--pages", default="", help="page labels to measure, separated by ; (default: every page)")
    parser.add_argument("--headquarters-only", action="store_true", help="measure as headquarters only")
    parser.add_argument("--slowest", action="store_true", help="print each page's slowest statement")
    parser.add_argument(
        "--keep", action="store_true", help="PostgreSQL: keep the database at the end, for --reuse (drop it by hand)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="PostgreSQL: measure the database a --keep run left (migrated first)"
    )
    return parser.parse_args()


# Past this many posts, PostgreSQL copies a first share made through the ORM in SQL (posts_multiply):
# a million rows through Python objects would take most of the run.
ORM_POSTS_MAX = 100_000


def data_create(*, franchises: int, posts: int, insights_days: int):
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from franchises.models import Franchise, GoogleConnection, Membership
    from insights.models import DailyMetric, Metric
    from insights.running import views_running_recount
    from posts.models import Announcement, Post, PostEvent, PostSeries

    zones = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"]
    created = Franchise.objects.bulk_create(
        Franchise(name=f"Franchise {n:03}", city=f"City {n}", timezone=zones[n % 4], google_refresh_token=f"tok-{n}")
        for n in range(franchises)
    )
    now = timezone.now()
    # One announcement sent to every franchise: the first post of each is its post.
    announcement = Announcement.objects.create(
        summary="Seasonal news from {name} in {city}.",
        date=now.date(),
        local_time=dt.time(9),
        franchise_count=franchises,
    )
    statuses = ["published", "published", "scheduled", "draft", "failed"]
    rows = []
    copies = 1
    if connection.vendor == "postgresql" and posts > ORM_POSTS_MAX:
        copies = -(-posts // ORM_POSTS_MAX)
        posts = posts // copies
    for n in range(posts):
        status = statuses[(n + n // franchises) % len(statuses)]  # every franchise has posts in each state
        when = now + dt.timedelta(hours=(n % 720) - 360)
        rows.append(
            Post(
                franchise=created[n % franchises],
                status=status,
                source="ai" if n % 3 == 0 else "manual",
                summary=f"Post {n}: seasonal news, offers and tips for our neighbours.",
                announcement=announcement if n < franchises else None,
                scheduled_at=when,
                published_at=when + dt.timedelta(seconds=30) if status == "published" else None,
                google_post_name=f"accounts/1/locations/{n % franchises}/localPosts/{n}"
                if status == "published"
                else "",
                last_error="Google refused the post: Request contains an invalid argument."
                if status == "failed"
                else "",
            )
        )
    Post.objects.bulk_create(rows, batch_size=2000)
    today = now.date()
    if copies > 1:
        posts_multiply(copies)
        bulk_sql_create(insights_days=insights_days)
    else:
        # Each post's history entry (the history page reads a franchise's).
        PostEvent.objects.bulk_create(
            (
                PostEvent(franchise_id=post.franchise_id, post=post, action=PostEvent.Action.CREATED, detail="")
                for post in rows
            ),
            batch_size=2000,
        )
    # Google's daily figures of every location (the results pages rank and chart them).
    DailyMetric.objects.bulk_create(
        (
            DailyMetric(
                franchise=franchise,
                metric=metric,
                day=today - dt.timedelta(days=day),
                value=(n * 7 + day * 3 + i) % 90,
                fetched_at=now,
            )
            for n, franchise in enumerate(created)
            for day in range(1, insights_days + 1 if copies == 1 else 0)
            for i, metric in enumerate(Metric)
        ),
        batch_size=5000,
    )
    views_running_recount()  # the figures' running totals, as the fetch keeps them
    # The group on one Google account (the connections page lists it with its franchises).
    connection = GoogleConnection.objects.create(google_email="group@example.com", refresh_token="tok")
    Franchise.objects.filter(pk__in=[f.pk for f in created]).update(google_connection=connection)
    PostSeries.objects.create(
        franchise=created[0],
        summary="Weekly bread.",
        rule="FREQ=WEEKLY;BYDAY=MO",
        starts_on=today,
        local_time=dt.time(9),
    )
    User = get_user_model()
    hq = User.objects.create_superuser("hq", "hq@example.com", "x")
    admin = User.objects.create_user("franchise-admin", "fa@example.com", "x")
    Membership.objects.create(user=admin, franchise=created[0], role=Membership.Role.ADMIN)
    return hq, admin, created[0], announcement, rows


def data_existing():
    """The objects `data_create` returns, read back from a database an earlier --keep run left."""
    from django.contrib.auth import get_user_model

    from franchises.models import Membership
    from posts.models import Announcement, Post

    User = get_user_model()
    admin = User.objects.get(username="franchise-admin")
    franchise = Membership.objects.get(user=admin).franchise
    posts = [
        Post.objects.filter(franchise=franchise, status=status).order_by("created_at").first()
        for status in ("published", "scheduled")
    ]
    return User.objects.get(username="hq"), admin, franchise, Announcement.objects.get(), posts


def posts_multiply(copies: int) -> None:
    """PostgreSQL: every post made `copies - 1` times more in SQL, each copy moved by whole days
    (within two months either side) and given its own Google name."""
    from django.db import connection

    from posts.models import Post

    columns, values = [], []
    for field in Post._meta.concrete_fields:
        if getattr(field, "generated", False):
            continue
        column = field.column
        columns.append(connection.ops.quote_name(column))
        values.append(
            {
                "id": "gen_random_uuid()",
                "scheduled_at": "p.scheduled_at + shift",
                "published_at": "p.published_at + shift",
                "announcement_id": "NULL",
                "google_post_name": "CASE WHEN p.google_post_name = '' THEN '' ELSE p.google_post_name || '-' || k END",
            }.get(column, f"p.{connection.ops.quote_name(column)}")
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO posts ({', '.join(columns)}) SELECT {', '.join(values)} FROM posts p, "
            "generate_series(1, %s) k, LATERAL (SELECT make_interval(days => (k * 13) %% 61 - 30) AS shift) s "
            # In publish order: a published copy's trigger raises its franchise's running counts
            # (posts.PostPublishedRunning) from its day to the last so far, not to the later copies'.
            "ORDER BY p.published_at + shift NULLS FIRST",
            [copies - 1],
        )


def bulk_sql_create(*, insights_days: int) -> None:
    """PostgreSQL: each post's history entry, and Google's daily figures of every location, in SQL."""
    from django.db import connection

    from insights.models import Metric

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO post_events (id, franchise_id, post_id, action, detail, post_excerpt, created_at) "
            "SELECT gen_random_uuid(), franchise_id, id, 'created', '', left(summary, 120), created_at FROM posts"
        )
        cursor.execute(
            "INSERT INTO insights_daily_metrics (franchise_id, metric, day, value, fetched_at) "
            "SELECT f.id, m.metric, current_date - d, (f.n * 7 + d * 3 + m.i) %% 90, now() "
            "FROM (SELECT id, row_number() OVER (ORDER BY name) AS n FROM franchises) f, "
            "generate_series(1, %s) d, unnest(%s::text[]) WITH ORDINALITY m(metric, i)",
            [insights_days, [metric.value for metric in Metric]],
        )


def _first(posts, franchise, status: str):
    return next(post for post in posts if post.franchise_id == franchise.pk and post.status == status)


def page_urls(franchise, announcement, posts) -> list[tuple[str, str]]:
    from django.urls import NoReverseMatch, reverse

    wanted = [
        ("home", "dashboard:home", []),
        ("posts list", "posts:list", []),
        ("franchise posts", "posts:franchise_list", [franchise.pk]),
        ("calendar (month)", "posts:calendar", [franchise.pk]),
        ("drafts", "generation:drafts", []),
        ("franchise page", "franchises:detail", [franchise.pk]),
        ("metrics (30 days)", "dashboard:metrics", []),
        ("announcements", "posts:announcement_list", []),
        ("announcement page", "posts:announcement_detail", [announcement.pk]),
        ("new announcement", "posts:announcement_new", []),
        ("franchises", "franchises:list", []),
        ("calendar, all franchises", "posts:calendar_all", []),
        ("post page (published)", "posts:detail", [_first(posts, franchise, "published").pk]),
        ("post editor (scheduled)", "posts:edit", [_first(posts, franchise, "scheduled").pk]),
        ("new post", "posts:new", [franchise.pk]),
        ("history", "posts:history", [franchise.pk]),
        ("repeating posts", "posts:series_list", [franchise.pk]),
        ("members", "franchises:members", [franchise.pk]),
        ("franchise settings", "franchises:settings", [franchise.pk]),
        ("google connections", "franchises:google_connections", []),
        ("results (ranking)", "insights:ranking", []),
        ("results of a franchise", "insights:franchise", [franchise.pk]),
        ("system", "dashboard:system", []),
        ("profile", "dashboard:profile", []),
    ]
    urls = []
    for label, name, args in wanted:
        try:
            url = reverse(name, args=args)
            urls.append((label, url + ("?days=30" if "metrics" in name else "")))
        except NoReverseMatch:
            print(f"(no page named {name}: skipped)")
    urls.append(("/api/health", "/api/health"))
    return urls


def measure(client, url: str, requests: int, slowest: list | None = None) -> tuple[float, float, float, int]:
    counter = QueryCounter()
    counter.install()
    client.get(url)  # warm: templates, caches
    latencies = []
    start_count = counter.count
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        latencies.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, f"{url} answered {response.status_code}"
    queries = (counter.count - start_count) / requests
    if slowest is not None:
        slowest.append(counter.slowest)
    return statistics.median(latencies), percentile(latencies, 0.95), queries, response.status_code


def main() -> None:
    args = parse_args()
    sandbox = sandbox_start()
    with tempfile.TemporaryDirectory() as tmp:
        django_configure(tmp, sandbox, keepdb=args.reuse)
        # A franchise admin's 403s on headquarters' pages are expected here; a 500 still logs as an error.
        logging.getLogger("django.request").setLevel(logging.ERROR)
        from django.db import connection
        from django.test import Client

        try:
            if args.reuse:
                hq, admin, franchise, announcement, posts = data_existing()
            else:
                hq, admin, franchise, announcement, posts = data_create(
                    franchises=args.franchises, posts=args.posts, insights_days=args.insights_days
                )
            database_settle()
            rows = []
            wanted = {label.strip() for label in args.pages.split(";") if label.strip()}
            users = [("headquarters", hq)] + ([] if args.headquarters_only else [("franchise admin", admin)])
            for who, user in users:
                client = Client()
                client.force_login(user)
                for label, url in page_urls(franchise, announcement, posts):
                    if wanted and label not in wanted:
                        continue
                    if who != "headquarters" and client.get(url).status_code == 403:
                        continue  # headquarters' page alone: the app says which, not a list here
                    worst: list = []
                    median, p95, queries, _ = measure(client, url, args.requests, worst)
                    if args.slowest:
                        print(f"{label}: slowest statement {worst[0][0]:.0f} ms: {worst[0][1][:600]}")
                    rows.append([who, label, f"{median:.1f}", f"{p95:.1f}", f"{queries:.0f}"])
                    summary_add(
                        "dashboard",
                        f"{label} as {who}: median / p95 ms, queries",
                        f"{median:.0f} / {p95:.0f}, {queries:.0f}",
                    )
        finally:
            if not args.keep:
                database_drop()
            sandbox.stop()
        print(f"dashboard pages: {args.franchises} franchises x {args.posts} posts, {connection.vendor}")
        print(table(["user", "page", "median ms", "p95 ms", "queries"], rows))


if __name__ == "__main__":
    main()
