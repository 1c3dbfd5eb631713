"""Reads of franchises, always scoped to what a user may see."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .models import Franchise, Membership


def franchises_for_user(*, user: AbstractBaseUser) -> QuerySet[Franchise]:
    """Every franchise for a superuser (headquarters); otherwise the user's own."""
    if user.is_superuser:
        return Franchise.objects.all()
    return Franchise.objects.filter(memberships__user=user).distinct()


def franchise_get_for_user(*, user: AbstractBaseUser, franchise_id) -> Franchise:
    """The franchise, or 404 when it is not the user's: other tenants' ids do not exist for them."""
    return get_object_or_404(franchises_for_user(user=user), pk=franchise_id)


def user_is_franchise_admin(*, user: AbstractBaseUser, franchise: Franchise) -> bool:
    if user.is_superuser:
        return True
    return Membership.objects.filter(user=user, franchise=franchise, role=Membership.Role.ADMIN).exists()


def memberships_of_franchise(*, franchise: Franchise) -> QuerySet[Membership]:
    """Members with their users, admins first."""
    return (
        Membership.objects.filter(franchise=franchise)
        .select_related("user")
        .order_by("role", "user__username")  # "admin" sorts before "staff"
    )
