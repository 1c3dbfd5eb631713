"""Helpers of the chaos suite: runner processes, due posts, and the end-state checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def runner_start(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "publish_scheduled"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def runner_finish(runner: subprocess.Popen, timeout: float = 120) -> tuple[int, str]:
    """Wait for a runner (reading its stderr so a full pipe never blocks it): (exit code, stderr)."""
    _, stderr = runner.communicate(timeout=timeout)
    return runner.returncode, stderr


def staff_actor_start(env: dict[str, str], *, seed: int, headquarters: bool = False) -> subprocess.Popen:
    """A process acting as staff on the dashboard (chaos/staff_actor.py) until stopped; as
    headquarters (announcements, repeating posts) with `headquarters`."""
    return subprocess.Popen(
        [sys.executable, "-m", "chaos.staff_actor", "--seed", str(seed), *(["--headquarters"] if headquarters else [])],
        cwd=ROOT,
        env={**env, "DATABASE_URL": env["DATABASE_URL"].replace("publish-runner", "staff-actor")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def staff_actor_stop(actor: subprocess.Popen) -> dict:
    """Stop the actor (SIGTERM: it finishes its action) and return what it did."""
    import json
    import signal

    actor.send_signal(signal.SIGTERM)
    stdout, stderr = actor.communicate(timeout=60)
    assert actor.returncode == 0, stderr
    return json.loads(stdout.strip().splitlines()[-1])


def due_posts_create(sandbox, *, franchises: int, posts: int) -> list:
    from testkit.google import franchises_connected_to_sandbox_bulk, posts_due_bulk

    created = franchises_connected_to_sandbox_bulk(sandbox.client, count=franchises, name="Chaos Franchise")
    return posts_due_bulk(created, count=posts, summary="Chaos post {n}: it must reach Google exactly once.")
