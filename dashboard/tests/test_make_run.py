"""`make run` on a fresh clone: it installs only what the app needs (the test tools stay for `make
test`), keeps what the processes write in var/log/, and ends with the URLs and the demo logins;
the sign-in page lists those logins in demo mode only."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from dashboard.demo_logins import DEMO_LOGINS
from testkit.factories import make_user

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import run_local  # noqa: E402  (scripts/ is no package)

TEST_TOOLS = {"pytest", "pytest-django", "pytest-xdist", "playwright", "moto", "ruff", "import-linter", "time-machine"}


def requirement_names(name: str) -> set[str]:
    """The packages a requirements file names, following its -r includes."""
    names = set()
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            names |= requirement_names(line[3:].strip())
        elif line:
            names.add(re.split(r"[\[=<>~ ]", line, maxsplit=1)[0].lower())
    return names


def test_make_run_installs_the_app_and_its_scheduler_and_no_test_tool(tmp_path):
    run_needs = requirement_names("requirements-run.txt")
    assert requirement_names("requirements.txt") | {"croniter"} == run_needs
    assert not run_needs & TEST_TOOLS
    assert requirement_names("requirements-dev.txt") >= TEST_TOOLS
    # What `make run` would do in a fresh clone (a venv that does not exist yet).
    plan = subprocess.run(
        ["make", "-n", "run", f"VENV={tmp_path / 'venv'}"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    installs = [line for line in plan.splitlines() if "pip install" in line]
    assert installs and all("requirements-run.txt" in line for line in installs), installs
    assert "requirements-dev.txt" not in plan


def test_the_banner_ends_with_the_urls_and_every_demo_login():
    text = run_local.banner(base="http://127.0.0.1:8000", sandbox_port=8010, cadence=60, demo_created=True)
    assert "http://127.0.0.1:8000/" in text and "http://127.0.0.1:8010/" in text
    for username, password, _who in DEMO_LOGINS:
        assert re.search(rf"^\s+{re.escape(username)}\s+{re.escape(password)}\s", text, re.M), username
    assert "var/log/" in text and "app.log" in text


def test_the_scheduler_writes_its_calls_to_its_log_not_the_terminal(tmp_path, capsys):
    log_path = tmp_path / "scheduler.log"
    with log_path.open("w") as log:
        scheduler = run_local.Scheduler(
            base="http://127.0.0.1:9", secret="s", cadence=60, stop=run_local.threading.Event(), log=log
        )
        scheduler.call("/api/cron/publish-scheduled")
    assert "/api/cron/publish-scheduled failed" in log_path.read_text()
    assert capsys.readouterr().out == ""


@pytest.mark.django_db
def test_the_sign_in_page_lists_the_demo_logins_in_demo_mode_only(client, settings):
    url = reverse("login")
    make_user(username="admin")  # the demo's headquarters login exists
    settings.DEMO_MODE = False
    assert 'id="demo-logins"' not in client.get(url).content.decode()
    settings.DEMO_MODE = True
    page = client.get(url).content.decode()
    assert 'id="demo-logins"' in page
    for username, password, _who in DEMO_LOGINS:
        assert username in page and password in page


@pytest.mark.django_db
def test_demo_mode_lists_no_logins_on_a_database_without_the_demos_users(client, settings):
    settings.DEMO_MODE = True
    make_user(username="someone-real")
    assert 'id="demo-logins"' not in client.get(reverse("login")).content.decode()
