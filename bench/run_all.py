"""`make bench`: run every benchmark in bench/ and print one table of their headline figures.

Each script also prints its own full table; this collects them, in order, with the machine they
ran on. Pass --quick for smaller sizes (a smoke run, not figures to quote).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import table

BENCH = Path(__file__).resolve().parent
RUNS = {
    "publish": ["publish.py", "--posts", "1000", "--latency-ms", "200", "--concurrency", "4"],
    "publish (quota 6000/min)": [
        "publish.py",
        "--posts",
        "1000",
        "--latency-ms",
        "200",
        "--concurrency",
        "4,8",
        "--quota",
        "6000",
    ],
    "publish (1,500 ms, 300 franchises)": [
        "publish.py",
        "--posts",
        "300",
        "--franchises",
        "300",
        "--latency-ms",
        "1500",
        "--concurrency",
        "16",
    ],
    "announcement": ["announcement.py", "--franchises", "1000", "--latency-ms", "1500", "--quota", "300"],
    "announcement edit": ["announcement_edit.py", "--posts", "20,200,1000"],
    "import csv": ["import_csv.py", "--rows", "10,1000", "--franchises", "100"],
    "generation": ["generation.py"],
    "google sync": ["google_sync.py", "--locations", "300", "--quota", "300", "--budget", "60"],
    "insights": ["insights.py", "--locations", "1000", "--quota", "300", "--budget", "240", "--latency-ms", "300"],
    "health": ["health.py"],
    "dashboard": ["dashboard.py"],
    "api": ["api.py"],
    "coldstart": ["coldstart.py", "--runs", "7"],
    "webhooks": ["webhooks.py", "--events", "1000", "--latency-ms", "50", "--runs", "1,2,4"],
    "group day": ["group_day.py", "--locations", "1000", "--start", "08:00", "--hours", "3", "--scale", "20"],
    "group day (model)": ["group_day_model.py", "--locations", "10000", "--quota", "300", "--latency-ms", "300"],
}
QUICK = {
    "publish": ["publish.py", "--posts", "100", "--franchises", "10", "--concurrency", "4", "--quota", "6000"],
    "generation": ["generation.py", "--franchises", "100", "--rows", "20", "--latency-ms", "200", "--concurrency", "4"],
    "google sync": ["google_sync.py", "--locations", "60", "--quota", "1200", "--budget", "2"],
    "insights": ["insights.py", "--locations", "60", "--quota", "1200", "--budget", "2", "--latency-ms", "50"],
    "health": ["health.py", "--polls", "100", "--franchises", "50"],
    "dashboard": ["dashboard.py", "--franchises", "10", "--posts", "500", "--requests", "5"],
    "api": ["api.py", "--franchises", "10", "--posts", "500", "--requests", "5"],
    "coldstart": ["coldstart.py", "--runs", "2"],
    "webhooks": ["webhooks.py", "--events", "100", "--latency-ms", "10", "--runs", "1"],
    "announcement": ["announcement.py", "--franchises", "50", "--latency-ms", "200", "--quota", "6000"],
    "announcement edit": ["announcement_edit.py", "--posts", "20,200"],
    "import csv": ["import_csv.py", "--rows", "10,100", "--franchises", "10"],
    "group day": ["group_day.py", "--locations", "100", "--start", "08:50", "--hours", "0.5", "--scale", "10"],
}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs = QUICK if args.quick else RUNS
    database = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    print(f"# machine: {machine()}; database: {database}\n", flush=True)
    failed = []
    summary = Path(tempfile.mkstemp(prefix="bench-summary-")[1])
    os.environ["BENCH_SUMMARY_FILE"] = str(summary)
    for name, command in runs.items():
        print(f"## {name}: bench/{' '.join(command)}", flush=True)
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(BENCH / command[0]), *command[1:]], cwd=BENCH.parent)
        print(f"({time.monotonic() - started:.0f} s)\n", flush=True)
        if result.returncode:
            failed.append(name)
    rows = [json.loads(line) for line in summary.read_text().splitlines() if line.strip()]
    summary.unlink()
    print(f"# summary ({database})")
    print(table(["benchmark", "measure", "value"], rows))
    if failed:
        sys.exit(f"benchmarks that failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
