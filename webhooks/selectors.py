"""Reads of webhook subscriptions, scoped: a franchise's are its admins' (and headquarters');
headquarters' own are headquarters' only. Another's subscription is a 404."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from franchises.models import Franchise
from franchises.selectors import franchises_for_user, user_is_franchise_admin, user_is_headquarters

from .models import Delivery, Subscription

LOG_LENGTH = 50


def subscriptions_of_franchise(*, franchise: Franchise) -> QuerySet[Subscription]:
    return Subscription.objects.filter(franchise=franchise)


def subscriptions_of_headquarters() -> QuerySet[Subscription]:
    return Subscription.objects.filter(franchise__isnull=True).prefetch_related("franchises")


def subscription_get_for_user(*, user: AbstractBaseUser, subscription_id) -> Subscription:
    """The subscription if `user` may manage it: 404 outside their franchises (and for
    headquarters' own), 403 for the franchise's staff."""
    if user_is_headquarters(user):
        return get_object_or_404(Subscription.objects.select_related("franchise"), pk=subscription_id)
    subscription = get_object_or_404(
        Subscription.objects.select_related("franchise").filter(franchise__in=franchises_for_user(user=user)),
        pk=subscription_id,
    )
    if not user_is_franchise_admin(user=user, franchise=subscription.franchise):
        raise PermissionDenied("Only the franchise's admins can manage its webhooks. Ask one of them, or headquarters.")
    return subscription


def deliveries_of(*, subscription: Subscription) -> QuerySet[Delivery]:
    """The delivery log, newest first, with each row's franchise."""
    return subscription.deliveries.select_related("franchise")[:LOG_LENGTH]


def delivery_of(*, subscription: Subscription, delivery_id) -> Delivery:
    return get_object_or_404(subscription.deliveries.all(), pk=delivery_id)
