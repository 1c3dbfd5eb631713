"""A day of a big group on one Google quota, for real, on a compressed clock.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gbp_groupday .venv/bin/python bench/group_day.py \\
        --locations 10000 --quota 300 --latency-ms 300 --scale 20

The app's own jobs (gbp_scheduler.jobs.JOBS) run on their cron schedules as Vercel would start
them (each run in its own thread, overlapping runs allowed, each under CRON_TIME_BUDGET_SECONDS),
and every request they make goes to the sandbox (Google's wire format, its own per-minute quota
answering 429 past it). Time is simulated and runs `--scale` times faster than real time for the
app's Python side and PostgreSQL alike (bench/sim_clock.py); the sandbox is told the same scale
(its latency is --latency-ms / scale, its quota --quota in any 60 / scale real seconds). The run covers
`--hours` of the simulated day from `--start` (UTC; every location is in UTC). With --quiet-scale,
only the --busy windows and the runs of --busy-jobs go at --scale, the rest faster: the machine's
CPU must keep up with the work of a simulated second (a fetch-insights run's 800 locations, each
some milliseconds of Python and SQL, do not fit 240 simulated seconds at 30x; nor do a
sync-google-posts run's).

The day's work: N locations on one Google account, each with a live post from three days before;
2 posts a week per location (today's: a third of them a weekly repeating series at 10:00, the rest
one-off posts at a 5-minute mark 07:00-19:00), an announcement to every location at 09:00, a new
review on a seventh of the locations at a random moment, and Google rejecting 1 % of new posts
(the benchmark rejects them a little after their create, at Google's). At the start every location
was last synced, fetched and read evenly over the round the quota plan gives it (figures: in the
job's runs of the last day), and holds the 90 days of figures those readings left (so today's reads
the last week, as every day's after the first).

Prints the quota plan (what the System page shows for this group), then per job its requests, share
of the quota and worst and p95 staleness of what it keeps (sampled every 5 simulated minutes); for
posts due in the window the p95 and max delay from due time to live, the announcement's duration,
reviews' delay from arrival to the database, and the 429s the sandbox answered.

PostgreSQL only: SQLite's time functions cannot be shadowed. The discrete-event model this
replaced is bench/group_day_model.py (no request sent; its figures are a model's).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sim_clock
from harness import (
    database_drop,
    database_settle,
    django_configure,
    percentile,
    sandbox_start,
    summary_add,
    table,
)

REJECTED_SHARE = 0.01
REVIEWED_SHARE = 1 / 7  # a new review a week per location
SAMPLE_MINUTES = 5
ANNOUNCEMENT = dt.time(9, 0)
REPEATING = dt.time(10, 0)
# The sandbox's route kinds, by the job whose requests they are.
KINDS = {
    "publish-scheduled": ("posts.create", "posts.patch", "posts.delete"),
    "sync-google-posts": ("posts.list", "posts.get"),
    "sync-reviews": ("reviews.list", "reviews.batch", "reviews.get", "reviews.reply", "reviews.delete_reply"),
    "fetch-insights": ("performance.fetch",),
    "fetch-search-keywords": ("performance.keywords",),
    "check-posting-rights": ("locations",),
    "token refreshes": ("token",),
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--locations", type=int, default=10_000)
    parser.add_argument("--quota", type=int, default=300, help="GOOGLE_REQUESTS_PER_MINUTE (default 300)")
    parser.add_argument("--latency-ms", type=float, default=300, help="Google's answer time (default 300)")
    parser.add_argument("--scale", type=float, default=20, help="simulated seconds a real second (default 20)")
    parser.add_argument(
        "--quiet-scale",
        type=float,
        default=None,
        help="simulated seconds a real second outside --busy (default: --scale all day)",
    )
    parser.add_argument(
        "--busy",
        default="08:45-10:30",
        help="UTC HH:MM-HH:MM windows, separated by commas, run at --scale when --quiet-scale is given",
    )
    parser.add_argument(
        "--busy-jobs",
        default="fetch-insights,sync-google-posts",
        help="jobs whose runs (start to budget's end) also go at --scale, separated by commas "
        "(default fetch-insights,sync-google-posts: the some 830 locations a run of each reads cost "
        "more CPU than 30x leaves them)",
    )
    parser.add_argument("--start", default="00:00", help="simulated start, UTC HH:MM (default 00:00)")
    parser.add_argument("--hours", type=float, default=24, help="simulated hours to run (default 24)")
    parser.add_argument("--seed", type=int, default=33)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)  # the sandbox's dates lag no simulated one
    hour, minute = (int(part) for part in args.start.split(":"))
    start = dt.datetime.combine(day, dt.time(hour, minute), dt.UTC)
    end = start + dt.timedelta(hours=args.hours)
    # Set-up runs an hour before the window at the real pace; the window at --scale.
    sim_clock.install(at=(start - dt.timedelta(hours=1)).timestamp(), scale=1)
    sandbox = sandbox_start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            django_configure(
                tmp,
                sandbox,
                env={"GOOGLE_REQUESTS_PER_MINUTE": str(args.quota), "LOG_LEVEL": "ERROR"},
                db_prefix="groupday_",
            )
            from django.db import connection

            if connection.vendor != "postgresql":
                raise SystemExit("bench/group_day.py runs on PostgreSQL only (set DATABASE_URL)")
            # Each run opens connections of its own at once; on a machine loaded by others the
            # default 5 s to connect (real seconds: psycopg keeps the real clock) was too short.
            connection.settings_dict["OPTIONS"]["connect_timeout"] = 30
            try:
                return run(args, sandbox, day=day, start=start, end=end)
            finally:
                database_drop()
    finally:
        sandbox.stop()
        sim_clock.uninstall()


def run(args, sandbox, *, day: dt.date, start: dt.datetime, end: dt.datetime) -> dict:
    from django.db import connection

    from franchises.google.quota_plan import quota_plan

    sim_clock.database_install()
    rng = random.Random(args.seed)
    world = group_build(sandbox, args, rng, day=day, start=start, end=end)
    database_settle()
    plan = quota_plan()
    history_spread(plan, start=start, day=day, rng=rng)
    plan = quota_plan()  # with the locations' rows as the day begins
    print(
        f"set-up: {args.locations} locations, {world['posts_in_window']} posts due in the window "
        f"({world['announced']} of them the announcement), {len(world['reviews'])} reviews to arrive",
        flush=True,
    )

    before = sandbox.client.counters()
    busy = busy_windows(args, day, start=start, end=end)
    sim_clock.set_clock(
        at=start.timestamp(),
        scale=args.scale,
        quiet_scale=args.quiet_scale,
        busy=[(begin.timestamp(), until.timestamp()) for begin, until in busy] if args.quiet_scale else None,
    )
    sim_clock.database_sync()
    world["sandbox_speed"] = None
    sandbox_tell(sandbox, args, world)
    day_run(sandbox, world, start=start, end=end, rng=rng, on_minute=lambda: sandbox_tell(sandbox, args, world))
    after = sandbox.client.counters()
    world["refusals"] = sandbox.client.quota_refusals()
    connection.close()
    sandbox.client.latency(0)
    sandbox.client.set_quota(None)
    figures = figures_print(args, plan, world, before=before, after=after, start=start, end=end, day=day)
    return figures


def busy_windows(args, day: dt.date, *, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """--busy as simulated datetimes of `day` (a window's end the next day when it wraps midnight),
    and each run of --busy-jobs from `start` to `end`: from its minute to its budget's end."""
    from django.conf import settings

    windows = []
    for window in filter(None, args.busy.split(",")):
        begin, until = (dt.datetime.combine(day, dt.time(*map(int, t.split(":"))), dt.UTC) for t in window.split("-"))
        windows.append((begin, until if until > begin else until + dt.timedelta(days=1)))
    run = dt.timedelta(seconds=settings.CRON_TIME_BUDGET_SECONDS + 60)
    for name in filter(None, args.busy_jobs.split(",")):
        windows += [(at, at + run) for at in job_runs(name, start - run, end)]
    return windows


def sandbox_tell(sandbox, args, world: dict) -> None:
    """Tell the sandbox (real time) the speed now: Google's latency / speed, and its quota counted
    over 60 s / speed real seconds. Again whenever the speed changes."""
    speed = sim_clock.scale()
    if world["sandbox_speed"] == speed:
        return
    world["sandbox_speed"] = speed
    sandbox.client.latency(args.latency_ms / 1000 / speed)
    # The quota per simulated minute: per_minute x speed in real minutes, counted over 60 s / speed.
    sandbox.client.set_quota(round(args.quota * speed), window_seconds=60 / speed)
    print(f"{sim_clock.sim_now():%H:%M} simulated: {speed:g}x", flush=True)


# --- the group and its day --------------------------------------------------------------------------


def group_build(sandbox, args, rng: random.Random, *, day: dt.date, start: dt.datetime, end: dt.datetime) -> dict:
    from django.contrib.auth import get_user_model

    from franchises.models import Franchise
    from posts.models import Post
    from posts.services import announcement_schedule
    from posts.services.series import series_create, series_rule_build
    from testkit.google import franchises_on_one_account_in_sandbox

    n = args.locations
    client = sandbox.client
    franchises = franchises_on_one_account_in_sandbox(client, count=n, name="Location")
    Franchise.objects.update(timezone="UTC")
    franchises = list(Franchise.objects.order_by("pk"))
    headquarters = get_user_model().objects.create_superuser("bench-hq", "", None)

    # Each location's live post from three days before.
    three_days = start - dt.timedelta(days=3)
    names = [client.add_past_post(f.google_location_id, f"Our week at {f.name}", three_days) for f in franchises]
    Post.objects.bulk_create(
        Post(
            franchise=f,
            status=Post.Status.PUBLISHED,
            summary=f"Our week at {f.name}",
            scheduled_at=three_days,
            published_at=three_days,
            google_post_name=name,
            google_state="LIVE",
        )
        for f, name in zip(franchises, names, strict=True)
    )

    # Today's posts: 2 a week per location, a third of them a weekly series at 10:00.
    weekday = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][day.weekday()]
    one_off = []
    for f in franchises:
        if rng.random() >= 2 / 7:
            continue
        if rng.random() < 1 / 3:
            series_create(
                franchise=f,
                user=headquarters,
                rule=series_rule_build(frequency="weekly", weekdays=[weekday]),
                starts_on=day,
                local_time=REPEATING,
                summary=f"Every {weekday}: fresh from {f.name}.",
                topic_type="STANDARD",
            )
        else:
            at = dt.datetime.combine(day, dt.time(0), dt.UTC) + dt.timedelta(minutes=5 * rng.randrange(84, 228))
            one_off.append(
                Post(franchise=f, status=Post.Status.SCHEDULED, scheduled_at=at, summary=f"News of {f.name}.")
            )
    Post.objects.bulk_create(one_off)
    announced_at = dt.datetime.combine(day, ANNOUNCEMENT, dt.UTC)
    announced = 0
    if start <= announced_at < end:
        announcement_schedule(
            franchises=franchises,
            template="{name}: our spring schedule is open. Book your first visit today!",
            date=day,
            local_time=ANNOUNCEMENT,
            user=headquarters,
        )
        announced = n
    posts_in_window = Post.objects.filter(
        status=Post.Status.SCHEDULED, scheduled_at__gte=start, scheduled_at__lt=end
    ).count()
    # Reviews to arrive in the window: (simulated time, location id).
    reviews = sorted(
        (start + dt.timedelta(seconds=rng.uniform(0, (end - start).total_seconds())), f.google_location_id)
        for f in franchises
        if rng.random() < REVIEWED_SHARE * (end - start).total_seconds() / 86400
    )
    return {
        "franchises": franchises,
        "posts_in_window": posts_in_window,
        "announced": announced,
        "announced_at": announced_at,
        "reviews": reviews,
    }


