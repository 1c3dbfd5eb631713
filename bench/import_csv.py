"""Benchmark: posts imported from a CSV file, a dry run then the import, each one request.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gbp .venv/bin/python bench/import_csv.py \\
        --rows 1000 --franchises 100

It makes N franchises, each with a value of one of headquarters' fields (the text names it as
{coupon_code}) and brand rules to check, writes a CSV of R scheduled posts spread over them, and
posts it to the import page as headquarters would: once to check it (the dry run: nothing
created), once to import it (checked again, then created all or none in one transaction). For
each request: the queries (every connection), the seconds and the posts created. The promise: the
same number of queries whatever the number of rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time

from harness import QueryCounter, database_drop, django_configure, sandbox_start, summary_add, table


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="1000", help="rows of the CSV, comma-separated sizes (default 1000)")
    parser.add_argument("--franchises", type=int, default=100, help="franchises the rows are spread over")
    return parser.parse_args()


def csv_text(rows: int, franchises: int) -> str:
    from django.utils import timezone

    day = timezone.now() + dt.timedelta(days=2)
    lines = ["franchise,type,text,publish_at,cta_action_type,cta_url"]
    for n in range(rows):
        at = (day + dt.timedelta(days=n % 30)).strftime("%Y-%m-%d") + " 09:00"
        text = f"Post {n} for {{name}}: show {{coupon_code}} at the counter this week."
        lines.append(f"Bench {n % franchises:04d},update,{text},{at},Learn more,https://bench.example/offer/{n}")
    return "\n".join(lines) + "\n"


def request(client, counter: QueryCounter, data: dict) -> tuple[int, float, int]:
    before, started = counter.count, time.perf_counter()
    response = client.post("/posts/import/", data)
    return counter.count - before, time.perf_counter() - started, response.status_code


def main() -> None:
    args = parse_args()
    sizes = [int(size) for size in args.rows.split(",")]
    sandbox = sandbox_start()
    with tempfile.TemporaryDirectory() as tmp:
        django_configure(tmp, sandbox)
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.test import Client

        from franchises.models import Franchise, FranchiseVariable, FranchiseVariableValue
        from posts.models import Post
        from posts.services.brand import brand_rules_save

        rows_out = []
        try:
            franchises = Franchise.objects.bulk_create(
                Franchise(name=f"Bench {n:04d}", city=f"Town {n}", timezone="America/New_York")
                for n in range(args.franchises)
            )
            coupon = FranchiseVariable.objects.create(key="coupon_code", label="Coupon code")
            FranchiseVariableValue.objects.bulk_create(
                FranchiseVariableValue(franchise=franchise, variable=coupon, value=f"CODE{n}")
                for n, franchise in enumerate(franchises)
            )
            brand_rules_save(user=None, banned_phrases="cheapest\nguaranteed", link_domains="bench.example")
            headquarters = get_user_model().objects.create_superuser("bench-hq", "", "bench-password")
            client = Client()
            client.force_login(headquarters)
            counter = QueryCounter()
            counter.install()
            for size in sizes:
                Post.objects.all().delete()
                text = csv_text(size, args.franchises)
                queries, seconds, status = request(client, counter, {"step": "check", "csv_text": text})
                rows_out.append([size, "dry run", status, queries, f"{seconds:.2f}", Post.objects.count()])
                queries, seconds, status = request(client, counter, {"step": "import", "csv_text": text})
                rows_out.append([size, "import", status, queries, f"{seconds:.2f}", Post.objects.count()])
        finally:
            database_drop()
            sandbox.stop()
    print(f"\nCSV import across {args.franchises} franchises ({connection.vendor}), one request each:")
    print(table(["rows", "request", "HTTP", "queries", "seconds", "posts created"], rows_out))
    for size, step, _status, queries, seconds, _created in rows_out:
        summary_add(
            "import csv",
            f"{step}: queries; seconds ({size} rows, {args.franchises} franchises)",
            f"{queries}; {seconds}",
        )


if __name__ == "__main__":
    main()
