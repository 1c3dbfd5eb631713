"""Failed sign-ins lock out a username from one address, never the username for everyone.

Behind Vercel's edge (or any proxy) every request reaches the app from the proxy's address; the
client's own is in X-Forwarded-For. Before the address was read from there, five bad passwords for
`admin` from anywhere locked the real admin out for an hour.
"""

from __future__ import annotations

import re

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


# --- guesses spread over many addresses ----------------------------------------------------------


def test_guesses_at_one_username_from_many_addresses_are_limited(settings, empty_cache):
    """The lockout is per username and address: guesses spread over many addresses each had their
    own five, so they were unlimited. The username's allowance of attempts from browsers that never
    signed in as it holds across every address, even for the right password."""
    settings.SIGN_IN_PER_USERNAME_PER_HOUR = 10
    make_user(username="admin", password=PASSWORD, superuser=True)
    answers = [_sign_in(Client(), "admin", f"guess-{n}", forwarded_for=f"203.0.113.{n}").status_code for n in range(10)]
    assert answers == [200] * 10  # each refused as a wrong password

    slowed = _sign_in(Client(), "admin", PASSWORD, forwarded_for="203.0.113.200")
    assert slowed.status_code == 429
    body = slowed.content.decode()
    assert 'id="sign-in-slowed"' in body and "browsers that signed in as admin before still sign in" in body
    assert _sign_in(Client(), "someone-else", "guess", forwarded_for="203.0.113.201").status_code == 200


def test_the_owners_own_browser_signs_in_however_many_guesses_came_from_elsewhere(settings, empty_cache):
    settings.SIGN_IN_PER_USERNAME_PER_HOUR = 3
    make_user(username="admin", password=PASSWORD, superuser=True)
    own = Client()
    assert _sign_in(own, "admin", PASSWORD, forwarded_for=ADMIN_AT_HOME).status_code == 302  # known from now on
    own.post(reverse("logout"))
    for n in range(20):
        _sign_in(Client(), "admin", "guess", forwarded_for=f"203.0.113.{n}")
    assert _sign_in(Client(), "admin", PASSWORD, forwarded_for="192.0.2.1").status_code == 429  # a new browser

    for _ in range(5):  # the own browser is neither counted nor held back, even on a typo
        _sign_in(own, "admin", "typo", forwarded_for=ADMIN_AT_HOME)
    assert _sign_in(own, "admin", PASSWORD, forwarded_for="192.0.2.99").status_code == 302  # on the road too


def test_a_forged_known_browser_cookie_counts_as_none(settings, empty_cache):
    settings.SIGN_IN_PER_USERNAME_PER_HOUR = 1
    make_user(username="admin", password=PASSWORD, superuser=True)
    _sign_in(Client(), "admin", "guess", forwarded_for=STRANGER)
    forger = Client()
    forger.cookies["known_sign_ins"] = "0123456789abcdef01234567:1abc:forged"
    assert _sign_in(forger, "admin", PASSWORD, forwarded_for="192.0.2.5").status_code == 429


def test_a_password_reset_lets_the_owners_new_browser_in(settings, empty_cache, mailoutbox):
    settings.SIGN_IN_PER_USERNAME_PER_HOUR = 2
    make_user(username="admin", email="hq@example.com", password=PASSWORD, superuser=True)
    for n in range(5):
        _sign_in(Client(), "admin", "guess", forwarded_for=f"203.0.113.{n}")
    laptop = Client()
    assert _sign_in(laptop, "admin", PASSWORD, forwarded_for=ADMIN_AT_HOME).status_code == 429

    laptop.post(reverse("password_reset"), {"email": "hq@example.com"}, HTTP_X_FORWARDED_FOR=ADMIN_AT_HOME, **PROXY)
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mailoutbox[0].body).group(1)
    form = laptop.get(link, follow=True, HTTP_X_FORWARDED_FOR=ADMIN_AT_HOME, **PROXY)
    new = "a-brand-new-passphrase-7"
    laptop.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}, **PROXY)
    assert _sign_in(laptop, "admin", new, forwarded_for=ADMIN_AT_HOME).status_code == 302