def history_spread(plan, *, start: dt.datetime, day: dt.date, rng: random.Random) -> None:
    """Steady state at the start: each location last served at an even spread over its round."""

    from franchises.models import Franchise
    from insights.models import InsightsFetch
    from reviews.models import ReviewSync

    ids = list(Franchise.objects.order_by("pk").values_list("pk", flat=True))
    n = len(ids)
    sync_every = plan.every("sync-google-posts", "recent", 1) * 3600
    reviews_every = plan.every("sync-reviews", "reviews", 1) * 3600
    insights_runs = job_runs(
        "fetch-insights", start - dt.timedelta(hours=plan.every("fetch-insights", "insights", 24)), start
    )

    def spread(i: int, seconds: float) -> dt.datetime:
        return start - dt.timedelta(seconds=(i + 0.5) / n * seconds)

    order = list(range(n))
    rng.shuffle(order)
    Franchise.objects.bulk_update(
        [Franchise(pk=pk, google_posts_synced_at=spread(order[i], sync_every)) for i, pk in enumerate(ids)],
        ["google_posts_synced_at"],
        batch_size=2000,
    )
    # Each location's last reading in one of fetch-insights' runs of the round before the start (an
    # even share each, over its first minute), through the day before; and the figures the days
    # before left: 90 days of every metric and their running totals.
    readings = []
    for i, pk in enumerate(ids):
        at = insights_runs[order[i] % len(insights_runs)] + dt.timedelta(seconds=rng.uniform(0, 60))
        readings.append(InsightsFetch(franchise_id=pk, fetched_at=at, fetched_through=at.date() - dt.timedelta(days=1)))
    InsightsFetch.objects.bulk_create(readings, ignore_conflicts=True)
    figures_history(through=day - dt.timedelta(days=2))
    ReviewSync.objects.bulk_create(
        [ReviewSync(franchise_id=pk, synced_at=spread(order[i], reviews_every)) for i, pk in enumerate(ids)],
        ignore_conflicts=True,
    )


