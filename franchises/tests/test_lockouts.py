"""Failed sign-ins lock out a username from one address, never the username for everyone.

Behind Vercel's edge (or any proxy) every request reaches the app from the proxy's address; the
client's own is in X-Forwarded-For. Before the address was read from there, five bad passwords for
`admin` from anywhere locked the real admin out for an hour.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from testkit.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "the-real-passphrase-42"
PROXY = {"REMOTE_ADDR": "10.0.0.2"}  # Vercel's edge, as the app sees every request
STRANGER = "203.0.113.66"
ADMIN_AT_HOME = "198.51.100.7"


@pytest.fixture(autouse=True)
def _behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _sign_in(client: Client, username: str, password: str, *, forwarded_for: str):
    return client.post(
        reverse("login"), {"username": username, "password": password}, HTTP_X_FORWARDED_FOR=forwarded_for, **PROXY
    )


def test_a_strangers_failures_lock_only_the_stranger_out(settings):
    make_user(username="admin", password=PASSWORD, superuser=True)
    stranger = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in(stranger, "admin", "guess", forwarded_for=STRANGER).status_code == 200
    assert _sign_in(stranger, "admin", "guess", forwarded_for=STRANGER).status_code == 429  # the limit

    locked = _sign_in(stranger, "admin", PASSWORD, forwarded_for=STRANGER)
    assert locked.status_code == 429
    body = locked.content.decode()
    assert 'id="locked-out"' in body and "admin" in body and 'id="nav-links"' not in body

    real = _sign_in(Client(), "admin", PASSWORD, forwarded_for=ADMIN_AT_HOME)
    assert real.status_code == 302 and real["Location"] == "/"


def test_an_address_written_by_the_client_does_not_aim_the_lockout(settings):
    """The proxy appends the address it saw; what the stranger wrote on the left is ignored, so
    claiming the admin's address locks out the stranger's own."""
    make_user(username="admin", password=PASSWORD, superuser=True)
    forged = f"{ADMIN_AT_HOME}, {STRANGER}"
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        _sign_in(Client(), "admin", "guess", forwarded_for=forged)
    assert _sign_in(Client(), "admin", PASSWORD, forwarded_for=STRANGER).status_code == 429
    assert _sign_in(Client(), "admin", PASSWORD, forwarded_for=ADMIN_AT_HOME).status_code == 302


def test_the_same_username_and_address_is_locked_after_the_limit(settings):
    make_user(username="maria", password=PASSWORD)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(Client(), "maria", "wrong", forwarded_for=ADMIN_AT_HOME)
    assert _sign_in(Client(), "maria", PASSWORD, forwarded_for=ADMIN_AT_HOME).status_code == 429
    # Another username from the same address is not affected.
    make_user(username="li", password=PASSWORD)
    assert _sign_in(Client(), "li", PASSWORD, forwarded_for=ADMIN_AT_HOME).status_code == 302
