"""Benchmark of GET /api/health: latency with the Anthropic probe cached and 500 franchises.

    .venv/bin/python bench/health.py
    .venv/bin/python bench/health.py --franchises 2000 --polls 5000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gbp .venv/bin/python bench/health.py

It starts the sandbox (standing in for Anthropic) on a free port, builds a throwaway database
(a SQLite file in a temp dir, or `bench_health_<name>` beside the database in DATABASE_URL,
dropped at the end), migrates it, creates --franchises franchises (a tenth connected, one in
twenty-five of those needing re-authorization, plus a few hundred posts and queue rows so the
lock and queue checks have rows to skip), polls once to warm the Anthropic cache, then
measures --polls polls per row of the table:

- `test client`: Django's test Client, in process (the full middleware stack, no socket);
- `http`: a real WSGI server (wsgiref, one serving thread, so the database connection is
  reused when CONN_MAX_AGE > 0) on 127.0.0.1 and a new HTTP connection per poll from this
  process: what an uptime monitor sees, minus the network. With CONN_MAX_AGE = 0 (Django's
  default) every poll also opens a new database connection, as in production; add
  `?conn_max_age=60` to DATABASE_URL to see persistent connections.

Each mode is measured for an anonymous caller (counts) and the bearer secret (the franchise
list). The aim is p95 under 50 ms; the sandbox counter shows how many models calls were made.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CRON_SECRET = "bench-cron-secret"


from harness import django_configure, percentile, summary_add


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--franchises", type=int, default=500, help="franchises (default 500)")
    parser.add_argument("--polls", type=int, default=1000, help="polls per measurement (default 1000)")
    return parser.parse_args()


def populate(franchises: int) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from franchises.models import Franchise
    from generation.models import GenerationQueue
    from posts.models import Post

    now = timezone.now()
    rows = []
    for i in range(franchises):
        connected = i % 10 == 0
        rows.append(
            Franchise(
                name=f"Franchise {i:04d}",
                google_refresh_token="refresh-token" if connected else None,
                google_auth_valid=not (connected and i % 250 == 0),
            )
        )
    Franchise.objects.bulk_create(rows, batch_size=500)
    some = list(Franchise.objects.all()[:100])
    Post.objects.bulk_create(
        [
            Post(
                franchise=f,
                summary="News",
                status=Post.Status.PUBLISHED,
                scheduled_at=now - timedelta(days=1),
                published_at=now - timedelta(days=1) + timedelta(seconds=30),
            )
            for f in some
            for _ in range(3)
        ]
    )
    GenerationQueue.objects.bulk_create(
        [
            GenerationQueue(
                franchise=f, week_start=now.date(), slot=0, scheduled_for=now + timedelta(days=2), next_attempt_at=now
            )
            for f in some
        ]
    )


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


def measure(poll, polls: int) -> tuple[list[float], set[int]]:
    for _ in range(20):  # warm-up: imports, first connection, cache
        poll()
    times, codes = [], set()
    for _ in range(polls):
        started = time.perf_counter()
        codes.add(poll())
        times.append((time.perf_counter() - started) * 1000)
    return times, codes


def main() -> None:
    args = parse_args()
    from sandbox.client import SandboxClient
    from sandbox.server import Sandbox

    sandbox = Sandbox().start()
    sb = SandboxClient(sandbox.url)
    tmp = tempfile.mkdtemp(prefix="bench-health-")
    django_configure(tmp, sandbox, env={"CRON_SECRET": CRON_SECRET}, db_prefix="bench_health_")
    from django.db import connection, connections
    from django.test import Client

    try:
        populate(args.franchises)
        from gbp_scheduler.wsgi import application

        client = Client()
        warm = client.get("/api/health")
        assert warm.json()["checks"]["anthropic"]["status"] == "pass", warm.json()
        status = warm.json()["status"]
        print(f"warm-up answer: {warm.status_code} {status} (one franchise in 250 needs re-authorization)")

        server = make_server("127.0.0.1", 0, application, server_class=WSGIServer, handler_class=QuietHandler)

        def serve() -> None:
            server.serve_forever()
            connections.close_all()  # this thread's connection, kept open when CONN_MAX_AGE > 0

        serving = threading.Thread(target=serve, daemon=True)
        serving.start()
        port = server.server_address[1]

        def http_poll(headers: dict) -> int:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/api/health", headers={"Host": "127.0.0.1", **headers})
            response = conn.getresponse()
            response.read()
            conn.close()
            return response.status

        bearer = {"Authorization": f"Bearer {CRON_SECRET}"}
        rows = [
            ("test client", "anonymous", lambda: client.get("/api/health").status_code),
            (
                "test client",
                "bearer",
                lambda: client.get("/api/health", HTTP_AUTHORIZATION=bearer["Authorization"]).status_code,
            ),
            ("http", "anonymous", lambda: http_poll({})),
            ("http", "bearer", lambda: http_poll(bearer)),
        ]
        print(
            f"GET /api/health on {connection.vendor}, {args.franchises} franchises, "
            f"{args.polls} polls each, Anthropic probe cached, "
            f"CONN_MAX_AGE={connection.settings_dict['CONN_MAX_AGE']}"
        )
        print(f"{'mode':<12} {'caller':<10} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}  status")
        for mode, caller, poll in rows:
            times, codes = measure(poll, args.polls)
            summary_add(
                "health",
                f"{mode}, {caller} ({args.franchises} franchises): median / p95 ms",
                f"{statistics.median(times):.1f} / {percentile(times, 0.95):.1f}",
            )
            print(
                f"{mode:<12} {caller:<10} {statistics.median(times):>10.2f} {percentile(times, 0.95):>8.2f} "
                f"{max(times):>8.2f}  {','.join(map(str, sorted(codes)))}"
            )
        server.shutdown()
        serving.join()
        print(f"Anthropic models calls at the sandbox: {sb.calls('models')}; messages calls: {sb.calls('messages')}")
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
        sandbox.stop()


if __name__ == "__main__":
    main()