def job_runs(name: str, after: dt.datetime, until: dt.datetime) -> list[dt.datetime]:
    """The times `name`'s cron starts a run in (after, until]."""
    from croniter import croniter

    from gbp_scheduler.jobs import JOBS

    runs, found = croniter(next(job.schedule for job in JOBS if job.name == name), after), []
    while (at := runs.get_next(dt.datetime)) <= until:
        found.append(at)
    return found


def figures_history(*, through: dt.date) -> None:
    """Google's daily figures of every location for the HISTORY_DAYS days to `through` (in SQL: 9
    million rows at 10,000 locations), and their running totals, as the fetches of the days before
    left them."""
    from django.db import connection

    from insights.models import metrics_supported
    from insights.running import views_running_recount
    from insights.services import HISTORY_DAYS

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO insights_daily_metrics (franchise_id, metric, day, value, fetched_at) "
            "SELECT f.id, m.metric, %s::date - d, (f.n * 7 + d * 3 + m.i) %% 90, now() "
            "FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM franchises) f, "
            "generate_series(0, %s) d, unnest(%s::text[]) WITH ORDINALITY m(metric, i)",
            [through, HISTORY_DAYS - 1, metrics_supported(today=through)],
        )
    views_running_recount()


def day_run(sandbox, world: dict, *, start: dt.datetime, end: dt.datetime, rng: random.Random, on_minute=None) -> None:
    """The simulated cron from `start` to `end`: each minute the jobs due start, reviews arrive,
    Google rejects some new posts; every SAMPLE_MINUTES the staleness is sampled. Then waits for the
    runs still going."""
    from croniter import croniter
    from django.db import connection

    from gbp_scheduler.jobs import JOBS, job_run

    runs: list[threading.Thread] = []
    world["runs"] = Counter()
    world["broke"] = Counter()
    world["samples"] = []
    world["last_sample"] = start
    world["review_seen"] = {}
    world["rejected"] = {}
    world["rejection_seen"] = {}
    reviews = list(world["reviews"])
    world["review_added"] = {}
    # Google's posts are looked at from the last one seen on (the posts from before are not new).
    seen_posts = {"last_id": max((int(post["id"]) for post in sandbox.client.posts()), default=0)}

    world["publish_runs"] = []

    def run_job(job) -> None:
        try:
            summary = job_run(job)
            if job.name == "publish-scheduled":
                world["publish_runs"].append(summary)
        except Exception as exc:  # a broken run is the job's record; the day goes on
            world["broke"][f"{job.name}: {getattr(exc, 'detail', exc)}"[:300]] += 1
        finally:
            connection.close()

    sampler = None
    minute = start
    world["lag"] = []
    while minute < end:
        wait = (minute - sim_clock.sim_now()).total_seconds()
        if wait > 0:
            sim_clock.sim_sleep(wait)
        # How late the cron's minute starts (simulated seconds): a machine that cannot keep up
        # with the speed falls behind here.
        lag = (sim_clock.sim_now() - minute).total_seconds()
        world["lag"].append(lag)
        if minute.minute == 0:
            running = Counter(thread.name for thread in runs if thread.is_alive())
            print(
                f"{minute:%H:%M} simulated at {sim_clock.scale():g}x: this minute {lag:.1f} s late, "
                f"the last hour's worst {max(world['lag'][-60:]):.1f} s; runs going: {dict(running)}",
                flush=True,
            )
        if on_minute:
            on_minute()
        for job in JOBS:
            if croniter.match(job.schedule, minute):
                thread = threading.Thread(target=run_job, args=(job,), name=job.name, daemon=True)
                thread.start()
                runs.append(thread)
                world["runs"][job.name] += 1
        while reviews and reviews[0][0] < minute + dt.timedelta(minutes=1):
            _, location = reviews.pop(0)
            review = sandbox.client.add_review(location, stars=4, comment="Friendly and quick.")
            world["review_added"][review["name"]] = sim_clock.sim_now()
        if minute.minute % SAMPLE_MINUTES == 0 and not (sampler and sampler.is_alive()):
            # Off the cron's thread: a sample takes real time the simulated minutes do not wait for.
            sampler = threading.Thread(target=google_rejects_and_sample, args=(sandbox, world, seen_posts, rng))
            sampler.start()
        runs = [thread for thread in runs if thread.is_alive()]
        minute += dt.timedelta(minutes=1)
    for thread in [*runs, *([sampler] if sampler else [])]:
        thread.join()
    sample_take(world)
    connection.close()


