"""Access tokens against the sandbox's token endpoint: margin, refresh, invalid_grant, transient failures."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from franchises.google import business_profile
from franchises.google.tokens import (
    GoogleReauthorizationRequired,
    GoogleTokenTransientError,
    google_access_token_get,
)
from franchises.models import Franchise, Membership
from testkit.database import raw_connection_token_columns, raw_token_columns
from testkit.factories import make_franchise, make_member
from testkit.google import DEMO_LOCATION, connection_of, franchise_connected_to_sandbox
from testkit.oauth import consent, local_path

POST = {"languageCode": "en", "summary": "Fresh bread at dawn.", "topicType": "STANDARD"}


@pytest.fixture
def admin_client_of(client):
    def login(franchise: Franchise):
        client.force_login(make_member(franchise, Membership.Role.ADMIN, email="owner@portland.example"))
        return client

    return login


@pytest.mark.django_db
def test_a_token_with_margin_left_is_returned_without_calling_google(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox, location=DEMO_LOCATION)
    assert google_access_token_get(franchise=franchise) == franchise.google_access_token
    assert sandbox.client.calls("token") == 0


@pytest.mark.django_db
def test_a_token_inside_the_margin_is_refreshed_and_stored_encrypted(sandbox, settings):
    franchise = franchise_connected_to_sandbox(sandbox, location=DEMO_LOCATION)
    old = franchise.google_access_token
    connection_of(franchise).update(
        token_expires_at=timezone.now() + dt.timedelta(seconds=settings.GOOGLE_TOKEN_REFRESH_MARGIN_SECONDS - 5)
    )
    token = google_access_token_get(franchise=franchise)
    assert token != old and token.startswith("ya29.sandbox-")
    assert sandbox.client.calls("token", 200) == 1
    stored = Franchise.objects.get(pk=franchise.pk)
    assert stored.google_access_token == token
    assert stored.google_token_expires_at > timezone.now() + dt.timedelta(minutes=50)
    assert token not in raw_token_columns(franchise)[1] and token not in raw_connection_token_columns(franchise)[1]
    assert google_access_token_get(franchise=franchise) == token  # no second refresh
    assert sandbox.client.calls("token") == 1


@pytest.mark.django_db
def test_every_successful_refresh_sets_the_flag_true_and_clears_the_error(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox, expired=True, location=DEMO_LOCATION)
    # A flag left false by hand with a grant that still works: the next success puts it right.
    Franchise.objects.filter(pk=franchise.pk).update(google_auth_error="old trouble")
    google_access_token_get(franchise=franchise)
    stored = Franchise.objects.get(pk=franchise.pk)
    assert stored.google_auth_valid and stored.google_auth_error == ""


@pytest.mark.django_db
def test_seed_token_refresh_failure_flag_false_fails_fast_then_reconnect_sets_it_true(sandbox, admin_client_of):
    """The seed's "Test Token Refresh Failure", end to end at the token and GBP client level."""
    franchise = franchise_connected_to_sandbox(sandbox, location=DEMO_LOCATION)
    # 1. Manually set google_auth_valid = false in the database.
    Franchise.objects.filter(pk=franchise.pk).update(google_auth_valid=False)
    # 2. Try to publish a post (the publisher's Google call).
    with pytest.raises(GoogleReauthorizationRequired) as excinfo:
        business_profile.local_post_create(franchise=franchise, body=POST)
    # 3. The error mentions re-authorization, and Google was not called at all.
    assert "re-authorization" in str(excinfo.value) and "reconnect" in str(excinfo.value)
    assert franchise.name in str(excinfo.value)
    assert sandbox.client.counters() == {}
    # 4. Reconnect the Google account (the real consent flow).
    client = admin_client_of(franchise)
    url = client.post(reverse("franchises:google_connect", args=[franchise.pk]))["Location"]
    assert client.get(local_path(consent(url))).status_code == 302
    # 5. google_auth_valid is true again, and publishing works.
    franchise.refresh_from_db()
    assert franchise.google_auth_valid
    assert business_profile.local_post_create(franchise=franchise, body=POST)["name"].startswith(
        "accounts/1001/locations/2001/localPosts/"
    )


