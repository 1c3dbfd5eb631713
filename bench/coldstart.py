"""Cold start: how long a brand-new process takes to answer its first request.

On Vercel every cold function instance pays this on its first page, health check or cron call.
Each measurement starts a fresh `python` that loads the WSGI application the way a server does
and hands it one request; the time runs from just before the process is started to the moment
it has the answer (interpreter start-up included). Beside it, the same measurement with a bare
Django: the same settings, but a URL configuration with one trivial view, so the difference is
what the project's own imports cost.

    python bench/coldstart.py --runs 7
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from harness import ROOT, summary_add, table

# The child: load the WSGI app, answer one request, print the status and the modules it loaded.
CHILD = r"""
import io, sys
from django.core.wsgi import get_wsgi_application
application = get_wsgi_application()
environ = {
    "REQUEST_METHOD": "GET", "PATH_INFO": sys.argv[1], "QUERY_STRING": "", "SERVER_NAME": "localhost",
    "SERVER_PORT": "80", "HTTP_HOST": "localhost", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(),
    "wsgi.errors": sys.stderr, "HTTP_COOKIE": sys.argv[2],
}
status = []
body = b"".join(application(environ, lambda s, h, *a: status.append(s)))
heavy = [m for m in ("anthropic", "google.auth", "google_auth_oauthlib", "httpx", "requests") if m in sys.modules]
print(status[0], ",".join(heavy) or "-", flush=True)
"""

BARE_URLS = """
from django.http import JsonResponse
from django.urls import path

urlpatterns = [path("api/health/live", lambda request: JsonResponse({"status": "ok"}))]
"""


def measure(path: str, *, env: dict[str, str], cookie: str = "") -> tuple[float, str, str]:
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, path, cookie], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    line = child.stdout.readline()
    elapsed = time.perf_counter() - started
    child.wait(30)
    status, heavy = line.split(" ", 2)[0], line.strip().rsplit(" ", 1)[-1]
    return elapsed, status, heavy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per row (the median is shown)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="coldstart-")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gbp_scheduler.settings",
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/db.sqlite3",
        "DEBUG": "false",
        "SECRET_KEY": "coldstart-benchmark-secret-key-0123456789abcdefghij",
        "FIELD_ENCRYPTION_KEY": "0Yf3yYlO1mT0z3qZ8Vx0yC7Gm8lqkE1mY7n5q1Jb2zA=",
        "ALLOWED_HOSTS": "localhost",
        "SECURE_SSL_REDIRECT": "false",
        "CRON_SECRET": "coldstart",
        "EMAIL_URL": "smtp://127.0.0.1:1025",  # production refuses the console; nothing here sends mail
        "PYTHONWARNINGS": "ignore::UserWarning",  # WhiteNoise: no collectstatic here
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    cookie = subprocess.run(
        [sys.executable, "-c", _SESSION],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    with open(os.path.join(tmp, "coldstart_bare_urls.py"), "w") as out:
        out.write(BARE_URLS)
    bare_env = {**env, "PYTHONPATH": tmp}
    bare_env["DJANGO_SETTINGS_MODULE"] = "coldstart_bare_settings"
    with open(os.path.join(tmp, "coldstart_bare_settings.py"), "w") as out:
        out.write("from gbp_scheduler.settings import *  # noqa: F403\nROOT_URLCONF = 'coldstart_bare_urls'\n")

    rows_spec = [
        ("bare Django (same settings, one view)", "/api/health/live", bare_env, ""),
        ("/api/health/live", "/api/health/live", env, ""),
        ("/api/health", "/api/health", env, ""),
        ("dashboard home page (logged in)", "/", env, cookie),
    ]
    for _ in range(2):  # warm the disk cache and the .pyc files first
        for _name, path, row_env, row_cookie in rows_spec:
            measure(path, env=row_env, cookie=row_cookie)
    results = []
    for name, path, row_env, row_cookie in rows_spec:
        samples = [measure(path, env=row_env, cookie=row_cookie) for _ in range(args.runs)]
        results.append((name, statistics.median(s[0] for s in samples), samples[-1][1], samples[-1][2]))
    bare = results[0][1]
    rows = [
        [name, f"{seconds * 1000:.0f} ms", f"{seconds / bare:.2f}x", status, heavy]
        for name, seconds, status, heavy in results
    ]
    print(f"Median of {args.runs} fresh processes each, from process start to the first answer.")
    print(table(["first request", "time", "vs bare", "status", "heavy modules loaded"], rows))
    live_ratio = results[1][1] / bare
    summary_add(
        "coldstart", "first /api/health/live vs bare Django", f"{live_ratio:.2f}x ({results[1][1] * 1000:.0f} ms)"
    )
    summary_add("coldstart", "first dashboard page", f"{results[3][1] * 1000:.0f} ms")


_SESSION = r"""
import django
django.setup()
from django.contrib.auth import get_user_model
from django.test import Client
user, _ = get_user_model().objects.get_or_create(username="coldstart", defaults={"is_superuser": True})
client = Client()
client.force_login(user)
print(f"sessionid={client.cookies['sessionid'].value}")
"""


if __name__ == "__main__":
    main()