def google_rejects_and_sample(sandbox, world: dict, seen_posts: dict, rng: random.Random) -> None:
    """Google rejects REJECTED_SHARE of the posts created since the last look; then a sample.
    Only the new posts are listed: decoding every post (over 20,000 at 10,000 locations) held this
    process's GIL long enough to bunch the publishing workers' requests into one of Google's
    windows."""
    from django.db import connection

    try:
        for post in sandbox.client.posts(include_deleted=False, after_id=seen_posts["last_id"]):
            seen_posts["last_id"] = max(seen_posts["last_id"], int(post["id"]))
            if post["state"] == "LIVE" and rng.random() < REJECTED_SHARE:
                sandbox.client.reject_post(post["name"])
                world["rejected"][post["name"]] = sim_clock.sim_now()
        sample_take(world)
    finally:
        connection.close()


def sample_take(world: dict) -> None:
    """Staleness now (hours) of post states, insights and reviews across the locations, and which
    new reviews and rejections the database holds by now."""
    from django.db.models import Exists, OuterRef

    from franchises.models import Franchise
    from insights.models import InsightsFetch
    from posts.models import GOOGLE_REJECTED, Post
    from reviews.models import Review, ReviewSync

    now = sim_clock.sim_now()

    def ages(values) -> list[float]:
        return [(now - at).total_seconds() / 3600 for at in values if at is not None]

    published = Post.objects.filter(franchise=OuterRef("pk"), status=Post.Status.PUBLISHED)
    sample = {
        "sync-google-posts": ages(
            Franchise.objects.filter(Exists(published)).values_list("google_posts_synced_at", flat=True)
        ),
        "fetch-insights": ages(InsightsFetch.objects.values_list("fetched_at", flat=True)),
        "sync-reviews": ages(ReviewSync.objects.values_list("synced_at", flat=True)),
    }
    world["samples"].append(sample)
    world["last_sample"] = now
    waiting = [name for name in world["review_added"] if name not in world["review_seen"]]
    for name in Review.objects.filter(google_name__in=waiting).values_list("google_name", flat=True):
        world["review_seen"][name] = now
    waiting = [name for name in world["rejected"] if name not in world["rejection_seen"]]
    for name in Post.objects.filter(google_post_name__in=waiting, google_state=GOOGLE_REJECTED).values_list(
        "google_post_name", flat=True
    ):
        world["rejection_seen"][name] = now


