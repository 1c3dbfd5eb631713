"""The dashboard's metrics page and the superusers' system page (with its run-now buttons)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dashboard.views.headquarters import METRICS_PAGE_SIZE
from franchises.models import Franchise, Membership
from generation.models import GenerationQueue
from posts.models import Post
from testkit.factories import make_franchise, make_member, make_post, make_user
from testkit.google import DEMO_LOCATION, franchise_connected_to_sandbox
from testkit.web import logged_in

pytestmark = pytest.mark.django_db

METRICS, SYSTEM = "/metrics/", "/system/"


def _outcome(franchise: Franchise, *, delay_seconds: int | None = None, error: str = "") -> Post:
    """A post scheduled an hour ago: published after `delay_seconds`, or failed with `error`."""
    at = timezone.now() - dt.timedelta(hours=1)
    if delay_seconds is None:
        return make_post(franchise=franchise, status=Post.Status.FAILED, scheduled_at=at, last_error=error)
    published = at + dt.timedelta(seconds=delay_seconds)
    return make_post(franchise=franchise, status=Post.Status.PUBLISHED, scheduled_at=at, published_at=published)


def _job_summary(response) -> str:
    """The summary in words shown as the success message after a run-now button."""
    body = response.content.decode()
    found = re.findall(r'<li class="message job-summary success">(.*?)</li>', body, flags=re.S)
    assert found, body
    return found[-1]  # the latest run


@pytest.fixture
def one_worker(settings):
    """The jobs run in worker threads; in a test transaction (SQLite) one worker keeps to the
    test's own connection."""
    settings.PUBLISH_CONCURRENCY = 1
    settings.GENERATION_CONCURRENCY = 1


# --- metrics page ------------------------------------------------------------------------------


def test_the_metrics_page_needs_a_login(client):
    response = client.get(METRICS)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login") + "?next=")


def test_the_operators_metrics_are_headquarters_alone_and_not_in_a_franchise_users_menu(client):
    mine = make_franchise(name="Mine")
    _outcome(mine, delay_seconds=30)
    for role in (Membership.Role.STAFF, Membership.Role.ADMIN):
        member = logged_in(client, make_member(mine, role))
        assert member.get(METRICS).status_code == 403
        assert 'id="nav-metrics"' not in member.get("/").content.decode()
    assert 'id="nav-metrics"' in logged_in(client, make_user(superuser=True)).get("/").content.decode()


def test_metrics_show_success_rate_time_to_publish_and_failure_reasons(client):
    franchise = make_franchise(name="Austin")
    for seconds in (10, 20, 30, 40):
        _outcome(franchise, delay_seconds=seconds)
    _outcome(franchise, error="Google rejected the photo.")
    body = logged_in(client, make_user(superuser=True)).get(METRICS).content.decode()
    assert re.search(r'id="overall-success">80\.0%', body)
    assert "mean 25 s · median 25 s · 95th percentile 38 s" in body
    assert "<strong>1</strong> \N{MULTIPLICATION SIGN} Google rejected the photo." in body
    data = json.loads(re.search(r'<script id="metrics-data" type="application/json">(.*?)</script>', body).group(1))
    assert data["labels"] == ["Austin"]
    assert data["successRate"] == [80.0]
    assert data["mean"] == [25.0] and data["median"] == [25.0] and data["p95"] == [38.5]
    assert data["reasons"] == [{"reason": "Google rejected the photo.", "count": 1}]


@pytest.mark.parametrize(
    ("query", "days"), [("?days=30", 30), ("?days=7", 7), ("", 7), ("?days=9999", 7), ("?days=x", 7)]
)
def test_the_period_is_7_or_30_days(client, query, days):
    franchise = make_franchise()
    old = make_post(
        franchise=franchise,
        status=Post.Status.PUBLISHED,
        scheduled_at=timezone.now() - dt.timedelta(days=20),
        published_at=timezone.now() - dt.timedelta(days=20),
    )
    assert old
    body = logged_in(client, make_user(superuser=True)).get(METRICS + query).content.decode()
    assert f'<option value="{days}" selected>' in body
    assert ("(1 published," in body) is (days == 30)


