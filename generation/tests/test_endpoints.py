"""The cron endpoints and management commands, and the seed's "Test Generation Queue" end to end."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from generation.models import GenerationQueue
from generation.tests.drafting import franchise_for_drafts
from posts.models import Post

pytestmark = pytest.mark.django_db
AUTH = {"HTTP_AUTHORIZATION": "Bearer test-cron-secret"}
GENERATE = "/api/cron/generate-drafts"
PROCESS = "/api/cron/process-generation-queue"


@pytest.mark.parametrize("path", [GENERATE, PROCESS])
def test_cron_endpoints_refuse_a_missing_or_wrong_secret(client, path):
    franchise_for_drafts()
    assert client.get(path).status_code == 401
    assert client.post(path, HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get(path, HTTP_AUTHORIZATION="test-cron-secret").status_code == 401
    assert GenerationQueue.objects.count() == 0


@pytest.mark.parametrize("path", [GENERATE, PROCESS])
def test_cron_endpoints_refuse_to_run_without_a_configured_secret(client, settings, path):
    settings.CRON_SECRET = ""
    response = client.get(path, **AUTH)
    assert response.status_code == 503
    assert "CRON_SECRET" in response.json()["error"]


def test_seed_generation_queue_scenario_through_the_endpoints(client, claude):
    franchises = [franchise_for_drafts(posts_per_week=2), franchise_for_drafts(posts_per_week=3)]

    # 1-2. generate-drafts creates pending queue entries (GET as Vercel Cron sends; POST as the seed does).
    first = client.get(GENERATE, **AUTH)
    assert first.status_code == 200
    body = first.json()
    assert body["job"] == "generate-drafts"
    assert {"startedAt", "durationMs"} <= body.keys()
    assert (body["queued"], body["skipped"]) == (5, 0)
    assert set(GenerationQueue.objects.values_list("status", flat=True)) == {"pending"}
    assert claude.client.calls("messages") == 0  # queueing never calls the AI

    again = client.post(GENERATE, **AUTH).json()
    assert (again["queued"], again["skipped"]) == (0, 5)
    assert GenerationQueue.objects.count() == 5

    # 3-4. process-generation-queue creates the posts and marks the entries completed.
    processed = client.post(PROCESS, **AUTH)
    assert processed.status_code == 200
    summary = processed.json()
    assert summary["job"] == "process-generation-queue"
    assert (summary["completed"], summary["failed"], summary["deferred"], summary["reclaimed"]) == (5, 0, 0, 0)
    assert set(GenerationQueue.objects.values_list("status", flat=True)) == {"completed"}
    for franchise in franchises:
        posts = Post.objects.filter(franchise=franchise, source="ai", status="draft")
        assert posts.count() == franchise.posts_per_week
        assert set(posts.values_list("scheduled_at", flat=True)) == set(
            GenerationQueue.objects.filter(franchise=franchise).values_list("scheduled_for", flat=True)
        )
    assert claude.client.calls("messages") == 5

    # Nothing left: a further run is a no-op.
    assert client.get(PROCESS, **AUTH).json()["completed"] == 0


def test_management_commands_run_the_same_jobs_and_print_a_line_per_row(claude):
    franchise_for_drafts(posts_per_week=2)
    out = StringIO()
    call_command("generate_drafts", stdout=out)
    assert "generate-drafts:" in out.getvalue()
    assert "queued=2" in out.getvalue()

    claude.client.script_messages({"text": "not json"}, {"text": "still not json"})
    out = StringIO()
    call_command("process_generation_queue", stdout=out)
    lines = out.getvalue().splitlines()
    assert sum(" failed: " in line for line in lines) == 1
    assert sum(" completed: " in line for line in lines) == 1
    assert lines[-1].startswith("process-generation-queue: ")
    assert "completed=1" in lines[-1] and "failed=1" in lines[-1]
