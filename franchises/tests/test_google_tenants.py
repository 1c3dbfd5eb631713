"""Tenants on a shared Google account: headquarters connects one account for a group; each
franchise's admin sees and keeps only the location assigned to their franchise, and no Google page
tells them anything about another franchise. Only headquarters, or whoever connected an account
themselves, sees and maps all its locations; and saving the connect-many map moves nobody between
accounts without saying so and asking first.

Lima's admin, on Lima's location picker, once read "already the location of Cincinnati/Dayton/..."
and could point Lima at any location of headquarters' account; pressing "Save this page" after a
consent with a franchisee's account moved eleven franchises onto it ("Connected 11").
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from franchises.models import Franchise, FranchiseEvent, GoogleConnection, Membership
from testkit.factories import make_member, make_user
from testkit.google import franchise_connected_to_sandbox, google_connection_to_sandbox

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]


@dataclass
class Group:
    headquarters: object
    connection: GoogleConnection  # headquarters' account, shared by the group
    account_id: str
    free: str  # a location of the account assigned to nobody
    lima: Franchise
    dayton: Franchise
    lima_admin: object
    dayton_admin: object


@pytest.fixture
def group(sandbox) -> Group:
    """Two franchises on headquarters' one Google account (connected by headquarters), one admin
    each, and a location of the account that headquarters assigned to nobody."""
    headquarters = make_user(superuser=True, username="hq")
    connection = google_connection_to_sandbox(sandbox.client, user="hq-google@group.example")
    GoogleConnection.objects.filter(pk=connection.pk).update(connected_by=headquarters)
    connection.refresh_from_db()
    cities = ("Lima", "Dayton", "Akron")
    account = sandbox.client.add_account(
        "Buckeye Group", locations=[{"title": f"Buckeye — {city}", "city": city} for city in cities]
    )
    lima_at, dayton_at, akron_at = account["location_ids"]
    lima = franchise_connected_to_sandbox(
        sandbox, name="Lima", connection=connection, location=(account["account_id"], lima_at, "Buckeye — Lima")
    )
    dayton = franchise_connected_to_sandbox(
        sandbox, name="Dayton", connection=connection, location=(account["account_id"], dayton_at, "Buckeye — Dayton")
    )
    return Group(
        headquarters=headquarters,
        connection=connection,
        account_id=account["account_id"],
        free=f"{account['account_id']}/{akron_at}",
        lima=lima,
        dayton=dayton,
        lima_admin=make_member(lima, Membership.Role.ADMIN, username="lima-admin"),
        dayton_admin=make_member(dayton, Membership.Role.ADMIN, username="dayton-admin"),
    )


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _state(group: Group) -> list:
    return list(
        Franchise.objects.order_by("name").values_list(
            "name", "google_connection_id", "google_account_id", "google_location_id"
        )
    )


@pytest.mark.parametrize("who", ["lima", "dayton"])
def test_each_admin_walks_the_google_pages_and_learns_nothing_of_the_other_franchise(group, who, sandbox):
    mine, other = (group.lima, group.dayton) if who == "lima" else (group.dayton, group.lima)
    admin = group.lima_admin if who == "lima" else group.dayton_admin
    client = _client(admin)
    before = _state(group)
    other_location = f"{other.google_account_id}/{other.google_location_id}"
    # Anything that would tell them about the other franchise: its name, its id, its location.
    secrets = [other.name, str(other.pk), other.google_location_id, "Buckeye — Akron"]

    pages = {
        "franchise": client.get(reverse("franchises:detail", args=[mine.pk])),
        "picker": client.get(reverse("franchises:google_pick_location", args=[mine.pk])),
        "accounts": client.get(reverse("franchises:google_connections")),
        "map": client.get(reverse("franchises:google_connection_map", args=[group.connection.pk])),
        "other's picker": client.get(reverse("franchises:google_pick_location", args=[other.pk])),
        "other's franchise": client.get(reverse("franchises:detail", args=[other.pk])),
    }
    assert {name: page.status_code for name, page in pages.items()} == {
        "franchise": 200,
        "picker": 200,
        "accounts": 200,
        "map": 403,  # headquarters maps its account
        "other's picker": 404,
        "other's franchise": 404,
    }
    for name, page in pages.items():
        body = page.content.decode()
        if name.startswith("other's"):
            body = body.replace(str(other.pk), "")  # the 404 page shows the path they asked for
        leaked = [secret for secret in secrets if secret in body]
        assert leaked == [], f"{name} shows {leaked}"

    picker = pages["picker"].content.decode()
    assert 'id="location-assigned"' in picker and f"Buckeye — {mine.name}" in picker
    assert len(re.findall(r'name="location"', picker)) == 1  # its own location, nothing else
    accounts = pages["accounts"]
    row = next(c for c in accounts.context["connections"] if c.pk == group.connection.pk)
    assert row.franchise_count == 1 and not row.managed  # not "2 franchises", and no map link
    assert 'data-action="map"' not in accounts.content.decode()

    # Picking the free location, or the other franchise's, is refused without naming anyone.
    for location in (group.free, other_location):
        answer = client.post(
            reverse("franchises:google_pick_location", args=[mine.pk]), {"location": location}, follow=True
        )
        body = answer.content.decode()
        assert "Headquarters manages the locations of" in body
        assert [secret for secret in secrets if secret in body] == []
    # Keeping the assigned one is fine; mapping through the shared account is not.
    client.post(
        reverse("franchises:google_pick_location", args=[mine.pk]),
        {"location": f"{mine.google_account_id}/{mine.google_location_id}"},
    )
    mapped = client.post(
        reverse("franchises:google_connection_map", args=[group.connection.pk]),
        {f"location-{mine.pk}": group.free, f"location-{other.pk}": group.free},
    )
    assert mapped.status_code == 403
    assert _state(group) == before
    assert not FranchiseEvent.objects.filter(actor=admin).exists()


def test_headquarters_sees_every_location_and_who_holds_it(group, sandbox):
    client = _client(group.headquarters)
    picker = client.get(reverse("franchises:google_pick_location", args=[group.lima.pk])).content.decode()
    assert "already the location of Dayton" in picker and "Buckeye — Akron" in picker
    answer = client.post(reverse("franchises:google_pick_location", args=[group.lima.pk]), {"location": group.free})
    assert answer.status_code == 302
    group.lima.refresh_from_db()
    assert f"{group.lima.google_account_id}/{group.lima.google_location_id}" == group.free
    assert 'data-action="map"' in client.get(reverse("franchises:google_connections")).content.decode()


def test_an_admin_who_connected_an_account_picks_among_its_locations_without_learning_who_holds_them(group, sandbox):
    """Lima's admin reconnects Lima with a Google account of their own: its locations are theirs
    to pick, and one held by a franchise of another admin is only "another franchise"'s."""
    own = google_connection_to_sandbox(sandbox.client, user="lima-owner@lima.example")
    GoogleConnection.objects.filter(pk=own.pk).update(connected_by=group.lima_admin)
    account = sandbox.client.add_account("Lima's own", locations=[{"title": "Lima Main St"}, {"title": "Lima East"}])
    main, east = account["location_ids"]
    toledo = franchise_connected_to_sandbox(
        sandbox, name="Toledo", connection=own, location=(account["account_id"], main, "Lima Main St")
    )
    Franchise.objects.filter(pk=group.lima.pk).update(google_connection=own)
    client = _client(group.lima_admin)
    url = reverse("franchises:google_pick_location", args=[group.lima.pk])

    page = client.get(url).content.decode()
    assert 'id="location-assigned"' not in page
    assert f'value="{account["account_id"]}/{east}"' in page
    assert "already the location of another franchise" in page and "Toledo" not in page
    refused = client.post(url, {"location": f"{account['account_id']}/{main}"}, follow=True).content.decode()
    assert "already the location of another franchise" in refused and "Toledo" not in refused
    assert client.post(url, {"location": f"{account['account_id']}/{east}"}).status_code == 302
    group.lima.refresh_from_db()
    toledo.refresh_from_db()
    assert (group.lima.google_location_id, toledo.google_location_id) == (east, main)


