"""No link that carries a credential reaches the log: invitation and password-reset links, and
Google's code and state on the OAuth callback, are redacted from every record before a handler
writes it (Django logs the path of every 4xx answer, and runserver every request line)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from franchises.models import Membership
from franchises.selectors import invitation_link_token
from franchises.services import invitation_send
from testkit.factories import make_franchise, make_member, make_user


@contextmanager
def what_the_log_says() -> Iterator[io.StringIO]:
    """What the project's console handler (LOGGING in settings) writes, as text."""
    written = io.StringIO()
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)]
    handlers = [h for h in handlers if getattr(h, "name", "") == "console"] or handlers
    assert handlers, "no console handler on the root logger"
    previous = [handler.setStream(written) for handler in handlers]
    try:
        yield written
    finally:
        for handler, stream in zip(handlers, previous, strict=True):
            handler.setStream(stream)


@pytest.mark.django_db
def test_invitation_and_reset_links_answered_with_an_error_are_logged_without_their_token(empty_cache):
    franchise = make_franchise()
    invitation = invitation_send(franchise=franchise, email="new@example.com", role="staff", actor=None)
    token = invitation_link_token(invitation)
    invitation_send(franchise=franchise, email="new@example.com", role="staff", actor=None)  # the first link dies
    user = make_user(email="maria@example.com", password="a-long-passphrase-42")
    reset_token = default_token_generator.make_token(user)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    client = Client(enforce_csrf_checks=True)

    with what_the_log_says() as log:
        assert client.get(reverse("franchises:invitation_accept", args=[token])).status_code == 410
        assert client.post(reverse("franchises:invitation_accept", args=[token])).status_code == 403  # CSRF
        user.set_password("another-passphrase-43")  # the link is used up
        user.save()
        assert client.get(reverse("password_reset_confirm", args=[uid, reset_token])).status_code == 404

    written = log.getvalue()
    assert "/invitations/[redacted]/" in written and "/accounts/reset/[redacted]/[redacted]/" in written
    assert token not in written and token.split(":")[-1] not in written
    assert reset_token not in written


@pytest.mark.django_db
def test_the_oauth_callbacks_code_and_state_never_reach_the_log(client):
    admin = make_member(make_franchise(), Membership.Role.ADMIN)
    client.force_login(admin)
    with what_the_log_says() as log:
        answer = client.get(f"{reverse('franchises:google_callback')}?code=4/0AVsecretCode&state=s3cr3tState")
        # What runserver writes for every request (django.server), the request line with its query.
        logging.getLogger("django.server").info(
            '"%s" %s %s', "GET /google/callback/?state=s3cr3tState&code=4/0AVsecretCode HTTP/1.1", 400, 120
        )
    assert answer.status_code == 400
    written = log.getvalue()
    assert "4/0AVsecretCode" not in written and "s3cr3tState" not in written
    assert "code=[redacted]" in written and "state=[redacted]" in written


def test_the_redaction_matches_the_urls_that_carry_credentials():
    from gbp_scheduler.log_redaction import redact

    invitation = reverse("franchises:invitation_accept", args=["eyJpIjoi.abc:1x:sig"])
    reset = reverse("password_reset_confirm", args=["MTA", "cd1234-0123456789abcdef"])
    assert redact(f"Not Found: {invitation}") == "Not Found: /invitations/[redacted]/"
    assert redact(f"Not Found: {reset}") == "Not Found: /accounts/reset/[redacted]/[redacted]/"
    assert redact("GET /accounts/reset/MTA/set-password/ HTTP/1.1") == "GET /accounts/reset/MTA/set-password/ HTTP/1.1"
    assert redact("GET /posts/?page=2&status=draft") == "GET /posts/?page=2&status=draft"
