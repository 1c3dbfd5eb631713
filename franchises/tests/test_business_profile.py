"""The GBP client against the sandbox: every call, and how Google's failures map to typed errors."""

from __future__ import annotations

import socket

import pytest

from franchises.google import business_profile
from franchises.google.business_profile import (
    GbpInvalidRequestError,
    GbpNotFoundError,
    GbpRateLimitedError,
    GbpSetupError,
    GbpTransientError,
)
from franchises.models import Franchise
from testkit.google import DEMO_LOCATION, franchise_connected_to_sandbox

pytestmark = pytest.mark.django_db

POST = {
    "languageCode": "en",
    "summary": "Fresh sourdough every morning.",
    "topicType": "STANDARD",
    "callToAction": {"actionType": "LEARN_MORE", "url": "https://sunrise-bakery.example"},
}


@pytest.fixture
def franchise(sandbox) -> Franchise:
    return franchise_connected_to_sandbox(sandbox, name="Sunrise", location=DEMO_LOCATION)


def test_local_posts_create_list_get_patch_delete(franchise, sandbox):
    created = business_profile.local_post_create(franchise=franchise, body=POST)
    name = created["name"]
    assert name.startswith("accounts/1001/locations/2001/localPosts/") and created["state"] == "LIVE"
    items, next_token = business_profile.local_posts_list(franchise=franchise)
    assert [p["name"] for p in items] == [name] and next_token is None
    assert business_profile.local_post_get(franchise=franchise, name=name)["summary"] == POST["summary"]
    patched = business_profile.local_post_patch(
        franchise=franchise, name=name, body={"summary": "New text"}, update_mask=["summary"]
    )
    assert patched["summary"] == "New text"
    assert business_profile.local_post_delete(franchise=franchise, name=name) is None
    assert sandbox.client.posts()[0]["deleted"] is True
    with pytest.raises(GbpNotFoundError, match="post accounts/1001"):
        business_profile.local_post_get(franchise=franchise, name=name)


def test_local_posts_list_pages(franchise):
    for i in range(5):
        business_profile.local_post_create(franchise=franchise, body=dict(POST, summary=f"post {i}"))
    first, token = business_profile.local_posts_list(franchise=franchise, page_size=3)
    second, last = business_profile.local_posts_list(franchise=franchise, page_size=3, page_token=token)
    assert len(first) == 3 and len(second) == 2 and token and last is None
    assert first[0]["summary"] == "post 4"  # newest first


def test_accounts_and_locations_come_back_whole_across_pages(franchise, sandbox):
    for i in range(20):
        sandbox.client.add_account(f"Extra {i}")
    big = sandbox.client.add_account("Big group", locations=205)
    accounts = business_profile.accounts_list(connection=franchise.google_connection)
    assert len(accounts) == 3 + 20 + 1 and accounts[-1]["name"] == f"accounts/{big['account_id']}"
    locations = business_profile.locations_list(
        connection=franchise.google_connection, account_id=f"accounts/{big['account_id']}"
    )
    assert [loc["name"] for loc in locations] == [f"locations/{i}" for i in big["location_ids"]]
    assert set(locations[0]) == {"name", "title", "storefrontAddress", "metadata"}
    assert sandbox.client.calls("accounts") == 2 and sandbox.client.calls("locations") == 3


def test_a_401_refreshes_once_and_retries_once(franchise, sandbox):
    sandbox.client.expire_access_tokens()  # Google stops accepting the stored, not yet expired token
    assert business_profile.local_post_create(franchise=franchise, body=POST)["name"]
    assert sandbox.client.calls("posts.create", 401) == 1
    assert sandbox.client.calls("posts.create", 200) == 1
    assert sandbox.client.calls("token") == 1
    assert len(sandbox.client.posts()) == 1


