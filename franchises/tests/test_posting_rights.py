"""Whether Google lets a location take posts: read when it is picked or mapped and by the hourly
check-posting-rights job, shown where the location is picked and on the franchise page, and told
to the franchise's admins once when it stops."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from franchises.google.mapping import franchises_map, mapping_plan
from franchises.google.rights import posting_rights_check
from franchises.models import Franchise, FranchiseEvent, GoogleConnection, Membership
from gbp_scheduler.jobs import TimeBudget
from posts.models import Post
from testkit.factories import make_member, make_post
from testkit.google import franchise_connected_to_sandbox, google_connection_to_sandbox

pytestmark = pytest.mark.django_db


def check() -> dict:
    return posting_rights_check(budget=TimeBudget(seconds=60))


@pytest.fixture
def group(sandbox):
    """Three franchises on one Google account's locations, Dayton's not verified by Google."""
    connection = google_connection_to_sandbox(sandbox.client)
    specs = [{"title": "Lawn — Akron"}, {"title": "Lawn — Dayton", "can_post": False, "verified": False}]
    account = sandbox.client.add_account("Lawn group", locations=[*specs, {"title": "Lawn — Lima"}])
    franchises = {}
    for name, location_id in zip(("Akron", "Dayton", "Lima"), account["location_ids"], strict=True):
        franchises[name] = franchise_connected_to_sandbox(
            sandbox, name=name, connection=connection, location=(account["account_id"], location_id, name)
        )
    return account, franchises


def test_picking_a_location_shows_and_keeps_that_google_will_not_take_its_posts(
    sandbox, client, mailoutbox, group, django_capture_on_commit_callbacks
):
    account, franchises = group
    dayton = franchises["Dayton"]
    Franchise.objects.filter(pk=dayton.pk).update(google_location_id="")  # not picked yet
    admin = make_member(dayton, Membership.Role.ADMIN, email="dayton@example.com")
    GoogleConnection.objects.filter(pk=dayton.google_connection_id).update(connected_by=admin)  # sees every location
    client.force_login(admin)
    url = reverse("franchises:google_pick_location", args=[dayton.pk])
    dayton_location = account["location_ids"][1]

    picker = client.get(url).content.decode()
    assert picker.count("not verified on Google: cannot take posts") == 1

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(url, {"location": f"{account['account_id']}/{dayton_location}"}, follow=True)

    dayton.refresh_from_db()
    assert (dayton.google_location_can_post, dayton.google_location_verified) == (False, False)
    assert dayton.google_location_checked_at is not None
    page = answer.content.decode()
    assert "cannot take posts (it is not verified on Google)" in page  # the message after picking
    assert 'id="cannot-post-warning"' in page and 'id="google-can-post">No, not verified' in page
    assert FranchiseEvent.objects.filter(franchise=dayton, action=FranchiseEvent.Action.GOOGLE_POSTING).count() == 1
    assert [m.to for m in mailoutbox] == [["dayton@example.com"]]
    assert "Google does not let Dayton take posts" in mailoutbox[0].subject


def test_mapping_a_group_keeps_each_locations_rights(sandbox, group):
    account, franchises = group
    Franchise.objects.update(google_location_id="", google_location_can_post=True)
    ordered = [franchises[name] for name in ("Akron", "Dayton", "Lima")]
    for franchise in ordered:
        franchise.refresh_from_db()
    choices = {
        str(f.pk): f"{account['account_id']}/{location}"
        for f, location in zip(ordered, account["location_ids"], strict=True)
    }

    connection = ordered[0].google_connection
    plan = mapping_plan(connection=connection, choices=choices, franchises=ordered, user=None)
    result = franchises_map(connection=connection, plan=plan, user=None)

    assert sorted(result.mapped) == ["Akron", "Dayton", "Lima"]
    can_post = dict(Franchise.objects.values_list("name", "google_location_can_post"))
    assert can_post == {"Akron": True, "Dayton": False, "Lima": True}


def test_the_hourly_check_keeps_the_rights_and_tells_each_admin_once(sandbox, group, mailoutbox, capsys):
    account, franchises = group
    owner = make_member(franchises["Dayton"], Membership.Role.ADMIN, email="owner@example.com")
    Membership.objects.create(user=owner, franchise=franchises["Lima"], role=Membership.Role.ADMIN)
    sandbox.client.set_location_rights(account["location_ids"][2], can_post=False)  # Lima loses them too

    call_command("check_posting_rights")

    out = capsys.readouterr().out
    assert "cannot take posts: Dayton, Lima" in out and "changed=2" in out and "google_requests=1" in out
    can_post = dict(Franchise.objects.values_list("name", "google_location_can_post"))
    assert can_post == {"Akron": True, "Dayton": False, "Lima": False}
    assert [m.to for m in mailoutbox] == [["owner@example.com"]]  # one email for both of theirs
    assert "2 franchises" in mailoutbox[0].subject
    assert "Dayton" in mailoutbox[0].body and "Lima" in mailoutbox[0].body

    again = check()  # checked within the day, nothing due soon: nothing to ask
    assert again["google_requests"] == 0 and len(mailoutbox) == 1
    with time_machine.travel(timezone.now() + dt.timedelta(hours=21)):
        tomorrow = check()
    assert tomorrow["changed"] == 0 and tomorrow["cannot_post"] == 2 and len(mailoutbox) == 1

    sandbox.client.set_location_rights(account["location_ids"][2], can_post=True)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=42)):
        back = check()
    assert back["changed"] == 1 and Franchise.objects.get(name="Lima").google_location_can_post
    assert FranchiseEvent.objects.filter(
        franchise__name="Lima", detail="Google says the location can take posts again."
    ).exists()
    assert len(mailoutbox) == 1


def test_an_account_that_fails_never_stops_the_check(sandbox, group):
    other = franchise_connected_to_sandbox(sandbox, name="Elsewhere")
    sandbox.client.revoke(other.google_connection.refresh_token)

    counts = check()

    assert counts["failed"] == 1 and counts["accounts_checked"] == 1 and counts["locations_checked"] == 3
    assert not Franchise.objects.get(name="Dayton").google_location_can_post


def test_a_group_of_many_locations_takes_a_request_a_page(sandbox):
    connection = google_connection_to_sandbox(sandbox.client)
    account = sandbox.client.add_account("Big group", locations=250)
    for n, location_id in enumerate(account["location_ids"][:3] + account["location_ids"][-1:]):
        franchise_connected_to_sandbox(
            sandbox, name=f"Shop {n}", connection=connection, location=(account["account_id"], location_id, "")
        )

    counts = check()

    assert counts["locations_checked"] == 4 and counts["google_requests"] == 3  # 100 a page
    assert sandbox.client.calls("locations") == 3


def test_a_location_with_a_post_due_soon_is_checked_every_hour(sandbox, group):
    _, franchises = group
    first = check()
    assert first["locations_checked"] == 3
    soon = timezone.now() + dt.timedelta(hours=1, minutes=30)
    make_post(franchise=franchises["Akron"], status=Post.Status.SCHEDULED, scheduled_at=soon)
    make_post(franchise=franchises["Lima"], status=Post.Status.SCHEDULED, scheduled_at=soon + dt.timedelta(days=1))

    assert check()["google_requests"] == 0  # checked less than an hour ago
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1)):
        hourly = check()

    assert hourly["locations_checked"] == 1 and hourly["google_requests"] == 1  # Akron's post is near
