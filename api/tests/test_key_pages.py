"""Making, listing and revoking API keys on the profile page."""

from __future__ import annotations

import re

import pytest

from api.keys import api_key_create
from api.models import ApiKey
from franchises.models import Membership
from testkit.factories import make_franchise, make_member, make_user

from .helpers import KeyClient

pytestmark = pytest.mark.django_db


def test_a_key_made_on_the_profile_is_shown_once_and_stored_only_as_a_digest(client):
    franchise = make_franchise(name="Porto")
    make_franchise(name="Braga")
    user = make_member(franchise, Membership.Role.ADMIN)
    client.force_login(user)
    profile = client.get("/profile/")
    assert b"No keys yet." in profile.content
    made = client.post(
        "/profile/api-keys/new/", {"name": "Marketing calendar", "scope": "write", "franchises": [franchise.pk]}
    )
    assert made.status_code == 200
    assert made["Cache-Control"].startswith("max-age=0") or "no-cache" in made["Cache-Control"]
    secret = re.search(r'value="(gbp_[^"]+)"', made.content.decode()).group(1)
    key = ApiKey.objects.get()
    assert key.scope == "write" and not key.all_franchises and list(key.franchises.all()) == [franchise]
    assert secret not in str(ApiKey.objects.values().get())  # only its SHA-256 is kept
    assert KeyClient(secret).get("/api/v1/franchises").json()[0]["name"] == "Porto"
    listed = client.get("/profile/").content.decode()
    assert "Marketing calendar" in listed and secret not in listed and "Braga" not in listed


def test_a_key_cannot_be_made_for_a_franchise_the_user_does_not_see(client):
    mine, theirs = make_franchise(), make_franchise()
    user = make_member(mine, Membership.Role.STAFF)
    client.force_login(user)
    answer = client.post("/profile/api-keys/new/", {"name": "Sneaky", "scope": "read", "franchises": [theirs.pk]})
    assert answer.status_code == 400
    assert not ApiKey.objects.exists()


def test_a_revoked_key_stops_working_and_another_users_key_cannot_be_revoked(client):
    franchise = make_franchise()
    user, other = make_member(franchise, Membership.Role.STAFF), make_member(franchise, Membership.Role.STAFF)
    client.force_login(user)
    made = client.post("/profile/api-keys/new/", {"name": "Mine", "scope": "read", "all_franchises": "on"})
    secret = re.search(r'value="(gbp_[^"]+)"', made.content.decode()).group(1)
    key = ApiKey.objects.get()
    api = KeyClient(secret)
    assert api.get("/api/v1/franchises").status_code == 200
    client.force_login(other)
    assert client.post(f"/profile/api-keys/{key.pk}/revoke/").status_code == 404
    assert api.get("/api/v1/franchises").status_code == 200
    client.force_login(user)
    assert client.post(f"/profile/api-keys/{key.pk}/revoke/").status_code == 302
    refused = api.get("/api/v1/franchises")
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["code"] == "unauthenticated"


def test_headquarters_sees_keys_in_the_django_admin_without_their_secret_and_revokes_them(client):
    franchise = make_franchise()
    user = make_member(franchise, Membership.Role.STAFF)
    _, secret = api_key_create(user=user, name="Calendar", scope="read")
    key = ApiKey.objects.get()
    client.force_login(make_user(superuser=True))
    page = client.get(f"/admin/api/apikey/{key.pk}/change/").content.decode()
    assert "Calendar" in page and secret not in page and key.secret_sha256 not in page
    client.post("/admin/api/apikey/", {"action": "revoke", "_selected_action": [key.pk]})
    assert KeyClient(secret).get("/api/v1/franchises").status_code == 401
