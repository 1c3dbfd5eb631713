"""One vocabulary for a post's state (posts/status.py), the same on every page and in the email;
and posts whose time passed during a hold wait for a person instead of going out late."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from franchises.holds import hold_ended_tell
from franchises.models import Franchise, Membership
from gbp_scheduler.jobs import TimeBudget
from health.digests import franchise_digests_send
from posts.models import Post, PostEvent
from posts.services import post_publish_now, posts_publish_due
from posts.status import post_state
from sandbox.state import SANDBOX_USER
from testkit.factories import make_franchise, make_member, make_post
from testkit.google import DEMO_LOCATION, connection_of, franchise_connected_to_sandbox
from testkit.oauth import consent, local_path
from testkit.web import logged_in

pytestmark = pytest.mark.django_db

LATER = dt.timedelta(days=2)


def badge(page: str, post: Post) -> str:
    """The state a list shows for `post`: its badge's data-state, in the row or item of its link."""
    start = page.index(f"/posts/{post.pk}/")
    row = page[page.rfind("<li", 0, start) if "<li" in page[start - 600 : start] else page.rfind("<tr", 0, start) :]
    return row.split('data-state="', 1)[1].split('"', 1)[0]


def connected(**fields) -> Franchise:
    fields.setdefault("google_refresh_token", "1//live")
    fields.setdefault("google_location_id", "2001")
    fields.setdefault("google_account_id", "1001")
    return make_franchise(**fields)


@pytest.mark.parametrize(
    ("fields", "key", "label"),
    [
        ({"google_refresh_token": None}, "not_connected", "Waiting: not connected to Google"),
        ({"google_auth_valid": False}, "reconnect", "Waiting: reconnect Google"),
        ({"google_location_id": ""}, "no_location", "Waiting: no Google location"),
        ({"google_location_can_post": False}, "cannot_post", "Waiting: location cannot take posts"),
        ({"is_active": False}, "inactive", "Waiting: franchise inactive"),
    ],
)
def test_a_scheduled_post_of_a_franchise_on_hold_says_why_it_waits(fields, key, label):
    post = make_post(franchise=connected(**fields), status=Post.Status.SCHEDULED, scheduled_at=timezone.now())
    state = post_state(post)
    assert (state.key, state.hold, state.label, state.tone) == ("waiting", key, label, "waiting")
    assert state.detail


def test_each_state_reads_as_a_person_would_say_it():
    franchise = connected()
    ahead = timezone.now() + LATER

    def state(**fields):
        return post_state(make_post(franchise=franchise, **fields))

    assert state(status=Post.Status.DRAFT).label == "Draft"
    assert state(status=Post.Status.SCHEDULED, scheduled_at=ahead).label == "Scheduled"
    assert state(status=Post.Status.SCHEDULED, scheduled_at=ahead, publishing_at=timezone.now()).label == (
        "Publishing now"
    )
    retrying = state(
        status=Post.Status.SCHEDULED,
        scheduled_at=timezone.now(),
        last_error="Google answered 503.",
        next_attempt_at=timezone.now() + dt.timedelta(minutes=5),
    )
    assert (retrying.label, retrying.detail.startswith("Google answered 503. Next try: ")) == (
        "Waiting for Google",
        True,
    )
    assert state(status=Post.Status.PUBLISHED, google_state="LIVE").label == "Published"
    assert state(status=Post.Status.PUBLISHED, google_state="REJECTED").label == "Rejected by Google"
    assert state(status=Post.Status.PUBLISHED, google_state="REMOVED").label == "Removed from Google"
    failed = state(status=Post.Status.FAILED, last_error="The photo URL could not be fetched.")
    assert (failed.label, failed.detail) == ("Failed", "The photo URL could not be fetched.")
    missed = state(status=Post.Status.DRAFT, scheduled_at=timezone.now(), held_reason="Its time passed.")
    assert (missed.key, missed.label) == ("missed", "Missed its time")
    assert "Publish it now or pick a new time." in missed.detail


def test_a_post_google_rejected_reads_rejected_on_every_page_and_in_the_digest(client, settings):
    franchise = connected(name="Cincinnati")
    admin = make_member(franchise, Membership.Role.ADMIN, email="admin@example.com")
    post = make_post(
        franchise=franchise,
        status=Post.Status.PUBLISHED,
        scheduled_at=timezone.now() - dt.timedelta(days=1),
        published_at=timezone.now() - dt.timedelta(days=1),
        google_state="REJECTED",
        summary="The greenest lawn in Ohio, guaranteed!",
    )
    logged_in(client, admin)
    pages = {
        "list": reverse("posts:franchise_list", args=[franchise.pk]),
        "all posts": reverse("posts:list"),
        "calendar": reverse("posts:calendar", args=[franchise.pk]),
        "calendar of all": reverse("posts:calendar_all"),
        "home": "/",
    }
    for name, url in pages.items():
        page = client.get(url).content.decode()
        assert badge(page, post) == "rejected", name
        assert "Rejected by Google" in page, name
    detail = client.get(reverse("posts:detail", args=[post.pk])).content.decode()
    assert '<h1>Post <span class="badge status-failed" data-status="published" data-state="rejected">' in detail
    assert 'id="post-status" data-status="published" data-state="rejected">Rejected by Google<' in detail

    # The weekly digest lists it among what went out, saying it came off again.
    with timezone.override(franchise.zone):
        monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
    franchise_digests_send(now=dt.datetime.combine(monday, dt.time(9), tzinfo=franchise.zone))
    (digest,) = mail.outbox
    assert "The greenest lawn in Ohio, guaranteed! (Rejected by Google)" in digest.body


