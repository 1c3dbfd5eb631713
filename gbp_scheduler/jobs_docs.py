"""The docs' lists of jobs, made from the registry (JOBS in gbp_scheduler/jobs.py), so that the
list is written in one place: the table in docs/contract.md and the crontab in docs/operations.md.

    python -m gbp_scheduler.jobs_docs --write   # rewrite them after changing JOBS

gbp_scheduler/tests/test_jobs.py fails while a doc differs from what this makes.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .jobs import JOBS

BASE_DIR = Path(__file__).resolve().parent.parent


def jobs_table() -> str:
    rows = [
        "| job: `/api/cron/<job>` | `manage.py` command | schedule (UTC) | what it does | function |",
        "|---|---|---|---|---|",
    ]
    for job in JOBS:
        rows.append(f"| `{job.name}` | `{job.command}` | `{job.schedule}` | {job.description} | `{job.target}` |")
    return "\n".join(rows)


def crontab() -> str:
    width = max(len(job.schedule) for job in JOBS) + 1
    lines = [f"{job.schedule:<{width}}cd /srv/gbp && .venv/bin/python manage.py {job.command}" for job in JOBS]
    return "```cron\n" + "\n".join(lines) + "\n```"


# doc -> (block name, what the block holds)
BLOCKS = {"docs/contract.md": ("jobs-table", jobs_table), "docs/operations.md": ("crontab", crontab)}


def _pattern(name: str) -> re.Pattern:
    return re.compile(rf"(<!-- begin {name}: .*? -->\n)(.*?)(<!-- end {name} -->)", re.S)


def block_in(text: str, name: str) -> str | None:
    """The generated block `name` as it stands in a doc's text; None when its markers are gone."""
    found = _pattern(name).search(text)
    return found.group(2).strip("\n") if found else None


def written(text: str, name: str, body: str) -> str:
    return _pattern(name).sub(lambda m: m.group(1) + body + "\n" + m.group(3), text)


def main(argv: list[str]) -> int:
    stale = []
    for doc, (name, make) in BLOCKS.items():
        path = BASE_DIR / doc
        text = path.read_text(encoding="utf-8")
        if block_in(text, name) is None:
            print(f"{doc}: the markers of {name} are missing", file=sys.stderr)
            return 1
        if block_in(text, name) != make():
            stale.append(doc)
            if "--write" in argv:
                path.write_text(written(text, name, make()), encoding="utf-8")
    verb = "rewrote" if "--write" in argv else "out of date (run with --write)"
    for doc in stale:
        print(f"{doc}: {verb}")
    return 1 if stale and "--write" not in argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
