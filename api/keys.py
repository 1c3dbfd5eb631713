"""API keys: made, revoked, and checked on every request (with the per-key rate limit).

A key reads `gbp_<prefix>_<secret>`: the prefix finds the row by its unique index, the secret's
SHA-256 is compared in constant time (models.ApiKey says why SHA-256 and not a password hash)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest, Least
from django.db.models.lookups import GreaterThanOrEqual

from franchises.models import Franchise
from franchises.selectors import franchises_for_user
from gbp_scheduler import clock

from .models import ApiKey

KEY_MARK = "gbp"


class ApiKeyError(Exception):
    """A key refused at creation; the message says what to change."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_key_create(
    *,
    user: AbstractBaseUser,
    name: str,
    scope: str,
    franchises: list[Franchise] | None = None,
    expires_at: dt.datetime | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its full text, which is shown once and kept nowhere. `franchises` None: all
    the user may see (now and later); otherwise those, which must be among the user's."""
    name = " ".join(name.split())
    if not name:
        raise ApiKeyError("Give the key a name, so you know later where it is used.")
    if scope not in ApiKey.Scope.values:
        raise ApiKeyError("Choose read only, or read and write.")
    if expires_at is not None and expires_at <= clock.now():
        raise ApiKeyError("The expiry date has passed: choose one ahead, or none.")
    if franchises is not None:
        if not franchises:
            raise ApiKeyError("Choose at least one franchise, or all of yours.")
        mine = set(
            franchises_for_user(user=user).filter(pk__in=[f.pk for f in franchises]).values_list("pk", flat=True)
        )
        if mine != {f.pk for f in franchises}:
            raise ApiKeyError("A key can only reach franchises you can see.")
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        user=user,
        name=name[:100],
        prefix=prefix,
        secret_sha256=_digest(secret),
        scope=scope,
        all_franchises=franchises is None,
        expires_at=expires_at,
        bucket_tokens=settings.API_REQUESTS_PER_MINUTE,
        bucket_at=clock.epoch(),
    )
    if franchises:
        key.franchises.set(franchises)
    return key, f"{KEY_MARK}_{prefix}_{secret}"


def api_key_revoke(*, key: ApiKey) -> None:
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=clock.now())


def api_key_for_secret(text: str) -> ApiKey | None:
    """The usable key `text` is (with its user), or None: unknown, wrong secret, revoked, expired,
    or its user deactivated."""
    mark, _, rest = text.partition("_")
    prefix, _, secret = rest.partition("_")
    if mark != KEY_MARK or not prefix or not secret:
        return None
    key = ApiKey.objects.select_related("user").filter(prefix=prefix, revoked_at__isnull=True).first()
    if key is None or not secrets.compare_digest(key.secret_sha256, _digest(secret)):
        return None
    if key.expires_at is not None and key.expires_at <= clock.now():
        return None
    if not key.user.is_active:
        return None
    return key


@dataclass(frozen=True)
class Allowance:
    allowed: bool
    retry_after: int = 0  # seconds, when not allowed


def api_key_use(*, key: ApiKey) -> Allowance:
    """Take one request from the key's token bucket and record its last use, in one conditional
    UPDATE on the database's clock: every process counts against the same row, and PostgreSQL
    re-checks the condition on the row it waited for, so no two requests take the last token.
    The bucket holds API_REQUESTS_PER_MINUTE and refills at that rate."""
    capacity = float(settings.API_REQUESTS_PER_MINUTE)
    rate = capacity / 60.0
    now = clock.epoch()
    refilled = Least(Value(capacity), F("bucket_tokens") + Greatest(Value(0.0), Value(now) - F("bucket_at")) * rate)
    taken = ApiKey.objects.filter(GreaterThanOrEqual(refilled, 1), pk=key.pk).update(
        bucket_tokens=refilled - 1, bucket_at=now, last_used_at=clock.now()
    )
    if taken:
        return Allowance(True)
    row = ApiKey.objects.filter(pk=key.pk).values("bucket_tokens", "bucket_at").first() or {}
    tokens = min(capacity, row.get("bucket_tokens", 0) + max(0.0, now - row.get("bucket_at", now)) * rate)
    return Allowance(False, retry_after=max(1, int(-(-(1 - tokens) // rate))))
