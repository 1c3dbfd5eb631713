"""Webhook subscriptions made, changed, switched off and on, deleted; a delivery sent again."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from franchises.models import Franchise
from gbp_scheduler import clock
from gbp_scheduler.events import EventType

from .addresses import AddressRefused, url_address
from .models import Delivery, Subscription
from .signing import secret_new


class SubscriptionError(Exception):
    """What is wrong with a subscription as given, in words (the form shows it)."""


def subscription_url_check(url: str) -> None:
    """Refuse a URL a webhook may not go to (addresses.py): the SSRF guard, at subscription time."""
    try:
        url_address(url)
    except AddressRefused as exc:
        raise SubscriptionError(str(exc)) from None


def _types_checked(event_types: Iterable[str]) -> list[str]:
    chosen = [value for value in EventType.values if value in set(event_types)]
    if not chosen or len(chosen) != len(set(event_types)):
        raise SubscriptionError("Choose at least one event, from the list.")
    return chosen


@transaction.atomic
def subscription_create(
    *,
    user: AbstractBaseUser | None,
    url: str,
    event_types: Iterable[str],
    franchise: Franchise | None = None,
    franchises: Iterable[Franchise] = (),
    description: str = "",
) -> Subscription:
    """A franchise's subscription (`franchise`), or headquarters' (for `franchises`, or all when
    none). Its secret is made here."""
    subscription_url_check(url)
    subscription = Subscription.objects.create(
        franchise=franchise,
        url=url,
        description=description,
        event_types=_types_checked(event_types),
        secret=secret_new(),
        created_by=user if user is not None and user.is_authenticated else None,
        created_at=clock.now(),  # compared with events' times (outbox.py): the same clock
    )
    if franchise is None:
        subscription.franchises.set(franchises)
    return subscription


@transaction.atomic
def subscription_update(
    *,
    subscription: Subscription,
    url: str,
    event_types: Iterable[str],
    franchises: Iterable[Franchise] = (),
    description: str = "",
) -> Subscription:
    subscription_url_check(url)
    subscription.url, subscription.description = url, description
    subscription.event_types = _types_checked(event_types)
    subscription.save(update_fields=["url", "description", "event_types"])
    if subscription.franchise_id is None:
        subscription.franchises.set(franchises)
    return subscription


def subscription_enable(*, subscription: Subscription, enabled: bool) -> None:
    """Switched off, it gets no new events and its waiting deliveries wait; on, they go again."""
    Subscription.objects.filter(pk=subscription.pk).update(enabled=enabled)
    subscription.enabled = enabled


def subscription_secret_rotate(*, subscription: Subscription) -> str:
    """A new secret from now on (deliveries already waiting are signed with it too)."""
    subscription.secret = secret_new()
    subscription.save(update_fields=["secret"])
    return subscription.secret


def subscription_delete(*, subscription: Subscription) -> None:
    subscription.delete()  # its deliveries and their log with it


def delivery_send_again(*, delivery: Delivery) -> None:
    """Queue the delivery again, now, with the same event id (receivers that had it drop it), and
    a fresh day of retries. A run holding it loses its lease: its result is not written."""
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.PENDING,
        attempts=0,
        next_attempt_at=clock.now(),
        lease_until=None,
        delivered_at=None,
    )
