"""Writes of franchises and their memberships."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from .models import Franchise, Membership


@transaction.atomic
def franchise_create(*, name: str, timezone: str = "UTC", **profile) -> Franchise:
    franchise = Franchise(name=name, timezone=timezone, **profile)
    franchise.full_clean()
    franchise.save()
    return franchise


def membership_set(*, user: AbstractBaseUser, franchise: Franchise, role: str) -> Membership:
    membership, _ = Membership.objects.update_or_create(user=user, franchise=franchise, defaults={"role": role})
    return membership


def encrypted_tokens_rotate() -> int:
    """Re-encrypt stored tokens under the primary key.

    Reading decrypts with whichever key matches; saving encrypts with the first key. Run it
    after putting a new key first in FIELD_ENCRYPTION_KEY, before dropping the old one.
    """
    count = 0
    tokens = ["google_refresh_token", "google_access_token"]
    for franchise in Franchise.objects.filter(google_refresh_token__isnull=False).only("id", *tokens).iterator():
        franchise.save(update_fields=tokens)
        count += 1
    return count


# --- franchise settings and members (the dashboard's admin pages) ---------------------------

PROFILE_FIELDS = (
    "description",
    "services",
    "city",
    "website",
    "tone",
    "posts_per_week",
    "ai_drafts_enabled",
    "auto_schedule_ai_posts",
    "timezone",
)


class MembershipError(Exception):
    """A member change refused for a reason the person can act on (shown as a message)."""


@transaction.atomic
def franchise_settings_update(*, franchise: Franchise, **fields) -> Franchise:
    """Change the business profile, AI options and time zone (only the PROFILE_FIELDS)."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"Not a franchise setting: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(franchise, name, value)
    franchise.full_clean()
    franchise.save(update_fields=[*fields, "updated_at"])
    return franchise


def _user_find(*, identifier: str) -> AbstractBaseUser:
    """An existing user by username, or else by email (both case-insensitive)."""
    User = get_user_model()
    identifier = identifier.strip()
    if not identifier:
        raise MembershipError("Type the username or email of an existing user.")
    by_name = User.objects.filter(username__iexact=identifier)
    if by_name.count() == 1:
        return by_name.get()
    by_email = User.objects.filter(email__iexact=identifier)
    count = by_email.count()
    if count == 1:
        return by_email.get()
    if count > 1:
        raise MembershipError(f"Several users have the email {identifier}: add them by username instead.")
    raise MembershipError(
        f"No user is called {identifier!r} or has that email. Headquarters creates new accounts in the admin."
    )


def _franchise_locked(franchise: Franchise) -> Franchise:
    """Lock the franchise row so two concurrent member changes cannot both remove 'the other' admin."""
    return Franchise.objects.select_for_update().get(pk=franchise.pk)


def _other_admins(membership: Membership) -> int:
    return (
        Membership.objects.filter(franchise_id=membership.franchise_id, role=Membership.Role.ADMIN)
        .exclude(pk=membership.pk)
        .count()
    )


@transaction.atomic
def membership_add(*, franchise: Franchise, identifier: str, role: str) -> Membership:
    """Give an existing user (by username or email) a role in the franchise."""
    if role not in Membership.Role.values:
        raise MembershipError(f"Unknown role {role!r}.")
    user = _user_find(identifier=identifier)
    _franchise_locked(franchise)
    if Membership.objects.filter(franchise=franchise, user=user).exists():
        raise MembershipError(f"{user.get_username()} is already a member; change their role in the list.")
    return Membership.objects.create(franchise=franchise, user=user, role=role)


@transaction.atomic
def membership_role_set(*, membership: Membership, role: str) -> Membership:
    """Change a member's role; the franchise keeps at least one admin."""
    if role not in Membership.Role.values:
        raise MembershipError(f"Unknown role {role!r}.")
    _franchise_locked(membership.franchise)
    membership.refresh_from_db(fields=["role"])
    if membership.role == Membership.Role.ADMIN and role != Membership.Role.ADMIN and not _other_admins(membership):
        raise MembershipError("A franchise needs at least one admin: make someone else admin first.")
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    """Remove a member; the last admin cannot be removed."""
    _franchise_locked(membership.franchise)
    membership.refresh_from_db(fields=["role"])
    if membership.role == Membership.Role.ADMIN and not _other_admins(membership):
        raise MembershipError("This is the franchise's last admin: make someone else admin first.")
    membership.delete()
