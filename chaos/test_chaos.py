from __future__ import annotations

import os
import random
import signal
import subprocess
import time

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from chaos.helpers import (
    due_posts_create,
    runner_finish,
    runner_start,
    staff_actor_start,
    staff_actor_stop,
)
from posts.models import GoogleDeletion, Post
from testkit.google import assert_each_post_on_google_once, assert_google_mirrors_database, assert_nothing_half_written

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FAULTS = [
    {"action": "status", "status": 429, "retry_after": 1},
    {"action": "status", "status": 500},
    {"action": "status", "status": 503},
    {"action": "hang", "seconds": 2.0},
    {"action": "drop", "after_commit": True},
]


def _scheduled() -> int:
    """Posts due and not published yet (headquarters' repeating posts have weeks ahead of them)."""
    return Post.objects.filter(status=Post.Status.SCHEDULED, scheduled_at__lte=timezone.now()).count()


def _pending() -> int:
    """Work a run still has: posts to publish, copies on Google to update, delete or settle."""
    return (
        _scheduled()
        + Post.objects.filter(google_needs_update=True).count()
        + Post.objects.filter(google_create_sent_at__isnull=False).count()
        + GoogleDeletion.objects.count()
    )


def _runs_until_none_scheduled(env: dict[str, str], seconds: float = 120) -> None:
    """Undisturbed runs, one after another, until nothing is left to do (each must exit 0)."""
    deadline = time.monotonic() + seconds
    while _pending() and time.monotonic() < deadline:
        code, stderr = runner_finish(runner_start(env))
        assert code == 0, stderr
        time.sleep(1)


def _admin_sql(sql: str, *params) -> None:
    """Run SQL on a connection of its own (the test's may be the one being cut)."""
    db = connection.settings_dict
    with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname="postgres", autocommit=True) as c:
        c.execute(sql, params)


def test_runners_killed_again_and_again_under_failing_google_publish_every_post_once(sandbox, runner_env, capsys):
    """500 due posts, 8 runners at a time, SIGKILLed at random moments, 20% of Google's answers
    failing (429, 500, 503, hangs, answers lost after the create), while a member of staff edits,
    unschedules, reschedules and deletes posts through the dashboard's services and headquarters
    sends, edits and cancels announcements and starts, edits and ends repeating posts. At the end
    Google mirrors the database: each published post once with its current text, nothing else."""
    rng = random.Random(1234)
    due_posts_create(sandbox, franchises=40, posts=500)
    for route in ("posts.create", "posts.list", "posts.patch", "posts.delete"):
        sandbox.client.chaos(route, 0.2, seed=99, mix=FAULTS)
    sandbox.client.latency(0.1, route="posts.create")  # so kills land mid-publish, not after
    env = runner_env()
    staff = staff_actor_start(env, seed=5)
    headquarters = staff_actor_start(env, seed=6, headquarters=True)
    kills = 0
    deadline = time.monotonic() + 420

    for _round in range(40):
        if not _scheduled():
            break
        assert time.monotonic() < deadline, f"{_scheduled()} posts still scheduled after the time limit"
        runners = [runner_start(env) for _ in range(8)]
        time.sleep(rng.uniform(0.8, 2.0))  # past start-up (about 0.7 s): runners are publishing
        for runner in rng.sample(runners, k=rng.randint(2, 5)):
            if runner.poll() is None:
                runner.send_signal(signal.SIGKILL)
                kills += 1
        for runner in runners:
            runner_finish(runner)
        time.sleep(1)  # let backoffs come due

    done = staff_actor_stop(staff)
    sent = staff_actor_stop(headquarters)
    faults = sum(
        n
        for kind in ("posts.create", "posts.list", "posts.patch", "posts.delete")
        for status, n in sandbox.client.counters().get(kind, {}).get("by_status", {}).items()
        if status != "200"
    )
    sandbox.client.clear_faults()
    _runs_until_none_scheduled(env)  # the dust settles: runs without kills
    with capsys.disabled():
        print(f"\nchaos: {kills} runners killed, {faults} Google faults, staff did {done}, headquarters {sent}")

    assert_google_mirrors_database(sandbox)
    assert kills >= 10, f"only {kills} runners were killed mid-run: not enough chaos to mean anything"
    assert done.get("edit", 0) >= 20 and done.get("delete", 0) >= 3, f"the staff actor did too little: {done}"
    assert sent.get("announce", 0) >= 3 and sent.get("series", 0) >= 3, f"headquarters did too little: {sent}"


def test_a_run_cut_off_by_a_postgresql_restart_is_recovered_by_the_next_run(sandbox, runner_env):
    posts = due_posts_create(sandbox, franchises=10, posts=120)
    sandbox.client.latency(0.05, route="posts.create")
    env = runner_env(PUBLISH_CONCURRENCY="2")
    runner = runner_start(env)
    time.sleep(1.0)
    assert runner.poll() is None, "the run finished before the restart"
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True, timeout=120)
    connection.close()  # ours went down with the server too
    code, stderr = runner_finish(runner)
    # The run either stopped with a clear error or, its workers reconnecting, finished the job.
    assert code == 0 or "publish-scheduled: the run broke on a database error" in stderr, stderr

    assert_nothing_half_written()
    sandbox.client.latency(0)
    _runs_until_none_scheduled(env)
    assert_each_post_on_google_once(sandbox, posts)


@pytest.mark.parametrize("workers", ["1", "4"])
def test_a_dropped_database_connection_stops_the_run_with_a_clear_error_and_nothing_half_written(
    sandbox, runner_env, workers
):
    """With one worker the run's own thread meets the error; with several, a worker thread does and
    the run must still stop (not wait forever for the posts that worker left)."""
    posts = due_posts_create(sandbox, franchises=5, posts=60)
    sandbox.client.latency(0.05, route="posts.create")
    env = runner_env(PUBLISH_CONCURRENCY=workers)
    runner = runner_start(env)
    deadline = time.monotonic() + 30
    while not Post.objects.filter(status=Post.Status.PUBLISHED).exists():  # it is publishing now
        assert time.monotonic() < deadline and runner.poll() is None, "the runner never got going"
        time.sleep(0.05)
    _admin_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'publish-runner'")
    code, stderr = runner_finish(runner)
    assert code != 0
    assert "publish-scheduled: the run broke on a database error" in stderr
    assert Post.objects.filter(status=Post.Status.SCHEDULED).exists(), "the cut came too late to mean anything"

    assert_nothing_half_written()
    _runs_until_none_scheduled(env)
    assert_each_post_on_google_once(sandbox, posts)
