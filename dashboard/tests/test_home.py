"""The home page: one card per franchise the user can see, in constant queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from franchises.models import Franchise, Membership
from posts.models import Post
from testkit.factories import make_franchise, make_member, make_post, make_user
from testkit.web import logged_in

pytestmark = pytest.mark.django_db

HOME = "/"


def _busy_franchise(name: str, **fields) -> Franchise:
    """A franchise with something in every part of its card: upcoming, due (one retrying, one
    being published), missed, taken off Google and failed posts, and an AI draft."""
    franchise = make_franchise(name=name, google_refresh_token="1//token", google_location_id=f"loc-{name}", **fields)
    now = timezone.now()
    for hours in range(4):
        ahead = now + dt.timedelta(days=1, hours=hours)
        make_post(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=ahead)
    past = now - dt.timedelta(hours=1)
    make_post(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=past)
    make_post(
        franchise=franchise,
        status=Post.Status.SCHEDULED,
        scheduled_at=past,
        last_error="Google was busy.",
        next_attempt_at=now + dt.timedelta(minutes=5),
    )
    make_post(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=past, publishing_at=now)
    make_post(franchise=franchise, status=Post.Status.DRAFT, held_reason="It was due while on hold.", scheduled_at=past)
    make_post(franchise=franchise, status=Post.Status.PUBLISHED, google_state="REJECTED", google_post_name=f"{name}/p")
    make_post(franchise=franchise, status=Post.Status.DRAFT, source=Post.Source.AI)
    make_post(franchise=franchise, status=Post.Status.FAILED, last_error=f"{name}: Google said no.")
    return franchise


def test_the_home_page_is_at_the_root_and_needs_a_login(client):
    assert reverse("dashboard:home") == HOME
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?next=/"


def test_a_user_sees_only_their_franchises(client):
    mine, other = make_franchise(name="Mine"), make_franchise(name="Other")
    body = logged_in(client, make_member(mine, Membership.Role.STAFF)).get(HOME).content.decode()
    assert f'id="franchise-card-{mine.pk}"' in body
    assert f'id="franchise-card-{other.pk}"' not in body and "Other" not in body


def test_headquarters_sees_every_franchise(client):
    franchises = [make_franchise(name=f"Shop {n}") for n in range(3)]
    body = logged_in(client, make_user(superuser=True)).get(HOME).content.decode()
    assert all(f'id="franchise-card-{f.pk}"' in body for f in franchises)


def test_a_card_shows_next_posts_in_the_franchise_zone_drafts_and_failures(client):
    franchise = make_franchise(name="Tokyo", timezone="Asia/Tokyo", google_refresh_token="1//t", google_location_id="1")
    at = dt.datetime(2031, 5, 1, 0, 30, tzinfo=dt.UTC)  # 09:30 in Tokyo
    make_post(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=at, summary="Spring menu is here")
    make_post(franchise=franchise, status=Post.Status.DRAFT, source=Post.Source.AI)
    make_post(franchise=franchise, status=Post.Status.DRAFT, source=Post.Source.AI)
    make_post(franchise=franchise, status=Post.Status.DRAFT, source=Post.Source.MANUAL)  # not an AI draft
    make_post(franchise=franchise, status=Post.Status.FAILED, last_error="The photo URL could not be fetched.")
    body = logged_in(client, make_member(franchise, Membership.Role.STAFF)).get(HOME).content.decode()
    assert "Times in Asia/Tokyo" in body
    assert "Thu 1 May 2031, 09:30</a>" in body and "Spring menu is here" in body  # the page is in its zone
    assert f'id="drafts-waiting-{franchise.pk}" data-count="2"' in body
    assert f'href="/drafts/?franchise={franchise.pk}">2 waiting for review' in body
    assert "The photo URL could not be fetched." in body


def test_a_card_lists_at_most_three_upcoming_posts_soonest_first(client):
    franchise = make_franchise()
    now = timezone.now()
    for n in (4, 1, 3, 2):
        make_post(
            franchise=franchise,
            status=Post.Status.SCHEDULED,
            scheduled_at=now + dt.timedelta(days=n),
            summary=f"Post in {n} days",
        )
    body = logged_in(client, make_member(franchise, Membership.Role.STAFF)).get(HOME).content.decode()
    assert body.index("Post in 1 days") < body.index("Post in 2 days") < body.index("Post in 3 days")
    assert "Post in 4 days" not in body


def test_invalid_google_auth_shows_a_warning_with_reconnect_for_admins(client):
    franchise = make_franchise(
        google_refresh_token="1//dead", google_auth_valid=False, google_auth_error="Token has been expired or revoked."
    )
    body = logged_in(client, make_member(franchise, Membership.Role.ADMIN)).get(HOME).content.decode()
    assert f'id="auth-warning-{franchise.pk}"' in body
    assert "Token has been expired or revoked." not in body  # Google's raw words are not for people
    assert "Google access has stopped working." in body
    assert f'id="reconnect-{franchise.pk}"' in body
    assert reverse("franchises:google_connect", args=[franchise.pk]) in body


def test_staff_see_the_warning_but_are_told_to_ask_an_admin(client):
    franchise = make_franchise(google_refresh_token="1//dead", google_auth_valid=False)
    body = logged_in(client, make_member(franchise, Membership.Role.STAFF)).get(HOME).content.decode()
    assert f'id="auth-warning-{franchise.pk}"' in body
    assert f'id="reconnect-{franchise.pk}"' not in body
    assert "Ask a franchise admin to reconnect Google." in body
    assert f'id="settings-link-{franchise.pk}"' not in body


def test_no_warning_for_a_healthy_or_unconnected_franchise(client):
    healthy = make_franchise(google_refresh_token="1//ok", google_location_id="1", google_location_title="Downtown")
    unconnected = make_franchise(google_auth_valid=False)  # no token: "not connected", not "reconnect"
    user = make_member(healthy, Membership.Role.STAFF)
    Membership.objects.create(user=user, franchise=unconnected, role=Membership.Role.STAFF)
    body = logged_in(client, user).get(HOME).content.decode()
    assert "auth-warning-" not in body
    assert "Connected: Downtown" in body and "Not connected" in body


def test_franchises_needing_a_reconnect_come_first(client):
    make_franchise(name="Aardvark")
    broken = make_franchise(name="Zebra", google_refresh_token="1//dead", google_auth_valid=False)
    body = logged_in(client, make_user(superuser=True)).get(HOME).content.decode()
    assert body.index(f"franchise-card-{broken.pk}") < body.index("Aardvark")


def test_a_script_in_a_post_or_error_is_shown_as_text(client):
    franchise = make_franchise()
    make_post(franchise=franchise, status=Post.Status.SCHEDULED, summary="<script>alert(1)</script>")
    make_post(franchise=franchise, status=Post.Status.FAILED, last_error="<script>alert(2)</script>")
    body = logged_in(client, make_member(franchise, Membership.Role.STAFF)).get(HOME).content.decode()
    assert "<script>alert(" not in body
    assert "&lt;script&gt;alert(1)" in body and "&lt;script&gt;alert(2)" in body


def _home_queries(client, user) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(HOME).status_code == 200
    return len(queries)


@pytest.mark.parametrize("superuser", [False, True])
def test_the_home_page_runs_the_same_queries_for_2_and_10_franchises(client, django_assert_num_queries, superuser):
    user = make_user(superuser=superuser)
    logged_in(client, user)
    for n in range(2):
        Membership.objects.create(user=user, franchise=_busy_franchise(f"First {n}"), role=Membership.Role.ADMIN)
    expected = _home_queries(client, user)
    for n in range(8):
        Membership.objects.create(user=user, franchise=_busy_franchise(f"More {n}"), role=Membership.Role.STAFF)
    with django_assert_num_queries(expected):
        body = client.get(HOME).content.decode()
    assert body.count('class="card franchise-card"') == 10
    assert body.count("Google said no.") == 10
    for list_id in ("upcoming-", "overdue-", "missed-", "google-notices-", "failures-"):
        assert body.count(f'id="{list_id}') == 10, list_id
    assert body.count('data-state="retrying"') == 10 and body.count('data-state="publishing"') == 10


def test_the_page_sends_a_strict_csp_without_inline_script_or_style(client):
    _busy_franchise("CSP")
    response = logged_in(client, make_user(superuser=True)).get(HOME)
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    body = response.content.decode()
    assert "<script>" not in body and " style=" not in body and "<style" not in body