# --- the connect-many map: moves between accounts are said and confirmed ---------------------------


def _as_rendered(page) -> dict[str, str]:
    """The map form's fields as the browser would send them: each select's selected option."""
    body = page.content.decode()
    fields = {}
    for name, options in re.findall(r'<select name="(location-[^"]+)"[^>]*>(.*?)</select>', body, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*\sselected', options)
        fields[name] = chosen.group(1) if chosen else ""
    return fields


@pytest.fixture
def eleven(group, sandbox) -> list[Franchise]:
    """Eleven franchises on headquarters' account, each on a location of it."""
    account = sandbox.client.add_account(
        "Buckeye Eleven", locations=[{"title": f"Buckeye — Town {n}", "city": f"Town {n}"} for n in range(11)]
    )
    return [
        franchise_connected_to_sandbox(
            sandbox,
            name=f"Town {n}",
            city=f"Town {n}",
            connection=group.connection,
            location=(account["account_id"], location, f"Buckeye — Town {n}"),
        )
        for n, location in enumerate(account["location_ids"])
    ]


def test_saving_the_map_of_another_account_as_it_is_moves_nobody(group, eleven, sandbox):
    """Headquarters consents with a franchisee's account and presses "Save this page" unchanged."""
    franchisee = google_connection_to_sandbox(sandbox.client, user="owner@franchisee.example")
    GoogleConnection.objects.filter(pk=franchisee.pk).update(connected_by=group.headquarters)
    client = _client(group.headquarters)
    url = reverse("franchises:google_connection_map", args=[franchisee.pk])
    before = _state(group)

    page = client.get(url)
    body = page.content.decode()
    assert body.count("through hq-google@group.example") == len(eleven) + 2  # each row says where it is now
    answer = client.post(url, _as_rendered(page), follow=True)

    assert _state(group) == before
    assert [str(m) for m in answer.context["messages"]] == ["Nothing changed on this page."]
    assert not FranchiseEvent.objects.exists()


def test_moving_franchises_to_another_account_is_said_and_confirmed_first(group, eleven, sandbox):
    franchisee = google_connection_to_sandbox(sandbox.client, user="owner@franchisee.example")
    GoogleConnection.objects.filter(pk=franchisee.pk).update(connected_by=group.headquarters)
    own = sandbox.client.add_account("Franchisee", locations=[{"title": "Own A"}, {"title": "Own B"}])
    client = _client(group.headquarters)
    url = reverse("franchises:google_connection_map", args=[franchisee.pk])
    fields = _as_rendered(client.get(url))
    moving = eleven[:2]
    for franchise, location in zip(moving, own["location_ids"], strict=True):
        fields[f"location-{franchise.pk}"] = f"{own['account_id']}/{location}"
    before = _state(group)

    asked = client.post(url, fields)
    assert asked.status_code == 200 and _state(group) == before
    body = asked.content.decode()
    assert "2 franchises move from hq-google@group.example to owner@franchisee.example: Town 0, Town 1." in body
    digest = re.search(r'name="confirm_moves" value="([0-9a-f]+)"', body).group(1)

    stale = client.post(url, {**fields, "confirm_moves": "0" * 32})  # not what was shown: asked again
    assert stale.status_code == 200 and 'id="map-moves"' in stale.content.decode() and _state(group) == before

    done = client.post(url, {**fields, "confirm_moves": digest}, follow=True)
    assert "Moved 2 to owner@franchisee.example: Town 0, Town 1." in [str(m) for m in done.context["messages"]]
    moved = {f.name: f for f in Franchise.objects.filter(google_connection=franchisee)}
    assert set(moved) == {"Town 0", "Town 1"}
    assert Franchise.objects.filter(google_connection=group.connection).count() == len(eleven)  # 9 + Lima, Dayton


def test_a_map_id_of_nothing_or_of_another_tenants_account_is_a_404(group, sandbox):
    client = _client(group.lima_admin)
    for connection_id in (uuid.uuid4(), google_connection_to_sandbox(sandbox.client).pk):
        assert client.get(reverse("franchises:google_connection_map", args=[connection_id])).status_code == 404
