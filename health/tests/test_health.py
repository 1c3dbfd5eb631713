"""GET /api/health (docs/contract.md): the seed's "Test Health Check", automated."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import timezone

from franchises.models import Membership
from gbp_scheduler.encryption import encrypted_columns
from generation.models import GenerationQueue
from health import checks
from posts.models import Post
from testkit.database import database_unreachable
from testkit.factories import make_franchise, make_member, make_post, make_user
from testkit.google import franchise_with_fake_grant

pytestmark = pytest.mark.django_db

BEARER = {"HTTP_AUTHORIZATION": "Bearer test-cron-secret"}
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_health_answers_the_seed_shape_and_200_when_everything_works(client, sandbox):
    franchise_with_fake_grant(name="Cincinnati")
    response = client.get("/api/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert ISO_MS.match(body["timestamp"])
    database, google, anthropic = (body["checks"][name] for name in ("database", "googleAuth", "anthropic"))
    assert database["status"] == "pass" and database["message"] == "Database connection successful"
    assert isinstance(database["responseTime"], int | float)
    assert google["status"] == "pass" and google["message"]
    assert anthropic == {
        "status": "pass",
        "message": "Anthropic API connection successful",
        "responseTime": anthropic["responseTime"],
        "checkedAt": anthropic["checkedAt"],
    }
    assert body["checks"]["publishLocks"]["status"] == "pass"
    assert body["checks"]["generationQueue"]["status"] == "pass"
    assert "no-store" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]
    assert response["Content-Type"] == "application/json"


def test_health_is_degraded_when_a_franchise_needs_reauthorization(client, sandbox):
    franchise_with_fake_grant(name="Cincinnati", google_auth_valid=False)
    franchise_with_fake_grant(name="Dayton")
    make_franchise(name="Not connected yet")

    response = client.get("/api/health", **BEARER)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    google = body["checks"]["googleAuth"]
    assert google["status"] == "warn"
    assert google["message"] == "Some franchises require re-authorization"
    by_name = {f["name"]: f for f in google["franchises"]}
    assert by_name["Cincinnati"]["connected"] is True and by_name["Cincinnati"]["authValid"] is False
    assert by_name["Dayton"]["connected"] is True and by_name["Dayton"]["authValid"] is True
    assert by_name["Not connected yet"]["connected"] is False
    assert set(by_name["Cincinnati"]) == {"id", "name", "connected", "authValid"}


def test_an_inactive_franchise_with_dead_auth_does_not_degrade_the_system(client, sandbox):
    franchise_with_fake_grant(name="Closed down", google_auth_valid=False, is_active=False)
    assert client.get("/api/health").json()["status"] == "healthy"


def test_anonymous_callers_get_counts_and_no_franchise_names(client, sandbox):
    franchise_with_fake_grant(name="Cincinnati", google_auth_valid=False)
    franchise_with_fake_grant(name="Dayton")
    make_franchise(name="Erlanger")

    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer wrong-secret"}):
        response = client.get("/api/health", **headers)
        google = response.json()["checks"]["googleAuth"]
        assert "franchises" not in google
        assert google["counts"] == {"total": 3, "connected": 2, "authInvalid": 1}
        assert b"Cincinnati" not in response.content and b"Dayton" not in response.content


def test_a_signed_in_user_of_no_franchise_sees_counts_only(client, sandbox):
    franchise_with_fake_grant(name="Cincinnati")
    client.force_login(User.objects.create_user("nobody-yet"))
    assert "franchises" not in client.get("/api/health").json()["checks"]["googleAuth"]


def test_headquarters_and_the_bearer_secret_see_every_franchise(client, sandbox):
    franchise_with_fake_grant(name="Cincinnati")
    assert client.get("/api/health", **BEARER).json()["checks"]["googleAuth"]["franchises"][0]["name"] == "Cincinnati"
    client.force_login(make_user(superuser=True))
    assert client.get("/api/health").json()["checks"]["googleAuth"]["franchises"][0]["name"] == "Cincinnati"


def test_django_staff_flag_gives_a_franchise_member_only_their_own_franchise(client, sandbox):
    """is_staff opens Django's admin site; it is not headquarters. (It once listed every franchise.)"""
    mine = franchise_with_fake_grant(name="Cincinnati")
    franchise_with_fake_grant(name="Dayton", google_auth_valid=False)
    client.force_login(make_member(mine, Membership.Role.STAFF, is_staff=True))

    google = client.get("/api/health").json()["checks"]["googleAuth"]

    assert [f["name"] for f in google["franchises"]] == ["Cincinnati"]
    assert google["counts"] == {"total": 2, "connected": 2, "authInvalid": 1}  # counts are anyone's
    assert google["status"] == "warn"  # the system's state, whoever asks


