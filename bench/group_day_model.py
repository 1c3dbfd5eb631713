"""A MODEL of a day of a big group on one Google quota (no request is sent, no job code runs; the
real day is bench/group_day.py): the quota plan the app computes for the
group, the jobs on their schedules, every request in a slot of the shared quota with publishing
first (the rules of franchises/google/quota.py), simulated second by second.

      .venv/bin/python bench/group_day_model.py --locations 10000 --quota 300 --latency-ms 300

What is real here: the plan (franchises/google/quota_plan.plan_compute, with the cadences the jobs
declare), the jobs' schedules and run budget (JOBS, CRON_TIME_BUDGET_SECONDS), the quota's rules
(slots SAFETY_MARGIN under the quota, publishing booking ahead, the others taking a free slot and
booking one after standing aside BACKGROUND_MAX_WAIT). What is modelled: the requests themselves
(none is sent: a slot, then --latency-ms until Google's answer) and the day's work: 2 posts a week
per location at local business hours (a third of them repeating posts, at 10:00 sharp), an
announcement to every location at 09:00, Google rejecting 1 % of posts a few minutes after
accepting them. The reviews job (sync-reviews) is not modelled yet: REVIEWS below is where it joins.

Prints per job its requests, share of the quota and worst and p95 staleness of what it keeps; for
posts the p95 and max delay from due time to live, the announcement's duration, and the requests
past the quota in any 60 s (429s).
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import os
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import percentile, summary_add, table

DAY = 86400.0
ANNOUNCEMENT_AT = 9 * 3600.0
REJECTED_SHARE = 0.01
REVIEW_SECONDS = 300.0  # Google's review: a rejection shows a few minutes after the create
# The reviews job, once modelled: its job name and Need (quota_plan.Need) join the plan here and its
# runs join `jobs` in main() like the sync's, e.g.
#   REVIEWS = ("sync-reviews", Need("new", "reviews (locations with new reviews)", n, 1.0, (1, 2)))
REVIEWS = None


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--locations", type=int, default=10_000)
    parser.add_argument("--quota", type=int, default=300, help="GOOGLE_REQUESTS_PER_MINUTE (default 300)")
    parser.add_argument("--latency-ms", type=float, default=300, help="Google's answer time (default 300)")
    parser.add_argument("--seed", type=int, default=33)
    return parser.parse_args()


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gbp_scheduler.settings")
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production-0123456789abcdef")
    os.environ.setdefault("FIELD_ENCRYPTION_KEY", "0Yf3yYlO1mT0z3qZ8Vx0yC7Gm8lqkE1mY7n5q1Jb2zA=")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")
    os.environ.setdefault("EMAIL_URL", "smtp://127.0.0.1:1025")
    import django

    django.setup()


def cron_times(schedule: str) -> list[float]:
    """The day's run times (seconds) of a cron expression's minute and hour fields."""
    from franchises.google.quota_plan import cron_field_values

    minute, hour = schedule.split()[:2]
    return sorted(h * 3600.0 + m * 60.0 for h in cron_field_values(hour, 24) for m in cron_field_values(minute, 60))


@dataclass
class BackgroundJob:
    """A job whose runs serve due items, each one request, oldest served first."""

    name: str
    runs: list[float]
    every: float  # seconds between rounds (the plan's)
    gap: float  # seconds between the job's runs
    served: list[float]  # each item's last serving time
    requests_each: float = 1.0
    history: list[list[float]] = field(default_factory=list)
    requests: int = 0
    queue: list[int] = field(default_factory=list)
    until: float = -1.0  # the current run's end (its budget)
    waiting_since: float | None = None

    def due_before(self, now: float, floor: float = 600.0) -> float:
        return now - max(floor, self.every - self.gap)

    def start(self, now: float, budget: float) -> None:
        before = self.due_before(now)
        self.queue = sorted((i for i, at in enumerate(self.served) if at < before), key=self.served.__getitem__)
        self.queue.reverse()  # pop() takes the least recently served
        self.until = now + budget if self.queue else -1.0

    def active(self, now: float) -> bool:
        return bool(self.queue) and now < self.until


def main() -> None:
    args = parse_args()
    django_setup()
    from django.conf import settings

    from franchises.google.quota import BACKGROUND_MAX_WAIT, SAFETY_MARGIN
    from franchises.google.quota_plan import Need, plan_compute, run_gap_seconds, runs_per_day
    from gbp_scheduler.jobs import job_get
    from insights.services import EVERY as INSIGHTS_EVERY
    from posts.services.google_sync import RECENT_EVERY, SETTLED_EVERY

    rng = random.Random(args.seed)
    n = args.locations
    latency = args.latency_ms / 1000
    budget = settings.CRON_TIME_BUDGET_SECONDS

    # The day's posts: 2 a week per location (a third repeating, at 10:00), and the announcement.
    due: list[tuple[float, int, bool]] = []  # (due time, location, announcement)
    for location in range(n):
        if rng.random() < 2 / 7:
            at = 10 * 3600.0 if rng.random() < 1 / 3 else rng.randrange(7 * 12, 19 * 12) * 300.0
            due.append((at, location, False))
        due.append((ANNOUNCEMENT_AT, location, True))
    due.sort()

    # The plan, as the jobs would declare their needs for such a group.
    needs = [
        ("sync-google-posts", Need("recent", "post states (recent posts)", n, 1.0, RECENT_EVERY)),
        ("sync-google-posts", Need("settled", "post states (older posts)", 0, 1.0, SETTLED_EVERY)),
        ("check-posting-rights", Need("pages", "posting rights", n, 0.01, (1,))),
        ("fetch-insights", Need("daily", "insights", n, 1.0, INSIGHTS_EVERY)),
        ("fetch-search-keywords", Need("monthly", "search keywords", n, 1.0, (720,))),
    ]
    if REVIEWS:
        needs.insert(1, REVIEWS)
    plan = plan_compute(
        quota_per_minute=args.quota,
        publishing=Need("posts", "posts", 3 * n, 1.0, (168,)),
        locations=n,
        needs=[(job, need, runs_per_day(job_get(job).schedule)) for job, need in needs],
        run_seconds=budget,
    )
    for line in plan.lines():
        print(line)

    sync_every = plan.every("sync-google-posts", "recent", 1) * 3600
    insights_every = plan.every("fetch-insights", "daily", 24) * 3600
    # Steady state at midnight: each location last served evenly over the round before.
    sync = BackgroundJob(
        "sync-google-posts",
        cron_times(job_get("sync-google-posts").schedule),
        sync_every,
        run_gap_seconds("sync-google-posts"),
        [-(i + 0.5) / n * sync_every for i in range(n)],
    )
    insights_runs = cron_times(job_get("fetch-insights").schedule)
    span = insights_runs[-1] - insights_runs[0]
    insights = BackgroundJob(
        "fetch-insights",
        insights_runs,
        insights_every,
        # The job's due rule (insights.services.insights_due): fetched more than every - 4 h ago.
        4 * 3600.0,
        [insights_runs[0] - DAY + (i + 0.5) / n * span for i in range(n)],
    )
    rights_runs = cron_times(job_get("check-posting-rights").schedule)
    rights = BackgroundJob("check-posting-rights", rights_runs, 3600.0, 3600.0, [-3600.0] * max(1, n // 100))
    jobs = [sync, rights, insights]
    for job in jobs:
        job.history = [[at] for at in job.served]
    publish_runs = cron_times(job_get("publish-scheduled").schedule)

    interval = 60.0 * SAFETY_MARGIN / args.quota
    slots_sent: list[float] = []
    live: list[tuple[float, float, bool]] = []  # (due, live, announcement)
    rejected_at: dict[int, float] = {}  # location -> when Google rejected its post
    noticed: list[float] = []
    waiting: list[tuple[float, int, bool]] = []  # heap of due posts a run has read
    next_post = 0
    publish_until = -1.0
    publish_run = 0
    t = 0.0
    run_starts = sorted({*publish_runs, *(r for job in jobs for r in job.runs)})
    next_start = 0
    while t < DAY:
        while next_start < len(run_starts) and run_starts[next_start] <= t:
            start = run_starts[next_start]
            next_start += 1
            for job in jobs:
                if start in job.runs and not job.active(start):
                    job.start(start, budget)
            if start in publish_runs:
                publish_run += 1
                publish_until = max(publish_until, start + budget)
        # A publish run that is going reads the posts due by now.
        if t < publish_until:
            while next_post < len(due) and due[next_post][0] <= t:
                heapq.heappush(waiting, due[next_post])
                next_post += 1
        taker = None
        background = [job for job in jobs if job.active(t)]
        for job in background:
            if job.waiting_since is None:
                job.waiting_since = t
        stood_aside = [job for job in background if t - job.waiting_since >= BACKGROUND_MAX_WAIT]
        if stood_aside:
            taker = min(stood_aside, key=lambda job: job.waiting_since)
        elif waiting and t < publish_until:
            taker = "publish"
        elif background:
            taker = min(background, key=lambda job: job.waiting_since)
        if taker == "publish":
            at, location, announcement = heapq.heappop(waiting)
            slots_sent.append(t)
            live.append((at, t + latency, announcement))
            if rng.random() < REJECTED_SHARE:
                rejected_at[location] = t + latency + REVIEW_SECONDS
            if not waiting and next_post < len(due) and due[next_post][0] > t:
                publish_until = t  # the runs found nothing more due: they end
        elif taker is not None:
            item = taker.queue.pop()
            slots_sent.append(t)
            taker.requests += 1
            done = t + latency
            taker.served[item] = done
            taker.history[item].append(done)
            taker.waiting_since = None
            if taker is sync and item in rejected_at and rejected_at[item] <= done:
                noticed.append(done - rejected_at.pop(item))
        t += interval

    # Figures.
    rows = []
    total = args.quota * DAY / 60
    posts = [end - at for at, end, _ in live]
    announcement = [end for _, end, a in live if a]
    rows.append(["publish-scheduled", len(live), f"{len(live) / total:.1%}", "", ""])
    for job in jobs:
        gaps = []
        for times in job.history:
            marks = [*times, DAY]
            gaps.append(max(b - a for a, b in itertools.pairwise(marks)) / 3600)
        worst, p95 = f"{max(gaps):.1f} h", f"{percentile(gaps, 0.95):.1f} h"
        rows.append([job.name, job.requests, f"{job.requests / total:.1%}", worst, p95])
    print(
        f"\nMODEL (no request sent, no job code run): a day of {n} locations, quota {args.quota}/min, "
        f"Google answering in {args.latency_ms:g} ms "
        f"({len(due) - n} posts of the day and an announcement to every location at 09:00)"
    )
    print(table(["job", "requests", "share of the quota", "worst staleness", "p95 staleness"], rows))
    per_minute = max_in_window(slots_sent, 60.0)
    ordinary = [end - at for at, end, a in live if not a]
    print(
        f"\nposts: {len(live)}/{len(due)} live; due to live p95 {percentile(posts, 0.95) / 60:.1f} min, "
        f"max {max(posts) / 60:.1f} min (the announcement's included)"
    )
    print(
        f"the day's other posts ({len(ordinary)}): due to live p95 {percentile(ordinary, 0.95) / 60:.1f} min, "
        f"max {max(ordinary) / 60:.1f} min"
    )
    print(f"announcement to {n}: done {(max(announcement) - ANNOUNCEMENT_AT) / 60:.1f} min after 09:00")
    print(
        f"rejected by Google: {len(noticed) + len(rejected_at)}, noticed by the sync within "
        f"{max(noticed, default=0) / 3600:.1f} h at worst ({len(rejected_at)} not yet by midnight)"
    )
    print(f"most requests in any 60 s: {per_minute} (quota {args.quota}): 429s {max(0, per_minute - args.quota)}")
    delays = f"{percentile(posts, 0.95) / 60:.1f} / {max(posts) / 60:.1f}"
    summary_add("group day", f"{n} locations: posts due to live p95 / max (min)", delays)


def max_in_window(times: list[float], window: float) -> int:
    best, low = 0, 0
    for high, at in enumerate(times):
        while times[low] <= at - window:
            low += 1
        best = max(best, high - low + 1)
    return best


if __name__ == "__main__":
    main()