def test_before_send_runs_before_each_send_of_a_create_and_can_stop_the_retry(franchise, sandbox):
    calls = []

    def before_send():
        calls.append(len(calls))
        if len(calls) == 2:  # the resend after the 401 and the refresh: say it is too late now
            raise GbpTransientError("too late to send")

    sandbox.client.expire_access_tokens()
    with pytest.raises(GbpTransientError, match="too late"):
        business_profile.local_post_create(franchise=franchise, body=POST, before_send=before_send)
    assert calls == [0, 1]
    assert sandbox.client.calls("posts.create") == 1  # only the refused first send reached Google
    assert sandbox.client.posts() == []


def test_a_second_401_after_the_refresh_is_transient_not_a_loop(franchise, sandbox):
    sandbox.client.fail("accounts", 401, times=5)
    with pytest.raises(GbpTransientError) as excinfo:
        business_profile.accounts_list(connection=franchise.google_connection)
    assert not excinfo.value.maybe_applied
    assert sandbox.client.calls("accounts") == 2 and sandbox.client.calls("token") == 1


def test_a_401_on_a_revoked_grant_becomes_reauthorization_required(franchise, sandbox):
    from franchises.google.tokens import GoogleReauthorizationRequired

    sandbox.client.revoke(franchise.google_refresh_token)
    with pytest.raises(GoogleReauthorizationRequired):
        business_profile.local_post_create(franchise=franchise, body=POST)
    assert not Franchise.objects.get(pk=franchise.pk).google_auth_valid


def test_service_disabled_is_a_setup_error_that_says_enable_the_api(franchise, sandbox):
    sandbox.client.disable_location("2001")
    with pytest.raises(GbpSetupError) as excinfo:
        business_profile.local_post_create(franchise=franchise, body=POST)
    message = str(excinfo.value)
    assert "Google My Business API is disabled" in message and "enable it at https://" in message
    assert "reconnect" not in message.lower()
    assert excinfo.value.permanent
    assert Franchise.objects.get(pk=franchise.pk).google_auth_valid


def test_a_zero_quota_is_a_setup_error_that_says_request_api_access(franchise, sandbox):
    sandbox.client.set_quota(0)
    with pytest.raises(GbpSetupError, match="Request access") as excinfo:
        business_profile.accounts_list(connection=franchise.google_connection)
    assert "reconnect" not in str(excinfo.value).lower() and excinfo.value.permanent


def test_permission_denied_is_a_setup_error(franchise, sandbox):
    sandbox.client.fail("posts.create", 403)
    with pytest.raises(GbpSetupError, match="PERMISSION_DENIED") as excinfo:
        business_profile.local_post_create(franchise=franchise, body=POST)
    assert "API access" in str(excinfo.value) and excinfo.value.permanent


def test_a_missing_location_says_pick_it_again(franchise, sandbox):
    Franchise.objects.filter(pk=franchise.pk).update(google_location_id="9999")
    franchise.refresh_from_db()
    with pytest.raises(GbpNotFoundError, match="pick the location again") as excinfo:
        business_profile.local_post_create(franchise=franchise, body=POST)
    assert excinfo.value.permanent


def test_no_location_picked_fails_without_calling_google(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox, location=DEMO_LOCATION)
    Franchise.objects.filter(pk=franchise.pk).update(google_location_id="")
    franchise.refresh_from_db()
    with pytest.raises(GbpSetupError, match="no Google location picked"):
        business_profile.local_post_create(franchise=franchise, body=POST)
    assert sandbox.client.counters() == {}


def test_rate_limited_carries_retry_after(franchise, sandbox):
    sandbox.client.fail("posts.create", 429, retry_after=7)
    with pytest.raises(GbpRateLimitedError) as excinfo:
        business_profile.local_post_create(franchise=franchise, body=POST)
    assert excinfo.value.retry_after == 7.0
    assert excinfo.value.permanent is False


