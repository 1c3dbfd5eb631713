"""The webhook pages: a franchise's admins manage its subscriptions, headquarters its own; nobody
sees, changes or sends again another's; junk input gets errors that say what to fix."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from franchises.models import Membership
from gbp_scheduler.events import EventType, event_announce
from testkit.factories import make_franchise, make_member, make_user
from testkit.web import logged_in, messages_of
from webhooks.models import Delivery, Subscription

from .helpers import deliver, subscribed

pytestmark = pytest.mark.django_db


@pytest.fixture
def franchise():
    return make_franchise(name="Sunrise Bakery")


@pytest.fixture
def admin(client, franchise):
    user = make_member(franchise, Membership.Role.ADMIN)
    logged_in(client, user)
    return user


def _form(url: str, *types: str, **extra) -> dict:
    return {"url": url, "event_types": list(types) or [EventType.POST_PUBLISHED], "description": "", **extra}


def test_an_admin_adds_a_webhook_and_sees_its_secret_once_added(client, admin, franchise, receiver):
    response = client.post(
        reverse("webhooks:franchise", args=[franchise.pk]),
        _form(receiver.url, EventType.POST_PUBLISHED, EventType.REVIEW_RECEIVED),
    )
    subscription = Subscription.objects.get()
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert subscription.secret.startswith("whsec_") and subscription.secret in response.content.decode()
    assert subscription.franchise == franchise and subscription.created_by == admin
    assert subscription.event_types == [EventType.POST_PUBLISHED, EventType.REVIEW_RECEIVED]
    page = client.get(reverse("webhooks:franchise", args=[franchise.pk])).content.decode()
    assert receiver.url in page and subscription.secret not in page
    # Shown again on request, to who may manage it.
    shown = client.post(reverse("webhooks:secret", args=[subscription.pk])).content.decode()
    assert subscription.secret in shown


def test_the_secret_is_encrypted_at_rest(client, admin, franchise, receiver):
    from django.db import connection

    subscription = subscribed(receiver, franchise=franchise)
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM webhook_subscriptions WHERE id = %s", [subscription.pk.hex])
        (stored,) = cursor.fetchone()
    assert subscription.secret not in stored and "whsec_" not in stored


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (_form("not a url"), "url", "Enter a valid URL."),
        (_form(""), "url", "This field is required."),
        (_form("https://example.com/hook", "no.such.event"), "event_types", "Select a valid choice."),
        ({"url": "https://example.com/hook"}, "event_types", "Choose at least one event."),
        (_form("ftp://example.com/hook"), "url", "The URL must start with https://"),
    ],
)
def test_junk_gets_clear_errors_and_saves_nothing(client, admin, franchise, data, field, message):
    response = client.post(reverse("webhooks:franchise", args=[franchise.pk]), data)
    assert response.status_code == 400 and not Subscription.objects.exists()
    assert any(message in error for error in response.context["form"].errors[field])


def test_a_private_or_plain_http_address_is_refused_in_production(client, admin, franchise, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    url = reverse("webhooks:franchise", args=[franchise.pk])
    for given, words in [
        ("http://hooks.example.com/in", "must start with https://"),
        ("https://127.0.0.1/in", "private or reserved"),
        ("https://[::1]:8443/in", "private or reserved"),
    ]:
        response = client.post(url, _form(given))
        assert response.status_code == 400, given
        assert words in " ".join(response.context["form"].errors["url"])
    assert not Subscription.objects.exists()


def test_an_admin_edits_switches_off_and_deletes_a_webhook(client, admin, franchise, receiver):
    subscription = subscribed(receiver, franchise=franchise)
    response = client.post(
        reverse("webhooks:detail", args=[subscription.pk]), _form(receiver.url + "/v2", EventType.POST_FAILED)
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.url.endswith("/v2") and subscription.event_types == [EventType.POST_FAILED]
    client.post(reverse("webhooks:enabled", args=[subscription.pk]))
    subscription.refresh_from_db()
    assert not subscription.enabled
    client.post(reverse("webhooks:enabled", args=[subscription.pk]), {"enabled": "on"})
    subscription.refresh_from_db()
    assert subscription.enabled
    client.post(reverse("webhooks:delete", args=[subscription.pk]))
    assert not Subscription.objects.exists()


def test_the_log_shows_each_delivery_and_send_again_keeps_its_id(client, admin, franchise, receiver):
    subscription = subscribed(receiver, franchise=franchise)
    with transaction.atomic():
        event = event_announce(type=EventType.GOOGLE_ACCESS_BROKEN, franchise_id=franchise.pk, data={"reason": "r"})
    receiver.answer = 500
    deliver()
    page = client.get(reverse("webhooks:detail", args=[subscription.pk])).content.decode()
    assert event.id in page and "HTTP 500" in page and "Google access broken" in page
    receiver.answer = 204
    delivery = Delivery.objects.get()
    response = client.post(
        reverse("webhooks:send_again", args=[subscription.pk]), {"delivery": delivery.pk}, follow=True
    )
    assert any(event.id in m for m in messages_of(response))
    deliver()
    assert receiver.ids == [event.id]
    response = client.post(reverse("webhooks:send_again", args=[subscription.pk]), {"delivery": "junk"}, follow=True)
    assert messages_of(response) == ["Choose a delivery from the log to send again."]


def test_headquarters_subscribes_for_chosen_franchises(client, receiver):
    chosen, other = make_franchise(name="Chosen"), make_franchise(name="Other")
    logged_in(client, make_user(superuser=True))
    client.post(
        reverse("webhooks:headquarters"), _form(receiver.url, EventType.GOOGLE_ACCESS_BROKEN, franchises=[chosen.pk])
    )
    subscription = Subscription.objects.get()
    assert subscription.franchise is None and list(subscription.franchises.all()) == [chosen]
    receiver.secret = subscription.secret
    for franchise in (chosen, other):
        with transaction.atomic():
            event_announce(type=EventType.GOOGLE_ACCESS_BROKEN, franchise_id=franchise.pk, data={"reason": "r"})
    deliver()
    assert [e["data"]["franchise_id"] for e in receiver.of_type("google.access_broken")] == [str(chosen.pk)]


def test_nobody_sees_or_acts_on_another_franchises_webhooks(client, franchise, receiver):
    theirs = subscribed(receiver, franchise=franchise)
    with transaction.atomic():
        event_announce(type=EventType.GOOGLE_ACCESS_BROKEN, franchise_id=franchise.pk, data={"reason": "r"})
    delivery = Delivery.objects.get()
    outsider = make_member(make_franchise(name="Elsewhere"), Membership.Role.ADMIN)
    logged_in(client, outsider)
    assert client.get(reverse("webhooks:franchise", args=[franchise.pk])).status_code == 404
    for name in ("detail", "secret", "enabled", "delete", "send_again"):
        response = client.post(reverse(f"webhooks:{name}", args=[theirs.pk]), {"delivery": delivery.pk})
        assert response.status_code == 404, name
    assert client.get(reverse("webhooks:headquarters")).status_code == 403
    theirs.refresh_from_db()
    assert theirs.enabled and Delivery.objects.get().attempts == 0 and delivery.next_attempt_at is not None


def test_the_franchises_staff_may_not_manage_its_webhooks(client, franchise, receiver):
    subscription = subscribed(receiver, franchise=franchise)
    logged_in(client, make_member(franchise, Membership.Role.STAFF))
    assert client.get(reverse("webhooks:franchise", args=[franchise.pk])).status_code == 403
    assert client.get(reverse("webhooks:detail", args=[subscription.pk])).status_code == 403
    assert client.post(reverse("webhooks:secret", args=[subscription.pk])).status_code == 403


def test_a_franchise_admin_cannot_reach_headquarters_webhooks(client, admin, receiver):
    headquarters = subscribed(receiver)
    assert client.get(reverse("webhooks:detail", args=[headquarters.pk])).status_code == 404


def test_send_again_only_takes_a_delivery_of_that_webhook(client, admin, franchise, receiver):
    mine = subscribed(receiver, franchise=franchise)
    other = make_franchise(name="Other")
    subscribed(receiver, franchise=other)
    with transaction.atomic():
        event_announce(type=EventType.GOOGLE_ACCESS_BROKEN, franchise_id=other.pk, data={"reason": "r"})
    theirs = Delivery.objects.get()
    response = client.post(reverse("webhooks:send_again", args=[mine.pk]), {"delivery": theirs.pk})
    assert response.status_code == 404


def test_the_settings_and_system_pages_link_to_webhooks(client, admin, franchise):
    page = client.get(reverse("franchises:settings", args=[franchise.pk])).content.decode()
    assert reverse("webhooks:franchise", args=[franchise.pk]) in page
    logged_in(client, make_user(superuser=True))
    assert reverse("webhooks:headquarters") in client.get(reverse("dashboard:system")).content.decode()