@pytest.mark.django_db
def test_a_franchise_that_is_not_connected_fails_fast(sandbox):
    franchise = make_franchise()
    with pytest.raises(GoogleReauthorizationRequired, match="not connected"):
        google_access_token_get(franchise=franchise)
    assert sandbox.client.counters() == {}


@pytest.mark.django_db
def test_a_revoked_grant_flags_the_franchise_emails_admins_once_and_calls_google_once(
    sandbox, mailoutbox, django_capture_on_commit_callbacks
):
    franchise = franchise_connected_to_sandbox(sandbox, expired=True, name="Portland", location=DEMO_LOCATION)
    make_member(franchise, Membership.Role.ADMIN, email="owner@portland.example")
    make_member(franchise, Membership.Role.STAFF, email="staff@portland.example")
    sandbox.client.revoke(franchise.google_refresh_token)

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            with pytest.raises(GoogleReauthorizationRequired) as excinfo:
                google_access_token_get(franchise=Franchise.objects.get(pk=franchise.pk))
            assert "reconnect" in str(excinfo.value)
        with pytest.raises(GoogleReauthorizationRequired):
            business_profile.local_posts_list(franchise=franchise)

    assert sandbox.client.calls("token") == 1
    assert sandbox.client.calls("posts.list") == 0
    stored = Franchise.objects.get(pk=franchise.pk)
    assert stored.google_auth_valid is False
    assert "invalid_grant" in stored.google_auth_error
    assert stored.google_access_token is None
    assert stored.google_refresh_token is not None  # still "connected", so the seed's SQL finds it
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["owner@portland.example"]
    assert "Portland" in mail.subject
    assert f"http://127.0.0.1:8000/franchises/{franchise.pk}/" in mail.body