# --- the figures ------------------------------------------------------------------------------------


def figures_print(args, plan, world, *, before: dict, after: dict, start, end, day) -> dict:
    from posts.models import Post

    minutes = (end - start).total_seconds() / 60
    capacity = args.quota * minutes

    def requests(kinds) -> int:
        return sum(after.get(k, {}).get("total", 0) - before.get(k, {}).get("total", 0) for k in kinds)

    too_many = sum(
        after.get(k, {}).get("by_status", {}).get("429", 0) - before.get(k, {}).get("by_status", {}).get("429", 0)
        for k in after
    )
    print("\nthe quota plan at the start (the System page's figures for this group):")
    for line in plan.lines():
        print("  " + line)

    worst = {job: max((max(s[job], default=0) for s in world["samples"]), default=0) for job in world["samples"][0]}
    p95 = {job: max(percentile(s[job], 0.95) for s in world["samples"]) for job in world["samples"][0]}
    rows = []
    for job, kinds in KINDS.items():
        count = requests(kinds)
        stale = [f"{worst[job]:.1f} h", f"{p95[job]:.1f} h"] if job in worst else ["", ""]
        rows.append([job, world["runs"].get(job, ""), count, f"{count / capacity:.1%}", *stale])
    total = sum(requests(kinds) for kinds in KINDS.values())
    rows.append(["all", sum(world["runs"].values()), total, f"{total / capacity:.1%}", "", ""])

    due = Post.objects.filter(scheduled_at__gte=start, scheduled_at__lt=end).exclude(status=Post.Status.PUBLISHED)
    not_live = due.count()
    done = list(
        Post.objects.filter(scheduled_at__gte=start, scheduled_at__lt=end, status=Post.Status.PUBLISHED).values_list(
            "scheduled_at", "published_at", "announcement_id"
        )
    )
    delays = [(live - at).total_seconds() / 60 for at, live, _ in done]
    others = [(live - at).total_seconds() / 60 for at, live, a in done if a is None]
    announced = [live for _, live, a in done if a is not None]
    review_delays = [
        (world["review_seen"][name] - added).total_seconds() / 60
        for name, added in world["review_added"].items()
        if name in world["review_seen"]
    ]
    rejection_delays = [
        (world["rejection_seen"][name] - at).total_seconds() / 3600
        for name, at in world["rejected"].items()
        if name in world["rejection_seen"]
    ]

    print(
        f"\n{args.locations} locations, quota {args.quota}/min, Google answering in {args.latency_ms:g} ms; "
        f"simulated {start:%Y-%m-%d %H:%M} to {end:%H:%M} UTC ({minutes / 60:g} h) at {args.scale:g}x"
        + (
            f" ({args.busy} and the runs of {args.busy_jobs}; {args.quiet_scale:g}x outside)"
            if args.quiet_scale
            else ""
        )
        + "; every request sent to the sandbox, PostgreSQL"
    )
    print(table(["job", "runs", "requests", "share of the quota", "worst staleness", "p95 staleness"], rows))
    figures = {
        "posts_due": len(done) + not_live,
        "posts_live": len(done),
        "p95_minutes": percentile(delays, 0.95),
        "max_minutes": max(delays, default=0.0),
        "too_many": too_many,
        "worst": worst,
    }
    print(
        f"\nposts due in the window: {len(done)}/{len(done) + not_live} live; due to live p95 "
        f"{figures['p95_minutes']:.1f} min, max {figures['max_minutes']:.1f} min (the announcement's included)"
    )
    if others:
        print(
            f"the other posts ({len(others)}): due to live p95 {percentile(others, 0.95):.1f} min, "
            f"max {max(others):.1f} min"
        )
    if announced:
        took = (max(announced) - world["announced_at"]).total_seconds() / 60
        figures["announcement_minutes"] = took
        print(
            f"announcement to {world['announced']}: {len(announced)} live, the last {took:.1f} min after 09:00 "
            f"(the quota's floor {world['announced'] / args.quota:.1f} min; "
            f"{world['announced'] / plan.usable_per_minute:.1f} at the {plan.usable_per_minute:.0f} a minute usable)"
        )
    if announced:
        publishing_print(plan, world, announced, end=max(announced))
    # A review not yet seen must be younger than the target too: how long it had waited at the last sample.
    unseen = [
        (world["last_sample"] - added).total_seconds() / 60
        for name, added in world["review_added"].items()
        if name not in world["review_seen"]
    ]
    print(
        f"reviews: {len(review_delays)}/{len(world['review_added'])} in the database; arrival to database "
        f"p95 {percentile(review_delays, 0.95):.0f} min, max {max(review_delays, default=0):.0f} min "
        f"(seen at {SAMPLE_MINUTES}-min samples); the {len(unseen)} not yet had waited at most "
        f"{max(unseen, default=0):.0f} min at the last sample"
    )
    print(
        f"rejected by Google: {len(world['rejected'])}, {len(rejection_delays)} noticed by the sync, within "
        f"{max(rejection_delays, default=0):.1f} h at worst"
    )
    print(f"429s answered by the sandbox: {too_many}")
    refusals_print(world.get("refusals", []))
    lags = world.get("lag") or [0.0]
    print(f"the cron's minutes started late by p95 {percentile(lags, 0.95):.1f} s, max {max(lags):.1f} s (simulated)")
    if world["broke"]:
        print("runs that broke: " + ", ".join(f"{k} x{v}" for k, v in world["broke"].items()))
    summary_add(
        "group day",
        f"{args.locations} locations, {minutes / 60:g} h at {args.scale:g}x: posts due to live p95 / max (min); 429s",
        f"{figures['p95_minutes']:.1f} / {figures['max_minutes']:.1f}; {too_many}",
    )
    return figures


