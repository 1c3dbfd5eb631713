"""Reads of franchises, always scoped to what a user may see."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from .models import Franchise, GoogleConnection, Membership


def user_is_headquarters(user: AbstractBaseUser | None) -> bool:
    """Headquarters: the role that sees and administers every franchise. Superusers hold it.

    This is the one place the role is decided: every page, API and job asks here, never
    `is_superuser` or `is_staff` directly. Django's `is_staff` flag only opens the Django admin
    site (where a user still needs model permissions); it grants nothing in the dashboard or the
    JSON API, so a franchise user who happens to have it sees only their own franchises."""
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_superuser)


def franchises_for_user(*, user: AbstractBaseUser) -> QuerySet[Franchise]:
    """Every franchise for headquarters; otherwise the franchises the user is a member of."""
    if user_is_headquarters(user):
        return Franchise.objects.all()
    if not user.is_authenticated:
        return Franchise.objects.none()
    return Franchise.objects.filter(memberships__user=user).distinct()


def franchise_get_for_user(*, user: AbstractBaseUser, franchise_id) -> Franchise:
    """The franchise, or 404 when it is not the user's: other tenants' ids do not exist for them."""
    return get_object_or_404(franchises_for_user(user=user), pk=franchise_id)


def user_is_franchise_admin(*, user: AbstractBaseUser, franchise: Franchise) -> bool:
    if user_is_headquarters(user):
        return True
    return Membership.objects.filter(user=user, franchise=franchise, role=Membership.Role.ADMIN).exists()


def memberships_of_franchise(*, franchise: Franchise) -> QuerySet[Membership]:
    """Members with their users, admins first."""
    return (
        Membership.objects.filter(franchise=franchise)
        .select_related("user")
        .order_by("role", "user__username")  # "admin" sorts before "staff"
    )


def franchises_administered_by(*, user: AbstractBaseUser) -> QuerySet[Franchise]:
    """The active franchises a user may connect to Google: every one for headquarters, else
    those the user is an admin of."""
    active = Franchise.objects.filter(is_active=True)
    if user_is_headquarters(user):
        return active
    return active.filter(memberships__user=user, memberships__role=Membership.Role.ADMIN).distinct()


def connections_for_user(*, user: AbstractBaseUser) -> QuerySet[GoogleConnection]:
    """The Google connections a user may see and map with: every one for headquarters, else those
    the user made or that a franchise they administer publishes through; each with its number
    of franchises."""
    connections = GoogleConnection.objects.all()
    if not user_is_headquarters(user):
        administered = franchises_administered_by(user=user)
        connections = connections.filter(Q(connected_by=user) | Q(franchises__in=administered)).distinct()
    return connections.annotate(franchise_count=Count("franchises", distinct=True)).order_by("google_email", "pk")


def connection_get_for_user(*, user: AbstractBaseUser, connection_id) -> GoogleConnection:
    """The connection, or 404 when it is not one the user may use."""
    return get_object_or_404(connections_for_user(user=user), pk=connection_id)
