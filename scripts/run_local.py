"""`make run`: the whole product on one machine with nothing configured.

Starts, and on Ctrl-C stops:
1. the sandbox of Google and Anthropic (`python -m sandbox`, state kept in var/sandbox.json),
2. the web app (`manage.py runserver`) on SQLite with DEBUG, pointed at the sandbox,
3. a local scheduler that calls every job's cron endpoint on its schedule (the job registry,
   gbp_scheduler/jobs.py, parsed with croniter), the way Vercel Cron would: GET with the bearer
   secret. `--cadence N` also runs the frequent jobs every N seconds so a demo need not wait a
   quarter of an hour.

Settings come from the environment and .env as usual; this only fills in what is missing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from croniter import croniter

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
    parser.add_argument("--sandbox-port", type=int, default=int(os.environ.get("SANDBOX_PORT", 8010)))
    parser.add_argument(
        "--cadence",
        type=int,
        default=int(os.environ.get("DEMO_CRON_CADENCE", 60)),
        help="also run the every-15-minutes jobs every N seconds (0: only vercel.json's schedule)",
    )
    return parser.parse_args()


def local_environment(args: argparse.Namespace) -> dict[str, str]:
    sandbox = f"http://127.0.0.1:{args.sandbox_port}"
    env = dict(os.environ)
    defaults = {
        "DEBUG": "true",
        "CRON_SECRET": "local-cron-secret",
        "GOOGLE_API_BASE_URL": sandbox,
        "GOOGLE_CLIENT_ID": "sandbox-client.apps.googleusercontent.com",
        "GOOGLE_CLIENT_SECRET": "sandbox-client-secret",
        "ANTHROPIC_BASE_URL": sandbox,
        "ANTHROPIC_API_KEY": "sk-ant-sandbox-key",
        "SITE_URL": f"http://{args.host}:{args.port}",
        # requests-oauthlib refuses an http:// token endpoint without it; the sandbox is local http.
        "OAUTHLIB_INSECURE_TRANSPORT": "1",
        "PYTHONUNBUFFERED": "1",
    }
    for name, value in defaults.items():
        env.setdefault(name, value)
    return env


def wait_for(url: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


class Scheduler(threading.Thread):
    """Calls each job's cron path when its schedule (UTC) comes due."""

    def __init__(self, *, base: str, secret: str, cadence: int, stop: threading.Event):
        super().__init__(name="scheduler", daemon=True)
        self.base, self.secret, self.cadence, self.stop = base, secret, cadence, stop
        sys.path.insert(0, str(ROOT))
        from gbp_scheduler.jobs import JOBS  # the registry needs no Django set-up to be read

        self.crons = [{"path": f"/api/cron/{job.name}", "schedule": job.schedule} for job in JOBS]

    def run(self) -> None:
        now = dt.datetime.now(dt.UTC)
        plans = []
        for cron in self.crons:
            schedule = croniter(cron["schedule"], now)
            frequent = croniter(cron["schedule"], now).get_next(dt.datetime) - now < dt.timedelta(hours=1)
            plans.append(
                {
                    "path": cron["path"],
                    "schedule": schedule,
                    "next": schedule.get_next(dt.datetime),
                    "frequent": frequent,
                    "last": 0.0,
                }
            )
        while not self.stop.wait(1.0):
            now = dt.datetime.now(dt.UTC)
            for plan in plans:
                demo_due = self.cadence and plan["frequent"] and time.monotonic() - plan["last"] >= self.cadence
                if now >= plan["next"] or demo_due:
                    if now >= plan["next"]:
                        plan["next"] = plan["schedule"].get_next(dt.datetime)
                    plan["last"] = time.monotonic()
                    self.call(plan["path"])

    def call(self, path: str) -> None:
        request = urllib.request.Request(self.base + path, headers={"Authorization": f"Bearer {self.secret}"})
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                print(f"[scheduler] {path} -> {response.status} {response.read().decode()[:300]}", flush=True)
        except urllib.error.HTTPError as exc:
            print(f"[scheduler] {path} -> {exc.code} {exc.read().decode()[:300]}", flush=True)
        except OSError as exc:
            print(f"[scheduler] {path} failed: {exc}", flush=True)


def main() -> None:
    args = parse_args()
    env = local_environment(args)
    (ROOT / "var").mkdir(exist_ok=True)
    children: list[subprocess.Popen] = []
    stop = threading.Event()

    def shutdown(*_):
        stop.set()
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: (shutdown(), sys.exit(0)))
    try:
        children.append(
            subprocess.Popen(
                [PYTHON, "-m", "sandbox", "--port", str(args.sandbox_port), "--state-file", "var/sandbox.json"],
                cwd=ROOT,
                env=env,
            )
        )
        wait_for(f"http://127.0.0.1:{args.sandbox_port}/_sandbox/health")
        for command in (["migrate", "--noinput"], ["seed_demo"]):
            subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True)
        children.append(
            subprocess.Popen(
                [PYTHON, "manage.py", "runserver", f"{args.host}:{args.port}", "--noreload"], cwd=ROOT, env=env
            )
        )
        base = f"http://{args.host}:{args.port}"
        wait_for(base + "/api/health/live")
        Scheduler(base=base, secret=env["CRON_SECRET"], cadence=args.cadence, stop=stop).start()
        print(
            "\n"
            f"  App:                 {base}/  (admin: {base}/admin/)\n"
            f"  Google/Anthropic:    http://127.0.0.1:{args.sandbox_port}/  (the sandbox: posts as customers see)\n"
            f"  Health:              {base}/api/health\n"
            f"  Crons:               every job on its schedule, plus every {args.cadence}s for the frequent jobs\n"
            "  Ctrl-C stops everything.\n",
            flush=True,
        )
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("A process stopped; shutting down.", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        shutdown()


if __name__ == "__main__":
    main()
