"""Password reset through Django's views, with the app's own pages and email."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from testkit.factories import make_user

pytestmark = pytest.mark.django_db


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
