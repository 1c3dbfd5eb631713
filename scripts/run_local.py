"""`make run`: the whole product on one machine with nothing configured.

Starts, and on Ctrl-C stops:
1. the sandbox of Google and Anthropic (`python -m sandbox`, state kept in var/sandbox.json),
2. the web app (`manage.py runserver`) on SQLite with DEBUG and DEMO_MODE (the sign-in page lists
   the demo logins), pointed at the sandbox,
3. a local scheduler that calls every job's cron endpoint on its schedule (the job registry,
   gbp_scheduler/jobs.py, parsed with croniter), the way Vercel Cron would: GET with the bearer
   secret. `--cadence N` also runs the frequent jobs every N seconds so a demo need not wait a
   quarter of an hour.

Quiet: what each part writes goes to var/log/ (app.log has the requests, scheduler.log each job
run, setup.log the migrations and the demo data, sandbox.log the sandbox); the terminal gets a few
progress lines, then the URLs and the demo logins, last.

Settings come from the environment and .env as usual; this only fills in what is missing.
"""

from __future__ import annotations

import argparse
import contextlib
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
LOGS = ROOT / "var" / "log"
LOG_NAMES = ("app", "sandbox", "scheduler", "setup")
sys.path.insert(0, str(ROOT))  # the job registry and the demo logins are read without Django


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
        "DEMO_MODE": "true",
        # Webhook receivers you try locally listen on 127.0.0.1 over http: the SSRF guard lets them.
        "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES": "true",
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
    """Calls each job's cron path when its schedule (UTC) comes due; each call and its answer go
    to `log`."""

    def __init__(self, *, base: str, secret: str, cadence: int, stop: threading.Event, log):
        super().__init__(name="scheduler", daemon=True)
        self.base, self.secret, self.cadence, self.stop, self.log = base, secret, cadence, stop, log
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
        stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                line = f"{path} -> {response.status} {response.read().decode()[:300]}"
        except urllib.error.HTTPError as exc:
            line = f"{path} -> {exc.code} {exc.read().decode()[:300]}"
        except OSError as exc:
            line = f"{path} failed: {exc}"
        if not self.stop.is_set():  # the log closes once everything stops
            print(f"{stamp} {line}", file=self.log, flush=True)


def say(text: str) -> None:
    print(f"  {text}", flush=True)


def setup_step(command: list[str], env: dict[str, str], log) -> str:
    """A manage.py command whose output goes to the setup log; its output, or the run ends with
    the log's end when it fails."""
    log.write(f"\n$ manage.py {' '.join(command)}\n")
    log.flush()
    done = subprocess.run(
        [PYTHON, "manage.py", *command], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    log.write(done.stdout)
    log.flush()
    if done.returncode != 0:
        raise SystemExit(f"manage.py {command[0]} failed; the end of var/log/setup.log:\n{done.stdout[-3000:]}")
    return done.stdout


def banner(*, base: str, sandbox_port: int, cadence: int, demo_created: bool) -> str:
    from dashboard.demo_logins import DEMO_LOGINS

    width = max(len(username) for username, _, _ in DEMO_LOGINS) + 2
    pass_width = max(len(password) for _, password, _ in DEMO_LOGINS) + 2
    logins = "\n".join(
        f"    {username:<{width}}{password:<{pass_width}}{who}" for username, password, who in DEMO_LOGINS
    )
    kept = "" if demo_created else " (the demo data of an earlier run, kept as it was)"
    return (
        "\n"
        f"  The app:       {base}/   (Django admin: {base}/admin/)\n"
        f"  The sandbox:   http://127.0.0.1:{sandbox_port}/   (Google and Anthropic, posts as customers see them)\n"
        f"  Health:        {base}/api/health\n"
        f"  MCP server:    {base}/mcp   (an API key from your profile page: docs/api.md)\n"
        f"\n  Sign in as{kept}:\n{logins}\n"
        f"\n  Logs in var/log/: app.log (requests), scheduler.log (the jobs, every {cadence}s for the frequent\n"
        "  ones), setup.log, sandbox.log. Ctrl-C stops everything.\n"
    )


def main() -> None:
    args = parse_args()
    env = local_environment(args)
    LOGS.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as files:
        logs = {name: files.enter_context(open(LOGS / f"{name}.log", "a", encoding="utf-8")) for name in LOG_NAMES}
        run(args, env, logs)


def run(args: argparse.Namespace, env: dict[str, str], logs: dict) -> None:
    children: list[tuple[str, subprocess.Popen]] = []
    stop = threading.Event()

    def start(name: str, command: list[str]) -> None:
        log = logs[name]
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        children.append((name, child))

    def shutdown(*_):
        stop.set()
        for _, child in children:
            if child.poll() is None:
                child.terminate()
        for _, child in children:
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: (shutdown(), sys.exit(0)))
    try:
        say("Starting the sandbox (Google and Anthropic, on this machine)...")
        state = ["--state-file", "var/sandbox.json"]
        start("sandbox", [PYTHON, "-m", "sandbox", "--port", str(args.sandbox_port), *state])
        wait_for(f"http://127.0.0.1:{args.sandbox_port}/_sandbox/health")
        say("Preparing the database and the demo data...")
        setup_step(["migrate", "--noinput"], env, logs["setup"])
        seeded = setup_step(["seed_demo"], env, logs["setup"])
        say("Starting the app and its scheduler...")
        start("app", [PYTHON, "manage.py", "runserver", f"{args.host}:{args.port}", "--noreload"])
        base = f"http://{args.host}:{args.port}"
        wait_for(base + "/api/health/live")
        Scheduler(base=base, secret=env["CRON_SECRET"], cadence=args.cadence, stop=stop, log=logs["scheduler"]).start()
        created = "Created the demo data." in seeded
        print(banner(base=base, sandbox_port=args.sandbox_port, cadence=args.cadence, demo_created=created), flush=True)
        while all(child.poll() is None for _, child in children):
            time.sleep(0.5)
        stopped = next(name for name, child in children if child.poll() is not None)
        print(f"The {stopped} stopped (see var/log/{stopped}.log); shutting down.", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        shutdown()


if __name__ == "__main__":
    main()
