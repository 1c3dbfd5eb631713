"""Password reset through Django's views, with the app's own pages and email."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from testkit.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_allowances(empty_cache):
    """The reset throttle counts in the cache (testkit/fixtures.py empties it), per clock hour: the
    clock starts just after an hour begins, so a test never straddles two."""
    with time_machine.travel(dt.datetime(2026, 11, 30, 9, 0, 1, tzinfo=dt.UTC)):
        yield


def _user(**fields):
    user = make_user(**fields)
    user.set_password("the-old-passphrase-1")  # accounts without a usable password get no reset email
    user.save()
    return user


def test_the_login_page_links_to_the_reset(client):
    body = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("password_reset")}"' in body
    assert 'for="id_username"' in body and 'for="id_password"' in body


def test_a_user_resets_their_password_through_the_emailed_link(client):
    user = _user(username="maria", email="maria@example.com")
    page = client.get(reverse("password_reset"))
    assert page.status_code == 200 and 'id="password-reset-form"' in page.content.decode()
    assert "script-src 'self'" in page["Content-Security-Policy"]

    sent = client.post(reverse("password_reset"), {"email": "maria@example.com"}, follow=True)
    assert 'id="password-reset-sent"' in sent.content.decode()
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["maria@example.com"]
    assert email.subject == "Reset your GBP Post Scheduler password"
    assert "Your username is: maria" in email.body
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", email.body).group(1)

    form = client.get(link, follow=True)
    assert 'id="password-set-form"' in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-long-new-passphrase-42", "new_password2": "a-long-new-passphrase-42"},
        follow=True,
    )
    assert 'id="password-reset-complete"' in done.content.decode()
    user.refresh_from_db()
    assert user.check_password("a-long-new-passphrase-42")

    again = client.get(link, follow=True)  # the link works once
    assert 'id="password-reset-invalid"' in again.content.decode()


def test_an_unknown_email_sends_nothing_and_says_the_same(client):
    sent = client.post(reverse("password_reset"), {"email": "nobody@example.com"}, follow=True)
    assert 'id="password-reset-sent"' in sent.content.decode()
    assert mail.outbox == []


def test_mismatched_new_passwords_are_refused_inline(client):
    _user(username="li", email="li@example.com")
    client.post(reverse("password_reset"), {"email": "li@example.com"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    response = client.post(form.redirect_chain[-1][0], {"new_password1": "one-passphrase-1", "new_password2": "two"})
    assert response.status_code == 200
    assert "has-error" in response.content.decode() and 'id="password-set-form"' in response.content.decode()


# --- the throttle: no flooding an inbox --------------------------------------------------------


def _ask(address: str, email: str):
    return Client().post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


def test_one_email_address_gets_a_few_reset_emails_an_hour_and_the_answer_never_changes(settings):
    settings.PASSWORD_RESET_PER_ACCOUNT_PER_HOUR = 3
    _user(username="maria", email="maria@example.com")
    answers = [_ask(f"198.51.100.{n}", "Maria@Example.com") for n in range(10)]  # ten addresses, one inbox
    assert len(mail.outbox) == 3
    assert {(a.status_code, a["Location"]) for a in answers} == {(302, reverse("password_reset_done"))}
    # An address without an account answers exactly the same, before and past its allowance.
    unknown = [_ask(f"198.51.100.{n}", "nobody@example.com") for n in range(10)]
    assert {(a.status_code, a["Location"]) for a in unknown} == {(302, reverse("password_reset_done"))}
    assert len(mail.outbox) == 3


LONG_S = "\u017f"  # the long s: PostgreSQL's UPPER() makes it S, and Django's NFKC comparison makes it s


@pytest.mark.postgres
def test_spellings_of_one_address_that_find_the_same_account_share_its_allowance(settings):
    """The limit was keyed on the address typed, lower-cased; Django finds the account
    case-insensitively (UPPER() on PostgreSQL) and compares NFKC-folded, so "ro<long s>s@" is
    "ross@": five spellings, five allowances, fifteen emails to one inbox."""
    settings.PASSWORD_RESET_PER_ACCOUNT_PER_HOUR = 3
    _user(username="ross", email="ross@example.com")
    spellings = [
        "ross@example.com",
        f"ro{LONG_S}s@example.com",
        f"ros{LONG_S}@example.com",
        f"ro{LONG_S}{LONG_S}@example.com",
        f"ROS{LONG_S}@EXAMPLE.COM",
    ]
    answers = [_ask(f"198.51.100.{n}", spelling) for n, spelling in enumerate(spellings * 4)]
    assert {(a.status_code, a["Location"]) for a in answers} == {(302, reverse("password_reset_done"))}
    assert len(mail.outbox) == 3
    assert {tuple(message.to) for message in mail.outbox} == {("ross@example.com",)}


def test_each_account_has_its_own_allowance_whatever_the_address_typed(settings):
    settings.PASSWORD_RESET_PER_ACCOUNT_PER_HOUR = 2
    _user(username="ann", email="ann@example.com")
    _user(username="bob", email="bob@example.com")
    for n in range(4):
        _ask(f"198.51.100.{n}", "Ann@example.com" if n % 2 else "ann@EXAMPLE.com")
        _ask(f"198.51.100.{n}", "bob@example.com")
    assert sorted(message.to[0] for message in mail.outbox) == ["ann@example.com"] * 2 + ["bob@example.com"] * 2


def test_one_client_address_may_ask_a_limited_number_of_times_an_hour(settings):
    settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR = 5
    for n in range(5):
        _user(email=f"person{n}@example.com")
        assert _ask("203.0.113.9", f"person{n}@example.com").status_code == 302
    refused = _ask("203.0.113.9", "person0@example.com")
    assert refused.status_code == 429
    assert 'id="password-reset-throttled"' in refused.content.decode()
    assert len(mail.outbox) == 5
    assert _ask("203.0.113.10", "person0@example.com").status_code == 302  # another address is not refused


def test_behind_the_proxy_the_throttle_counts_each_client_not_the_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR = 2
    _user(email="li@example.com")
    for n in range(4):  # four clients behind one proxy
        answer = Client().post(
            reverse("password_reset"),
            {"email": "li@example.com"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
        assert answer.status_code == 302


def test_a_completed_reset_lifts_a_sign_in_lockout(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = _user(username="maria", email="maria@example.com")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(reverse("login"), {"username": "maria", "password": "wrong"})
    assert Client().post(reverse("login"), {"username": "maria", "password": "the-old-passphrase-1"}).status_code == 429

    client.post(reverse("password_reset"), {"email": "maria@example.com"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    new = "a-long-new-passphrase-42"
    client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})

    assert Client().post(reverse("login"), {"username": user.username, "password": new}).status_code == 302
