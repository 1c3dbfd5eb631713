"""Operator alerts: stuck publish locks and generation-queue trouble, once per condition an hour."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from generation.models import GenerationQueue
from health.models import AlertSent
from health.services import alerts_check
from posts.models import Post
from testkit.factories import make_franchise, make_post

pytestmark = pytest.mark.django_db

OPERATORS = [("Ops", "ops@example.com")]


@pytest.fixture(autouse=True)
def operators(settings):
    settings.ADMINS = OPERATORS
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def stuck_post(minutes: int = 11) -> Post:
    return make_post(status=Post.Status.SCHEDULED, publishing_at=timezone.now() - timedelta(minutes=minutes))


def failed_queue_rows(count: int) -> None:
    franchise = make_franchise()
    for slot in range(count):
        GenerationQueue.objects.create(
            franchise=franchise,
            week_start=timezone.now().date(),
            slot=slot,
            scheduled_for=timezone.now(),
            status=GenerationQueue.Status.FAILED,
            error="Anthropic refused the API key (401)",
        )


def test_a_stuck_lock_is_reported_to_the_operators_once_an_hour():
    with time_machine.travel(timezone.now(), tick=False) as clock:
        stuck_post()

        assert alerts_check() == ["stuck-locks"]
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["ops@example.com"]
        assert "1 post(s) stuck in publishing for over 10 minutes" in message.subject
        assert "publishing_at" in message.body

        clock.shift(timedelta(minutes=30))
        assert alerts_check() == []
        clock.shift(timedelta(minutes=29))
        assert alerts_check() == []
        assert len(mail.outbox) == 1

        clock.shift(timedelta(minutes=1, seconds=1))  # an hour and a second after the first
        assert alerts_check() == ["stuck-locks"]
        assert len(mail.outbox) == 2


def test_nothing_is_sent_while_all_is_well():
    make_post(status=Post.Status.SCHEDULED, publishing_at=timezone.now() - timedelta(minutes=9))
    failed_queue_rows(4)  # under the threshold of 5

    assert alerts_check() == []
    assert mail.outbox == []
    assert not AlertSent.objects.exists()


def test_queue_failures_piling_up_are_reported_once_and_apart_from_locks(settings):
    failed_queue_rows(5)
    stuck_post()

    assert sorted(alerts_check()) == ["queue-failures", "stuck-locks"]
    prefix = settings.EMAIL_SUBJECT_PREFIX
    assert sorted(m.subject for m in mail.outbox) == [
        f"{prefix}1 post(s) stuck in publishing for over 10 minutes",
        f"{prefix}5 AI draft(s) failed in the last 24 hours",
    ]
    assert alerts_check() == []
    assert len(mail.outbox) == 2


def test_a_queue_backlog_that_nobody_processes_is_reported():
    franchise = make_franchise()
    GenerationQueue.objects.create(
        franchise=franchise,
        week_start=timezone.now().date(),
        slot=0,
        scheduled_for=timezone.now(),
        next_attempt_at=timezone.now() - timedelta(hours=2),
    )
    assert alerts_check() == ["queue-backlog"]


def test_without_operators_nothing_is_sent_or_remembered(settings):
    settings.ADMINS = []
    stuck_post()
    assert alerts_check() == []
    assert not AlertSent.objects.exists()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_alert_that_could_not_be_sent_is_tried_again_on_the_next_run(settings):
    stuck_post()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False

    assert alerts_check() == []  # the mail server refused the connection
    assert not AlertSent.objects.exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert alerts_check() == ["stuck-locks"]
    assert len(mail.outbox) == 1


def test_the_command_and_the_cron_endpoint_run_the_same_check(client, capsys):
    stuck_post()
    call_command("check_alerts")
    assert "alertsSent=1" in capsys.readouterr().out

    assert client.get("/api/cron/check-alerts").status_code == 401
    response = client.get("/api/cron/check-alerts", HTTP_AUTHORIZATION="Bearer test-cron-secret")
    assert response.status_code == 200
    assert response.json()["alertsSent"] == 0  # already sent this hour
    assert len(mail.outbox) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_several_processes_checking_at_once_send_each_alert_once():
    stuck_post()
    failed_queue_rows(5)
    barrier = threading.Barrier(6)
    results: list[list[str]] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(alerts_check())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(key for keys in results for key in keys) == ["queue-failures", "stuck-locks"]
    assert len(mail.outbox) == 2