def test_anonymous_callers_never_read_anthropics_words_or_queue_times(client, sandbox):
    """Anthropic's error text names key and billing problems: the bearer secret, headquarters or a
    member's session only. Anonymous callers get statuses and counts."""
    franchise = franchise_with_fake_grant(name="Cincinnati")
    sandbox.client.fail("models", status=401)
    queue_row(franchise, 0, next_attempt_at=timezone.now() - timedelta(minutes=90))
    make_post(franchise=franchise, status=Post.Status.SCHEDULED, publishing_at=timezone.now() - timedelta(minutes=30))

    anonymous = client.get("/api/health").json()["checks"]
    detailed = client.get("/api/health", **BEARER).json()["checks"]

    assert detailed["anthropic"]["message"].startswith("Anthropic API check failed: ")
    assert "ANTHROPIC_API_KEY" in detailed["anthropic"]["message"]
    assert anonymous["anthropic"]["status"] == "fail"
    assert anonymous["anthropic"]["message"] == "Anthropic API check failed"
    assert detailed["generationQueue"]["oldestDueSince"] and detailed["publishLocks"]["oldestLockedAt"]
    assert set(anonymous["generationQueue"]) == {"status", "message", "pending", "due", "failedLast24h"}
    assert set(anonymous["publishLocks"]) == {"status", "message", "stuck"}
    assert anonymous["generationQueue"]["due"] == 1 and anonymous["publishLocks"]["stuck"] == 1
    member = make_member(franchise, Membership.Role.STAFF)
    client.force_login(member)
    assert client.get("/api/health").json()["checks"]["anthropic"] == detailed["anthropic"]


@pytest.mark.django_db(transaction=True)
def test_health_answers_503_json_when_the_database_is_unreachable(client, sandbox):
    franchise_with_fake_grant(name="Cincinnati")
    # A headquarters session cookie must not make the view (or a middleware) reach for the database.
    client.force_login(make_user(superuser=True))

    with database_unreachable():
        response = client.get("/api/health")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["checks"]["database"]["status"] == "fail"
    assert body["checks"]["database"]["message"].startswith("Database connection failed")
    assert body["checks"]["googleAuth"]["status"] == "fail"
    assert "franchises" not in body["checks"]["googleAuth"]
    assert body["checks"]["anthropic"]["status"] == "pass"  # not in the database: still checked
    # And the database is back for what follows.
    assert client.get("/api/health").status_code == 200


def test_repeated_polls_make_one_anthropic_call_per_cache_period_and_spend_no_tokens(client, sandbox, settings):
    settings.HEALTH_ANTHROPIC_CACHE_SECONDS = 300
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(30):  # a monitor polling every 10 s for 5 minutes less a tick
            assert client.get("/api/health").json()["checks"]["anthropic"]["status"] == "pass"
            clock.shift(timedelta(seconds=9.9))
        assert sandbox.client.calls("models") == 1

        clock.shift(timedelta(seconds=60))  # the period is over
        client.get("/api/health")
        assert sandbox.client.calls("models") == 2

    assert sandbox.client.calls("messages") == 0
    assert sandbox.client.anthropic_requests() == []