# --- a hold that ends ---------------------------------------------------------------------------


def test_posts_whose_time_passed_during_a_hold_wait_for_a_person_and_later_ones_go_out(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    Franchise.objects.filter(pk=franchise.pk).update(google_auth_valid=False)
    missed = make_post(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=timezone.now())
    ahead = make_post(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=timezone.now() + LATER)
    Franchise.objects.filter(pk=franchise.pk).update(google_auth_valid=True)

    hold_ended_tell(franchise_ids=[franchise.pk], why="reconnect")

    missed.refresh_from_db()
    assert missed.status == Post.Status.DRAFT and missed.scheduled_at is not None
    assert f"passed while Google access for {franchise.name} was broken" in missed.held_reason
    assert post_state(missed).label == "Missed its time"
    assert missed.events.get().action == PostEvent.Action.HELD
    ahead.refresh_from_db()
    assert ahead.status == Post.Status.SCHEDULED and ahead.held_reason == ""

    # The publish run sends nothing late; a person publishing it clears the reason.
    posts_publish_due(budget=TimeBudget(seconds=60))
    missed.refresh_from_db()
    assert missed.status == Post.Status.DRAFT
    assert post_publish_now(post=missed).outcome == "published"
    missed.refresh_from_db()
    assert missed.status == Post.Status.PUBLISHED and missed.held_reason == ""


def test_a_hold_that_has_not_ended_for_all_reasons_keeps_its_posts_scheduled(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox, google_location_can_post=False)
    due = make_post(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=timezone.now())
    hold_ended_tell(franchise_ids=[franchise.pk], why="reconnect")  # access is back, the location still refuses
    due.refresh_from_db()
    assert due.status == Post.Status.SCHEDULED and post_state(due).hold == "cannot_post"


# The consent page signs in as SANDBOX_USER: the broken grant's own account, or another one (the
# franchise then publishes through a new connection, as the demo's Columbus does).
@pytest.mark.parametrize("account", [SANDBOX_USER, None], ids=["same account", "another account"])
def test_reconnecting_through_google_asks_before_sending_what_missed_its_time(client, sandbox, account):
    franchise = make_franchise(name="Columbus")
    admin = make_member(franchise, Membership.Role.ADMIN)
    franchise_connected_to_sandbox(sandbox, franchise, location=DEMO_LOCATION, user=account)
    connection_of(franchise).update(auth_valid=False, auth_error="invalid_grant")
    Franchise.objects.filter(pk=franchise.pk).update(google_auth_valid=False, google_auth_error="invalid_grant")
    held = make_post(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=timezone.now())
    logged_in(client, admin)
    home = client.get("/").content.decode()
    assert 'data-hold="reconnect"' in home and f'id="overdue-{franchise.pk}"' in home

    consent_url = client.post(reverse("franchises:google_connect", args=[franchise.pk]))["Location"]
    assert client.get(local_path(consent(consent_url))).status_code == 302

    held.refresh_from_db()
    assert held.status == Post.Status.DRAFT and held.held_reason
    posts_publish_due(budget=TimeBudget(seconds=60))
    held.refresh_from_db()
    assert held.status == Post.Status.DRAFT, "not sent late without asking"
    home = client.get("/").content.decode()
    assert f'id="missed-{franchise.pk}"' in home and f'id="overdue-{franchise.pk}"' not in home
    page = client.get(reverse("posts:detail", args=[held.pk])).content.decode()
    assert 'id="post-waiting" data-state="missed"' in page and "Publish it now or pick a new time." in page


def test_the_home_card_keeps_due_posts_apart_from_the_next_ones(client):
    franchise = connected(google_auth_valid=False)
    due = make_post(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=timezone.now())
    ahead = make_post(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=timezone.now() + LATER)
    home = logged_in(client, make_member(franchise, Membership.Role.STAFF)).get("/").content.decode()
    overdue = home.split(f'id="overdue-{franchise.pk}"', 1)[1].split("</ul>", 1)[0]
    upcoming = home.split(f'id="upcoming-{franchise.pk}"', 1)[1].split("</ul>", 1)[0]
    assert f"/posts/{due.pk}/" in overdue and f"/posts/{due.pk}/" not in upcoming
    assert f"/posts/{ahead.pk}/" in upcoming
    assert "Waiting: reconnect Google" in overdue
