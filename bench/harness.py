"""What every benchmark needs: the sandbox on a free port, Django on a throwaway database, and a
query counter that sees every connection (worker threads included)."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


class SandboxProcess:
    """The sandbox in its own process, so its work does not share our interpreter's GIL."""

    def __init__(self) -> None:
        from sandbox.client import SandboxClient

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "--port", str(port), "--seed", "empty"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.client = SandboxClient(self.url)
        deadline = time.monotonic() + 15
        while True:
            try:
                if self.client.health():
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("the sandbox did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def sandbox_start() -> SandboxProcess:
    """The local Google + Anthropic on 127.0.0.1 (a free port), no demo data."""
    return SandboxProcess()


def django_configure(
    tmp: str, sandbox, *, env: dict[str, str] | None = None, db_prefix: str = "bench_", keepdb: bool = False
) -> None:
    """Settings from the environment, pointed at the sandbox (plus `env`), then a fresh database
    (created and migrated): a SQLite file in `tmp`, or `<db_prefix><name>` beside DATABASE_URL's.
    With `keepdb`, a database left by an earlier run is kept and only migrated."""
    from sandbox.state import DEFAULT_ANTHROPIC_KEY, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

    defaults = {
        "DEBUG": "false",  # DEBUG would record every query and slow the run down
        "SECRET_KEY": "bench-secret-key-not-for-production-0123456789abcdef",
        "FIELD_ENCRYPTION_KEY": "0Yf3yYlO1mT0z3qZ8Vx0yC7Gm8lqkE1mY7n5q1Jb2zA=",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "DATABASE_URL": f"sqlite:///{tmp}/unused.sqlite3",
        "LOG_LEVEL": "WARNING",
        "EMAIL_URL": "smtp://127.0.0.1:1025",  # production refuses the console; nothing here sends mail
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    os.environ.update(
        {
            "GOOGLE_API_BASE_URL": sandbox.url,
            "GOOGLE_CLIENT_ID": DEFAULT_CLIENT_ID,
            "GOOGLE_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
            "ANTHROPIC_BASE_URL": sandbox.url,
            "ANTHROPIC_API_KEY": DEFAULT_ANTHROPIC_KEY,
            **(env or {}),
        }
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gbp_scheduler.settings")

    import django
    from django.conf import settings

    db = settings.DATABASES["default"]
    is_sqlite = db["ENGINE"].endswith("sqlite3")
    db["TEST"] = {"NAME": f"{tmp}/bench.sqlite3" if is_sqlite else f"{db_prefix}{db['NAME']}"}
    django.setup()

    from django.db import connection

    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=keepdb, serialize=False)
    for noisy in ("httpx", "httpx2", "anthropic"):  # a log line per request would swamp the tables
        logging.getLogger(noisy).setLevel(logging.WARNING)


def database_settle() -> None:
    """After a bulk load, the state a live database reaches on its own: on PostgreSQL, autovacuum
    would have vacuumed (the visibility map that lets a query answer from an index alone) and
    analysed the new rows; here it is done at once. SQLite does neither by itself, so neither is
    done there."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def database_drop() -> None:
    from django.conf import settings
    from django.db import connection

    connection.creation.destroy_test_db(settings.DATABASES["default"]["NAME"], verbosity=0)


class QueryCounter:
    """Counts SQL statements on every connection opened while it is installed, and keeps the
    slowest one (milliseconds, statement)."""

    def __init__(self) -> None:
        self.count = 0
        self.slowest: tuple[float, str] = (0.0, "")
        self._lock = threading.Lock()

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = (time.perf_counter() - started) * 1000
            with self._lock:
                self.count += 1
                if took > self.slowest[0]:
                    self.slowest = (took, sql)

    def install(self) -> None:
        from django.db import connections
        from django.db.backends.signals import connection_created

        connection_created.connect(self._on_connection, weak=False)
        for conn in connections.all():
            if conn.connection is not None:
                conn.execute_wrappers.append(self)

    def _on_connection(self, sender, connection, **kwargs) -> None:
        if self not in connection.execute_wrappers:
            connection.execute_wrappers.append(self)


def percentile(values: list[float], share: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def table(headers: list[str], rows: list[list]) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.rjust(widths[i]) for i, cell in enumerate(row)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def summary_add(benchmark: str, measure: str, value: str) -> None:
    """Hand a headline figure to `make bench` (bench/run_all.py), which prints them as one table."""
    path = os.environ.get("BENCH_SUMMARY_FILE")
    if path:
        import json

        with open(path, "a") as out:
            out.write(json.dumps([benchmark, measure, value]) + "\n")