def test_the_metrics_page_loads_the_vendored_chart_library_and_no_inline_script(client):
    make_franchise()
    response = logged_in(client, make_user(superuser=True)).get(METRICS)
    body = response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert '<script src="/static/vendor/chart.umd.min.js" defer></script>' in body
    assert '<script src="/static/js/metrics.js" defer></script>' in body
    # json_script's data block is the only script element without src, and it is not executable.
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", body)
    assert inline == ['<script id="metrics-data" type="application/json">']
    assert " style=" not in body


def test_a_script_in_a_franchise_name_or_reason_stays_text_in_the_json(client):
    franchise = make_franchise(name="</script><script>alert(1)</script>")
    _outcome(franchise, error="<b>bold</b>")
    body = logged_in(client, make_user(superuser=True)).get(METRICS).content.decode()
    assert "<script>alert(1)" not in body
    assert "\\u003C/script\\u003E" in body  # json_script escapes < and >


def _chart(body: str) -> dict:
    return json.loads(re.search(r'<script id="metrics-data" type="application/json">(.*?)</script>', body).group(1))


def test_the_per_franchise_table_shows_a_page_of_franchises_by_name_and_the_overall_all_of_them(client):
    franchises = [make_franchise(name=f"Shop {n:02}") for n in range(METRICS_PAGE_SIZE + 2)]
    _outcome(franchises[0], delay_seconds=30)
    _outcome(franchises[-1], error="Only on the second page")
    logged_in(client, make_user(superuser=True))
    first = client.get(METRICS, {"days": "30"}).content.decode()
    shown = re.findall(r'<tr data-franchise="([0-9a-f-]+)">', first)
    assert shown == [str(f.pk) for f in franchises[:METRICS_PAGE_SIZE]]
    assert _chart(first)["labels"] == [f.name for f in franchises[:METRICS_PAGE_SIZE]]
    # The overall figures count the franchise on the next page too.
    assert "(1 published, 1 failed, 0 still retrying)" in first and "Only on the second page" in first
    assert f"Page 1 of 2 ({METRICS_PAGE_SIZE + 2} franchises" in first
    assert 'href="?days=30&amp;page=2" rel="next"' in first
    second = client.get(METRICS, {"days": "30", "page": "2"}).content.decode()
    assert re.findall(r'<tr data-franchise="([0-9a-f-]+)">', second) == [str(f.pk) for f in franchises[-2:]]
    last_row = re.search(rf'<tr data-franchise="{franchises[-1].pk}">(.*?)</tr>', second, re.S).group(1)
    assert "1 \N{MULTIPLICATION SIGN} Only on the second page" in last_row
    assert 'href="?days=30&amp;page=1" rel="prev"' in second and 'rel="next"' not in second


def test_the_metrics_page_takes_as_many_queries_for_many_franchises_as_for_a_few(client):
    logged_in(client, make_user(superuser=True))
    counts = []
    for many in (2, METRICS_PAGE_SIZE + 10):
        for _ in range(many):
            franchise = make_franchise()
            _outcome(franchise, delay_seconds=10)
            _outcome(franchise, error="Refused")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(METRICS).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- system page -------------------------------------------------------------------------------