@pytest.mark.django_db
def test_after_a_reconnect_a_new_breakage_emails_again(
    sandbox, admin_client_of, mailoutbox, django_capture_on_commit_callbacks
):
    franchise = franchise_connected_to_sandbox(sandbox, expired=True, location=DEMO_LOCATION)
    client = admin_client_of(franchise)
    sandbox.client.revoke(franchise.google_refresh_token)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(GoogleReauthorizationRequired):
        google_access_token_get(franchise=franchise)

    url = client.post(reverse("franchises:google_connect", args=[franchise.pk]))["Location"]
    client.get(local_path(consent(url)))
    franchise.refresh_from_db()
    assert franchise.google_auth_valid and franchise.google_connection.auth_alerted_at is None

    sandbox.client.revoke(franchise.google_refresh_token)
    connection_of(franchise).update(token_expires_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(GoogleReauthorizationRequired):
        google_access_token_get(franchise=franchise)
    assert len(mailoutbox) == 2


@pytest.mark.django_db
@pytest.mark.parametrize("status", [503, 500])
def test_a_failing_token_endpoint_is_transient_and_leaves_the_flag(sandbox, status):
    franchise = franchise_connected_to_sandbox(sandbox, expired=True, location=DEMO_LOCATION)
    sandbox.client.fail("token", status, times=3)  # google-auth itself tries three times
    with pytest.raises(GoogleTokenTransientError):
        google_access_token_get(franchise=franchise)
    stored = Franchise.objects.get(pk=franchise.pk)
    assert stored.google_auth_valid and stored.google_auth_error == ""
    assert stored.google_connection.token_refresh_lease_until is None  # released for the next try
    assert sandbox.client.calls("token", status) == 3
    assert google_access_token_get(franchise=franchise).startswith("ya29.")  # and the next try works


@pytest.mark.django_db
def test_a_hanging_token_endpoint_times_out_as_transient_and_leaves_the_flag(sandbox, settings):
    settings.GOOGLE_HTTP_TIMEOUT_SECONDS = 0.5
    franchise = franchise_connected_to_sandbox(sandbox, expired=True, location=DEMO_LOCATION)
    sandbox.client.hang("token", seconds=3)
    with pytest.raises(GoogleTokenTransientError, match="did not answer"):
        google_access_token_get(franchise=franchise)
    assert Franchise.objects.get(pk=franchise.pk).google_auth_valid


@pytest.mark.django_db
def test_a_wrong_client_secret_is_not_blamed_on_the_franchise(sandbox, settings):
    franchise = franchise_connected_to_sandbox(sandbox, expired=True, location=DEMO_LOCATION)
    settings.GOOGLE_CLIENT_SECRET = "wrong"
    with pytest.raises(GoogleTokenTransientError, match="GOOGLE_CLIENT_SECRET"):
        google_access_token_get(franchise=franchise)
    assert Franchise.objects.get(pk=franchise.pk).google_auth_valid


@pytest.mark.django_db
def test_a_lease_left_by_a_dead_process_is_taken_over(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox, expired=True, location=DEMO_LOCATION)
    connection_of(franchise).update(token_refresh_lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert google_access_token_get(franchise=franchise).startswith("ya29.")
    assert connection_of(franchise).get().token_refresh_lease_until is None


@pytest.mark.django_db
def test_force_refresh_replaces_a_token_google_refused(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox, location=DEMO_LOCATION)
    old = franchise.google_access_token
    new = google_access_token_get(franchise=franchise, force_refresh=True)
    assert new != old
    # A caller holding the already replaced token does not cause another refresh.
    assert google_access_token_get(franchise=franchise, force_refresh=True, rejected_token=old) == new
    assert sandbox.client.calls("token") == 1


def _eight_callers(franchise_pk) -> list[str]:
    barrier = threading.Barrier(8)

    def worker(_: int) -> str:
        try:
            barrier.wait(timeout=10)
            return google_access_token_get(franchise=Franchise.objects.get(pk=franchise_pk))
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(worker, range(8)))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_threads_asking_for_an_expired_token_cause_one_refresh(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox, expired=True, location=DEMO_LOCATION)
    sandbox.client.latency(0.3, route="token")  # every caller arrives while the refresh is in flight
    tokens = _eight_callers(franchise.pk)
    assert sandbox.client.calls("token") == 1
    assert len(set(tokens)) == 1
    assert Franchise.objects.get(pk=franchise.pk).google_access_token == tokens[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_threads_on_a_revoked_grant_cause_one_token_call_and_one_email(sandbox, mailoutbox):
    franchise = franchise_connected_to_sandbox(sandbox, expired=True, location=DEMO_LOCATION)
    make_member(franchise, Membership.Role.ADMIN, email="owner@portland.example")  # the one to email
    sandbox.client.revoke(franchise.google_refresh_token)
    sandbox.client.latency(0.3, route="token")
    with pytest.raises(GoogleReauthorizationRequired):
        _eight_callers(franchise.pk)
    assert sandbox.client.calls("token") == 1
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_no_token_appears_in_logs_errors_emails_or_the_admin(
    sandbox, admin_client_of, admin_client, mailoutbox, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    franchise = make_franchise(name="Leakless")
    client = admin_client_of(franchise)
    url = client.post(reverse("franchises:google_connect", args=[franchise.pk]))["Location"]
    client.get(local_path(consent(url)))
    franchise.refresh_from_db()
    secrets = [franchise.google_refresh_token, franchise.google_access_token]
    connection_of(franchise).update(token_expires_at=timezone.now())
    secrets.append(google_access_token_get(franchise=franchise))
    business_profile.accounts_list(connection=franchise.google_connection)

    errors = []
    sandbox.client.fail("token", 503, times=3)
    connection_of(franchise).update(token_expires_at=timezone.now())
    with pytest.raises(GoogleTokenTransientError) as transient:
        google_access_token_get(franchise=franchise)
    errors.append(str(transient.value))
    sandbox.client.revoke(secrets[0])
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(GoogleReauthorizationRequired) as reauth:
        google_access_token_get(franchise=franchise)
    errors.append(str(reauth.value))

    admin_page = admin_client.get(reverse("admin:franchises_franchise_change", args=[franchise.pk])).content.decode()
    list_page = admin_client.get(reverse("admin:franchises_franchise_changelist")).content.decode()
    detail = client.get(reverse("franchises:detail", args=[franchise.pk])).content.decode()
    stored = Franchise.objects.get(pk=franchise.pk)
    raw = " ".join(value or "" for value in (*raw_token_columns(franchise), *raw_connection_token_columns(franchise)))
    places = {
        "logs": caplog.text + " ".join(str(r.args) for r in caplog.records),
        "errors": " ".join(errors) + stored.google_auth_error,
        "email": " ".join(m.subject + m.body for m in mailoutbox),
        "admin": admin_page + list_page,
        "dashboard": detail,
        "raw columns": raw,
    }
    assert caplog.records and mailoutbox
    for secret in secrets:
        assert secret
        for place, text in places.items():
            assert secret not in text, f"a token appears in the {place}"


@pytest.mark.django_db
def test_a_token_with_margin_left_costs_one_read(sandbox, django_assert_num_queries):
    franchise = franchise_connected_to_sandbox(sandbox, location=DEMO_LOCATION)
    with django_assert_num_queries(1):
        assert google_access_token_get(franchise=franchise) == franchise.google_access_token


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_reconnect_through_another_account_during_a_token_refresh_leaves_the_post_to_retry(sandbox):
    """While a publish attempt refreshes the token, the franchise is reconnected through another
    Google account and its old connection, used by nobody, is dropped. The attempt is put off
    (the new connection serves the next one); the post does not fail."""
    from franchises.google.connect import google_location_pick
    from franchises.models import GoogleConnection
    from posts.models import Post
    from posts.services import post_publish
    from testkit.factories import make_post
    from testkit.google import google_connection_to_sandbox

    franchise = franchise_connected_to_sandbox(sandbox, expired=True)
    post = make_post(franchise=franchise, status=Post.Status.SCHEDULED)
    old = franchise.google_connection_id
    sandbox.client.latency(1.0, route="token")
    outcome: list = []

    def attempt() -> None:
        try:
            outcome.append(post_publish(post=Post.objects.get(pk=post.pk)))
        finally:
            connection.close()

    thread = threading.Thread(target=attempt)
    thread.start()
    while not GoogleConnection.objects.filter(pk=old, token_refresh_lease_until__isnull=False).exists():
        time.sleep(0.02)
    google_location_pick(
        franchise=Franchise.objects.get(pk=franchise.pk),
        account_id=franchise.google_account_id,
        location_id=franchise.google_location_id,
        connection=google_connection_to_sandbox(sandbox.client),
        title="Same store",
    )
    thread.join(30)

    post.refresh_from_db()
    assert not GoogleConnection.objects.filter(pk=old).exists()
    assert (outcome[0].outcome, post.status) == ("deferred", "scheduled")
    assert "changed while this request was under way" in post.last_error


@pytest.mark.django_db
def test_a_token_refresh_tries_google_no_more_once_the_runs_time_is_up(sandbox, settings):
    """The token endpoint answers 500 again and again; google-auth would try three times, backing
    off in between (about 1 s, then 2 s: the third try comes 3 s after the first). A publish run
    with a 2.5-second budget does not try past it: its post is left for the next run, no attempt
    counted."""
    from gbp_scheduler.jobs import TimeBudget
    from posts.models import Post
    from posts.services import posts_publish_due
    from testkit.factories import make_post

    settings.PUBLISH_CONCURRENCY = 1
    franchise = franchise_connected_to_sandbox(sandbox, expired=True)
    post = make_post(franchise=franchise, status=Post.Status.SCHEDULED)
    sandbox.client.fail("token", 500, times=3)

    counts = posts_publish_due(budget=TimeBudget(seconds=2.5))

    post.refresh_from_db()
    assert sandbox.client.calls("token") < 3
    assert counts["left_for_next_run"] == 1 and (post.status, post.attempts) == ("scheduled", 0)
    sandbox.client.clear_faults()
