"""The connect flow end to end: Django's test client, the sandbox's consent page, real HTTP."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from franchises.models import Franchise, GoogleConnection, Membership
from posts.models import Post
from sandbox.state import SANDBOX_USER
from testkit.database import raw_token_columns
from testkit.factories import make_franchise, make_member, make_post
from testkit.google import DEMO_LOCATION, connection_of, franchise_connected_to_sandbox
from testkit.oauth import consent, local_path, query_of

pytestmark = pytest.mark.django_db

SCOPE = "https://www.googleapis.com/auth/business.manage"


@pytest.fixture
def franchise():
    return make_franchise(name="Portland")


@pytest.fixture
def franchise_admin(franchise):
    return make_member(franchise, Membership.Role.ADMIN)


@pytest.fixture
def admin(client, franchise_admin):
    client.force_login(franchise_admin)
    return client


def start(client, franchise: Franchise) -> str:
    """Press Connect; return the consent URL the browser is sent to."""
    answer = client.post(reverse("franchises:google_connect", args=[franchise.pk]))
    assert answer.status_code == 302
    return answer["Location"]


def test_connect_round_trip_stores_encrypted_tokens_and_the_picked_location(admin, franchise, sandbox):
    url = start(admin, franchise)
    query = query_of(url)
    assert url.startswith(f"{sandbox.url}/o/oauth2/v2/auth?")
    # The Business Profile, and who the Google account is (so one account has one connection).
    assert query["scope"] == [f"{SCOPE} openid https://www.googleapis.com/auth/userinfo.email"]
    assert query["access_type"] == ["offline"]
    assert query["prompt"] == ["consent"]
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["redirect_uri"] == ["http://127.0.0.1:8000/google/callback/"]

    callback = consent(url)
    answer = admin.get(local_path(callback))
    assert answer.status_code == 302
    assert answer["Location"] == reverse("franchises:google_pick_location", args=[franchise.pk])

    franchise.refresh_from_db()
    assert franchise.google_refresh_token.startswith("1//sandbox-")
    assert franchise.google_access_token.startswith("ya29.sandbox-")
    assert franchise.google_auth_valid and franchise.google_auth_error == ""
    raw_refresh, raw_access = raw_token_columns(franchise)
    assert franchise.google_refresh_token not in raw_refresh
    assert franchise.google_access_token not in raw_access

    picker = admin.get(answer["Location"])
    assert picker.status_code == 200
    for title in ("Sunrise Bakery Downtown", "Harbor Fitness Marina", "Green Leaf Cafe"):
        assert title in picker.content.decode()
    assert 'id="location-1002-2102"' in picker.content.decode()

    picked = admin.post(answer["Location"], {"location": "1002/2102"})
    assert picked.status_code == 302
    franchise.refresh_from_db()
    assert (franchise.google_account_id, franchise.google_location_id) == ("1002", "2102")
    assert franchise.google_location_title == "Harbor Fitness Uptown"

    page = admin.get(reverse("franchises:detail", args=[franchise.pk])).content.decode()
    assert "Harbor Fitness Uptown" in page and 'id="google-reconnect"' in page and 'id="google-disconnect"' in page
    assert 'id="auth-warning"' not in page


def test_the_picker_lists_every_account_and_every_page_of_locations(admin, franchise, sandbox):
    sandbox.client.reset("empty")
    big = [sandbox.client.add_account(f"Group {i}", locations=3 if i else 230) for i in range(23)]
    url = start(admin, franchise)
    admin.get(local_path(consent(url)))

    page = admin.get(reverse("franchises:google_pick_location", args=[franchise.pk])).content.decode()
    assert page.count('type="radio"') == 230 + 22 * 3
    last = big[0]["location_ids"][-1]
    assert f'id="location-{big[0]["account_id"]}-{last}"' in page
    assert f'id="account-{big[-1]["account_id"]}"' in page  # the 23rd account is on the second page
    assert sandbox.client.calls("accounts", 200) == 2
    assert sandbox.client.calls("locations", 200) == 3 + 22


def test_picking_a_location_the_account_does_not_have_is_refused(admin, franchise, sandbox):
    franchise_connected_to_sandbox(sandbox, franchise, location=DEMO_LOCATION)
    answer = admin.post(reverse("franchises:google_pick_location", args=[franchise.pk]), {"location": "1001/2101"})
    assert answer.status_code == 302
    franchise.refresh_from_db()
    assert franchise.google_location_id == "2001"


def test_denied_consent_stores_nothing_and_says_so(admin, franchise, sandbox):
    callback = consent(start(admin, franchise), decision="deny")
    answer = admin.get(local_path(callback), follow=True)
    assert "Google access was not granted" in answer.content.decode()
    franchise.refresh_from_db()
    assert franchise.google_refresh_token is None and franchise.google_access_token is None
    assert sandbox.client.calls("token") == 0


def test_a_state_that_does_not_match_is_refused_and_nothing_is_stored(admin, franchise, sandbox):
    callback = consent(start(admin, franchise))
    code = query_of(callback)["code"][0]
    answer = admin.get(reverse("franchises:google_callback"), {"code": code, "state": "forged-state"})
    assert answer.status_code == 400
    franchise.refresh_from_db()
    assert franchise.google_refresh_token is None
    assert sandbox.client.calls("token") == 0  # the code was never exchanged


def test_a_callback_from_another_browser_session_is_refused(admin, franchise, sandbox, franchise_admin):
    callback = consent(start(admin, franchise))
    other_browser = Client()
    other_browser.force_login(franchise_admin)
    assert other_browser.get(local_path(callback)).status_code == 400
    franchise.refresh_from_db()
    assert franchise.google_refresh_token is None


def test_a_callback_cannot_be_replayed(admin, franchise, sandbox):
    callback = consent(start(admin, franchise))
    assert admin.get(local_path(callback)).status_code == 302
    assert admin.get(local_path(callback)).status_code == 400
    assert sandbox.client.calls("token") == 1


def test_staff_who_are_not_admins_cannot_connect_or_disconnect(client, franchise, sandbox):
    franchise_connected_to_sandbox(sandbox, franchise, location=DEMO_LOCATION)
    client.force_login(make_member(franchise, Membership.Role.STAFF))
    page = client.get(reverse("franchises:detail", args=[franchise.pk]))
    assert page.status_code == 200
    assert 'id="google-connect"' not in page.content.decode() and 'id="google-reconnect"' not in page.content.decode()
    assert client.post(reverse("franchises:google_connect", args=[franchise.pk])).status_code == 403
    assert client.post(reverse("franchises:google_disconnect", args=[franchise.pk])).status_code == 403
    assert client.get(reverse("franchises:google_pick_location", args=[franchise.pk])).status_code == 403
    franchise.refresh_from_db()
    assert franchise.is_connected
    assert sandbox.client.calls("revoke") == 0


def test_an_admin_demoted_during_consent_cannot_finish_the_connect(admin, franchise_admin, franchise, sandbox):
    callback = consent(start(admin, franchise))
    Membership.objects.filter(user=franchise_admin, franchise=franchise).update(role=Membership.Role.STAFF)
    assert admin.get(local_path(callback)).status_code == 403
    franchise.refresh_from_db()
    assert franchise.google_refresh_token is None
    assert sandbox.client.calls("token") == 0


def test_an_admin_removed_during_a_connect_many_consent_cannot_finish_it(admin, franchise_admin, franchise, sandbox):
    callback = consent(admin.post(reverse("franchises:google_connections"))["Location"])
    Membership.objects.filter(user=franchise_admin, franchise=franchise).delete()
    assert admin.get(local_path(callback)).status_code == 403
    assert not GoogleConnection.objects.exists()
    assert sandbox.client.calls("token") == 0


# Another franchise's pages (404) and anonymous visitors (to the login page):
# gbp_scheduler/tests/test_tenant_isolation.py, for every URL with an object id.


def test_another_franchise_is_not_in_the_list(admin):
    make_franchise(name="Elsewhere")
    assert "Elsewhere" not in admin.get(reverse("franchises:list")).content.decode()


def test_login_page_signs_in_and_lands_on_the_home_page(client, franchise):
    assert client.get("/accounts/login/").status_code == 200
    user = make_member(franchise, Membership.Role.ADMIN, password="pw-for-tests-1")
    answer = client.post("/accounts/login/", {"username": user.username, "password": "pw-for-tests-1"})
    assert answer.status_code == 302 and answer["Location"] == "/"
    assert "Portland" in client.get("/franchises/").content.decode()


def test_reconnect_without_a_refresh_token_keeps_the_stored_one_and_the_posts(admin, franchise, sandbox):
    franchise_connected_to_sandbox(sandbox, franchise, location=DEMO_LOCATION, user=SANDBOX_USER)
    stored = franchise.google_refresh_token
    post = make_post(franchise=franchise, status=Post.Status.SCHEDULED)

    # A Google that ignores prompt=consent on a repeat consent sends no refresh token.
    callback = consent(start(admin, franchise), drop=("prompt",))
    assert admin.get(local_path(callback)).status_code == 302

    franchise.refresh_from_db()
    assert franchise.google_refresh_token == stored
    assert franchise.google_auth_valid and franchise.google_auth_error == ""
    assert (franchise.google_account_id, franchise.google_location_id) == ("1001", "2001")
    assert Post.objects.filter(pk=post.pk, franchise=franchise).exists()


def test_reconnect_after_google_refused_the_token_insists_on_a_new_one(admin, franchise, sandbox):
    """The stored token is the one Google refused (invalid_grant): keeping it would flag the
    franchise again at the next refresh. Without a new one the franchise stays flagged, and the
    admin is told what to do."""
    franchise_connected_to_sandbox(sandbox, franchise, location=DEMO_LOCATION, user=SANDBOX_USER)
    dead = franchise.google_refresh_token
    connection_of(franchise).update(auth_valid=False, auth_error="invalid_grant")
    Franchise.objects.filter(pk=franchise.pk).update(google_auth_valid=False, google_auth_error="invalid_grant")

    consent_url = start(admin, franchise)
    assert "prompt=consent" in consent_url and "access_type=offline" in consent_url
    callback = consent(consent_url, drop=("prompt",))  # a Google that still sends no refresh token
    answer = admin.get(local_path(callback), follow=True)

    assert "the stored one is the one Google refused" in answer.content.decode()
    franchise.refresh_from_db()
    assert franchise.google_auth_valid is False
    assert franchise.google_refresh_token == dead

    # Asked again with consent, Google sends a new token, and the franchise is restored.
    assert admin.get(local_path(consent(start(admin, franchise)))).status_code == 302
    franchise.refresh_from_db()
    assert franchise.google_auth_valid and franchise.google_refresh_token not in (None, dead)


def test_a_first_connect_without_a_refresh_token_ends_with_a_clear_message(admin, franchise, sandbox):
    sandbox.client.grant()  # this Google user consented to the client before
    callback = consent(start(admin, franchise), drop=("prompt",))
    answer = admin.get(local_path(callback), follow=True)
    assert "did not send a refresh token" in answer.content.decode()
    franchise.refresh_from_db()
    assert franchise.google_refresh_token is None and franchise.google_access_token is None


def test_disconnect_revokes_at_google_and_clears_tokens_but_keeps_posts(admin, franchise, sandbox):
    franchise_connected_to_sandbox(sandbox, franchise, location=DEMO_LOCATION)
    refresh_token = franchise.google_refresh_token
    post = make_post(franchise=franchise)
    answer = admin.post(reverse("franchises:google_disconnect", args=[franchise.pk]))
    assert answer.status_code == 302
    franchise.refresh_from_db()
    assert franchise.google_refresh_token is None and franchise.google_access_token is None
    assert franchise.google_location_id == "" and not franchise.is_connected
    assert sandbox.client.calls("revoke", 200) == 1
    assert sandbox.client.revoke(refresh_token) == 0  # already revoked at Google
    assert Post.objects.filter(pk=post.pk).exists()
    assert 'id="google-connect"' in admin.get(reverse("franchises:detail", args=[franchise.pk])).content.decode()


def test_disconnect_when_google_is_down_still_disconnects_and_warns(admin, franchise, sandbox):
    franchise_connected_to_sandbox(sandbox, franchise, location=DEMO_LOCATION)
    sandbox.client.fail("revoke", 503)
    answer = admin.post(reverse("franchises:google_disconnect", args=[franchise.pk]), follow=True)
    assert "myaccount.google.com/permissions" in answer.content.decode()
    franchise.refresh_from_db()
    assert not franchise.is_connected


def test_the_franchise_page_warns_when_google_auth_is_invalid(client, franchise, sandbox):
    franchise_connected_to_sandbox(sandbox, franchise, location=DEMO_LOCATION)
    Franchise.objects.filter(pk=franchise.pk).update(
        google_auth_valid=False, google_auth_error="Google refused to refresh (invalid_grant)."
    )
    client.force_login(make_member(franchise, Membership.Role.STAFF))
    page = client.get(reverse("franchises:detail", args=[franchise.pk])).content.decode()
    assert 'id="auth-warning"' in page
    assert "invalid_grant" in page
    assert "Ask a franchise admin to reconnect" in page
    assert "Google needs reconnecting" in client.get(reverse("franchises:list")).content.decode()


def test_the_franchise_page_makes_few_queries(admin, franchise, django_assert_max_num_queries):
    admin.get(reverse("franchises:detail", args=[franchise.pk]))
    with django_assert_max_num_queries(6):
        assert admin.get(reverse("franchises:detail", args=[franchise.pk])).status_code == 200
