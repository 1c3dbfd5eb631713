"""403, 404, 500 (and a refused form) answer with our own pages: the site's navigation, what
happened in plain words, and what to do next. They were Django's bare "403 Forbidden" once."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from franchises.models import Membership
from testkit.factories import make_franchise, make_member
from testkit.web import logged_in

pytestmark = pytest.mark.django_db


def _our_page(response, marker: str) -> str:
    body = response.content.decode()
    assert f'id="{marker}"' in body and 'id="error-next"' in body, body[:500]
    assert 'class="site-header"' in body and "/static/css/app.css" in body
    assert "script-src 'self'" in response["Content-Security-Policy"]
    return body


def test_staff_opening_an_admin_page_get_our_403_with_the_reason_and_the_way_on(client):
    franchise = make_franchise(name="Lisbon Bakery")
    logged_in(client, make_member(franchise, Membership.Role.STAFF))
    response = client.get(reverse("franchises:settings", args=[franchise.pk]))
    assert response.status_code == 403
    body = _our_page(response, "error-403")
    assert 'id="nav-links"' in body  # the whole navigation, signed in
    assert "Only the franchise&#x27;s admins can change its settings. Ask one of them, or headquarters." in body
    assert f'href="{reverse("dashboard:home")}" id="error-home"' in body


def test_franchise_users_opening_a_headquarters_page_get_our_403(client):
    logged_in(client, make_member(make_franchise(), Membership.Role.ADMIN))
    response = client.get(reverse("dashboard:system"))
    assert response.status_code == 403
    assert "Only headquarters can see the system page." in _our_page(response, "error-403")


def test_an_unknown_address_gets_our_404_signed_in_or_not(client):
    anonymous = client.get("/no/such/page/")
    assert anonymous.status_code == 404
    assert 'id="error-login"' in _our_page(anonymous, "error-404")

    logged_in(client, make_member(make_franchise(), Membership.Role.STAFF))
    signed_in = client.get("/no/such/page/")
    body = _our_page(signed_in, "error-404")
    assert 'id="nav-links"' in body and 'id="error-home"' in body and "/no/such/page/" in body


def test_another_franchises_object_gets_the_same_404(client):
    mine, theirs = make_franchise(), make_franchise()
    logged_in(client, make_member(mine, Membership.Role.ADMIN))
    response = client.get(reverse("franchises:detail", args=[theirs.pk]))
    assert response.status_code == 404
    _our_page(response, "error-404")


@pytest.mark.urls("gbp_scheduler.tests.urls_with_a_broken_view")
def test_a_bug_gets_our_500_page():
    client = Client(raise_request_exception=False)
    response = client.get("/broken/")
    assert response.status_code == 500
    body = _our_page(response, "error-500")
    assert "a bug" not in body  # nothing of the error itself
    assert 'href="/" id="error-home"' in body


def test_a_form_without_its_csrf_token_gets_our_page(client):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "x", "password": "y"})
    assert response.status_code == 403
    _our_page(response, "error-csrf")
