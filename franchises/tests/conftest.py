"""Helpers for the Google connection tests: users with roles, the sandbox's consent page, raw columns."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.db import connection

from franchises.models import Franchise, Membership
from posts.tests.google import DEMO_LOCATION, connect_to_sandbox


@pytest.fixture
def make_member(django_user_model):
    def make(franchise: Franchise, role: str = Membership.Role.ADMIN, *, email: str | None = None, password=None):
        n = django_user_model.objects.count() + 1
        # No password unless a test logs in with one: hashing costs half a second of shared CPU.
        user = django_user_model.objects.create_user(
            f"user{n}", email=email if email is not None else f"user{n}@example.com", password=password
        )
        Membership.objects.create(user=user, franchise=franchise, role=role)
        return user

    return make


def consent(url: str, decision: str = "allow", *, drop: tuple[str, ...] = ()) -> str:
    """Open the sandbox consent page and press Allow or Deny like a browser; return the redirect URL.

    `drop` removes hidden fields before submitting (e.g. "prompt", to play a Google that sends no
    refresh token on a repeat consent).
    """
    with httpx.Client(trust_env=False, timeout=10) as http:
        page = http.get(url)
        assert page.status_code == 200, page.text
        assert f'id="{decision}"' in page.text
        action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
        fields = {k: v.replace("&amp;", "&") for k, v in fields.items() if k not in drop}
        answer = http.post(str(page.url.join(action)), data={**fields, "decision": decision})
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def local_path(url: str) -> str:
    """The path and query of our callback URL, for Django's test client."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def connected(sandbox, franchise: Franchise | None = None, *, expired: bool = False, **fields) -> Franchise:
    """A franchise holding a live sandbox grant and location 1001/2001 (Sunrise Bakery Downtown)."""
    return connect_to_sandbox(sandbox, franchise, location=DEMO_LOCATION, expired=expired, **fields)


def raw_token_columns(franchise: Franchise) -> tuple[str | None, str | None]:
    with connection.cursor() as cursor:
        pk = Franchise._meta.pk.get_db_prep_value(franchise.pk, connection)
        cursor.execute("SELECT google_refresh_token, google_access_token FROM franchises WHERE id = %s", [pk])
        return cursor.fetchone()