def test_the_system_page_needs_a_login(client):
    response = client.get(SYSTEM)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login") + "?next=")
    response = client.post(reverse("dashboard:system_job_run", args=["publish-scheduled"]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize("role", [Membership.Role.ADMIN, Membership.Role.STAFF])
def test_franchise_users_get_403_even_with_django_staff_status(client, role):
    user = make_member(make_franchise(), role, is_staff=True)
    logged_in(client, user)
    assert client.get(SYSTEM).status_code == 403
    assert client.post(reverse("dashboard:system_job_run", args=["generate-drafts"])).status_code == 403


def test_the_nav_shows_system_to_superusers_only(client):
    franchise = make_franchise()
    assert (
        'id="nav-system"'
        not in logged_in(client, make_member(franchise, Membership.Role.STAFF)).get(METRICS).content.decode()
    )
    assert 'id="nav-system"' in logged_in(client, make_user(superuser=True)).get(METRICS).content.decode()


def test_the_system_page_shows_the_health_checks_and_stuck_locks(client, settings):
    settings.ANTHROPIC_API_KEY = ""  # the Anthropic check then warns without calling out
    broken = make_franchise(name="Broken Co", google_refresh_token="1//dead", google_auth_valid=False)
    stuck = make_post(
        franchise=broken,
        status=Post.Status.SCHEDULED,
        summary="Stuck one",
        publishing_at=timezone.now() - dt.timedelta(minutes=settings.HEALTH_STUCK_LOCK_MINUTES + 5),
    )
    fresh = make_post(
        franchise=broken, status=Post.Status.SCHEDULED, summary="Fresh lock", publishing_at=timezone.now()
    )
    response = logged_in(client, make_user(superuser=True)).get(SYSTEM)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="system-status" data-status="degraded"' in body
    for key in ("database", "googleAuth", "anthropic", "publishLocks", "generationQueue"):
        assert f'id="check-{key}"' in body
    assert 'id="check-database" data-status="pass"' in body
    assert 'id="check-publishLocks" data-status="warn"' in body
    assert "Broken Co" in body and 'id="auth-problems"' in body
    assert f'id="stuck-{stuck.pk}"' in body and f'id="stuck-{fresh.pk}"' not in body
    assert "Times in America/New_York" in body  # the zone of the franchises, named once
    for job in ("publish-scheduled", "process-generation-queue", "generate-drafts"):
        assert f'id="run-{job}"' in body
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_run_now_publishes_a_due_post_and_shows_the_summary(client, sandbox, one_worker):
    franchise = franchise_connected_to_sandbox(sandbox, location=DEMO_LOCATION)
    post = make_post(franchise=franchise, status=Post.Status.SCHEDULED, summary="Fresh bread at 7.")
    logged_in(client, make_user(superuser=True))
    response = client.post(reverse("dashboard:system_job_run", args=["publish-scheduled"]), follow=True)
    assert response.redirect_chain == [(SYSTEM, 302)]
    assert _job_summary(response) == "publish-scheduled ran: 1 published on Google"
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED and post.google_search_url
    assert [p["summary"] for p in sandbox.client.posts()] == ["Fresh bread at 7."]


def test_run_now_fills_the_generation_queue(client, sandbox):
    franchise = franchise_connected_to_sandbox(sandbox, posts_per_week=2, location=DEMO_LOCATION)
    logged_in(client, make_user(superuser=True))
    response = client.post(reverse("dashboard:system_job_run", args=["generate-drafts"]), follow=True)
    assert _job_summary(response) == (
        "generate-drafts ran: 1 franchise wanting AI drafts; 2 drafts queued for the coming week"
    )
    assert GenerationQueue.objects.filter(franchise=franchise).count() == 2


def test_run_now_processes_the_generation_queue_against_the_sandbox(client, sandbox, one_worker):
    franchise = franchise_connected_to_sandbox(
        sandbox, posts_per_week=1, description="Bakery", city="Austin", location=DEMO_LOCATION
    )
    logged_in(client, make_user(superuser=True))
    client.post(reverse("dashboard:system_job_run", args=["generate-drafts"]))
    response = client.post(reverse("dashboard:system_job_run", args=["process-generation-queue"]), follow=True)
    assert _job_summary(response) == (
        "process-generation-queue ran: 1 draft written; 1 sent to Claude in batches; 1 batch sent"
    )
    assert Post.objects.filter(franchise=franchise, source=Post.Source.AI).count() == 1


def test_run_now_refuses_unknown_jobs_get_and_missing_csrf():
    superuser = make_user(superuser=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    assert client.post(reverse("dashboard:system_job_run", args=["rm-rf"])).status_code == 403  # CSRF first
    client = Client()
    client.force_login(superuser)
    assert client.post(reverse("dashboard:system_job_run", args=["rm-rf"])).status_code == 404
    assert client.get(reverse("dashboard:system_job_run", args=["publish-scheduled"])).status_code == 405
