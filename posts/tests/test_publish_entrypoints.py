"""The publish job through its two doors: the cron endpoint and the management command."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from posts.models import Post
from testkit.factories import make_post
from testkit.google import franchise_connected_to_sandbox

pytestmark = pytest.mark.django_db
URL = "/api/cron/publish-scheduled"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _one_worker(settings):
    settings.PUBLISH_CONCURRENCY = 1


def _due(franchise) -> Post:
    return make_post(
        franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=timezone.now() - dt.timedelta(minutes=1)
    )


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_cron_endpoint_publishes_and_answers_the_counts(client, sandbox, settings, method):
    post = _due(franchise_connected_to_sandbox(sandbox))
    response = getattr(client, method)(URL, HTTP_AUTHORIZATION=f"Bearer {settings.CRON_SECRET}")

    body = response.json()
    assert response.status_code == 200
    assert body["job"] == "publish-scheduled"
    assert body["published"] == 1
    for key in ["failed", "deferred", "skipped_locked", "skipped_reauth", "reconciled"]:
        assert body[key] == 0
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED


def test_the_cron_endpoint_refuses_a_wrong_secret_and_publishes_nothing(client, sandbox):
    _due(franchise_connected_to_sandbox(sandbox))
    response = client.get(URL, HTTP_AUTHORIZATION="Bearer nope")
    assert response.status_code == 401
    assert sandbox.client.calls("posts.create") == 0


def test_the_cron_endpoint_refuses_with_503_when_no_secret_is_configured(client, sandbox, settings):
    settings.CRON_SECRET = ""
    _due(franchise_connected_to_sandbox(sandbox))
    assert client.get(URL, HTTP_AUTHORIZATION="Bearer ").status_code == 503
    assert sandbox.client.calls("posts.create") == 0


def test_the_cron_endpoint_needs_no_csrf_token(sandbox, settings):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(URL, HTTP_AUTHORIZATION=f"Bearer {settings.CRON_SECRET}")
    assert response.status_code == 200


def test_the_command_prints_a_line_per_post_and_a_summary(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    published, broken = _due(franchise), _due(franchise)
    Post.objects.filter(pk=broken.pk).update(topic_type=Post.TopicType.EVENT)
    out = StringIO()

    call_command("publish_scheduled", stdout=out)

    text = out.getvalue()
    assert f"post {published.pk} published" in text
    assert f"post {broken.pk} failed: Google would refuse this post" in text
    assert "publish-scheduled: " in text and "published=1" in text and "failed=1" in text


def test_the_command_exits_non_zero_with_a_clear_error_when_the_database_is_unreachable():
    env = {**os.environ, "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere"}
    result = subprocess.run(
        [sys.executable, "manage.py", "publish_scheduled"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "publish-scheduled: the run broke on a database error" in result.stderr
