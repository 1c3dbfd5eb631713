"""Writes of franchises and their memberships."""

from __future__ import annotations

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