def test_an_invalid_post_is_a_permanent_error_with_googles_message(franchise):
    with pytest.raises(GbpInvalidRequestError, match="Unknown name") as excinfo:
        business_profile.local_post_create(franchise=franchise, body=dict(POST, colour="red"))
    assert excinfo.value.permanent


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_server_error_on_a_create_is_transient_and_maybe_applied(franchise, sandbox, status):
    """A backend can fail its answer after doing the work: the create may have landed."""
    sandbox.client.fail("posts.create", status, after_commit=True)
    with pytest.raises(GbpTransientError) as excinfo:
        business_profile.local_post_create(franchise=franchise, body=POST)
    assert str(status) in str(excinfo.value)
    assert excinfo.value.maybe_applied is True and excinfo.value.permanent is False
    assert len(sandbox.client.posts()) == 1  # it had, this time


def test_a_server_error_on_a_read_is_transient_and_changed_nothing(franchise, sandbox):
    sandbox.client.fail("posts.list", 503)
    with pytest.raises(GbpTransientError) as excinfo:
        business_profile.local_posts_list(franchise=franchise)
    assert excinfo.value.maybe_applied is False


def test_a_create_answered_200_without_json_may_have_been_applied(franchise, sandbox):
    sandbox.client.garble("posts.create")
    with pytest.raises(GbpTransientError) as excinfo:
        business_profile.local_post_create(franchise=franchise, body=POST)
    assert excinfo.value.maybe_applied is True
    assert "not JSON" in str(excinfo.value)


def test_a_timeout_after_sending_a_create_is_maybe_applied(franchise, sandbox, settings):
    settings.GOOGLE_HTTP_TIMEOUT_SECONDS = 0.5
    sandbox.client.hang("posts.create", seconds=2, after_commit=True)
    with pytest.raises(GbpTransientError) as excinfo:
        business_profile.local_post_create(franchise=franchise, body=POST)
    assert excinfo.value.maybe_applied is True
    assert "may or may not have been applied" in str(excinfo.value)
    assert len(sandbox.client.posts()) == 1  # it was, in fact: the caller must reconcile


def test_a_connection_dropped_after_the_create_is_maybe_applied(franchise, sandbox):
    sandbox.client.drop("posts.create", after_commit=True)
    with pytest.raises(GbpTransientError) as excinfo:
        business_profile.local_post_create(franchise=franchise, body=POST)
    assert excinfo.value.maybe_applied is True
    assert len(sandbox.client.posts()) == 1


def test_a_refused_connection_is_transient_and_not_maybe_applied(franchise, settings):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.GOOGLE_API_BASE_URL = f"http://127.0.0.1:{port}"
    with pytest.raises(GbpTransientError) as excinfo:
        business_profile.local_post_create(franchise=franchise, body=POST)
    assert excinfo.value.maybe_applied is False


def test_an_html_error_page_gives_a_readable_error(franchise, sandbox, settings):
    # The sandbox's HTML pages stand in for a proxy's error page: its unknown-location page
    # answers 404 text/html. The '?' makes the client's path land there.
    settings.GOOGLE_API_BASE_URL = f"{sandbox.url}/_sandbox/locations/nowhere?"
    with pytest.raises(GbpNotFoundError) as excinfo:
        business_profile.local_post_get(franchise=franchise, name="accounts/1001/locations/2001/localPosts/1")
    message = str(excinfo.value)
    assert "HTTP 404" in message and "Location not found" in message and "text/html" in message
    assert "Unknown error" not in message


def test_error_messages_never_say_unknown_error(franchise, sandbox):
    sandbox.client.fail("posts.create", 418)  # the sandbox's body says "Unknown error."
    with pytest.raises(GbpInvalidRequestError) as excinfo:
        business_profile.local_post_create(franchise=franchise, body=POST)
    assert "Unknown error" not in str(excinfo.value) and "418" in str(excinfo.value)


def test_a_post_name_that_is_not_one_is_refused_before_calling_google(franchise, sandbox):
    with pytest.raises(GbpInvalidRequestError):
        business_profile.local_post_delete(franchise=franchise, name="accounts/1001/locations/2001/../../x")
    assert sandbox.client.counters() == {}