def test_concurrent_polls_with_an_empty_cache_make_one_anthropic_call(sandbox):
    sandbox.client.latency(0.3, route="models")
    results: list[dict] = []
    threads = [threading.Thread(target=lambda: results.append(checks.anthropic_check())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sandbox.client.calls("models") == 1
    assert len(results) == 8
    assert checks.anthropic_check()["status"] == "pass"
    assert sandbox.client.calls("models") == 1


def test_an_anthropic_failure_degrades_but_still_answers_200(client, sandbox):
    sandbox.client.fail("models", status=401)
    response = client.get("/api/health", **BEARER)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["anthropic"]["status"] == "fail"
    assert "ANTHROPIC_API_KEY" in body["checks"]["anthropic"]["message"]
    # Cached like a success: the next poll does not ask again.
    assert client.get("/api/health").json()["status"] == "degraded"
    assert sandbox.client.calls("models") == 1


def test_no_anthropic_key_warns_without_calling_anthropic(client, sandbox, settings):
    settings.ANTHROPIC_API_KEY = ""
    anthropic = client.get("/api/health").json()["checks"]["anthropic"]
    assert anthropic["status"] == "warn"
    assert sandbox.client.calls("models") == 0


def test_a_publish_lock_older_than_ten_minutes_warns(client, sandbox):
    franchise = franchise_with_fake_grant()
    now = timezone.now()
    make_post(franchise=franchise, status=Post.Status.SCHEDULED, publishing_at=now - timedelta(minutes=9))
    assert client.get("/api/health").json()["checks"]["publishLocks"]["status"] == "pass"

    make_post(franchise=franchise, status=Post.Status.SCHEDULED, publishing_at=now - timedelta(minutes=11))
    body = client.get("/api/health").json()
    assert body["status"] == "degraded"
    locks = body["checks"]["publishLocks"]
    assert locks["status"] == "warn" and locks["stuck"] == 1
    assert locks["message"] == "1 post(s) stuck in publishing for over 10 minutes"


def queue_row(franchise, slot, **fields):
    fields.setdefault("scheduled_for", timezone.now() + timedelta(days=2))
    return GenerationQueue.objects.create(franchise=franchise, week_start=timezone.now().date(), slot=slot, **fields)


def test_the_generation_queue_warns_on_an_old_backlog_and_on_piled_up_failures(client, sandbox):
    franchise = franchise_with_fake_grant()
    now = timezone.now()
    queue_row(franchise, 0)  # just queued: fine
    queue_row(franchise, 1, next_attempt_at=now + timedelta(hours=1))  # waiting for its retry: fine
    assert client.get("/api/health").json()["checks"]["generationQueue"]["status"] == "pass"

    queue_row(franchise, 2, next_attempt_at=now - timedelta(minutes=61))  # due an hour ago: stuck
    queue = client.get("/api/health").json()["checks"]["generationQueue"]
    assert queue["status"] == "warn"
    assert queue["pending"] == 3 and queue["due"] == 2
    assert "due for over 60 minutes" in queue["message"]

    GenerationQueue.objects.filter(slot=2).update(next_attempt_at=now + timedelta(minutes=5))
    for slot in range(3, 8):
        queue_row(franchise, slot, status=GenerationQueue.Status.FAILED, error="Anthropic answered 529")
    queue = client.get("/api/health").json()["checks"]["generationQueue"]
    assert queue["status"] == "warn" and queue["failedLast24h"] == 5
    assert queue["message"] == "Generation queue: 5 row(s) failed in the last 24 hours"


def test_health_runs_a_fixed_handful_of_queries_however_many_franchises(client, sandbox, django_assert_num_queries):
    for _ in range(30):
        franchise_with_fake_grant()
    client.get("/api/health")  # warm the Anthropic cache
    # The stored secrets of each model that has encrypted columns: franchises, google_connections.
    secrets = len({column.model for column in encrypted_columns()})
    with django_assert_num_queries(4 + secrets):  # ping, auth counts, secrets, stuck locks, queue
        client.get("/api/health")
    with django_assert_num_queries(4 + secrets):  # ping, franchise list, secrets, stuck locks, queue
        client.get("/api/health", **BEARER)


def test_liveness_touches_nothing(client, sandbox, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/api/health/live")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]
    assert sandbox.client.calls("models") == 0


def test_the_encryption_check_reads_every_encrypted_column_not_only_the_franchises_copy(client, sandbox, settings):
    """The franchises hold a copy of their connection's tokens: once those copies were re-encrypted
    and the old key dropped, the check passed while every connection's tokens were unreadable."""
    from cryptography.fernet import Fernet

    from franchises.models import GoogleConnection

    GoogleConnection.objects.create(google_user_id="hq", refresh_token="1//hq-refresh", access_token="ya29.hq")
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # the old key was dropped
    franchise_with_fake_grant(name="Its copy, under the new key")
    client.get("/api/health")  # warm the Anthropic cache

    check = client.get("/api/health", headers={"authorization": "Bearer test-cron-secret"}).json()["checks"][
        "tokenEncryption"
    ]

    assert check["status"] == "fail" and check["undecryptable"] == 2
    assert "google_connections.refresh_token: 1, google_connections.access_token: 1" in check["message"]
    assert check["columns"]["franchises.google_refresh_token"] == {"values": 1, "older_key": 0, "undecryptable": 0}


def test_health_accepts_head_and_refuses_post(client, sandbox):
    assert client.head("/api/health").status_code == 200
    assert client.post("/api/health").status_code == 405


def test_tokens_the_configured_keys_cannot_decrypt_fail_a_check_instead_of_reading_healthy(client, sandbox, settings):
    franchise_with_fake_grant(name="Encrypted under an old key")
    franchise_with_fake_grant(name="Fine")
    client.get("/api/health")  # warm the Anthropic cache
    from cryptography.fernet import Fernet

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # the old key was dropped
    franchise_with_fake_grant(name="Encrypted under the new key")

    answer = client.get("/api/health").json()

    check = answer["checks"]["tokenEncryption"]
    assert check["status"] == "fail" and check["undecryptable"] == 2
    assert "FIELD_ENCRYPTION_KEY" in check["message"]
    assert answer["status"] == "degraded"
