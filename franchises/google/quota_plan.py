"""The quota plan: how the jobs share Google's requests a minute, computed from the group's size
and the configured quota.

Publishing (creates, patches, deletions) comes first: its average is set aside, and at the slot
level it goes ahead of everyone anyway (quota.py). What is left, less HEADROOM for staff actions,
retries and the pages, is shared by the other jobs in the order `JOBS` declares them
(gbp_scheduler/jobs.py). Each job declares what it keeps fresh (`Job.demand`: a function returning
its `Need`s, computed from the database); the plan gives each need the most frequent cadence on its
ladder that fits in what is left and in what the job's runs can do (runs a day x the run's time
budget x the usable rate), else the least frequent. A job asks the plan how often to serve a need
(`Plan.every`), so a big group's cadences stretch and a small one's stay short.

The worst staleness a need can reach is its cadence (or the time between its runs, when longer),
plus one run's time budget, plus a gap between runs for each run the longest burst of publishing
can take the whole time of (an announcement to every location at the usable rate holds the others
back: a run that meets it stands aside until its deadline).
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import math
import re
from dataclasses import dataclass, field

from django.conf import settings

from gbp_scheduler.jobs import JOBS

from ..models import Franchise
from .quota import SAFETY_MARGIN

logger = logging.getLogger(__name__)

# Of the usable rate, kept free of any plan: staff actions, "Publish now", retries, the pages.
HEADROOM = 0.10


@dataclass(frozen=True)
class Need:
    """What a job keeps fresh: `items` (locations) served `requests_each` requests a round, at one
    of `every_hours` (most frequent first). `key` names it when the job asks the plan. Observed
    now: `per_minute_now` (requests a minute the job made over its last round, from the rows'
    times) and `stale_hours_now` (the least recently served item's age; None: nothing served)."""

    key: str
    data: str
    items: int
    requests_each: float
    every_hours: tuple[float, ...]
    per_minute_now: float = 0.0
    stale_hours_now: float | None = None

    def per_minute(self, every_hours: float) -> float:
        return self.items * self.requests_each / (every_hours * 60)


@dataclass(frozen=True)
class Share:
    job: str
    need: Need
    every_hours: float
    per_minute: float
    worst_stale_hours: float
    fits: bool  # False: even the least frequent cadence exceeds what is left

    @property
    def every_text(self) -> str:
        return hours_text(self.every_hours)

    @property
    def worst_text(self) -> str:
        return hours_text(self.worst_stale_hours)

    @property
    def stale_now_text(self) -> str:
        return "—" if self.need.stale_hours_now is None else hours_text(self.need.stale_hours_now)


@dataclass(frozen=True)
class Plan:
    quota_per_minute: int
    usable_per_minute: float
    publishing_per_minute: float  # publishing's average, set aside first
    burst_minutes: float  # an announcement to every location at the usable rate
    shares: list[Share] = field(default_factory=list)
    left_per_minute: float = 0.0

    def every(self, job: str, key: str, default: float) -> float:
        """Hours between rounds of `job`'s need `key` (`default` when the plan has none)."""
        for share in self.shares:
            if share.job == job and share.need.key == key:
                return share.every_hours
        return default

    def served_before(
        self, job: str, key: str, *, default: float, now: dt.datetime, floor_seconds: float
    ) -> dt.datetime:
        """An item of `job`'s need `key` is due to a run once it was served before this: a round
        every `every` hours, less the time between the job's runs (the run after that would be
        late), never sooner than `floor_seconds` after its last serving."""
        every = self.every(job, key, default) * 3600
        return now - dt.timedelta(seconds=max(floor_seconds, every - run_gap_seconds(job)))

    def lines(self) -> list[str]:
        """The plan in words, one line a need (the runs log it)."""
        head = (
            f"quota plan: {self.quota_per_minute}/min configured, {self.usable_per_minute:.0f} usable; publishing "
            f"{self.publishing_per_minute:.1f}/min on average first (an announcement to every location holds the "
            f"others back {self.burst_minutes:.0f} min); {self.left_per_minute:.0f}/min left unplanned"
        )
        return [head] + [
            f"quota plan: {s.job} {s.need.data}: {s.need.items} every {hours_text(s.every_hours)}, "
            f"{s.per_minute:.1f}/min planned ({s.need.per_minute_now:.1f} now), worst staleness "
            f"{hours_text(s.worst_stale_hours)}" + ("" if s.fits else " (does not fit: least frequent cadence)")
            for s in self.shares
        ]


def run_gap_seconds(job: str) -> float:
    """Seconds between two runs of `job`, on average over the hours it runs."""
    schedule = next((j.schedule for j in JOBS if j.name == job), "0 * * * *")
    return 86400 / runs_per_day(schedule)


def hours_text(hours: float) -> str:
    if hours < 1:
        return f"{hours * 60:.0f} min"
    return f"{hours:.1f} h" if hours % 1 else f"{hours:.0f} h"


def runs_per_day(schedule: str) -> float:
    """Runs a day of a cron expression's minute and hour fields (on the days it runs)."""
    minute, hour = schedule.split()[:2]
    return len(cron_field_values(minute, 60)) * len(cron_field_values(hour, 24))


def cron_field_values(text: str, size: int) -> list[int]:
    """The values a cron field ("*/15", "7", "6-17", "7,37") stands for, out of 0 .. size - 1."""
    values: set[int] = set()
    for part in text.split(","):
        span, _, step = part.partition("/")
        if span == "*":
            first, last = 0, size - 1
        elif match := re.fullmatch(r"(\d+)-(\d+)", span):
            first, last = int(match[1]), int(match[2])
        else:
            first = last = int(span)
            if step:
                last = size - 1
        values.update(range(first, last + 1, int(step or 1)))
    return sorted(values)


def plan_compute(
    *,
    quota_per_minute: int,
    publishing: Need,
    locations: int,
    needs: list[tuple[str, Need, float]],
    run_seconds: float,
) -> Plan:
    """The plan for `needs` ((job, need, the job's runs a day), in the order they share what is
    left) after `publishing`'s average, with `locations` in the group."""
    usable = quota_per_minute / SAFETY_MARGIN
    publishing_rate = publishing.per_minute(publishing.every_hours[0])
    burst = locations / usable if usable else 0.0
    left = usable * (1 - HEADROOM) - publishing_rate
    shares = []
    for job, need, runs in needs:
        capacity = runs * run_seconds * usable / 60 / 1440  # requests a minute its runs can make
        fitting = [h for h in need.every_hours if need.per_minute(h) <= min(left, capacity)]
        every = fitting[0] if fitting else need.every_hours[-1]
        rate = need.per_minute(every)
        left -= rate
        gap = 24 / runs if runs else 24
        # An item served in a run is due again `every` less a gap later, and the first run after
        # that serves it: `every` on (or the next run, when runs are further apart), by the end of
        # that run. A run that starts during the longest burst of publishing stands aside until its
        # deadline, and the runs whose whole time the burst covers are lost: a gap each.
        lost = math.ceil(max(0.0, burst - run_seconds / 60) / (gap * 60))
        worst = max(every, gap) + run_seconds / 3600 + lost * gap
        shares.append(Share(job, need, every, rate, worst, bool(fitting)))
    return Plan(quota_per_minute, usable, publishing_rate, burst, shares, max(0.0, left))


def _demand(target: str) -> list[Need]:
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)()


def quota_plan() -> Plan:
    """The plan for the group as the database holds it now and the configured quota."""
    publishing = None
    needs = []
    for job in JOBS:
        if not job.demand:
            continue
        for need in _demand(job.demand):
            if job.name == "publish-scheduled":
                publishing = need
            else:
                needs.append((job.name, need, runs_per_day(job.schedule)))
    publishing = publishing or Need("posts", "posts", 0, 1, (168,))
    locations = Franchise.objects.on_google().count()
    return plan_compute(
        quota_per_minute=settings.GOOGLE_REQUESTS_PER_MINUTE,
        publishing=publishing,
        locations=locations,
        needs=needs,
        run_seconds=settings.CRON_TIME_BUDGET_SECONDS,
    )


def quota_plan_log(job: str) -> Plan:
    """Compute the plan and log its head and `job`'s lines (each run of a job that shares the
    quota does, first)."""
    plan = quota_plan()
    head, *lines = plan.lines()
    logger.info(head)
    for line in lines:
        if line.startswith(f"quota plan: {job} "):
            logger.info(line)
    return plan
