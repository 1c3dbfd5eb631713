"""Headquarters adds, renames, deactivates and reactivates franchises in the dashboard (never
deletes one), each change kept in the franchise's history."""

from __future__ import annotations

import pytest
from django.urls import reverse

from franchises.models import Franchise, FranchiseEvent, Membership
from testkit.factories import NEW_FRANCHISE_FORM, make_franchise, make_member, make_user
from testkit.web import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def hq(client):
    user = make_user(superuser=True, username="hq")
    logged_in(client, user)
    return user


def test_headquarters_adds_a_franchise_with_its_zone_and_profile(client, hq):
    page = client.get(reverse("franchises:new"))
    assert page.status_code == 200
    assert '<select name="timezone"' in page.content.decode()  # a menu, not free text

    response = client.post(reverse("franchises:new"), NEW_FRANCHISE_FORM)

    franchise = Franchise.objects.get(name="Lisbon Bakery")
    assert response.status_code == 302 and response["Location"] == reverse("franchises:detail", args=[franchise.pk])
    assert (franchise.city, franchise.timezone, franchise.website) == (
        "Lisbon",
        "Europe/Lisbon",
        "https://bakery.example",
    )
    assert (franchise.services, franchise.posts_per_week, franchise.is_active) == ("Bread\nCakes to order", 2, True)
    event = FranchiseEvent.objects.get(franchise=franchise)
    assert (event.action, event.actor) == (FranchiseEvent.Action.CREATED, hq)


def test_a_franchise_without_a_name_or_with_an_unknown_zone_is_not_added_and_says_why(client, hq):
    response = client.post(reverse("franchises:new"), {**NEW_FRANCHISE_FORM, "name": "", "timezone": "Mars/Olympus"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="form-errors"' in body and "Name: This field is required." in body and "Time zone:" in body
    assert not Franchise.objects.exists()


def test_franchise_users_cannot_add_rename_or_deactivate(client):
    franchise = make_franchise(name="Dayton")
    logged_in(client, make_member(franchise, Membership.Role.ADMIN))
    assert client.get(reverse("franchises:new")).status_code == 403
    assert client.post(reverse("franchises:new"), NEW_FRANCHISE_FORM).status_code == 403
    manage = reverse("franchises:manage", args=[franchise.pk])
    assert client.post(manage, {"action": "deactivate"}).status_code == 403
    franchise.refresh_from_db()
    assert franchise.is_active and not Franchise.objects.filter(name="Lisbon Bakery").exists()


def test_headquarters_renames_a_franchise_and_the_history_says_from_what(client, hq):
    franchise = make_franchise(name="Dayton")
    url = reverse("franchises:manage", args=[franchise.pk])

    assert client.post(url, {"action": "rename", "name": "Dayton North"}).status_code == 302

    franchise.refresh_from_db()
    assert franchise.name == "Dayton North"
    event = FranchiseEvent.objects.get(franchise=franchise, action=FranchiseEvent.Action.RENAMED)
    assert event.detail == "From Dayton to Dayton North." and event.actor == hq
    assert client.post(url, {"action": "rename", "name": ""}).status_code == 400


def test_deactivating_says_what_happens_and_reactivating_brings_it_back(client, hq):
    franchise = make_franchise(name="Dayton")
    url = reverse("franchises:manage", args=[franchise.pk])
    page = client.get(url).content.decode()
    assert "no post is published" in page and "never deleted" in page

    client.post(url, {"action": "deactivate"})
    franchise.refresh_from_db()
    assert not franchise.is_active
    assert "is inactive" in client.get(reverse("franchises:detail", args=[franchise.pk])).content.decode()
    listing = client.get(reverse("franchises:list")).content.decode()
    assert 'data-testid="inactive"' in listing

    client.post(url, {"action": "reactivate"})
    franchise.refresh_from_db()
    assert franchise.is_active
    actions = list(FranchiseEvent.objects.filter(franchise=franchise).values_list("action", flat=True))
    assert sorted(actions) == ["deactivated", "reactivated"]


def test_reactivating_onto_a_location_another_active_franchise_holds_is_refused_with_the_reason(client, hq):
    location = {"google_account_id": "1", "google_location_id": "2"}
    old = make_franchise(name="Old Dayton", is_active=False, **location)
    make_franchise(name="New Dayton", **location)

    response = client.post(reverse("franchises:manage", args=[old.pk]), {"action": "reactivate"}, follow=True)

    old.refresh_from_db()
    assert not old.is_active
    assert "New Dayton publishes to the same location on Google" in response.content.decode()
