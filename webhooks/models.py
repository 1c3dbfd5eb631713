"""Webhook subscriptions, the outbox of their deliveries, and each attempt's record."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from franchises.models import Franchise
from gbp_scheduler.encryption import EncryptedTextField
from gbp_scheduler.events import EventType


class Subscription(models.Model):
    """An HTTPS URL that receives the chosen events. A franchise's own (`franchise` set: its admins
    manage it) or headquarters' (`franchise` empty: every franchise, or those in `franchises`)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    franchise = models.ForeignKey(
        Franchise, null=True, blank=True, on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    # Headquarters' choice of franchises; none chosen: all of them, those added later too.
    franchises = models.ManyToManyField(Franchise, blank=True, related_name="+")
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True, default="")
    event_types = models.JSONField(default=list)  # EventType values
    secret = EncryptedTextField()  # "whsec_<base64>": the key of every signature
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "webhook_subscriptions"
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.url

    @property
    def event_labels(self) -> list[str]:
        return [EventType(value).label for value in self.event_types if value in EventType.values]


class Delivery(models.Model):
    """One event for one subscription: the outbox row, written in the transaction that announced
    the event, and its delivery's state. `event_id` is the event's, on every attempt and resend."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"

    id = models.BigAutoField(primary_key=True)
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    franchise = models.ForeignKey(Franchise, on_delete=models.CASCADE, related_name="+")
    event_id = models.CharField(max_length=40)
    event_type = models.CharField(max_length=40, choices=EventType.choices)
    payload = models.JSONField()  # the body sent: {"type", "timestamp", "data"}
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)  # since it was last queued (a resend starts over)
    next_attempt_at = models.DateTimeField(null=True, blank=True)  # due from then, while pending
    lease_until = models.DateTimeField(null=True, blank=True)  # a run holds it until then
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "webhook_deliveries"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event_id"], name="webhook_delivery_once_per_event"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="webhook_deliveries_due", condition=models.Q(status="pending")
            ),
            models.Index(fields=["subscription", "-created_at"], name="webhook_deliveries_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class DeliveryAttempt(models.Model):
    """One POST of a delivery: what the receiver answered, or what went wrong, in words."""

    id = models.BigAutoField(primary_key=True)
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField()
    error = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        db_table = "webhook_delivery_attempts"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.status_code or self.error} at {self.at}"
