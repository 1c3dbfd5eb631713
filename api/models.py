"""API keys and the answers kept for idempotent POSTs."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from franchises.models import Franchise


class ApiKey(models.Model):
    """A user's key to the REST API. It sees at most what its user sees now (checked on every
    request, so a membership removed takes the franchise away from the key too), narrowed to
    `franchises` unless `all_franchises`; `scope` read cannot write.

    Only a SHA-256 of the secret is kept: the secret is 32 random bytes, so no guessing or
    dictionary helps and a slow password hash would only cost every request its CPU. `prefix`
    finds the row; the digest is compared in constant time."""

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        WRITE = "write", "Read and write"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_sha256 = models.CharField(max_length=64)
    scope = models.CharField(max_length=5, choices=Scope.choices, default=Scope.READ)
    all_franchises = models.BooleanField(default=True)
    franchises = models.ManyToManyField(Franchise, blank=True, related_name="+")
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Written by the rate limit's one UPDATE a request (api/keys.py), so recording it costs nothing.
    last_used_at = models.DateTimeField(null=True, blank=True)
    # The rate limit's token bucket: tokens left at `bucket_at` (seconds since the epoch, the database's clock).
    bucket_tokens = models.FloatField(default=0)
    bucket_at = models.FloatField(default=0)

    class Meta:
        db_table = "api_keys"
        constraints = [
            models.CheckConstraint(condition=models.Q(scope__in=["read", "write"]), name="api_keys_scope_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.WRITE


class IdempotentRequest(models.Model):
    """A POST made with an `Idempotency-Key`: claimed before it runs (`status_code` NULL), then
    its answer, which a repeat of the same request gets instead of running again."""

    id = models.BigAutoField(primary_key=True)
    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    idempotency_key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of the method, path and JSON body
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        db_table = "api_idempotent_requests"
        constraints = [
            models.UniqueConstraint(fields=["key", "idempotency_key"], name="api_idempotency_key_once"),
        ]
        indexes = [models.Index(fields=["created_at"], name="api_idempotent_created")]  # the daily prune

    def __str__(self) -> str:
        return f"{self.idempotency_key} ({self.status_code or 'running'})"
