"""Franchise settings and members: admins and headquarters only, scoped to the franchise."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from franchises.models import Franchise, Membership
from testkit.factories import make_franchise, make_member, make_user
from testkit.web import logged_in

pytestmark = pytest.mark.django_db

FRANCHISE_PAGES = ["franchises:settings", "franchises:members"]
MEMBER_ACTIONS = ["franchises:member_role", "franchises:member_remove"]

VALID_SETTINGS = {
    "description": "A neighbourhood bakery with sourdough and pastries.",
    "services": "Bread\nCakes to order",
    "city": "Lisbon",
    "website": "https://bakery.example",
    "tone": "warm and local",
    "posts_per_week": "3",
    "ai_drafts_enabled": "on",
    "timezone": "Europe/Lisbon",
}


@pytest.fixture
def franchise() -> Franchise:
    return make_franchise(name="Lisbon Bakery")


@pytest.fixture
def admin(franchise):
    return make_member(franchise, Membership.Role.ADMIN, email="boss@example.com")


@pytest.fixture
def staff(franchise):
    return make_member(franchise, Membership.Role.STAFF, email="baker@example.com")


def _membership(user, franchise) -> Membership:
    return Membership.objects.get(user=user, franchise=franchise)


def _action_url(name: str, membership: Membership) -> str:
    return reverse(name, args=[membership.franchise_id, membership.pk])


# --- access -----------------------------------------------------------------------------------


# Anonymous visitors and admins of another franchise (404, also with their membership under
# mine): gbp_scheduler/tests/test_tenant_isolation.py, for every URL with an object id.


@pytest.mark.parametrize("name", FRANCHISE_PAGES)
def test_staff_get_403(client, franchise, staff, name):
    assert logged_in(client, staff).get(reverse(name, args=[franchise.pk])).status_code == 403
    assert logged_in(client, staff).post(reverse(name, args=[franchise.pk]), VALID_SETTINGS).status_code == 403


@pytest.mark.parametrize("name", MEMBER_ACTIONS)
def test_staff_cannot_change_members(client, franchise, admin, staff, name):
    response = logged_in(client, staff).post(_action_url(name, _membership(admin, franchise)), {"role": "staff"})
    assert response.status_code == 403
    assert _membership(admin, franchise).role == Membership.Role.ADMIN


@pytest.mark.parametrize("name", FRANCHISE_PAGES)
def test_admins_and_headquarters_may_open_the_pages(client, franchise, admin, name):
    url = reverse(name, args=[franchise.pk])
    assert logged_in(client, admin).get(url).status_code == 200
    assert logged_in(client, make_user(superuser=True)).get(url).status_code == 200


@pytest.mark.parametrize("name", FRANCHISE_PAGES)
def test_the_pages_send_a_strict_csp_and_need_csrf(franchise, admin, name):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    response = client.get(reverse(name, args=[franchise.pk]))
    assert "script-src 'self'" in response["Content-Security-Policy"]
    body = response.content.decode()
    assert "<script>" not in body and " style=" not in body
    assert client.post(reverse(name, args=[franchise.pk]), VALID_SETTINGS).status_code == 403


def test_the_franchise_page_links_admins_to_settings_and_members(client, franchise, admin, staff):
    url = reverse("franchises:detail", args=[franchise.pk])
    assert 'id="settings-link"' in logged_in(client, admin).get(url).content.decode()
    assert 'id="settings-link"' not in logged_in(client, staff).get(url).content.decode()


# --- settings ---------------------------------------------------------------------------------


def test_an_admin_saves_the_profile_ai_options_and_time_zone(client, franchise, admin):
    url = reverse("franchises:settings", args=[franchise.pk])
    response = logged_in(client, admin).post(url, VALID_SETTINGS)
    assert response.status_code == 302 and response["Location"] == url
    franchise.refresh_from_db()
    assert franchise.description == VALID_SETTINGS["description"]
    assert franchise.services == "Bread\nCakes to order"
    assert (franchise.city, franchise.website, franchise.tone) == ("Lisbon", "https://bakery.example", "warm and local")
    assert franchise.posts_per_week == 3 and franchise.ai_drafts_enabled and not franchise.auto_schedule_ai_posts
    assert franchise.timezone == "Europe/Lisbon"
    assert "Settings saved." in client.get(url).content.decode()


def test_unchecked_boxes_turn_ai_off(client, franchise, admin):
    data = {**VALID_SETTINGS}
    del data["ai_drafts_enabled"]
    data["auto_schedule_ai_posts"] = "on"
    logged_in(client, admin).post(reverse("franchises:settings", args=[franchise.pk]), data)
    franchise.refresh_from_db()
    assert not franchise.ai_drafts_enabled and franchise.auto_schedule_ai_posts


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("timezone", "Mars/Olympus_Mons", "Select a valid choice"),
        ("timezone", "EST", "Select a valid choice"),
        ("posts_per_week", "99", "At most 14 a week."),
        ("posts_per_week", "-1", "greater than or equal to 0"),
        ("website", "not a url at all", "Enter a valid URL."),
    ],
)
def test_bad_settings_are_refused_inline_and_nothing_changes(client, franchise, admin, field, value, message):
    url = reverse("franchises:settings", args=[franchise.pk])
    response = logged_in(client, admin).post(url, {**VALID_SETTINGS, field: value})
    assert response.status_code == 400
    body = response.content.decode()
    assert f'id="field-{field}"' in body and "has-error" in body and message in body
    assert 'id="form-errors"' in body
    franchise.refresh_from_db()
    assert franchise.timezone == "America/New_York" and franchise.city == ""


def test_the_time_zone_picker_offers_iana_names(client, franchise, admin):
    body = logged_in(client, admin).get(reverse("franchises:settings", args=[franchise.pk])).content.decode()
    assert '<option value="America/New_York" selected>' in body
    assert '<option value="Asia/Kolkata">' in body
    assert 'for="id_timezone"' in body  # labelled


# --- members ----------------------------------------------------------------------------------


def test_the_members_page_lists_members_with_roles(client, franchise, admin, staff):
    body = logged_in(client, admin).get(reverse("franchises:members", args=[franchise.pk])).content.decode()
    for user in (admin, staff):
        assert f'data-username="{user.username}"' in body
    assert f'id="member-{_membership(admin, franchise).pk}"' in body
    assert "(you)" in body


# Inviting people: franchises/tests/test_invitations.py.


def test_an_admin_changes_a_role(client, franchise, admin, staff):
    membership = _membership(staff, franchise)
    response = logged_in(client, admin).post(_action_url("franchises:member_role", membership), {"role": "admin"})
    assert response.status_code == 302
    assert _membership(staff, franchise).role == Membership.Role.ADMIN


def test_a_bad_role_is_refused(client, franchise, admin, staff):
    membership = _membership(staff, franchise)
    logged_in(client, admin).post(_action_url("franchises:member_role", membership), {"role": "owner"})
    assert _membership(staff, franchise).role == Membership.Role.STAFF


def test_the_last_admin_cannot_be_demoted_or_removed(client, franchise, admin, staff):
    membership = _membership(admin, franchise)
    logged_in(client, make_user(superuser=True))
    client.post(_action_url("franchises:member_role", membership), {"role": "staff"})
    assert _membership(admin, franchise).role == Membership.Role.ADMIN
    response = client.post(_action_url("franchises:member_remove", membership))
    assert response.status_code == 302
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert "last admin" in client.get(response["Location"]).content.decode()


def test_an_admin_may_step_down_when_another_admin_remains(client, franchise, admin, staff):
    Membership.objects.filter(user=staff).update(role=Membership.Role.ADMIN)
    response = logged_in(client, admin).post(
        _action_url("franchises:member_role", _membership(admin, franchise)), {"role": "staff"}
    )
    assert response["Location"] == reverse("franchises:detail", args=[franchise.pk])  # no longer an admin page
    assert _membership(admin, franchise).role == Membership.Role.STAFF


def test_an_admin_removes_a_member(client, franchise, admin, staff):
    membership = _membership(staff, franchise)
    response = logged_in(client, admin).post(_action_url("franchises:member_remove", membership))
    assert response["Location"] == reverse("franchises:members", args=[franchise.pk])
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert staff.__class__.objects.filter(pk=staff.pk).exists()  # the account stays


def test_an_admin_who_removes_themselves_goes_home(client, franchise, admin, staff):
    Membership.objects.filter(user=staff).update(role=Membership.Role.ADMIN)
    response = logged_in(client, admin).post(_action_url("franchises:member_remove", _membership(admin, franchise)))
    assert response["Location"] == reverse("dashboard:home")
    assert not Membership.objects.filter(user=admin).exists()


def test_member_actions_need_post(client, franchise, admin, staff):
    membership = _membership(staff, franchise)
    logged_in(client, admin)
    assert client.get(_action_url("franchises:member_remove", membership)).status_code == 405
    assert client.get(_action_url("franchises:member_role", membership)).status_code == 405