def refusals_print(refusals: list[dict]) -> None:
    """Each 429 with what Google's window held when it came (sandbox/gbp.py: quota_count): the
    requests by kind, the most in any simulated second of it and in its last, the largest gap."""
    for refusal in refusals[:30]:
        tick = refusal["window_seconds"] / 60
        print(
            f"  429 at {sim_clock.sim_of_real_monotonic(refusal['arrived']):%H:%M:%S} to {refusal['kind']}: "
            f"{refusal['held']}/{refusal['limit']} in the window "
            f"({', '.join(f'{k} {v}' for k, v in sorted(refusal['kinds'].items()))}); "
            f"a simulated second's most {refusal['densest_tick']}, its first {refusal['first_tick']}, "
            f"its last {refusal['last_tick']}; largest gap {refusal['largest_gap'] / tick:.1f} s; "
            f"counted {refusal['waited'] / tick:.2f} s after arrival (simulated)"
        )


def publishing_print(plan, world, announced: list, *, end: dt.datetime) -> None:
    """How the publish runs used the quota while the announcement went out: the posts gone live each
    minute against the usable rate, and the runs' own counts (their JSON answers)."""
    from posts.models import Post

    start = world["announced_at"]
    live = Post.objects.filter(published_at__gte=start, published_at__lte=end).values_list("published_at", flat=True)
    per_minute = Counter(int((at - start).total_seconds() // 60) for at in live)
    minutes = max(per_minute, default=0) + 1
    counts = [per_minute.get(m, 0) for m in range(minutes)]
    print(
        f"publishing from 09:00 to the announcement's last: {sum(counts)} posts live in {minutes} min, "
        f"{sum(counts) / minutes:.0f} a minute ({sum(counts) / minutes / plan.usable_per_minute:.2f} of the "
        f"{plan.usable_per_minute:.0f} usable); a minute's least {min(counts)}, most {max(counts)}"
    )
    print("  live each minute: " + " ".join(str(c) for c in counts))
    runs = [r for r in world["publish_runs"] if start <= dt.datetime.fromisoformat(r["startedAt"]) <= end]
    if runs:
        keys = ["published", "skipped_locked", "left_for_next_run", "deferred", "failed"]
        totals = {key: sum(r.get(key, 0) for r in runs) for key in keys}
        peaks = [r.get("peak_concurrency", 0) for r in runs]
        seconds = [r["durationMs"] / 1000 for r in runs]
        print(
            f"  {len(runs)} publish runs started in it: "
            + ", ".join(f"{key} {value}" for key, value in totals.items())
            + f"; a run's published {min(r['published'] for r in runs)}-{max(r['published'] for r in runs)}, "
            f"peak workers {min(peaks)}-{max(peaks)}, duration {min(seconds):.0f}-{max(seconds):.0f} s"
        )


if __name__ == "__main__":
    main()
