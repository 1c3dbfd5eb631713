"""A franchise group on one Google account: one connection, one refresh, one reconnect for all,
one location per franchise, connect-many, and the history of every connection change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from franchises.google import connect, mapping
from franchises.google.tokens import GoogleReauthorizationRequired, google_access_token_get
from franchises.models import Franchise, FranchiseEvent, GoogleConnection, Membership
from gbp_scheduler.jobs import TimeBudget
from posts.services import posts_publish_due
from sandbox.state import SANDBOX_USER
from testkit.factories import make_franchise, make_member
from testkit.google import (
    franchise_connected_to_sandbox,
    franchises_connected_to_sandbox_bulk,
    google_connection_to_sandbox,
    posts_due_bulk,
)
from testkit.oauth import consent, local_path

pytestmark = pytest.mark.django_db

GROUP = 150


@pytest.fixture(autouse=True)
def _one_worker(settings):
    settings.PUBLISH_CONCURRENCY = 1  # one transaction per test: the concurrent runs are on PostgreSQL


@pytest.fixture
def group(sandbox) -> list[Franchise]:
    """150 franchises connected through one Google account, its access token run out."""
    franchises = franchises_connected_to_sandbox_bulk(
        sandbox.client, count=GROUP, name="Group", shared=True, user=SANDBOX_USER
    )
    GoogleConnection.objects.update(token_expires_at=timezone.now() - dt.timedelta(minutes=1))
    return franchises


def test_a_group_on_one_google_account_publishes_with_one_token_refresh(sandbox, group):
    posts_due_bulk(group, count=GROUP)

    counts = posts_publish_due(budget=TimeBudget(seconds=300))

    assert counts["published"] == GROUP
    assert sandbox.client.calls("posts.create") == GROUP
    assert sandbox.client.calls("token") == 1  # one connection, one refresh; not one per franchise
    assert GoogleConnection.objects.count() == 1
    # The seed's columns on franchises stay true: connected, valid, the new token mirrored.
    token = GoogleConnection.objects.get().access_token
    assert Franchise.objects.filter(google_refresh_token__isnull=False, google_auth_valid=True).count() == GROUP
    assert {f.google_access_token for f in Franchise.objects.all()} == {token}


def test_a_revoked_account_flags_the_whole_group_after_one_refresh_emails_each_admin_once_and_one_reconnect_restores_it(
    sandbox, group, client, mailoutbox, django_capture_on_commit_callbacks
):
    # Two admins: one runs most of the group, one runs the first franchise too and two others.
    busy = make_member(group[0], Membership.Role.ADMIN, email="regional@group.example")
    for franchise in group[1:100]:
        Membership.objects.create(user=busy, franchise=franchise, role=Membership.Role.ADMIN)
    other = make_member(group[0], Membership.Role.ADMIN, email="owner@group.example")
    for franchise in group[100:102]:
        Membership.objects.create(user=other, franchise=franchise, role=Membership.Role.ADMIN)
    connection = GoogleConnection.objects.get()
    sandbox.client.revoke(connection.refresh_token)

    with django_capture_on_commit_callbacks(execute=True):
        for franchise in group[:20]:
            with pytest.raises(GoogleReauthorizationRequired):
                google_access_token_get(franchise=franchise)

    assert sandbox.client.calls("token") == 1
    assert Franchise.objects.filter(google_auth_valid=False).count() == GROUP
    assert Franchise.objects.filter(google_refresh_token__isnull=True).count() == 0  # still "connected"
    assert sorted(mail.to[0] for mail in mailoutbox) == ["owner@group.example", "regional@group.example"]
    regional = next(mail for mail in mailoutbox if mail.to == ["regional@group.example"])
    assert "100 franchises" in regional.subject and group[99].name in regional.body
    assert FranchiseEvent.objects.filter(action=FranchiseEvent.Action.GOOGLE_REVOKED).count() == GROUP

    # One reconnect through the same Google account restores every franchise of it.
    client.force_login(busy)
    consent_url = client.post(reverse("franchises:google_connect", args=[group[0].pk]))["Location"]
    assert client.get(local_path(consent(consent_url))).status_code == 302

    assert Franchise.objects.filter(google_auth_valid=True).count() == GROUP
    assert GoogleConnection.objects.count() == 1
    restored = FranchiseEvent.objects.filter(action=FranchiseEvent.Action.GOOGLE_RECONNECTED)
    assert restored.count() == GROUP and restored.filter(actor=busy).count() == GROUP
    posts_due_bulk(group, count=GROUP)
    assert posts_publish_due(budget=TimeBudget(seconds=300))["published"] == GROUP


def test_two_active_franchises_cannot_hold_the_same_location(sandbox):
    first = franchise_connected_to_sandbox(sandbox, name="First")
    second = make_franchise(name="Second")
    with pytest.raises(IntegrityError), transaction.atomic():
        Franchise.objects.filter(pk=second.pk).update(
            google_account_id=first.google_account_id, google_location_id=first.google_location_id
        )
    # An inactive franchise may keep its old location (it publishes nowhere).
    Franchise.objects.filter(pk=first.pk).update(is_active=False)
    Franchise.objects.filter(pk=second.pk).update(
        google_account_id=first.google_account_id, google_location_id=first.google_location_id
    )


def test_the_picker_refuses_a_held_location_naming_its_holder_only_to_who_may_see_it(sandbox, client):
    connection = google_connection_to_sandbox(sandbox.client)
    account = sandbox.client.add_account("Group", locations=[{"title": "North"}, {"title": "South"}])
    north, south = account["location_ids"]
    holder = franchise_connected_to_sandbox(
        sandbox, name="Holder", connection=connection, location=(account["account_id"], north, "North")
    )
    mine = franchise_connected_to_sandbox(
        sandbox, name="Mine", connection=connection, location=(account["account_id"], south, "South")
    )
    admin = make_member(mine, Membership.Role.ADMIN)
    GoogleConnection.objects.filter(pk=connection.pk).update(connected_by=admin)  # their own account
    client.force_login(admin)
    url = reverse("franchises:google_pick_location", args=[mine.pk])

    page = client.get(url).content.decode()
    assert "already the location of another franchise" in page and "Holder" not in page
    assert f'value="{account["account_id"]}/{north}" disabled' in page
    answer = client.post(url, {"location": f"{account['account_id']}/{north}"}, follow=True)
    assert "already the location of another franchise" in answer.content.decode()
    assert "Holder" not in answer.content.decode()

    Membership.objects.create(user=admin, franchise=holder, role=Membership.Role.STAFF)  # now one of theirs
    assert "already the location of Holder" in client.get(url).content.decode()
    mine.refresh_from_db()
    holder.refresh_from_db()
    assert (mine.google_location_id, holder.google_location_id) == (south, north)


def test_matches_are_proposed_by_title_and_city_and_each_location_once(sandbox):
    connection = google_connection_to_sandbox(sandbox.client)
    sandbox.client.add_account(
        "Group",
        locations=[
            {"title": "Buckeye Lawn — Dayton", "city": "Dayton"},
            {"title": "Buckeye Lawn — Akron", "city": "Akron"},
            {"title": "Buckeye Lawn — Downtown", "city": "Toledo"},
        ],
    )
    dayton, akron = make_franchise(name="Dayton"), make_franchise(name="Akron North", city="Akron")
    toledo, nowhere = make_franchise(name="Toledo Central", city="Toledo"), make_franchise(name="Paris")

    locations = mapping.connection_locations(connection=connection)
    rows = {
        row.franchise.name: row
        for row in mapping.matches_propose(franchises=[dayton, akron, toledo, nowhere], locations=locations)
    }

    assert rows["Dayton"].proposed.title == "Buckeye Lawn — Dayton"
    assert rows["Akron North"].proposed.title == "Buckeye Lawn — Akron"
    assert rows["Toledo Central"].proposed.title == "Buckeye Lawn — Downtown"  # by city
    assert rows["Paris"].proposed is None


def test_connect_many_maps_a_group_through_one_consent_with_the_persons_changes(sandbox, client):
    """The same flow the browser test drives, through Django's client: one consent, then the
    proposed matches confirmed, one changed, one skipped, on one page."""
    headquarters = make_member(make_franchise(name="HQ office"), Membership.Role.ADMIN)
    headquarters.is_superuser = True
    headquarters.save()
    account = sandbox.client.add_account(
        "Group", locations=[{"title": f"Lawn — {city}", "city": city} for city in ("Dayton", "Akron", "Lima")]
    )
    dayton, akron, lima = (make_franchise(name=city, city=city) for city in ("Dayton", "Akron", "Lima"))
    client.force_login(headquarters)

    consent_url = client.post(reverse("franchises:google_connections"))["Location"]
    answer = client.get(local_path(consent(consent_url)))
    connection = GoogleConnection.objects.get()
    assert answer["Location"] == reverse("franchises:google_connection_map", args=[connection.pk])
    page = client.get(answer["Location"])
    rows = {row.franchise.name: row for row in page.context["rows"]}
    assert rows["Dayton"].proposed.title == "Lawn — Dayton"

    akron_key = f"{account['account_id']}/{account['location_ids'][1]}"
    lima_key = f"{account['account_id']}/{account['location_ids'][2]}"
    choices = {f"location-{f.pk}": "" for f in page.context["page"].object_list}
    choices.update(
        {
            f"location-{dayton.pk}": rows["Dayton"].proposed.key,  # confirmed
            f"location-{akron.pk}": lima_key,  # changed
            f"location-{lima.pk}": "",  # skipped
        }
    )
    client.post(page.wsgi_request.path, choices)

    for franchise in (dayton, akron, lima):
        franchise.refresh_from_db()
    assert dayton.google_connection == connection and dayton.google_location_title == "Lawn — Dayton"
    assert akron.google_connection == connection and f"{akron.google_account_id}/{akron.google_location_id}" == lima_key
    assert lima.google_connection is None and akron_key != lima_key
    assert sandbox.client.calls("token") == 1  # the consent's one code exchange; no token per franchise
    assert dayton.google_refresh_token == akron.google_refresh_token == connection.refresh_token
    events = FranchiseEvent.objects.filter(action=FranchiseEvent.Action.GOOGLE_CONNECTED, actor=headquarters)
    assert set(events.values_list("franchise__name", flat=True)) == {"Dayton", "Akron"}


def test_every_connection_change_is_in_the_franchises_history(sandbox, client):
    franchise = make_franchise(name="Historic")
    admin = make_member(franchise, Membership.Role.ADMIN)
    client.force_login(admin)
    connect_url = reverse("franchises:google_connect", args=[franchise.pk])

    client.get(local_path(consent(client.post(connect_url)["Location"])))  # connected
    client.post(reverse("franchises:google_pick_location", args=[franchise.pk]), {"location": "1001/2001"})
    client.post(reverse("franchises:google_pick_location", args=[franchise.pk]), {"location": "1001/2002"})
    client.get(local_path(consent(client.post(connect_url)["Location"])))  # reconnected
    client.post(reverse("franchises:google_disconnect", args=[franchise.pk]))

    actions = list(
        FranchiseEvent.objects.filter(franchise=franchise).order_by("created_at").values_list("action", "actor")
    )
    assert actions == [
        (FranchiseEvent.Action.GOOGLE_CONNECTED, admin.pk),
        (FranchiseEvent.Action.GOOGLE_LOCATION, admin.pk),
        (FranchiseEvent.Action.GOOGLE_LOCATION, admin.pk),
        (FranchiseEvent.Action.GOOGLE_RECONNECTED, admin.pk),
        (FranchiseEvent.Action.GOOGLE_DISCONNECTED, admin.pk),
    ]
    history = client.get(reverse("posts:history", args=[franchise.pk])).content.decode()
    assert "Disconnected Google" in history and "Changed the Google location" in history


def test_disconnecting_one_franchise_of_a_group_keeps_the_groups_grant(sandbox):
    connection = google_connection_to_sandbox(sandbox.client)
    first = franchise_connected_to_sandbox(sandbox, name="First", connection=connection)
    second = franchise_connected_to_sandbox(sandbox, name="Second", connection=connection)

    assert connect.google_disconnect(franchise=first)

    assert sandbox.client.calls("revoke") == 0  # the others still publish through it
    second.refresh_from_db()
    assert second.google_connection == connection and second.is_connected
    assert connect.google_disconnect(franchise=second)
    assert sandbox.client.calls("revoke") == 1 and not GoogleConnection.objects.exists()
